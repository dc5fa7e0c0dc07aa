"""The HAN library's benchmark on the simulator (``scripts/bench``).

It runs the library the way the integration does, on a simulated HAN, for a
number of simulated hours (24 by default): the ESME is polled every 10
seconds and the gas meter (the Comms Hub's GPF mirror, never the sleeping
GSME) every 30 minutes. What each cycle puts on the radio is counted from the
frames themselves (the simulator's ``frame_observer``), so a retry or a split
read would show.

Figures (the keys of :func:`figures`, one flat dict built by sections, so a
later benchmark adds a section and its keys without touching the others):

* ``esme_requests_per_cycle`` / ``esme_clusters_per_cycle``: ZCL requests sent,
  and distinct clusters they went to, per ESME cycle (mean). Goal: equal (one
  Read Attributes per cluster per cycle).
* ``gas_requests_per_cycle`` / ``gas_clusters_per_cycle``: the same per gas
  cycle.
* ``gsme_wakeups``: frames sent to the GSME over the whole run (must be 0).
* ``cpu_ms_per_cycle``: process CPU time (``time.process_time``) of one ESME
  cycle, mean, in ms: the library and the simulator answering it, both in
  this process.
* ``peak_rss_mb_24h``: the peak resident set size of the process
  (``resource.getrusage(RUSAGE_SELF).ru_maxrss``, the interpreter and zigpy
  included) at the end of the run, in MB (10^6 bytes).

* ``backfill_seconds`` / ``backfill_requests`` / ``backfill_min_requests``:
  the history import's HAN side (statistics.py): 13 months of half-hourly
  profile for electricity import, export and gas (the GPF), paged back a week
  at a time through ``get_profile_raw`` and walked into hourly registers by
  the integration's pure ``history`` module; wall time (goal < 5 s), the
  GetProfile requests sent, and the fewest the meters' per-response limit
  (MaxNumberOfPeriodsDelivered) allows (goal: equal). The recorder's own
  writing is not included.

* ``radio_join_modelled_seconds`` / ``radio_join_terminates`` /
  ``radio_join_timeout_seconds``: the join over the emulated radio with a hub
  that answers key establishment once with Terminate (No Resources, Wait
  Time :data:`HUB_BUSY_WAIT`), timed on a modelled clock (the scan, the
  association, each answer over the air, the NCP's and the hub's
  elliptic-curve work at realistic values, the retry's wait): goal below
  ``JOIN_TIMEOUT``.

* ``radio_join_seconds`` / ``radio_open_seconds`` /
  ``radio_esme_requests_per_cycle`` / ``radio_ezsp_frames_per_cycle`` /
  ``radio_cpu_ms_per_cycle``: the real radio path, bellows unmodified over
  the emulated EZSP NCP (:mod:`.ncp`, on a pseudo-terminal) with a simulated
  HAN behind it. ``join_han`` (scan, join, CBKE) and ``open_radio``
  (``networkInit``, ZDO discovery) + ``HanLink.open``, wall time: the
  emulator answers at once, so these are the host side's cost (the library,
  bellows, ASH over the pty), not a real hub's air time. Then
  :data:`RADIO_CYCLES` ESME cycles (after one uncounted warm-up cycle, see
  :func:`radio`), the very cycle of the simulator run: ZCL
  requests per cycle (counted on the HAN, goal 1 per cluster), EZSP commands
  the NCP received per cycle (:attr:`.ncp.EmulatedNcp.commands`) and process
  CPU time per cycle (library + bellows + emulator, all in this process).

* ``fuzz_frames_per_s`` / ``fuzz_peak_rss_mb`` / ``fuzz_loop_exceptions``:
  :data:`FUZZ_FRAMES` hostile frames (:mod:`.hostile`: truncated, the wrong
  direction, wrong types, oversized values such as an octet string given the
  integer 0x40000000, unknown attributes, anything from unknown addresses),
  queued on the event loop into zigpy's ``packet_received`` as a radio's
  callbacks are, in a fresh Python process of their own (so its peak RSS,
  ``ru_maxrss``, is the fuzz run's and nothing else's): frames handled per
  second of wall time, that peak in MB, and the exceptions that reached the
  loop (goal 0; zigpy's own, caught behind the link, count too). The run also
  checks that no event was emitted and the meters' state is unchanged.

The CPU, memory and time figures depend on the machine; the counts do not.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
import json
from pathlib import Path
import resource
import subprocess
import sys
import time
from typing import Any, Final

from custom_components.smets.han.ezsp import join_han, open_radio
from custom_components.smets.han.link import HanLink
from custom_components.smets.han.meter import BaseMeter, ElectricityMeter, GasMirror
from custom_components.smets.han.simulator.app import CAD_NWK, HanSimulator, RadioFrame
from smets_dev.ncp import DEFAULT_EUI64, DEFAULT_INSTALL_CODE, EmulatedNcp

__all__ = [
    "ESME_CYCLE",
    "FUZZ_FRAMES",
    "GAS_CYCLE",
    "RADIO_CYCLES",
    "SECTIONS",
    "BenchRun",
    "CycleStats",
    "ModelledJoin",
    "RadioRun",
    "add_arguments",
    "backfill",
    "figures",
    "fuzz_child",
    "fuzz_run",
    "modelled_join",
    "modelled_join_run",
    "peak_rss_mb",
    "radio",
    "radio_run",
    "run",
    "simulate",
]

ESME_CYCLE = 10
"""Seconds between ESME cycles."""
GAS_CYCLE = 1800
"""Seconds between gas cycles."""
RADIO_CYCLES = 60
"""ESME cycles run over the emulated radio (each a real round trip through bellows)."""
FUZZ_FRAMES = 100_000
"""Hostile frames of the fuzz section (:func:`fuzz_run`)."""

type Figures = dict[str, float | int]


@dataclass(slots=True)
class CycleStats:
    """The requests of one kind of cycle, over the run."""

    cycles: int = 0
    requests: int = 0
    clusters: int = 0
    max_requests: int = 0
    library_requests: int = 0
    """What the library's own RequestCounter counted (a cross-check)."""
    cpu_seconds: float = 0.0

    def add(self, sent: list[int], library: int, cpu: float) -> None:
        """Count one cycle: the cluster of each request sent, and its CPU time."""
        self.cycles += 1
        self.requests += len(sent)
        self.clusters += len(set(sent))
        self.max_requests = max(self.max_requests, len(sent))
        self.library_requests += library
        self.cpu_seconds += cpu

    def per_cycle(self, total: float) -> float:
        """Return a total as a mean per cycle (0 without cycles)."""
        return round(total / self.cycles, 3) if self.cycles else 0.0


