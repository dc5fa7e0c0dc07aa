"""The simulator's command line: ``capture`` (checked with tshark), ``demo`` and ``ncp``."""

from __future__ import annotations

import argparse
import asyncio
import io
from pathlib import Path
import socket
import struct
import subprocess
import sys

import pytest

from custom_components.smets.han.ezsp import JoinError, join_han
from custom_components.smets.han.simulator import RadioFrame
from custom_components.smets.han.simulator.app import CAD_NWK, ESME_NWK, HUB_NWK
from smets_dev.__main__ import (
    CAPTURE_ALERT,
    CAPTURE_MESSAGE,
    COMMANDS,
    main,
    run_capture,
    serve_ncp,
    write_pcap,
)
from smets_dev.ncp import DEFAULT_EUI64

from .tshark import needs_tshark, tshark

REPO = Path(__file__).resolve().parents[2]

METERING, PRICE, MESSAGING, PREPAYMENT, EVENTS = 0x0702, 0x0700, 0x0703, 0x0705, 0x0709
_PCAP_HEADER = 24
_RECORD = struct.Struct("<IIII")


def _records(path: Path) -> list[tuple[float, bytes]]:
    """(timestamp, frame) of every record of a classic pcap file."""
    data = path.read_bytes()
    offset, records = _PCAP_HEADER, []
    while offset < len(data):
        seconds, micros, length, _ = _RECORD.unpack_from(data, offset)
        offset += _RECORD.size
        records.append((seconds + micros / 1e6, data[offset : offset + length]))
        offset += length
    return records


def _cluster_commands(frames: list[RadioFrame], cluster: int) -> list[int]:
    """Command ids of the cluster-specific commands the CAD sent on ``cluster``."""
    return [
        f.zcl[2]
        for f in frames
        if f.src_nwk == CAD_NWK and f.cluster == cluster and f.zcl[0] & 0x03 == 0x01
    ]


# --- the scenario, in process ---------------------------------------------------


async def test_capture_runs_every_exchange_on_a_prepayment_meter() -> None:
    result = await run_capture(120, seed=4, prepayment=True)
    assert result.esme_polls == 12
    assert result.gas_polls == 1
    assert result.gsme_wakeups == 0
    assert result.top_up is not None
    assert result.top_up.accepted
    # The half hours starting in the last 6 hours (06:30 to 11:30), on both meters
    assert result.profile_intervals == 11 + 11
    assert result.events["AlertEvent"] == 1
    assert result.events["SupplierMessage"] == 1
    assert result.events["PrepaySnapshotEvent"] == 1
    # Demand reports every 30 s once configured (after the second cycle)
    assert result.events["AttributeReport"] == 3
    frames = result.frames
    sent = [f for f in frames if f.src_nwk == CAD_NWK]
    assert len(sent) == result.requests + 1  # + the raw Configure Reporting
    assert {f.dst_nwk for f in sent} == {HUB_NWK, ESME_NWK}
    # Both directions, in simulated time, never backwards
    assert {f.dst_nwk for f in frames if f.src_nwk != CAD_NWK} == {CAD_NWK}
    times = [f.timestamp for f in frames]
    assert times == sorted(times)
    assert times[-1] - times[0] == 110
    # Commands (client -> server) and what the meter sent
    assert _cluster_commands(frames, PREPAYMENT) == [0x04]  # ConsumerTopUp
    assert _cluster_commands(frames, PRICE) == [0x00]  # GetCurrentPrice
    assert _cluster_commands(frames, METERING) == [0x00, 0x00]  # GetProfile x 2
    assert _cluster_commands(frames, MESSAGING) == [0x01]  # MessageConfirmation
    pushed = [
        (f.cluster, f.zcl[2])
        for f in frames
        if f.src_nwk != CAD_NWK and f.zcl[0] & 0x03 == 0x01
    ]
    assert (EVENTS, 0x00) in pushed  # PublishEvent
    assert (MESSAGING, 0x00) in pushed  # DisplayMessage
    assert (PREPAYMENT, 0x01) in pushed  # PublishPrepaySnapshot
    assert (PREPAYMENT, 0x03) in pushed  # ConsumerTopUpResponse
    alert = next(f for f in frames if (f.cluster, f.zcl[2]) == (EVENTS, 0x00))
    assert int.from_bytes(alert.zcl[4:6], "little") == CAPTURE_ALERT
    assert CAPTURE_MESSAGE.encode() in next(
        f.zcl for f in frames if (f.cluster, f.zcl[2]) == (MESSAGING, 0x00)
    )


async def test_short_capture_still_runs_every_one_off() -> None:
    """A run shorter than the one-offs need squeezes them into its last cycle."""
    result = await run_capture(5, seed=2, profile="smets1")
    assert result.esme_polls == 1
    assert result.gas_polls == 1
    assert result.top_up is None  # a credit meter: no top-up
    assert _cluster_commands(result.frames, PREPAYMENT) == []
    assert _cluster_commands(result.frames, METERING) == [0x00, 0x00]
    assert result.events["AlertEvent"] == 1
    assert result.events["SupplierMessage"] == 1
    assert result.frames[-1].timestamp == result.frames[0].timestamp


