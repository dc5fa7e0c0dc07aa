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

The CPU, memory and time figures depend on the machine; the counts do not.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
import json
import resource
import sys
import time

from custom_components.smets.han.link import HanLink
from custom_components.smets.han.meter import BaseMeter

from .app import CAD_NWK, HanSimulator, RadioFrame

__all__ = [
    "ESME_CYCLE",
    "GAS_CYCLE",
    "SECTIONS",
    "BenchRun",
    "CycleStats",
    "add_arguments",
    "backfill",
    "figures",
    "peak_rss_mb",
    "run",
    "simulate",
]

ESME_CYCLE = 10
"""Seconds between ESME cycles."""
GAS_CYCLE = 1800
"""Seconds between gas cycles."""

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


def peak_rss_mb() -> float:
    """Return the process's peak resident set size in MB (ru_maxrss is in KiB on Linux)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scale = 1 if sys.platform == "darwin" else 1024  # macOS reports bytes
    return round(kib * scale / 1_000_000, 1)


async def simulate(hours: float = 24, *, seed: int = 0, tiers: int = 2) -> BenchRun:
    """Run ESME and gas cycles for ``hours`` simulated hours; return the counts."""
    bench = BenchRun(hours=hours, seed=seed, tiers=tiers)
    sent: list[int] = []

    def observe(frame: RadioFrame) -> None:
        if frame.src_nwk == CAD_NWK:
            sent.append(frame.cluster)

    sim = HanSimulator(seed=seed, tiers=tiers, frame_observer=observe)
    link = await HanLink.open(await sim.start(), clock=sim.clock.time)
    try:
        esme = link.esme
        gas = link.gas if link.has_gas else None
        # Read once before the cycles, as the integration's tariff update does:
        # the ESME's tier count (each cycle reads every tier's register) and
        # the gas calorific value and conversion factor
        await esme.poll_price()
        if gas is not None:
            await gas.poll_price()
        steps = round(hours * 3600 / ESME_CYCLE)
        for step in range(steps):
            sent.clear()
            cpu = time.process_time()
            await esme.poll()
            bench.esme.add(sent, esme.last_requests, time.process_time() - cpu)
            if gas is not None and step * ESME_CYCLE % GAS_CYCLE == 0:
                sent.clear()
                cpu = time.process_time()
                await gas.poll()
                bench.gas.add(sent, gas.last_requests, time.process_time() - cpu)
            await sim.advance(ESME_CYCLE)
        bench.gsme_wakeups = sim.gsme_wakeups
    finally:
        await link.close()
    bench.peak_rss_mb = peak_rss_mb()
    return bench


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
    from custom_components.smets import history  # noqa: PLC0415

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


def _backfill_section(bench: BenchRun) -> Figures:
    key = (bench.seed, bench.tiers)
    if key not in _BACKFILL:
        coro = backfill(bench.seed, bench.tiers)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            _BACKFILL[key] = asyncio.run(coro)
        else:  # called from a running loop (a test): run it on a thread
            with ThreadPoolExecutor(1) as pool:
                _BACKFILL[key] = pool.submit(asyncio.run, coro).result()
    return _BACKFILL[key]


SECTIONS: list[Callable[[BenchRun], Figures]] = [
    _esme_section,
    _gas_section,
    _cost_section,
    _backfill_section,
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
    ]


def _goal_met(bench: BenchRun) -> bool:
    backfill = _backfill_section(bench)
    if backfill["backfill_requests"] != backfill["backfill_min_requests"]:
        return False
    return all(
        stats.requests == stats.clusters == stats.library_requests
        for stats in (bench.esme, bench.gas)
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the benchmark's options to a (sub)parser."""
    parser.add_argument(
        "--hours", type=float, default=24.0, help="simulated hours (default 24)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tiers", type=int, choices=(1, 2, 4), default=2)
    parser.add_argument(
        "--json",
        action="store_true",
        help="end with the figures as one JSON object on the last line",
    )


def run(args: argparse.Namespace) -> int:
    """Run the benchmark and print it; 1 when a request goal is missed."""
    bench = asyncio.run(simulate(args.hours, seed=args.seed, tiers=args.tiers))
    lines = report(bench)
    if args.json:
        lines.append(json.dumps(figures(bench), sort_keys=False))
    sys.stdout.write("\n".join(lines) + "\n")
    return 0 if _goal_met(bench) and bench.gsme_wakeups == 0 else 1