@dataclass(slots=True)
class BenchRun:
    """Everything a benchmark run measured."""

    hours: float
    seed: int
    tiers: int
    esme: CycleStats = field(default_factory=CycleStats)
    gas: CycleStats = field(default_factory=CycleStats)
    gsme_wakeups: int = 0
    peak_rss_mb: float = 0.0
    radio_cycles: int = RADIO_CYCLES
    """ESME cycles for the radio section (:func:`radio`)."""
    fuzz_frames: int = FUZZ_FRAMES
    """Hostile frames for the fuzz section (:func:`fuzz_run`)."""


@dataclass(slots=True)
class RadioRun:
    """What the run over the emulated EZSP radio measured."""

    join_seconds: float = 0.0
    open_seconds: float = 0.0
    esme: CycleStats = field(default_factory=CycleStats)
    ezsp_frames: int = 0
    """EZSP commands the NCP received during the ESME cycles."""
    problems: list[str] = field(default_factory=list)
    """What the NCP or the HAN found wrong (must be empty)."""


def peak_rss_mb() -> float:
    """Return the process's peak resident set size in MB (ru_maxrss is in KiB on Linux)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scale = 1 if sys.platform == "darwin" else 1024  # macOS reports bytes
    return round(kib * scale / 1_000_000, 1)


class _Sent(list[int]):
    """The cluster of every frame the CAD sends on the HAN (a ``frame_observer``)."""

    def __call__(self, frame: RadioFrame) -> None:
        if frame.src_nwk == CAD_NWK:
            self.append(frame.cluster)


async def _read_prices(link: HanLink, *, gas: bool) -> None:
    """Read once before the cycles, as the integration's tariff update does.

    The ESME's tier count (each cycle reads every tier's register) and, with
    ``gas``, the gas calorific value and conversion factor.
    """
    await link.esme.poll_price()
    if gas:
        await link.gas.poll_price()


async def _poll(
    meter: ElectricityMeter | GasMirror, stats: CycleStats, sent: _Sent
) -> None:
    """Run one cycle of ``meter``; count what it sent and its CPU time."""
    sent.clear()
    cpu = time.process_time()
    await meter.poll()
    stats.add(sent, meter.last_requests, time.process_time() - cpu)


async def _cycles(
    sim: HanSimulator,
    link: HanLink,
    steps: int,
    sent: _Sent,
    *,
    esme: CycleStats,
    gas: CycleStats | None,
) -> None:
    """Poll the ESME every ESME_CYCLE and, with ``gas``, the gas every GAS_CYCLE."""
    for step in range(steps):
        await _poll(link.esme, esme, sent)
        if gas is not None and step * ESME_CYCLE % GAS_CYCLE == 0:
            await _poll(link.gas, gas, sent)
        await sim.advance(ESME_CYCLE)


async def simulate(
    hours: float = 24,
    *,
    seed: int = 0,
    tiers: int = 2,
    radio_cycles: int = RADIO_CYCLES,
) -> BenchRun:
    """Run ESME and gas cycles for ``hours`` simulated hours; return the counts.

    ``radio_cycles`` is kept for the radio section (:func:`radio_run`).
    """
    bench = BenchRun(hours=hours, seed=seed, tiers=tiers, radio_cycles=radio_cycles)
    sent = _Sent()
    sim = HanSimulator(seed=seed, tiers=tiers, frame_observer=sent)
    link = await HanLink.open(await sim.start(), clock=sim.clock.time)
    try:
        await _read_prices(link, gas=link.has_gas)
        steps = round(hours * 3600 / ESME_CYCLE)
        gas = bench.gas if link.has_gas else None
        await _cycles(sim, link, steps, sent, esme=bench.esme, gas=gas)
        bench.gsme_wakeups = sim.gsme_wakeups
    finally:
        await link.close()
    bench.peak_rss_mb = peak_rss_mb()
    return bench


async def radio(
    cycles: int = RADIO_CYCLES, *, seed: int = 0, tiers: int = 2
) -> RadioRun:
    """Join, open and run ``cycles`` ESME cycles over the emulated EZSP radio."""
    result = RadioRun()
    sent = _Sent()
    sim = HanSimulator(seed=seed, tiers=tiers, frame_observer=sent)
    sim.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
    async with EmulatedNcp(han=sim) as ncp:
        started = time.perf_counter()
        network = await join_han(ncp.path)
        result.join_seconds = time.perf_counter() - started
        started = time.perf_counter()
        app = await open_radio(ncp.path, network)
        try:
            link = await HanLink.open(app, clock=sim.clock.time)
        except BaseException:
            await app.shutdown()
            raise
        result.open_seconds = time.perf_counter() - started
        try:
            await _read_prices(link, gas=False)
            # One uncounted cycle first: the simulated meters work out their
            # months of history on the first register read (~0.1 s of CPU),
            # which the simulator run spreads over 8640 cycles, this one over few
            await _cycles(sim, link, 1, sent, esme=CycleStats(), gas=None)
            before = len(ncp.commands)
            await _cycles(sim, link, cycles, sent, esme=result.esme, gas=None)
            result.ezsp_frames = len(ncp.commands) - before
        finally:
            await link.close()
        result.problems = [*ncp.problems, *sim.problems]
    return result


# --- the figures, by section -------------------------------------------------------


def _esme_section(bench: BenchRun) -> Figures:
    return {
        "esme_requests_per_cycle": bench.esme.per_cycle(bench.esme.requests),
        "esme_clusters_per_cycle": bench.esme.per_cycle(bench.esme.clusters),
    }


def _gas_section(bench: BenchRun) -> Figures:
    return {
        "gas_requests_per_cycle": bench.gas.per_cycle(bench.gas.requests),
        "gas_clusters_per_cycle": bench.gas.per_cycle(bench.gas.clusters),
        "gsme_wakeups": bench.gsme_wakeups,
    }


def _cost_section(bench: BenchRun) -> Figures:
    return {
        "cpu_ms_per_cycle": round(
            bench.esme.per_cycle(bench.esme.cpu_seconds * 1000), 3
        ),
        "peak_rss_mb_24h": bench.peak_rss_mb,
    }


_BACKFILL: dict[tuple[int, int], Figures] = {}


async def backfill(seed: int = 0, tiers: int = 2) -> Figures:
    """Page 13 months of profile for both fuels and walk them into hours; time it."""
    # The pure half-hour -> hour arithmetic the integration imports with
    # (no Home Assistant imports in it).
    from custom_components.smets.han import profile as history  # noqa: PLC0415

    sim = HanSimulator(seed=seed, tiers=tiers)
    link = await HanLink.open(await sim.start(), clock=sim.clock.time)
    requests = min_requests = 0
    try:
        channels: list[tuple[BaseMeter, int]] = [(link.esme, 0), (link.esme, 1)]
        if link.has_gas:
            channels.append((link.gas, 0))
        for meter, _channel in channels:
            await meter.max_periods()  # read once at setup, as the integration does
        now = sim.clock.time()
        end = history.hour_floor(now)
        floor = history.history_floor(now)
        started = time.perf_counter()
        for meter, channel in channels:
            periods = await meter.max_periods()
            size = history.CHUNK_PAGES * periods * history.HALF_HOUR
            register = 0
            for start, stop in history.chunks_back(end, floor, size):
                before = meter.requests.total
                profile = await meter.get_profile_raw(
                    datetime.fromtimestamp(start, UTC),
                    datetime.fromtimestamp(stop, UTC),
                    channel=channel,
                )
                requests += meter.requests.total - before
                walk = history.walk_back(
                    history.intervals_by_start(profile), stop, register, start
                )
                register = walk.register
            min_requests += history.pages_needed(
                (end - floor) // history.HALF_HOUR, periods
            )
        seconds = time.perf_counter() - started
    finally:
        await link.close()
    return {
        "backfill_seconds": round(seconds, 3),
        "backfill_requests": requests,
        "backfill_min_requests": min_requests,
    }


def _run_apart[T](coro: Coroutine[Any, Any, T]) -> T:
    """Run a section's own simulation to completion, on its own event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    # called from a running loop (a test): run it on a thread
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _backfill_section(bench: BenchRun) -> Figures:
    key = (bench.seed, bench.tiers)
    if key not in _BACKFILL:
        _BACKFILL[key] = _run_apart(backfill(bench.seed, bench.tiers))
    return _BACKFILL[key]


