"""Command line for the simulated HAN: ``python -m custom_components.smets.han.simulator``.

Subcommands are registered in :data:`COMMANDS` (``capture`` is added by the
packet-capture module); ``demo`` runs the library against the simulator and
prints a few readings.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
import sys

from custom_components.smets.han.link import HanLink

from .app import HanSimulator

type Command = tuple[
    Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]
]

COMMANDS: dict[str, Command] = {}
"""name -> (add arguments, run): the subcommands."""


async def _demo(args: argparse.Namespace) -> int:
    sim = HanSimulator(seed=args.seed, tiers=args.tiers, prepayment=args.prepayment)
    link = await HanLink.open(await sim.start(), clock=sim.clock.time)
    try:
        for _ in range(max(1, args.seconds // 10)):
            reading = await link.esme.poll()
            await sim.advance(10)
        gas = await link.gas.poll()
        sys.stdout.write(
            f"import {reading.import_kwh} kWh, demand {reading.demand_w} W, "
            f"gas {gas.volume_m3} m3, requests {link.requests.total}, "
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


COMMANDS["demo"] = (_demo_arguments, lambda args: asyncio.run(_demo(args)))


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run a subcommand."""
    parser = argparse.ArgumentParser(
        prog="python -m custom_components.smets.han.simulator"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (add_arguments, _run) in COMMANDS.items():
        add_arguments(sub.add_parser(name))
    args = parser.parse_args(argv)
    return COMMANDS[args.command][1](args)


if __name__ == "__main__":
    sys.exit(main())