async def test_capture_reads_gas_price_and_prepayment_every_half_hour() -> None:
    result = await run_capture(3610, seed=1)
    assert result.esme_polls == 361
    assert result.gas_polls == 3  # at 0, 30 and 60 minutes
    assert result.gsme_wakeups == 0
    # The GPF reports its register each half hour once configured
    reports = [
        f
        for f in result.frames
        if f.src_nwk == HUB_NWK and f.cluster == METERING and f.zcl[2] == 0x0A
    ]
    assert len(reports) == 2


def test_write_pcap_spreads_frames_of_one_second(tmp_path: Path) -> None:
    frames = [
        RadioFrame(1_736_942_400.0, CAD_NWK, ESME_NWK, 1, 1, 0x0109, METERING, n, b"x")
        for n in range(3)
    ] + [
        RadioFrame(1_736_942_410.0, ESME_NWK, CAD_NWK, 1, 1, 0x0109, METERING, 9, b"y")
    ]
    path = tmp_path / "out.pcap"
    assert write_pcap(frames, path) == 4
    records = _records(path)
    assert [round(ts - 1_736_942_400, 6) for ts, _ in records] == [
        0.0,
        0.001,
        0.002,
        10.0,
    ]
    # The frames keep the APS counters the simulator gave them (last byte before ZCL)
    assert [frame[-4] for _, frame in records] == [0, 1, 2, 9]


# --- the command line -----------------------------------------------------------


def test_capture_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "nested" / "han.pcap"
    assert main(["capture", "--seconds", "30", "--out", str(out), "--seed", "3"]) == 0
    line = capsys.readouterr().out.strip()
    assert "\n" not in line
    assert line.startswith("capture: ")
    written = int(line.split()[1])
    assert written == len(_records(out)) > 0
    assert "GSME wake-ups 0" in line


def test_capture_command_refuses_a_bad_duration(tmp_path: Path) -> None:
    for seconds in ("0", "-5"):
        with pytest.raises(SystemExit):
            main(["capture", "--seconds", seconds, "--out", str(tmp_path / "x")])
    with pytest.raises(SystemExit):
        main(["capture", "--seconds", "10"])  # --out is required


def test_demo_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--seconds", "20", "--prepayment"]) == 0
    out = capsys.readouterr().out
    assert "kWh" in out
    assert "GSME wake-ups 0" in out


