"""The benchmark (``scripts/bench``): its counts, never its timings."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import pytest

from smets_dev import bench
from smets_dev.__main__ import main

REPO = Path(__file__).resolve().parents[2]

KEYS = [
    "esme_requests_per_cycle",
    "esme_clusters_per_cycle",
    "gas_requests_per_cycle",
    "gas_clusters_per_cycle",
    "gsme_wakeups",
    "cpu_ms_per_cycle",
    "peak_rss_mb_24h",
    "backfill_seconds",
    "backfill_requests",
    "backfill_min_requests",
    "radio_join_seconds",
    "radio_open_seconds",
    "radio_esme_requests_per_cycle",
    "radio_ezsp_frames_per_cycle",
    "radio_cpu_ms_per_cycle",
    "radio_join_modelled_seconds",
    "radio_join_terminates",
    "radio_join_timeout_seconds",
    "fuzz_frames_per_s",
    "fuzz_peak_rss_mb",
    "fuzz_loop_exceptions",
]
RADIO_CYCLES = 10
"""Radio cycles in these tests (the radio run is kept per seed, tiers and cycles)."""
FUZZ_FRAMES = 600
"""Hostile frames in these tests (the fuzz run is kept per seed and count)."""


async def test_one_request_per_cluster_per_cycle() -> None:
    run = await bench.simulate(1, seed=5)
    run.fuzz_frames = FUZZ_FRAMES
    assert run.esme.cycles == 360
    assert run.gas.cycles == 2  # at 0 and 30 minutes
    # Counted on the radio and by the library alike
    assert run.esme.requests == run.esme.library_requests == 360
    assert run.gas.requests == run.gas.library_requests == 2
    assert run.esme.max_requests == run.gas.max_requests == 1
    figures = bench.figures(run)
    assert list(figures) == KEYS
    assert figures["esme_requests_per_cycle"] == figures["esme_clusters_per_cycle"]
    assert figures["esme_requests_per_cycle"] == 1.0
    assert figures["gas_requests_per_cycle"] == figures["gas_clusters_per_cycle"]
    assert figures["gas_requests_per_cycle"] == 1.0
    assert figures["gsme_wakeups"] == 0
    # Machine-dependent figures: present and numeric, never compared
    assert isinstance(figures["cpu_ms_per_cycle"], float)
    assert isinstance(figures["peak_rss_mb_24h"], float)


async def test_four_tiers_split_the_esme_read() -> None:
    """A 4-tier ESME's cycle needs more than one frame's worth of answer.

    It also runs 720 requests in a few real seconds: the ZCL TSN wraps and the
    idle tiers answer the very same bytes again, which zigpy would drop as a
    duplicate unless the simulator forgets zigpy's real-time window as its
    own time moves on.
    """
    run = await bench.simulate(1, tiers=4)
    run.fuzz_frames = FUZZ_FRAMES
    assert run.esme.requests == 720
    assert run.esme.clusters == 360
    figures = bench.figures(run)
    assert figures["esme_requests_per_cycle"] == 2.0
    assert figures["esme_clusters_per_cycle"] == 1.0
    assert figures["gsme_wakeups"] == 0
    assert "NOT MET" in "\n".join(bench.report(run))


async def test_the_radio_path_over_the_emulated_ncp() -> None:
    """join_han, open_radio and HanLink over bellows and the emulated EZSP NCP,
    then the simulator's own ESME cycle: counted on the HAN, by the library and
    at the NCP."""
    run = await bench.radio(20, seed=5)
    assert run.problems == []
    esme = run.esme
    assert esme.cycles == 20
    assert esme.requests == esme.clusters == esme.library_requests == 20
    assert esme.max_requests == 1
    # One sendUnicast per request: the answer comes back as callbacks
    assert run.ezsp_frames == 20
    # Machine-dependent figures: present and positive, never compared
    assert run.join_seconds > 0
    assert run.open_seconds > 0
    assert esme.cpu_seconds > 0


def test_radio_figures() -> None:
    figures = bench.figures(
        bench.BenchRun(
            hours=0,
            seed=0,
            tiers=2,
            radio_cycles=RADIO_CYCLES,
            fuzz_frames=FUZZ_FRAMES,
        )
    )
    assert list(figures) == KEYS
    assert figures["radio_esme_requests_per_cycle"] == 1.0
    assert figures["radio_ezsp_frames_per_cycle"] == 1.0
    for key in ("radio_join_seconds", "radio_open_seconds", "radio_cpu_ms_per_cycle"):
        assert isinstance(figures[key], float)
        assert figures[key] > 0


def test_json_is_the_last_line(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "bench",
        "--hours",
        "0.5",
        "--radio-cycles",
        str(RADIO_CYCLES),
        "--fuzz-frames",
        str(FUZZ_FRAMES),
        "--json",
    ]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    figures = json.loads(lines[-1])
    assert list(figures) == KEYS
    assert figures["gsme_wakeups"] == 0
    assert figures["esme_requests_per_cycle"] == figures["esme_clusters_per_cycle"]
    text = "\n".join(lines[:-1])
    assert "ESME cycle, every 10 s (180 cycles)" in text
    assert "gas cycle (GPF mirror), every 30 min (1 cycles)" in text
    assert "GSME wake-ups: 0 (must be 0)" in text
    assert "ru_maxrss" in text
    assert "radio path (emulated EZSP NCP on a pty, bellows " in text
    assert "the emulator answers at once" in text
    assert (
        f"radio ESME cycle ({RADIO_CYCLES} cycles): 1.0 ZCL requests per cycle"
        " (goal 1.0;" in text
    )
    assert "radio problem" not in text
    assert f"hostile frames ({FUZZ_FRAMES}, in a process of their own): " in text
    assert "0 exceptions into the event loop (must be 0)" in text
    assert "meters' state unchanged" in text
    assert figures["fuzz_loop_exceptions"] == 0


def test_without_json_no_json(capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(
        hours=0.1,
        seed=0,
        tiers=2,
        radio_cycles=RADIO_CYCLES,
        fuzz_frames=FUZZ_FRAMES,
        json=False,
    )
    assert bench.run(args) == 0
    out = capsys.readouterr().out
    assert "{" not in out
    assert "goal, 1 request per cluster per cycle: met" in out


def test_a_missed_goal_fails_the_run(capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(
        hours=0.1,
        seed=0,
        tiers=4,
        radio_cycles=RADIO_CYCLES,
        fuzz_frames=FUZZ_FRAMES,
        json=True,
    )
    assert bench.run(args) == 1
    figures = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert figures["esme_requests_per_cycle"] == 2.0
    # Over the radio too: two reads of the same cluster, two EZSP sends
    assert figures["radio_esme_requests_per_cycle"] == 2.0
    assert figures["radio_ezsp_frames_per_cycle"] == 2.0


def test_sections_extend_the_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    run = bench.BenchRun(
        hours=1, seed=0, tiers=2, radio_cycles=RADIO_CYCLES, fuzz_frames=FUZZ_FRAMES
    )
    run.esme.add([0x0702], 1, 0.001)
    run.esme.add([0x0702, 0x0700], 2, 0.003)
    monkeypatch.setattr(
        bench, "SECTIONS", [*bench.SECTIONS, lambda r: {"later_key": r.esme.cycles}]
    )
    figures = bench.figures(run)
    assert list(figures) == [*KEYS, "later_key"]
    assert figures["later_key"] == 2
    assert figures["esme_requests_per_cycle"] == 1.5
    assert figures["esme_clusters_per_cycle"] == 1.5
    assert figures["cpu_ms_per_cycle"] == pytest.approx(2.0)
    # No cycles at all: zeros, not a division by zero
    assert (
        bench.figures(
            bench.BenchRun(
                hours=0,
                seed=0,
                tiers=2,
                radio_cycles=RADIO_CYCLES,
                fuzz_frames=FUZZ_FRAMES,
            )
        )["gas_requests_per_cycle"]
        == 0.0
    )


def test_fuzz_figures_come_from_a_process_of_their_own() -> None:
    """Hostile frames, every kind, in a fresh process: 0 exceptions, no trace."""
    run = bench.BenchRun(hours=0, seed=3, tiers=2, fuzz_frames=FUZZ_FRAMES)
    result = bench.fuzz_run(run)
    assert result["frames"] == FUZZ_FRAMES
    assert result["loop_exceptions"] == 0
    assert result["events"] == 0
    assert result["state_unchanged"] is True
    assert result["dropped"]["wrong_type"] > 0
    figures = bench.figures(run)
    assert figures["fuzz_loop_exceptions"] == 0
    # Machine-dependent figures: present and positive, never compared
    assert isinstance(figures["fuzz_frames_per_s"], int)
    assert figures["fuzz_frames_per_s"] > 0
    assert 1 < figures["fuzz_peak_rss_mb"] < 100_000


def test_peak_rss_is_in_megabytes() -> None:
    assert 1 < bench.peak_rss_mb() < 100_000


def test_scripts_bench_runs_the_benchmark_through_scripts_run() -> None:
    script = REPO / "scripts" / "bench"
    assert os.access(script, os.X_OK)
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash")
    # The library's figures come from a run without Home Assistant loaded.
    assert "scripts/han_standalone.py smets_dev bench" in text
    assert "scripts/bench_ha.py" in text


def test_the_modelled_join_fits_its_timeout_with_one_terminate() -> None:
    """Realistic ECC and hub times, one busy Terminate and its retry: under JOIN_TIMEOUT."""
    from custom_components.smets.han import ezsp

    result = bench.modelled_join_run(bench.BenchRun(hours=0, seed=3, tiers=2))
    assert result.cbke
    assert result.terminates == 1
    assert result.retries == 1
    assert result.seconds > bench.HUB_BUSY_WAIT + 4 * bench.NCP_ECC_MODEL_SECONDS
    assert result.seconds < ezsp.JOIN_TIMEOUT
    # each modelled step fits the host's wait for it
    assert min(ezsp.KE_ECC_WAIT.values()) > bench.NCP_ECC_MODEL_SECONDS
    assert ezsp.ke_step_timeout(11) > bench.HUB_ECC_MODEL_SECONDS
