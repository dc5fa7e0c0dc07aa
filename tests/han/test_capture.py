"""Tests of the pcap writer, checked against Wireshark's own decoder (tshark)."""

from __future__ import annotations

from dataclasses import dataclass
import struct
from typing import TYPE_CHECKING

import pytest

from custom_components.smets.han.capture import (
    DEFAULT_PAN_ID,
    LINKTYPE_IEEE802_15_4_WITHFCS,
    MAX_PHY_PACKET_SIZE,
    PROFILE_SMART_ENERGY,
    PcapWriter,
    crc16_kermit,
    frame_bytes,
)

from .tshark import needs_tshark, tshark

if TYPE_CHECKING:
    from pathlib import Path


ZIGBEE_EPOCH = 946_684_800  # 2000-01-01T00:00:00Z, the zero of ZigBee UTC time
T0 = 1_768_478_400  # 2026-01-15T12:00:00Z
CAD, ESME = 0x1D2E, 0x4A31
CAD_EP, ESME_EP = 0x01, 0x02
METERING, PRICE, MESSAGING, PREPAYMENT, EVENTS = 0x0702, 0x0700, 0x0703, 0x0705, 0x0709

# Wireshark's dissector for each cluster's own commands.
SE_DISSECTORS = {
    METERING: "met",
    PRICE: "price",
    MESSAGING: "msg",
    PREPAYMENT: "pp",
    EVENTS: "events",
}

# ZCL frame control: global or cluster-specific, client->server or server->client.
GLOBAL_TO_SERVER = 0x00
GLOBAL_TO_CLIENT_NO_DEFAULT_RSP = 0x18
CLUSTER_TO_SERVER = 0x01
CLUSTER_TO_CLIENT = 0x09


def _zcl(frame_control: int, tsn: int, command: int, payload: bytes = b"") -> bytes:
    return bytes((frame_control, tsn, command)) + payload


def _utc(unix: int) -> bytes:
    """ZigBee UTCTime: uint32 seconds since 2000-01-01."""
    return struct.pack("<I", unix - ZIGBEE_EPOCH)


def _uint(value: int, size: int) -> bytes:
    return value.to_bytes(size, "little")


def _int(value: int, size: int) -> bytes:
    return value.to_bytes(size, "little", signed=True)


def _octets(data: bytes) -> bytes:
    """A ZCL octet or character string: one length byte, then the bytes."""
    return bytes((len(data),)) + data


TOP_UP_CODE = b"73458120963457801234"  # a 20-digit UTRN
MESSAGE = "Credit low: 2.50 GBP left"


def _read_attributes() -> bytes:
    # Read Attributes (0x00): CurrentSummationDelivered, InstantaneousDemand.
    return _zcl(GLOBAL_TO_SERVER, 0x21, 0x00, _uint(0x0000, 2) + _uint(0x0400, 2))


def _read_attributes_response() -> bytes:
    # Read Attributes Response (0x01): (attr id, status, type, value) records.
    return _zcl(
        GLOBAL_TO_CLIENT_NO_DEFAULT_RSP,
        0x21,
        0x01,
        _uint(0x0000, 2)
        + b"\x00\x25"  # Success, uint48
        + _uint(123_456_789_012, 6)
        + _uint(0x0400, 2)
        + b"\x00\x2a"  # Success, int24
        + _int(-1234, 3),
    )


def _get_current_price() -> bytes:
    # GetCurrentPrice (0x00): command options map8, bit 0 = requestor Rx on idle.
    return _zcl(CLUSTER_TO_SERVER, 0x22, 0x00, b"\x01")