_RADIO: dict[tuple[int, int, int], RadioRun] = {}


def radio_run(bench: BenchRun) -> RadioRun:
    """Return the radio run for ``bench``'s seed, tiers and radio cycles (run once)."""
    key = (bench.seed, bench.tiers, bench.radio_cycles)
    if key not in _RADIO:
        _RADIO[key] = _run_apart(
            radio(bench.radio_cycles, seed=bench.seed, tiers=bench.tiers)
        )
    return _RADIO[key]


def _radio_section(bench: BenchRun) -> Figures:
    result = radio_run(bench)
    esme = result.esme
    return {
        "radio_join_seconds": round(result.join_seconds, 3),
        "radio_open_seconds": round(result.open_seconds, 3),
        "radio_esme_requests_per_cycle": esme.per_cycle(esme.requests),
        "radio_ezsp_frames_per_cycle": esme.per_cycle(result.ezsp_frames),
        "radio_cpu_ms_per_cycle": round(esme.per_cycle(esme.cpu_seconds * 1000), 3),
    }


# --- the join on a modelled clock ------------------------------------------------

SCAN_MODEL_SECONDS: Final = 16 * (2**3 + 1) * 0.01536
"""An active scan of channels 11-26 at duration 3: (2**3 + 1) x 15.36 ms each."""
JOIN_MODEL_SECONDS: Final = 1.0
"""MAC association, the network key's transport and the device announce."""
AIR_MODEL_SECONDS: Final = 0.05
"""One request and its answer over a hop or two (ZDO, or a Terminate)."""
NCP_ECC_MODEL_SECONDS: Final = 4.0
"""The NCP's sect283k1 work for one step (generate keys, or calculate SMACs)."""
HUB_ECC_MODEL_SECONDS: Final = 5.0
"""The hub's elliptic-curve work before its ephemeral data or confirm answer."""
HUB_CERTIFICATE_MODEL_SECONDS: Final = 0.5
"""The hub checking our certificate before its Initiate answer."""
HUB_BUSY_WAIT: Final = 10
"""The Wait Time of the one Terminate the modelled hub sends (a busy hub)."""


