"""The integration's benchmark in Home Assistant, on the simulator (``scripts/bench``).

    scripts/run python scripts/bench_ha.py [--json] [--runs 3] [--updates 200]

Figures (the ``--json`` object on the last line):

* ``setup_seconds``: wall-clock seconds from just before Home Assistant starts
  (``async_test_home_assistant``, an in-process Home Assistant with a temporary
  config dir) to ``sensor.electricity_meter_import`` existing after the
  simulator entry's setup (importing the integration, its platforms and zigpy
  included). Goal < 1 s. The median of ``--runs`` runs, each in a fresh
  interpreter so every run imports the integration cold.
* ``loop_ms_per_update``: CPU time of the event-loop thread
  (``time.thread_time``) per ESME update: one ``async_refresh`` of the
  electricity coordinator and the state writes it causes, mean over
  ``--updates`` updates, in ms (the median of the runs' means). Goal < 1 ms.
  The simulated meter answers in the same loop, so its work is counted too:
  an upper bound of what the update costs with a real radio.

Nothing here asserts a time: the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parent.parent
IMPORT_SENSOR = "sensor.electricity_meter_import"
SETUP_GOAL_S = 1.0
LOOP_GOAL_MS = 1.0
SIM_SEED = 1
ESME_CYCLE = 10
"""Simulated seconds between two measured ESME updates."""


def simulator_data() -> dict[str, object]:
    """Config entry data of the simulated HAN (as tests/conftest.py's)."""
    return {
        "connection": "simulator",
        "profile": "smets2",
        "seed": SIM_SEED,
        "tiers": 2,
        "prepayment": False,
        "solar": True,
    }


async def _measure(unique_id: str, updates: int) -> dict[str, float]:
    """Start Home Assistant, set the entry up, time it, then time ESME updates."""
    from homeassistant.config_entries import ConfigEntryState  # noqa: PLC0415
    from homeassistant.helpers import frame  # noqa: PLC0415
    from homeassistant.loader import DATA_CUSTOM_COMPONENTS  # noqa: PLC0415
    from pytest_homeassistant_custom_component.common import (  # noqa: PLC0415
        MockConfigEntry,
        async_test_home_assistant,
    )

    with tempfile.TemporaryDirectory(prefix="smets-bench-") as config_dir:
        # Home Assistant finds custom integrations in <config>/custom_components,
        # importable with the config dir on sys.path (as its bootstrap does)
        (Path(config_dir) / "custom_components").symlink_to(ROOT / "custom_components")
        sys.path.insert(0, config_dir)

        start = time.perf_counter()
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            frame.async_setup(hass)
            hass.data.pop(DATA_CUSTOM_COMPONENTS)  # enable_custom_integrations
            entry = MockConfigEntry(
                domain="smets",
                title=f"Simulated SMETS2 meter (seed {SIM_SEED})",
                data=simulator_data(),
                unique_id=unique_id,
            )
            entry.add_to_hass(hass)
            await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done()
            if hass.states.get(IMPORT_SENSOR) is None:
                msg = f"{IMPORT_SENSOR} missing after setup (entry {entry.state})"
                raise RuntimeError(msg)
            setup_seconds = time.perf_counter() - start

            coordinator = entry.runtime_data.electricity
            # The simulated HAN behind the entry (the integration does not hold it)
            simulator = entry.runtime_data.link.app.simulator
            cpu = 0.0
            failed = 0
            for _ in range(updates):
                # The meter's own clock moves on outside the measurement
                await simulator.advance(ESME_CYCLE)
                before = time.thread_time()
                await coordinator.async_refresh()
                await hass.async_block_till_done()
                cpu += time.thread_time() - before
                failed += not coordinator.last_update_success

            if entry.state is ConfigEntryState.LOADED:
                await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_stop(force=True)

    return {
        "setup_seconds": setup_seconds,
        "loop_ms_per_update": cpu * 1000 / updates,
        "failed_updates": failed,
    }


def _one_run(unique_id: str, updates: int) -> None:
    """Measure once in this interpreter; print the figures as JSON."""
    import asyncio  # noqa: PLC0415
    import logging  # noqa: PLC0415

    import homeassistant  # noqa: F401, PLC0415 - before voluptuous is imported

    logging.basicConfig(level=logging.ERROR)
    # Home Assistant warns that a custom integration is untested: noise here
    logging.getLogger("homeassistant.loader").setLevel(logging.ERROR)
    print(json.dumps(asyncio.run(_measure(unique_id, updates))))


def _hub_ieee() -> str:
    """Return the simulated Comms Hub's EUI64 (the entry's unique id)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from han_standalone import isolate  # noqa: PLC0415

    isolate()  # the simulator without Home Assistant's side of the integration
    from custom_components.smets.han.simulator import HanSimulator  # noqa: PLC0415

    return str(HanSimulator(SIM_SEED).hub.ieee)


def main() -> int:
    """Run the benchmark in fresh interpreters and print it."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--json", action="store_true", help="end with a JSON line")
    parser.add_argument("--runs", type=int, default=3, help="runs (median, default 3)")
    parser.add_argument(
        "--updates", type=int, default=200, help="ESME updates per run (default 200)"
    )
    parser.add_argument("--one-run", metavar="UNIQUE_ID", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_run:
        _one_run(args.one_run, args.updates)
        return 0

    unique_id = _hub_ieee()
    runs: list[dict[str, float]] = []
    for _ in range(max(args.runs, 1)):
        done = subprocess.run(
            [sys.executable, __file__, "--one-run", unique_id],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        if done.returncode != 0:
            sys.stderr.write(done.stderr)
            sys.stderr.write("bench_ha: a run failed\n")
            return 1
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))

    setup = round(statistics.median(r["setup_seconds"] for r in runs), 3)
    loop = round(statistics.median(r["loop_ms_per_update"] for r in runs), 3)
    failed = sum(int(r["failed_updates"]) for r in runs)
    lines = [
        (
            f"Home Assistant on the simulator (median of {len(runs)} runs, each in a"
            f" fresh interpreter; {args.updates} ESME updates a run)"
        ),
        (
            f"setup: {setup} s (goal < {SETUP_GOAL_S:g} s; Home Assistant start to"
            f" {IMPORT_SENSOR} available; runs: "
            + ", ".join(f"{r['setup_seconds']:.3f}" for r in runs)
            + ")"
        ),
        (
            f"event loop per ESME update: {loop} ms (goal < {LOOP_GOAL_MS:g} ms;"
            " thread CPU time of the loop for one coordinator refresh and its state"
            " writes; includes the simulated meter answering in the same loop, so"
            " an upper bound of a real radio's cost"
            + (f"; {failed} updates FAILED" if failed else "")
            + ")"
        ),
    ]
    if args.json:
        lines.append(json.dumps({"setup_seconds": setup, "loop_ms_per_update": loop}))
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