def _publish_price() -> bytes:
    # PublishPrice (0x00), ZSE 1.x layout with the SE 1.2 extension fields.
    return _zcl(
        CLUSTER_TO_CLIENT,
        0x22,
        0x00,
        _uint(0x0000_0042, 4)  # provider id
        + _octets(b"Day rate")  # rate label
        + _uint(0x0000_0107, 4)  # issuer event id
        + _utc(T0)  # current time
        + b"\x00"  # unit of measure: kWh
        + _uint(826, 2)  # currency: GBP
        + b"\x51"  # trailing digit 5, price tier 1
        + b"\x21"  # 2 price tiers, register tier 1
        + _utc(T0 - 3600)  # start time
        + _uint(0xFFFF, 2)  # duration in minutes: until changed
        + _uint(24_530, 4)  # price: 0.24530 GBP/kWh
        + b"\xff"  # price ratio: not used
        + _uint(0xFFFF_FFFF, 4)  # generation price: not used
        + b"\xff"  # generation price ratio: not used
        + _uint(0xFFFF_FFFF, 4)  # alternate cost delivered: not used
        + b"\xff"  # alternate cost unit: not used
        + b"\xff"  # alternate cost trailing digit: not used
        + b"\xff"  # number of block thresholds: not used
        + b"\x00"  # price control
        + b"\x00"  # number of generation tiers
        + b"\x00"  # generation tier
        + b"\x00"  # extended number of price tiers
        + b"\x00"  # extended price tier
        + b"\x00",  # extended register tier
    )


def _consumer_top_up() -> bytes:
    # ConsumerTopUp (0x04): originating device enum8 (2 = IHD), top up code.
    return _zcl(CLUSTER_TO_SERVER, 0x23, 0x04, b"\x02" + _octets(TOP_UP_CODE))


def _consumer_top_up_response() -> bytes:
    # ConsumerTopUpResponse (0x03): result enum8, value int32, source enum8,
    # credit remaining int32.
    return _zcl(
        CLUSTER_TO_CLIENT,
        0x23,
        0x03,
        b"\x00" + _int(2000, 4) + b"\x02" + _int(2550, 4),
    )


def _publish_event() -> bytes:
    # PublishEvent (0x00): log id, event id, event time, event control, data.
    return _zcl(
        CLUSTER_TO_CLIENT,
        0x24,
        0x00,
        b"\x01"  # tamper log
        + _uint(0x8F74, 2)  # meter cover removed
        + _utc(T0 + 60)
        + b"\x00"
        + _octets(b"\xab\xcd"),
    )


def _display_message() -> bytes:
    # DisplayMessage (0x00): message id, control (0x80 = confirmation
    # required), start time (0 = now), duration in minutes, message, extended
    # message control.
    return _zcl(
        CLUSTER_TO_CLIENT,
        0x25,
        0x00,
        _uint(0x0000_1001, 4)
        + b"\x80"
        + _uint(0, 4)
        + _uint(60, 2)
        + _octets(MESSAGE.encode())
        + b"\x00",
    )


def _get_profile() -> bytes:
    # GetProfile (0x00): interval channel (0 = delivered), end time, periods.
    return _zcl(CLUSTER_TO_SERVER, 0x26, 0x00, b"\x00" + _utc(T0) + b"\x03")


def _get_profile_response() -> bytes:
    # GetProfileResponse (0x00): end time, status, interval period
    # (2 = 30 minutes), number of periods, uint24 intervals newest first.
    return _zcl(
        CLUSTER_TO_CLIENT,
        0x26,
        0x00,
        _utc(T0) + b"\x00\x02\x03" + b"".join(_uint(v, 3) for v in (250, 312, 198)),
    )


@dataclass(frozen=True)
class Frame:
    src: int
    dst: int
    cluster: int
    zcl: bytes
    info: str  # Wireshark's Info column for the frame


FRAMES = (
    Frame(CAD, ESME, METERING, _read_attributes(), "ZCL: Read Attributes, Seq: 33"),
    Frame(
        ESME,
        CAD,
        METERING,
        _read_attributes_response(),
        "ZCL: Read Attributes Response, Seq: 33",
    ),
    Frame(
        CAD, ESME, PRICE, _get_current_price(), "ZCL Price: Get Current Price, Seq: 34"
    ),
    Frame(ESME, CAD, PRICE, _publish_price(), "ZCL Price: Publish Price, Seq: 34"),
    Frame(
        CAD,
        ESME,
        PREPAYMENT,
        _consumer_top_up(),
        "ZCL Prepayment: Consumer Top Up, Seq: 35",
    ),
    Frame(
        ESME,
        CAD,
        PREPAYMENT,
        _consumer_top_up_response(),
        "ZCL Prepayment: Consumer Top Up Response, Seq: 35",
    ),
    Frame(ESME, CAD, EVENTS, _publish_event(), "ZCL Events: Publish Event, Seq: 36"),
    Frame(
        ESME,
        CAD,
        MESSAGING,
        _display_message(),
        "ZCL Messaging: Display Message, Seq: 37",
    ),
    Frame(CAD, ESME, METERING, _get_profile(), "ZCL Metering: Get Profile, Seq: 38"),
    Frame(
        ESME,
        CAD,
        METERING,
        _get_profile_response(),
        "ZCL Metering: Get Profile Response, Seq: 38",
    ),
)