@dataclass(slots=True)
class ModelledJoin:
    """A join over the emulated radio, timed on a modelled clock."""

    seconds: float = 0.0
    """Modelled air and compute time of the whole join (goal < JOIN_TIMEOUT)."""
    terminates: int = 0
    retries: int = 0
    cbke: bool = False


def _modelled_seconds(entries: list[dict[str, Any]]) -> float:
    """Add up the modelled time of each step a join's transcript records."""
    hub_answer = {
        "initiate": HUB_CERTIFICATE_MODEL_SECONDS,
        "ephemeral_data": HUB_ECC_MODEL_SECONDS,
        "confirm_key": HUB_ECC_MODEL_SECONDS,
    }
    total = SCAN_MODEL_SECONDS
    for entry in entries:
        step = entry["step"]
        if step == "join_network":
            total += JOIN_MODEL_SECONDS
        elif step in {
            "hub",
            "ke_attempt",
            "ke_terminated_by_hub",
            "partner_meters_found",
            "partner_ieee",
            "partner_bind",
            "partner_link_key",
        }:
            # IEEE_addr, Match_Desc, a Terminate; the partner link key's
            # Match_Desc, IEEE_addr, Bind_req and the trust centre's key
            total += AIR_MODEL_SECONDS
        elif step == "ke_answer":
            total += AIR_MODEL_SECONDS + hub_answer[str(entry["command"])]
        elif step in {"ncp_generate_keys", "ncp_calculate_smacs"}:
            total += NCP_ECC_MODEL_SECONDS
        elif step == "ke_retry_wait":
            total += float(entry["wait_s"])
    return round(total, 2)


