"""Command line for the simulated HAN: ``python -m smets_dev``.

Subcommands are registered in :data:`COMMANDS`:

* ``demo`` runs the library against the simulator and prints a few readings;
* ``capture`` runs the library against the simulator for a number of simulated
  seconds (ESME polls, gas, price and prepayment reads, attribute reports, a
  top-up, a GetProfile, an alert and a supplier message) and writes every frame
  that crossed the virtual radio, both ways, to a pcap file Wireshark decodes
  (see :mod:`custom_components.smets.han.capture`);
* ``bench`` runs the benchmark of :mod:`.bench` (``scripts/bench``);
* ``ncp`` serves an emulated EZSP radio (:mod:`.ncp`) with the simulated HAN
  behind it on a TCP port of 127.0.0.1, until Ctrl-C: type the ``socket://``
  path it prints into the config flow's port field and pair it by hand.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass, field
import datetime as dt
import os
from pathlib import Path
import sys
from typing import Any, Literal, TextIO, cast

from custom_components.smets.han import model
from custom_components.smets.han.capture import PcapWriter
from custom_components.smets.han.link import HanLink
from custom_components.smets.han.meter import HanEvent
from custom_components.smets.han.radio import decode_install_code
from custom_components.smets.han.simulator.app import (
    GPF_ENDPOINT,
    HanSimulator,
    RadioFrame,
)
from smets_dev import bench
from smets_dev.ncp import (
    DEFAULT_EUI64,
    DEFAULT_INSTALL_CODE,
    EmulatedNcp,
    install_code_token,
)

type Command = tuple[
    Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]
]

COMMANDS: dict[str, Command] = {}
"""name -> (add arguments, run): the subcommands."""

METERING = 0x0702

ESME_CYCLE = 10
"""Seconds between ESME polls (what an In Home Display gets)."""
SLOW_CYCLE = 1800
"""Seconds between gas, price and prepayment reads (the GPF's half hour)."""
DEMAND_REPORT_INTERVAL = 30
"""Seconds between the ESME's instantaneous demand reports once configured."""
CAPTURE_ALERT = 0x8F35
"""The GBCS alert the capture raises: supply outage restored (supply / info)."""
CAPTURE_MESSAGE = "Your new tariff starts on 1 March. Reply to confirm."
TOP_UP_PENCE = 1_000
FRAME_SPACING = 0.001
"""Seconds between frames stamped with the same simulated second (keeps order)."""


# --- demo ----------------------------------------------------------------------------


async def _demo(args: argparse.Namespace) -> int:
    sim = HanSimulator(
        seed=args.seed,
        tiers=args.tiers,
        prepayment=args.prepayment,
        gas_prepayment=args.gas_prepayment,
    )
    link = await HanLink.open(await sim.start(), clock=sim.clock.time)
    try:
        for _ in range(max(1, args.seconds // 10)):
            reading = await link.esme.poll()
            await sim.advance(10)
        gas = await link.gas.poll()
        credit = ""
        if args.gas_prepayment:
            info = await link.gas.poll_prepayment()
            credit = (
                f"gas credit {info.credit_remaining} {info.currency_code}, "
                f"emergency credit {info.emergency_credit_remaining}, "
            )
        sys.stdout.write(
            f"import {reading.import_kwh} kWh, demand {reading.demand_w} W, "
            f"gas {gas.volume_m3} m3, {credit}requests {link.requests.total}, "
            f"GSME wake-ups {sim.gsme_wakeups}\n"
        )
    finally:
        await link.close()
    return 0


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=int, default=60, help="simulated seconds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tiers", type=int, choices=(1, 2, 4), default=2)
    parser.add_argument("--prepayment", action="store_true")
    _gas_prepayment_argument(parser)


def _gas_prepayment_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--gas-prepayment",
        action="store_true",
        help="a Pay-As-You-Go gas meter (credit and top-up on the GPF)",
    )


COMMANDS["demo"] = (_demo_arguments, lambda args: asyncio.run(_demo(args)))


# --- capture ---------------------------------------------------------------------------


@dataclass(slots=True)
class CaptureResult:
    """What a capture run did (the summary line is made from it)."""

    frames: list[RadioFrame] = field(default_factory=list)
    esme_polls: int = 0
    gas_polls: int = 0
    requests: int = 0
    gsme_wakeups: int = 0
    events: Counter[str] = field(default_factory=Counter)
    top_up: model.TopUpResult | None = None
    gas_top_up: model.TopUpResult | None = None
    profile_intervals: int = 0


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        msg = f"must be a positive number of seconds, not {text}"
        raise argparse.ArgumentTypeError(msg)
    return value


async def run_capture(
    seconds: int,
    *,
    seed: int = 0,
    profile: Literal["smets2", "smets1"] = "smets2",
    tiers: int = 2,
    prepayment: bool = False,
    gas_prepayment: bool = False,
) -> CaptureResult:
    """Run the library on a simulated HAN for ``seconds``; return what crossed the radio.

    The ESME is polled every 10 s; gas (GPF mirror), price and prepayment are
    read at the start and every 30 minutes. One-off actions run in the first
    cycles (all in the last cycle when the run is shorter): identities and the
    hub's clock and supplier, configure reporting (instantaneous demand on the
    ESME, the register on the GPF), GetCurrentPrice, a top-up with a valid
    UTRN (prepayment meters only; with ``gas_prepayment`` the gas meter's
    credit is read on the GPF too and topped up), GetProfile on both meters
    for the last 6 hours, an alert and a supplier message that asks for
    confirmation (which is confirmed).
    """
    result = CaptureResult()
    sim = HanSimulator(
        seed=seed,
        profile=profile,
        tiers=tiers,
        prepayment=prepayment,
        gas_prepayment=gas_prepayment,
        frame_observer=result.frames.append,
    )
    link = await HanLink.open(await sim.start(), clock=sim.clock.time)
    try:
        messages: list[model.SupplierMessage] = []

        def on_event(event: HanEvent) -> None:
            result.events[type(event).__name__] += 1
            if isinstance(event, model.SupplierMessage):
                messages.append(event)

        for meter in link.meters:
            meter.subscribe(on_event)
        esme = link.esme

        async def identities() -> None:
            await esme.read_identity()
            await link.hub.read_time()
            await link.hub.read_provider_name()
            if link.has_gas:
                await link.gas.read_identity()

        async def reports() -> None:
            # Ask the ESME for demand reports as a real client would (the
            # simulated meter keeps what was asked and reports to its
            # bindings); the gas mirror reports as its installer set it
            metering = esme.cluster(METERING)
            await cast("Any", metering).configure_reporting(
                0x0400, DEMAND_REPORT_INTERVAL, DEMAND_REPORT_INTERVAL, 1
            )
            if link.has_gas:
                sim.configure_reports(
                    sim.hub, GPF_ENDPOINT, METERING, [0x0000, 0x0401], SLOW_CYCLE
                )

        async def top_up() -> None:
            if prepayment:
                result.top_up = await esme.top_up(sim.issue_utrn(TOP_UP_PENCE))
                await sim.send_prepay_snapshot()
            if gas_prepayment and link.has_gas:
                result.gas_top_up = await link.gas.top_up(
                    sim.issue_utrn(TOP_UP_PENCE, fuel="gas")
                )

        async def profiles() -> None:
            end = sim.clock.now()
            start = end - dt.timedelta(hours=6)
            result.profile_intervals += len(await esme.get_profile(start, end))
            if link.has_gas:
                result.profile_intervals += len(await link.gas.get_profile(start, end))

        async def alert() -> None:
            await sim.send_alert(CAPTURE_ALERT)

        async def message() -> None:
            await sim.send_message(CAPTURE_MESSAGE, confirm=True)
            for received in messages:
                if received.confirmation_required:
                    await esme.confirm_message(received.message_id)
            messages.clear()

        async def current_price() -> None:
            await esme.get_current_price()

        one_offs: list[Callable[[], Awaitable[None]]] = [
            identities,
            reports,
            current_price,
            top_up,
            profiles,
            alert,
            message,
        ]
        cycles = -(-seconds // ESME_CYCLE)
        for cycle in range(cycles):
            elapsed = cycle * ESME_CYCLE
            await esme.poll()
            result.esme_polls += 1
            if elapsed % SLOW_CYCLE == 0:
                if link.has_gas:
                    await link.gas.poll()
                    await link.gas.poll_price()
                    if gas_prepayment:
                        await link.gas.poll_prepayment()
                    result.gas_polls += 1
                await esme.poll_price()
                await esme.poll_prepayment()
            due = one_offs if cycle == cycles - 1 else one_offs[:1]
            for action in due:
                await action()
            del one_offs[: len(due)]
            await sim.advance(min(ESME_CYCLE, seconds - elapsed))
        result.requests = link.requests.total
        result.gsme_wakeups = sim.gsme_wakeups
    finally:
        await link.close()
    return result


def write_pcap(frames: list[RadioFrame], path: str | Path) -> int:
    """Write ``frames`` to a pcap at ``path``; return the number written.

    Frames stamped with the same simulated second are spread 1 ms apart, in
    the order they crossed the radio.
    """
    last_second: float | None = None
    within = 0
    with PcapWriter(path) as writer:
        for frame in frames:
            within = within + 1 if frame.timestamp == last_second else 0
            last_second = frame.timestamp
            writer.write(
                frame.timestamp + min(within, 999) * FRAME_SPACING,
                frame.src_nwk,
                frame.dst_nwk,
                frame.src_ep,
                frame.dst_ep,
                frame.profile,
                frame.cluster,
                frame.zcl,
                aps_counter=frame.aps_counter,
            )
        return writer.frames


def _capture(args: argparse.Namespace) -> int:
    result = asyncio.run(
        run_capture(
            args.seconds,
            seed=args.seed,
            profile=args.profile,
            tiers=args.tiers,
            prepayment=args.prepayment,
            gas_prepayment=args.gas_prepayment,
        )
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    written = write_pcap(result.frames, out)
    events = ", ".join(f"{n} {name}" for name, n in sorted(result.events.items()))
    top_up = "".join(
        f", {what} {'accepted' if outcome.accepted else 'refused'}"
        for what, outcome in (
            ("top-up", result.top_up),
            ("gas top-up", result.gas_top_up),
        )
        if outcome is not None
    )
    sys.stdout.write(
        f"capture: {written} frames written to {out} over {args.seconds} simulated s "
        f"(library requests {result.requests}, ESME polls {result.esme_polls}, "
        f"gas polls {result.gas_polls}, profile intervals {result.profile_intervals}"
        f"{top_up}, events: {events or 'none'}, GSME wake-ups {result.gsme_wakeups})\n"
    )
    return 0


def _capture_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seconds", type=_positive, default=120, help="simulated seconds to run"
    )
    parser.add_argument("--out", required=True, help="pcap file to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", choices=("smets2", "smets1"), default="smets2")
    parser.add_argument("--tiers", type=int, choices=(1, 2, 4), default=2)
    parser.add_argument(
        "--prepayment", action="store_true", help="a Pay-As-You-Go ESME (top-up)"
    )
    _gas_prepayment_argument(parser)


COMMANDS["capture"] = (_capture_arguments, _capture)
COMMANDS["bench"] = (bench.add_arguments, bench.run)


# --- ncp -------------------------------------------------------------------------------


async def serve_ncp(
    *,
    seed: int = 0,
    port: int = 0,
    tiers: int = 2,
    prepayment: bool = False,
    gas: bool = True,
    gas_prepayment: bool = False,
    register_after: float = 0.0,
    tick: float = 1.0,
    out: TextIO = sys.stdout,
    ready: asyncio.Future[str] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve an emulated EZSP radio with the simulated HAN behind it until ``stop``.

    The supplier's registration of the radio on the hub (which opens the join
    window) happens ``register_after`` seconds after the start (negative: not
    by itself) and every time Enter is pressed; simulated time runs with the
    wall clock, ``tick`` seconds at a time. ``ready`` gets the ``socket://``
    path once the port is open.
    """
    han = HanSimulator(
        seed=seed,
        tiers=tiers,
        prepayment=prepayment,
        gas=gas,
        gas_prepayment=gas_prepayment,
    )
    ncp = EmulatedNcp(han=han)
    stop = stop if stop is not None else asyncio.Event()
    loop = asyncio.get_running_loop()

    def say(text: str) -> None:
        out.write(text + "\n")
        out.flush()

    def register() -> None:
        han.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
        say("Supplier: radio registered on the Comms Hub, join window open")

    path = await ncp.open_tcp(port)
    stdin = _stdin_fd()
    timer = loop.call_later(register_after, register) if register_after > 0 else None
    try:
        if stdin is not None:
            loop.add_reader(stdin, _on_enter, stdin, register)
        say(f"Emulated EZSP radio: {path}")
        say(f"  EUI64         {DEFAULT_EUI64}")
        printed = decode_install_code(install_code_token(DEFAULT_INSTALL_CODE))
        say(f"  install code  {printed}")
        say(f"Comms Hub {han.hub.ieee} on channel {han.channel}")
        if register_after > 0:
            say(f"The supplier registers the radio in {register_after:g} s.")
        say("Enter: the supplier registers the radio (again). Ctrl-C: stop.")
        if register_after == 0:
            register()
        if ready is not None and not ready.done():
            ready.set_result(path)
        joined = False
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(tick):
                    await stop.wait()
            await han.advance(tick)
            if ncp.network_up != joined:
                joined = ncp.network_up
                say("The radio is on the HAN" if joined else "The radio left the HAN")
    finally:
        if timer is not None:
            timer.cancel()
        if stdin is not None:
            loop.remove_reader(stdin)
        await ncp.close()


def _stdin_fd() -> int | None:
    """Return standard input's descriptor when it is a terminal (Enter registers)."""
    try:
        return sys.stdin.fileno() if sys.stdin.isatty() else None
    except AttributeError, ValueError, OSError:
        return None


def _on_enter(fd: int, register: Callable[[], None]) -> None:
    if os.read(fd, 1024):
        register()


def _ncp(args: argparse.Namespace) -> int:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            serve_ncp(
                seed=args.seed,
                port=args.port,
                tiers=args.tiers,
                prepayment=args.prepayment,
                gas=not args.no_gas,
                gas_prepayment=args.gas_prepayment,
                register_after=args.register_after,
            )
        )
    return 0


def _ncp_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: a free one)"
    )
    parser.add_argument("--tiers", type=int, choices=(1, 2, 4), default=2)
    parser.add_argument("--prepayment", action="store_true")
    parser.add_argument(
        "--no-gas", action="store_true", help="no gas meter paired to the hub"
    )
    _gas_prepayment_argument(parser)
    parser.add_argument(
        "--register-after",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="seconds until the supplier registers the radio (negative: only on Enter)",
    )


COMMANDS["ncp"] = (_ncp_arguments, _ncp)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run a subcommand."""
    parser = argparse.ArgumentParser(prog="python -m smets_dev")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (add_arguments, _run) in COMMANDS.items():
        add_arguments(sub.add_parser(name))
    args = parser.parse_args(argv)
    return COMMANDS[args.command][1](args)


if __name__ == "__main__":
    sys.exit(main())