def _write_capture(path: Path, frames: tuple[Frame, ...] = FRAMES) -> None:
    with PcapWriter(path) as writer:
        for index, frame in enumerate(frames):
            src_ep, dst_ep = (
                (CAD_EP, ESME_EP) if frame.src == CAD else (ESME_EP, CAD_EP)
            )
            writer.write(
                T0 + index * 0.25,
                frame.src,
                frame.dst,
                src_ep,
                dst_ep,
                PROFILE_SMART_ENERGY,
                frame.cluster,
                frame.zcl,
            )
        assert writer.frames == len(frames)


def _read_pcap(path: Path) -> tuple[tuple[int, ...], list[tuple[int, int, bytes]]]:
    data = path.read_bytes()
    header = struct.unpack_from("<IHHiIII", data)
    records = []
    offset = 24
    while offset < len(data):
        sec, usec, incl, orig = struct.unpack_from("<IIII", data, offset)
        assert incl == orig
        offset += 16
        records.append((sec, usec, data[offset : offset + incl]))
        offset += incl
    return header, records


# --- the bytes, without tshark ------------------------------------------------


def test_crc16_kermit_check_value() -> None:
    # The catalogue check value of CRC-16/KERMIT, and the zero residue of a
    # frame followed by its little-endian FCS.
    assert crc16_kermit(b"123456789") == 0x2189
    assert crc16_kermit(b"") == 0
    body = b"\x41\x88\x01\x62\x1a\xff\xff\x00\x00"
    assert crc16_kermit(body + crc16_kermit(body).to_bytes(2, "little")) == 0


def test_frame_bytes_layout() -> None:
    zcl = _read_attributes()
    frame = frame_bytes(
        CAD,
        ESME,
        CAD_EP,
        ESME_EP,
        PROFILE_SMART_ENERGY,
        METERING,
        zcl,
        pan_id=0x1A62,
        mac_seq=5,
        nwk_seq=6,
        aps_counter=7,
        radius=10,
    )
    mac = bytes.fromhex("6188 05 621a 314a 2e1d")
    nwk = bytes.fromhex("0800 314a 2e1d 0a 06")
    aps = bytes.fromhex("00 02 0207 0901 01 07")
    body = mac + nwk + aps + zcl
    assert frame == body + crc16_kermit(body).to_bytes(2, "little")


@pytest.mark.parametrize("dst", [0xFFFF, 0xFFFD, 0xFFFC])
def test_frame_bytes_broadcast_asks_no_ack(dst: int) -> None:
    """A NWK broadcast goes to MAC 0xFFFF with no ack, as an APS broadcast
    (failed before for 0xFFFD: a MAC unicast to 0xFFFD asking an ack)."""
    frame = frame_bytes(0x0000, dst, 1, 1, PROFILE_SMART_ENERGY, METERING, b"")
    assert frame[:2] == bytes.fromhex("4188")
    assert frame[3:5] == DEFAULT_PAN_ID.to_bytes(2, "little")
    assert frame[5:7] == b"\xff\xff"  # MAC destination
    assert frame[11:13] == dst.to_bytes(2, "little")  # NWK destination
    assert frame[17] == 0x08  # APS frame control: broadcast delivery


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("src_nwk", 0x10000),
        ("dst_nwk", -1),
        ("src_ep", 256),
        ("dst_ep", 256),
        ("profile", 0x10000),
        ("cluster", 0x10000),
        ("pan_id", 0x10000),
        ("mac_seq", 256),
        ("nwk_seq", 256),
        ("aps_counter", 256),
        ("radius", 256),
    ],
)
def test_frame_bytes_rejects_out_of_range(field: str, value: int) -> None:
    args = {
        "src_nwk": CAD,
        "dst_nwk": ESME,
        "src_ep": 1,
        "dst_ep": 1,
        "profile": PROFILE_SMART_ENERGY,
        "cluster": METERING,
        "zcl": b"",
    }
    kwargs = {field: value}
    if field in args:
        args |= kwargs
        kwargs = {}
    with pytest.raises(ValueError, match=f"{field} must be a uint"):
        frame_bytes(**args, **kwargs)  # type: ignore[arg-type]