async def modelled_join(*, seed: int = 0) -> ModelledJoin:
    """Join with one Terminate (a busy hub) and time it on a modelled clock.

    The emulator answers at once and the retry's wait is not slept: each step
    the transcript records is given a realistic time instead (the constants
    above), so the figure is what a real hub and NCP would take.
    """
    from custom_components.smets.han import ezsp  # noqa: PLC0415
    from custom_components.smets.han.transcript import JoinTranscript  # noqa: PLC0415

    sim = HanSimulator(seed=seed)
    sim.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
    sim.cbke_times = (11, 16)  # what a Silicon Labs responder advertises
    sim.cbke_hiccups = [("ephemeral", 0x04, HUB_BUSY_WAIT)]  # No Resources
    transcript = JoinTranscript()
    loop = asyncio.get_running_loop()
    slept = [0.0]
    # The hub keeps its Wait Time on the same modelled clock
    sim.ke_clock = lambda: loop.time() + slept[0]

    async def modelled_sleep(seconds: float) -> None:
        slept[0] += seconds  # (the figure counts it from the transcript)
        await asyncio.sleep(0)

    saved = ezsp.ke_retry_sleep
    ezsp.ke_retry_sleep = modelled_sleep
    try:
        async with EmulatedNcp(han=sim) as ncp:
            network = await join_han(ncp.path, transcript=transcript)
    finally:
        ezsp.ke_retry_sleep = saved
    entries = transcript.as_list()
    return ModelledJoin(
        seconds=_modelled_seconds(entries),
        terminates=sum(e["step"] == "ke_terminated_by_hub" for e in entries),
        retries=sum(e["step"] == "ke_retry_wait" for e in entries),
        cbke=network.cbke,
    )