def test_demo_command_with_a_prepayment_gas_meter(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--seconds", "10", "--gas-prepayment"]) == 0
    out = capsys.readouterr().out
    # 10 s of the gas standing charge (31.43p a day) have been taken
    assert "gas credit 14.99997 GBP, emergency credit 10.00000" in out
    assert "GSME wake-ups 0" in out


async def test_capture_with_a_prepayment_gas_meter() -> None:
    result = await run_capture(120, seed=4, gas_prepayment=True)
    assert result.top_up is None  # the electricity meter is on credit
    assert result.gas_top_up is not None
    assert result.gas_top_up.accepted
    assert result.gas_top_up.value == 10
    assert result.gsme_wakeups == 0
    to_gpf = [
        f
        for f in result.frames
        if f.src_nwk == CAD_NWK and f.dst_nwk == HUB_NWK and f.cluster == PREPAYMENT
    ]
    # the limits and formatting once at the link's opening, one credit read,
    # then the ConsumerTopUp: all to the hub's GPF, none to the ESME
    assert [(f.dst_ep, f.zcl[0] & 0x03, f.zcl[2]) for f in to_gpf] == [
        (2, 0x00, 0x00),
        (2, 0x00, 0x00),
        (2, 0x01, 0x04),
    ]
    assert _cluster_commands(result.frames, PREPAYMENT) == [0x04]


@needs_tshark
def test_tshark_reads_a_gas_prepayment_capture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "gas.pcap"
    assert (
        main(["capture", "--seconds", "30", "--out", str(out), "--gas-prepayment"]) == 0
    )
    assert "gas top-up accepted" in capsys.readouterr().out
    config = tmp_path / "wireshark-config"
    assert tshark(out, config, "-Y", "_ws.malformed or _ws.expert") == ""
    lines = tshark(out, config).splitlines()
    top_up = [line for line in lines if "ZCL Prepayment: Consumer Top Up" in line]
    assert len(top_up) == 2  # the command and the response
    assert "0x6e5f → 0x0000" in top_up[0]
    assert "0x0000 → 0x6e5f" in top_up[1]


# --- what Wireshark makes of it ---------------------------------------------------


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 120-second prepayment capture made by the real command line."""
    directory = tmp_path_factory.mktemp("capture")
    path = directory / "han.pcap"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "smets_dev",
            "capture",
            "--seconds",
            "120",
            "--out",
            str(path),
            "--prepayment",
        ],
        capture_output=True,
        check=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert result.stdout.startswith("capture: ")
    return path, directory / "wireshark-config"


@needs_tshark
def test_tshark_reads_the_capture_cleanly(capture: tuple[Path, Path]) -> None:
    # No malformed packet and no expert info at all (errors, warnings, notes)
    assert tshark(*capture, "-Y", "_ws.malformed or _ws.expert") == ""
    assert tshark(*capture, "-Y", "_ws.expert.severity >= warning") == ""
    lines = tshark(*capture).splitlines()
    assert len(lines) == len(_records(capture[0]))
    assert all("ZigBee SE" in line for line in lines)
    checks = tshark(*capture, "-T", "fields", "-e", "wpan.fcs_ok")
    assert set(checks.split()) == {"True"}


@needs_tshark
def test_tshark_names_the_se_clusters_and_commands(capture: tuple[Path, Path]) -> None:
    rows = {
        tuple(line.split("|"))
        for line in tshark(
            *capture,
            "-T",
            "fields",
            "-E",
            "separator=|",
            "-e",
            "zbee_aps.cluster",
            "-e",
            "_ws.col.info",
        ).splitlines()
    }
    seen = {(cluster, info.split(", Seq")[0]) for cluster, info in rows}
    for expected in (
        ("0x0702", "ZCL: Read Attributes"),
        ("0x0702", "ZCL: Read Attributes Response"),
        ("0x0702", "ZCL: Configure Reporting"),
        ("0x0702", "ZCL: Report Attributes"),
        ("0x0700", "ZCL: Read Attributes"),
        ("0x0705", "ZCL: Read Attributes"),
        ("0x0700", "ZCL Price: Get Current Price"),
        ("0x0700", "ZCL Price: Publish Price"),
        ("0x0705", "ZCL Prepayment: Consumer Top Up"),
        ("0x0705", "ZCL Prepayment: Consumer Top Up Response"),
        ("0x0705", "ZCL Prepayment: Publish Prepay Snapshot"),
        ("0x0702", "ZCL Metering: Get Profile"),
        ("0x0702", "ZCL Metering: Get Profile Response"),
        ("0x0709", "ZCL Events: Publish Event"),
        ("0x0703", "ZCL Messaging: Display Message"),
        ("0x0703", "ZCL Messaging: Message Confirmation"),
    ):
        assert expected in seen, expected
    detail = tshark(*capture, "-V")
    for name in (
        "Cluster: Simple Metering (0x0702)",
        "Cluster: Price (0x0700)",
        "Cluster: Pre-Payment (0x0705)",
        "Cluster: Events (0x0709)",
        "Cluster: Message (0x0703)",
        "Profile: Smart Energy (0x0109)",
    ):
        assert name in detail, name
    assert "Malformed" not in detail


# --- ncp: an emulated radio to pair by hand ------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_ncp_serves_a_radio_to_pair_by_hand() -> None:
    port = _free_port()
    out = io.StringIO()
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()
    server = asyncio.create_task(
        serve_ncp(
            seed=3,
            port=port,
            prepayment=True,
            gas=False,
            register_after=-1,
            tick=0.05,
            out=out,
            ready=ready,
            stop=stop,
        )
    )
    try:
        async with asyncio.timeout(20):
            path = await ready
        assert path == f"socket://127.0.0.1:{port}"
        text = out.getvalue()
        assert f"Emulated EZSP radio: {path}" in text
        assert DEFAULT_EUI64 in text
        assert "83FE D340 7A93 9723 A5C6 39B2 6916 D505 C3B5" in text
        # Not registered yet: the hub is not admitting
        with pytest.raises(JoinError) as err:
            await join_han(path, timeout=20)
        assert err.value.reason == "join_window_closed"
        stop.set()
        await server
        # Registered (at once): the join goes through
        stop.clear()
        out = io.StringIO()
        ready = asyncio.get_running_loop().create_future()
        server = asyncio.create_task(
            serve_ncp(
                seed=3,
                port=port,
                register_after=0,
                tick=0.05,
                out=out,
                ready=ready,
                stop=stop,
            )
        )
        async with asyncio.timeout(20):
            await ready
        network = await join_han(path, timeout=20)
        assert network.cbke
    finally:
        stop.set()
        await server
    text = out.getvalue()
    assert text.index("join window open") < text.index("The radio is on the HAN")
    # Stopped: the port is closed
    with pytest.raises(OSError):  # noqa: PT011 - refused, whichever errno
        await asyncio.open_connection("127.0.0.1", port)


def test_ncp_arguments() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    COMMANDS["ncp"][0](sub.add_parser("ncp"))
    args = parser.parse_args(
        ["ncp", "--seed", "5", "--port", "9999", "--tiers", "4", "--no-gas"]
    )
    assert (args.seed, args.port, args.tiers, args.no_gas) == (5, 9999, 4, True)
    assert args.register_after == 0
    assert not args.prepayment