def test_pcap_file_layout(tmp_path: Path) -> None:
    path = tmp_path / "han.pcap"
    _write_capture(path)
    header, records = _read_pcap(path)
    assert header == (0xA1B2C3D4, 2, 4, 0, 0, 65535, LINKTYPE_IEEE802_15_4_WITHFCS)
    assert len(records) == len(FRAMES)
    for index, ((sec, usec, frame), expected) in enumerate(
        zip(records, FRAMES, strict=True)
    ):
        assert (sec, usec) == (T0 + index // 4, (index % 4) * 250_000)
        assert frame[2] == index  # MAC sequence number
        assert frame[16] == index  # NWK sequence number
        assert frame[24] == index  # APS counter
        assert frame[25:-2] == expected.zcl
        assert crc16_kermit(frame) == 0


def test_counters_timestamps_and_explicit_aps_counter(tmp_path: Path) -> None:
    path = tmp_path / "counters.pcap"
    with PcapWriter(str(path)) as writer:
        for index in range(258):
            writer.write(1.9999996, CAD, ESME, 1, 1, PROFILE_SMART_ENERGY, 6, b"")
            assert writer.frames == index + 1
        writer.write(1.5, CAD, ESME, 1, 1, PROFILE_SMART_ENERGY, 6, b"", aps_counter=99)
        writer.write(0, CAD, ESME, 1, 1, PROFILE_SMART_ENERGY, 6, b"", pan_id=0xABCD)
    _, records = _read_pcap(path)
    assert [r[2][2] for r in records[254:]] == [254, 255, 0, 1, 2, 3]
    assert records[0][:2] == (2, 0)  # microseconds rounded, carried into seconds
    assert records[258][:2] == (1, 500_000)
    assert records[258][2][24] == 99  # the caller's APS counter ...
    assert records[259][2][24] == 2  # ... does not advance the writer's own
    assert records[259][2][3:5] == b"\xcd\xab"
    assert records[259][:2] == (0, 0)


def test_write_rejects_bad_input_and_closed_writer(tmp_path: Path) -> None:
    path = tmp_path / "bad.pcap"
    writer = PcapWriter(path)
    was_open = not writer.closed  # (a variable: mypy would narrow the property)
    assert was_open
    with pytest.raises(ValueError, match="timestamp must be a uint32"):
        writer.write(-1.0, CAD, ESME, 1, 1, PROFILE_SMART_ENERGY, 6, b"")
    with pytest.raises(ValueError, match="timestamp must be a uint32"):
        writer.write(2.0**32, CAD, ESME, 1, 1, PROFILE_SMART_ENERGY, 6, b"")
    with pytest.raises(ValueError, match="cluster must be a uint16"):
        writer.write(0.0, CAD, ESME, 1, 1, PROFILE_SMART_ENERGY, 0x10000, b"")
    assert writer.frames == 0
    writer.close()
    writer.close()
    assert writer.closed
    with pytest.raises(ValueError, match="closed"):
        writer.write(0.0, CAD, ESME, 1, 1, PROFILE_SMART_ENERGY, 6, b"")
    assert path.stat().st_size == 24  # the pcap header, no record


def test_frames_are_flushed_while_open(tmp_path: Path) -> None:
    path = tmp_path / "live.pcap"
    with PcapWriter(path) as writer:
        assert path.stat().st_size == 24
        writer.write(T0, CAD, ESME, 1, 1, PROFILE_SMART_ENERGY, METERING, b"\x00")
        assert path.stat().st_size == 24 + 16 + 28
    assert writer.closed


# --- what Wireshark makes of it -----------------------------------------------


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("capture")
    path = directory / "han.pcap"
    _write_capture(path)
    return path, directory / "wireshark-config"


def _fields(capture: tuple[Path, Path], *fields: str) -> list[list[str]]:
    args = ["-T", "fields", "-E", "separator=|", "-E", "occurrence=a"]
    for field in fields:
        args += ["-e", field]
    out = tshark(*capture, *args)
    return [line.split("|") for line in out.splitlines()]


@needs_tshark
def test_tshark_decodes_every_frame_cleanly(capture: tuple[Path, Path]) -> None:
    # No malformed packet and no expert info (error, warning, note or comment).
    assert tshark(*capture, "-Y", "_ws.malformed or _ws.expert") == ""
    assert "Malformed" not in tshark(*capture, "-V")
    rows = _fields(
        capture,
        "frame.protocols",
        "wpan.fcs_ok",
        "wpan.security",
        "zbee_nwk.proto_version",
        "zbee_nwk.security",
        "zbee_aps.security",
        "zbee_aps.profile",
        "zbee_aps.cluster",
        "_ws.col.protocol",
        "_ws.col.info",
    )
    assert len(rows) == len(FRAMES)
    for row, frame in zip(rows, FRAMES, strict=True):
        protocols = "wpan:zbee_nwk:zbee_aps:zbee_zcl"
        if frame.zcl[0] & 0x03 == CLUSTER_TO_SERVER:  # cluster-specific command
            protocols += f":zbee_zcl_se.{SE_DISSECTORS[frame.cluster]}"
        assert row == [
            protocols,
            "True",
            "False",
            "2",
            "False",
            "False",
            "0x0109",
            f"0x{frame.cluster:04x}",
            "ZigBee SE",
            frame.info,
        ]


@needs_tshark
def test_tshark_sees_addresses_and_endpoints(capture: tuple[Path, Path]) -> None:
    rows = _fields(
        capture,
        "wpan.src16",
        "wpan.dst16",
        "wpan.dst_pan",
        "zbee_nwk.src",
        "zbee_nwk.dst",
        "zbee_aps.src",
        "zbee_aps.dst",
    )
    assert rows[0] == ["0x1d2e", "0x4a31", "0x1a62", "0x1d2e", "0x4a31", "1", "2"]
    assert rows[1] == ["0x4a31", "0x1d2e", "0x1a62", "0x4a31", "0x1d2e", "2", "1"]


@needs_tshark
def test_tshark_decodes_metering_attributes(capture: tuple[Path, Path]) -> None:
    rows = _fields(
        capture,
        "zbee_zcl_se.met.attr_id",
        "zbee_zcl.attr.uint48",
        "zbee_zcl.attr.int24",
    )
    assert rows[0] == ["0x0000,0x0400", "", ""]
    assert rows[1] == ["0x0000,0x0400", "123456789012", "-1234"]
    text = tshark(*capture, "-V", "-Y", "frame.number == 2")
    assert "Attribute: Current Summation Delivered (0x0000)" in text
    assert "Attribute: Instantaneous Demand (0x0400)" in text
    assert "Data Type: 48-Bit Unsigned Integer (0x25)" in text


@needs_tshark
def test_tshark_decodes_price(capture: tuple[Path, Path]) -> None:
    rows = _fields(
        capture,
        "zbee_zcl_se.price.cmd.srv_rx.id",
        "zbee_zcl_se.price.cmd.srv_tx.id",
        "zbee_zcl_se.price.command_options",
        "zbee_zcl_se.price.provider_id",
        "zbee_zcl_se.price.rate_label",
        "zbee_zcl_se.price.issuer_event_id",
        "zbee_zcl_se.price.currency",
        "zbee_zcl_se.price.tier",
        "zbee_zcl_se.price.trailing_digit",
        "zbee_zcl_se.price.register_tier",
        "zbee_zcl_se.price.number_of_price_tiers",
        "zbee_zcl_se.price.price",
        "zbee_zcl_se.price.start_time",
        "zbee_zcl_se.price.current_time",
        "zbee_zcl_se.price.extended_register_tier",
    )
    assert rows[2][:3] == ["0x00", "", "0x01"]
    assert rows[3] == [
        "",
        "0x00",
        "",
        "66",
        "Day rate",
        "263",
        "0x033a",  # 826, GBP
        "0x01",
        "0x05",
        "0x01",
        "0x02",
        "24530",
        "2026-01-15T11:00:00.000000000Z",
        "2026-01-15T12:00:00.000000000Z",
        "0x00",
    ]


@needs_tshark
def test_tshark_decodes_prepayment_events_and_messaging(
    capture: tuple[Path, Path],
) -> None:
    rows = _fields(
        capture,
        "zbee_zcl_se.pp.cmd.srv_rx.id",
        "zbee_zcl_se.pp.consumer_top_up.originating_device",
        "zbee_zcl_se.pp.consumer_top_up.top_up_code",
        "zbee_zcl_se.pp.cmd.srv_tx.id",
        "zbee_zcl_se.pp.consumer_top_up_response.result_type",
        "zbee_zcl_se.pp.consumer_top_up_response.top_up_value",
        "zbee_zcl_se.pp.consumer_top_up_response.source_of_top_up",
        "zbee_zcl_se.pp.consumer_top_up_response.credit_remaining",
        "zbee_zcl_se.events.cmd.srv_tx.id",
        "zbee_zcl_se.events.publish_event.log_id",
        "zbee_zcl_se.events.publish_event.event_id",
        "zbee_zcl_se.events.publish_event.event_time",
        "zbee_zcl_se.events.publish_event.event_data",
        "zbee_zcl_se.msg.cmd.srv_tx.id",
        "zbee_zcl_se.msg.message.id",
        "zbee_zcl_se.msg.message.ctrl.confirm",
        "zbee_zcl_se.msg.message.duration",
        "zbee_zcl_se.msg.message",
    )
    code = TOP_UP_CODE.hex(":")
    assert rows[4][:3] == ["0x04", "2", code]
    assert rows[5][3:8] == ["0x03", "0", "2000", "2", "2550"]
    assert rows[6][8:13] == [
        "0x00",
        "0x01",
        "0x8f74",
        "2026-01-15T12:01:00.000000000Z",
        "ab:cd",
    ]
    assert rows[7][13:] == ["0x00", "0x00001001", "True", "60", MESSAGE]


@needs_tshark
def test_tshark_decodes_profile(capture: tuple[Path, Path]) -> None:
    rows = _fields(
        capture,
        "zbee_zcl_se.met.cmd.srv_rx.id",
        "zbee_zcl_se.met.get_profile.interval_channel",
        "zbee_zcl_se.met.get_profile.end_time",
        "zbee_zcl_se.met.get_profile.number_of_periods",
        "zbee_zcl_se.met.cmd.srv_tx.id",
        "zbee_zcl_se.met.get_profile_response.status",
        "zbee_zcl_se.met.get_profile_response.profile_interval_period",
        "zbee_zcl_se.met.get_profile_response.number_of_periods_delivered",
        "zbee_zcl_se.met.get_profile_response.intervals",
    )
    assert rows[8][:4] == ["0x00", "0", "2026-01-15T12:00:00.000000000Z", "3"]
    assert rows[9][4:] == ["0x00", "0x00", "2", "3", "250,312,198"]


@needs_tshark
def test_tshark_would_flag_a_malformed_frame(tmp_path: Path) -> None:
    # The clean-decode checks above are not vacuous: a PublishPrice cut short
    # is reported as malformed by the same tshark command.
    path = tmp_path / "short.pcap"
    _write_capture(path, (Frame(ESME, CAD, PRICE, _publish_price()[:20], ""),))
    flagged = tshark(path, tmp_path / "config", "-Y", "_ws.malformed or _ws.expert")
    assert flagged.strip()


@needs_tshark
def test_tshark_decodes_a_frame_longer_than_a_phy_packet(tmp_path: Path) -> None:
    # 17 hours of half-hourly intervals: too long for one 802.15.4 frame, which
    # a real stack would fragment; the writer keeps it whole and it still decodes.
    intervals = range(1000, 1034)
    zcl = _zcl(
        CLUSTER_TO_CLIENT,
        0x27,
        0x00,
        _utc(T0)
        + bytes((0x00, 0x02, len(intervals)))
        + b"".join(_uint(v, 3) for v in intervals),
    )
    path = tmp_path / "long.pcap"
    _write_capture(path, (Frame(ESME, CAD, METERING, zcl, ""),))
    _, records = _read_pcap(path)
    assert len(records[0][2]) > MAX_PHY_PACKET_SIZE
    config = tmp_path / "config"
    assert tshark(path, config, "-Y", "_ws.malformed or _ws.expert") == ""
    rows = tshark(
        path,
        config,
        "-T",
        "fields",
        "-e",
        "wpan.fcs_ok",
        "-E",
        "occurrence=a",
        "-e",
        "zbee_zcl_se.met.get_profile_response.intervals",
    )
    assert rows == "True\t" + ",".join(map(str, intervals)) + "\n"