_MODELLED: dict[int, ModelledJoin] = {}


def modelled_join_run(bench: BenchRun) -> ModelledJoin:
    """Return the modelled join for ``bench``'s seed (run once)."""
    if bench.seed not in _MODELLED:
        _MODELLED[bench.seed] = _run_apart(modelled_join(seed=bench.seed))
    return _MODELLED[bench.seed]


def _radio_model_section(bench: BenchRun) -> Figures:
    from custom_components.smets.han.ezsp import JOIN_TIMEOUT  # noqa: PLC0415

    result = modelled_join_run(bench)
    return {
        "radio_join_modelled_seconds": result.seconds,
        "radio_join_terminates": result.terminates,
        "radio_join_timeout_seconds": JOIN_TIMEOUT,
    }


# --- hostile frames, in a process of their own ------------------------------------

_ROOT = Path(__file__).resolve().parents[1]
_FUZZ_CHILD = """
import sys, types
root = sys.argv[3]
for name, path in (
    ("custom_components", root + "/custom_components"),
    ("custom_components.smets", root + "/custom_components/smets"),
):
    if name not in sys.modules:  # the HAN library only, as scripts/han_standalone.py
        module = types.ModuleType(name)
        module.__path__ = [path]
        sys.modules[name] = module
sys.path.insert(0, root)
from smets_dev.bench import fuzz_child
fuzz_child(int(sys.argv[1]), int(sys.argv[2]))
"""


def fuzz_child(frames: int, seed: int) -> None:
    """In the fuzz process: run :func:`.hostile.fuzz`, print its figures as JSON."""
    from smets_dev import hostile  # noqa: PLC0415 - only the fuzz process needs it

    run = asyncio.run(hostile.fuzz(frames, seed=seed))
    result = {
        "frames": run.frames,
        "seconds": run.seconds,
        "loop_exceptions": run.loop_exceptions,
        "events": run.events,
        "state_unchanged": run.state_unchanged,
        "dropped": dict(sorted(run.dropped.items())),
        "peak_rss_mb": peak_rss_mb(),
    }
    sys.stdout.write(json.dumps(result) + "\n")


_FUZZ: dict[tuple[int, int], dict[str, Any]] = {}


def fuzz_run(bench: BenchRun) -> dict[str, Any]:
    """Run the fuzz section's frames in a fresh process (once per seed and count)."""
    key = (bench.seed, bench.fuzz_frames)
    if key not in _FUZZ:
        done = subprocess.run(  # noqa: S603 - this interpreter, this code
            [
                sys.executable,
                "-c",
                _FUZZ_CHILD,
                str(bench.fuzz_frames),
                str(bench.seed),
                str(_ROOT),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        _FUZZ[key] = json.loads(done.stdout.splitlines()[-1])
    return _FUZZ[key]


def _fuzz_section(bench: BenchRun) -> Figures:
    result = fuzz_run(bench)
    seconds = result["seconds"]
    return {
        "fuzz_frames_per_s": round(result["frames"] / seconds) if seconds else 0,
        "fuzz_peak_rss_mb": result["peak_rss_mb"],
        "fuzz_loop_exceptions": result["loop_exceptions"],
    }


def _fuzz_clean(bench: BenchRun) -> bool:
    result = fuzz_run(bench)
    return (
        result["loop_exceptions"] == 0
        and result["events"] == 0
        and bool(result["state_unchanged"])
    )


SECTIONS: list[Callable[[BenchRun], Figures]] = [
    _esme_section,
    _gas_section,
    _cost_section,
    _backfill_section,
    _radio_section,
    _radio_model_section,
    _fuzz_section,
]
"""Each section turns a run into some of the figures; later benchmarks append theirs."""


def figures(bench: BenchRun) -> Figures:
    """Return every section's figures as one flat dict (the ``--json`` object)."""
    result: Figures = {}
    for section in SECTIONS:
        result.update(section(bench))
    return result


def report(bench: BenchRun) -> list[str]:
    """Return the human-readable lines of a run."""
    values = figures(bench)
    goal = "met" if _goal_met(bench) else "NOT MET"
    esme, gas = bench.esme, bench.gas
    header = (
        f"SMETS HAN benchmark: {bench.hours:g} simulated hours on the simulator "
        f"(seed {bench.seed}, {bench.tiers} tiers, zigpy {version('zigpy')})"
    )
    esme_line = (
        f"ESME cycle, every {ESME_CYCLE} s ({esme.cycles} cycles): "
        f"{values['esme_requests_per_cycle']} ZCL requests to "
        f"{values['esme_clusters_per_cycle']} clusters per cycle "
        f"(at most {esme.max_requests} in one cycle)"
    )
    gas_line = (
        f"gas cycle (GPF mirror), every {GAS_CYCLE // 60} min ({gas.cycles} cycles): "
        f"{values['gas_requests_per_cycle']} ZCL requests to "
        f"{values['gas_clusters_per_cycle']} clusters per cycle "
        f"(at most {gas.max_requests} in one cycle)"
    )
    return [
        header,
        esme_line,
        gas_line,
        f"goal, 1 request per cluster per cycle: {goal}",
        f"GSME wake-ups: {values['gsme_wakeups']} (must be 0)",
        (
            f"CPU time per ESME cycle: {values['cpu_ms_per_cycle']} ms"
            " (process time: library + simulator)"
        ),
        (
            f"peak memory: {values['peak_rss_mb_24h']} MB"
            " (peak RSS of the process, resource.getrusage ru_maxrss)"
        ),
        (
            f"history backfill, 13 months of import + export + gas: "
            f"{values['backfill_seconds']} s (goal < 5 s), "
            f"{values['backfill_requests']} GetProfile requests "
            f"(fewest possible {values['backfill_min_requests']}; HAN-side paging"
            " and hourly aggregation, not the recorder's writes)"
        ),
        *_radio_lines(bench, values),
        *_fuzz_lines(bench, values),
    ]


def _fuzz_lines(bench: BenchRun, values: Figures) -> list[str]:
    result = fuzz_run(bench)
    dropped = ", ".join(f"{k} {v}" for k, v in result["dropped"].items())
    return [
        (
            f"hostile frames ({result['frames']}, in a process of their own): "
            f"{values['fuzz_frames_per_s']} frames/s handled, peak memory "
            f"{values['fuzz_peak_rss_mb']} MB (ru_maxrss of that process), "
            f"{values['fuzz_loop_exceptions']} exceptions into the event loop"
            f" (must be 0), {result['events']} events (must be 0), meters' state "
            + ("unchanged" if result["state_unchanged"] else "CHANGED")
        ),
        f"hostile frames dropped by the link, by reason: {dropped or 'none'}",
    ]


def _radio_lines(bench: BenchRun, values: Figures) -> list[str]:
    result = radio_run(bench)
    esme = result.esme
    lines = [
        (
            f"radio join on a modelled clock: {values['radio_join_modelled_seconds']} s"
            f" with {values['radio_join_terminates']} Terminate and its retry (NCP"
            f" ECC {NCP_ECC_MODEL_SECONDS:g} s a step, hub ECC"
            f" {HUB_ECC_MODEL_SECONDS:g} s, its wait {HUB_BUSY_WAIT} s;"
            f" goal < JOIN_TIMEOUT {values['radio_join_timeout_seconds']:g} s)"
        ),
        (
            f"radio path (emulated EZSP NCP on a pty, bellows {version('bellows')}): "
            f"join {values['radio_join_seconds']} s (scan, join, CBKE), "
            f"open {values['radio_open_seconds']} s (networkInit, ZDO discovery,"
            " HanLink.open); the emulator answers at once, so this is the host"
            " side's cost (library + bellows + ASH), not a hub's air time"
        ),
        (
            f"radio ESME cycle ({esme.cycles} cycles): "
            f"{values['radio_esme_requests_per_cycle']} ZCL requests per cycle "
            f"(goal 1.0; {esme.per_cycle(esme.clusters)} clusters, at most "
            f"{esme.max_requests} in one cycle), "
            f"{values['radio_ezsp_frames_per_cycle']} EZSP commands to the NCP"
            " per cycle"
        ),
        (
            f"radio CPU time per ESME cycle: {values['radio_cpu_ms_per_cycle']} ms"
            " (process time: library + bellows + emulator, after one warm-up cycle)"
        ),
    ]
    lines.extend(f"radio problem: {problem}" for problem in result.problems)
    return lines


def _goal_met(bench: BenchRun) -> bool:
    backfill = _backfill_section(bench)
    if backfill["backfill_requests"] != backfill["backfill_min_requests"]:
        return False
    over_radio = radio_run(bench)
    if over_radio.problems or not _fuzz_clean(bench):
        return False
    modelled = _radio_model_section(bench)
    if (
        modelled["radio_join_modelled_seconds"]
        >= modelled["radio_join_timeout_seconds"]
    ):
        return False
    return all(
        stats.requests == stats.clusters == stats.library_requests
        for stats in (bench.esme, bench.gas, over_radio.esme)
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the benchmark's options to a (sub)parser."""
    parser.add_argument(
        "--hours", type=float, default=24.0, help="simulated hours (default 24)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tiers", type=int, choices=(1, 2, 4), default=2)
    parser.add_argument(
        "--radio-cycles",
        type=int,
        default=RADIO_CYCLES,
        help=f"ESME cycles over the emulated EZSP radio (default {RADIO_CYCLES})",
    )
    parser.add_argument(
        "--fuzz-frames",
        type=int,
        default=FUZZ_FRAMES,
        help=f"hostile frames of the fuzz section (default {FUZZ_FRAMES})",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="end with the figures as one JSON object on the last line",
    )


def run(args: argparse.Namespace) -> int:
    """Run the benchmark and print it; 1 when a request goal is missed."""
    bench = asyncio.run(
        simulate(
            args.hours,
            seed=args.seed,
            tiers=args.tiers,
            radio_cycles=args.radio_cycles,
        )
    )
    bench.fuzz_frames = getattr(args, "fuzz_frames", FUZZ_FRAMES)
    lines = report(bench)
    if args.json:
        lines.append(json.dumps(figures(bench), sort_keys=False))
    sys.stdout.write("\n".join(lines) + "\n")
    return 0 if _goal_met(bench) and bench.gsme_wakeups == 0 else 1
