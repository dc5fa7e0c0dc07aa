"""Write the frames that cross a Zigbee radio to a pcap file Wireshark decodes.

Each application frame (a ZCL payload sent from one endpoint to another) is
wrapped in the headers it would carry on air, so Wireshark and tshark decode it
down to the ZigBee Smart Energy cluster and command:

* IEEE 802.15.4 MAC data frame: frame control 0x8861 or 0x8841 (data, ack
  request for unicast only, PAN ID compression, 2003 frame version, short
  destination and source addresses), sequence number, PAN id, destination and
  source short addresses (the NWK addresses: every frame is one hop), and a
  CRC-16/KERMIT frame check sequence;
* ZigBee NWK header: frame control 0x0008 (data frame, protocol version 2,
  route discovery suppressed, **security off**), destination and source NWK
  addresses, radius and NWK sequence number;
* ZigBee APS header: frame control 0x00 (data frame, unicast delivery, no
  security, no ack request), destination endpoint, cluster id, profile id,
  source endpoint and APS counter;
* the ZCL bytes exactly as given.

A real HAN encrypts every frame at the NWK layer (and ZSE adds APS link-key
security), which Wireshark can only undo when given the keys. These frames are
written unsecured instead, so no key or NWK security preference is needed.

The file is a classic libpcap file (microsecond timestamps, little-endian) with
link type ``LINKTYPE_IEEE802_15_4_WITHFCS`` (195); each record holds the whole
MAC frame including its two-byte FCS. Wireshark's defaults decode it: the FCS is
checked as a 16-bit ITU-T CRC (preference ``wpan.fcs_format``, default
"ITU-T CRC16") and the ZigBee NWK dissector claims the frames by heuristic.
Reproduce with (tshark 4.x; tested with 4.6)::

    tshark -n -r capture.pcap                  # one line a frame
    tshark -n -r capture.pcap -V -Y zbee_zcl   # every field
    tshark -n -r capture.pcap -Y "_ws.malformed or _ws.expert"  # prints nothing
    tshark -n -r capture.pcap -T fields -e wpan.fcs_ok -e _ws.col.info

No ``-o`` option, decode-as rule, key or ZigBee preference is needed (the tests
run tshark with an empty ``WIRESHARK_CONFIG_DIR``). Wireshark 4.6 quirks seen
when reading such captures, not faults of the frames: it shows the Metering
GetProfileResponse end time 30 years early (without the 2000 epoch of ZigBee
UTC time) and a Messaging start time of 0 ("now") as 1970-01-01.

A frame larger than an IEEE 802.15.4 PHY packet (127 bytes with the FCS) is
still written whole: a real stack would fragment it at the APS layer, which
this writer does not model; Wireshark decodes it all the same.

The writer does blocking file I/O: from asyncio code call it in an executor.
Pure standard library, no zigpy and no Home Assistant.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, BinaryIO, Self

if TYPE_CHECKING:
    from os import PathLike
    from types import TracebackType

__all__ = [
    "DEFAULT_PAN_ID",
    "DEFAULT_RADIUS",
    "LINKTYPE_IEEE802_15_4_WITHFCS",
    "MAX_PHY_PACKET_SIZE",
    "PROFILE_SMART_ENERGY",
    "PcapWriter",
    "crc16_kermit",
    "frame_bytes",
]

LINKTYPE_IEEE802_15_4_WITHFCS = 195
"""pcap link type: IEEE 802.15.4 MAC frames followed by a 16-bit FCS."""

PROFILE_SMART_ENERGY = 0x0109
"""The ZigBee Smart Energy application profile id."""

DEFAULT_PAN_ID = 0x1A62
"""The PAN id written when the caller gives none (any value decodes)."""

DEFAULT_RADIUS = 30
"""The NWK radius written in every frame (2 x a typical maximum depth)."""

MAX_PHY_PACKET_SIZE = 127
"""aMaxPHYPacketSize: the largest IEEE 802.15.4 frame (FCS included), bytes."""

_BROADCAST = 0xFFFF
# MAC frame control: data frame (1), PAN ID compression (bit 6), short
# destination address (mode 2 in bits 10-11), frame version 2003 (bits 12-13
# zero), short source address (mode 2 in bits 14-15). Ack request is bit 5.
_MAC_FC = 0x0001 | 0x0040 | (2 << 10) | (2 << 14)
_MAC_FC_ACK_REQUEST = 0x0020
# NWK frame control: data frame (0), protocol version 2 in bits 2-5, discover
# route 0 (suppress), no multicast, security off, no source route, no IEEE
# addresses.
_NWK_FC = 2 << 2
# APS frame control: data frame (0), unicast delivery (0), no security, no ack
# request, no extended header. Broadcast delivery is mode 2 in bits 2-3.
_APS_FC = 0x00
_APS_FC_BROADCAST = 2 << 2
_NWK_BROADCASTS = range(0xFFF8, 0x10000)
"""NWK broadcast addresses (0xFFFD receiver-on-when-idle, 0xFFFC routers ...):
sent on the MAC to 0xFFFF, with no ack, as APS broadcasts (Zigbee spec 3.6.5)."""

_PCAP_MAGIC = 0xA1B2C3D4
_PCAP_VERSION = (2, 4)
_PCAP_SNAPLEN = 65535
_PCAP_HEADER = struct.Struct("<IHHiIII")
_RECORD_HEADER = struct.Struct("<IIII")
_MAC_HEADER = struct.Struct("<HBHHH")
_NWK_HEADER = struct.Struct("<HHHBB")
_APS_HEADER = struct.Struct("<BBHHBB")


def crc16_kermit(data: bytes) -> int:
    """Return the IEEE 802.15.4 FCS of ``data``: CRC-16/KERMIT.

    That is the ITU-T polynomial 0x1021, bit-reflected, initial value 0 and no
    final XOR; it is sent least significant byte first.
    """
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc


def _check(name: str, value: int, bits: int) -> None:
    """Raise ValueError unless ``value`` fits in an unsigned ``bits``-bit field."""
    if not 0 <= value < 1 << bits:
        msg = f"{name} must be a uint{bits}, got {value!r}"
        raise ValueError(msg)


def frame_bytes(  # noqa: PLR0917 - the frame's fields, in the order they are sent
    src_nwk: int,
    dst_nwk: int,
    src_ep: int,
    dst_ep: int,
    profile: int,
    cluster: int,
    zcl: bytes,
    *,
    pan_id: int = DEFAULT_PAN_ID,
    mac_seq: int = 0,
    nwk_seq: int = 0,
    aps_counter: int = 0,
    radius: int = DEFAULT_RADIUS,
) -> bytes:
    """Return the IEEE 802.15.4 frame, FCS included, that carries ``zcl``.

    ``src_nwk`` and ``dst_nwk`` are the ZigBee short (NWK) addresses; they are
    also the MAC addresses, as if every frame went one hop. A NWK broadcast
    (0xFFF8-0xFFFF) is an APS broadcast sent to MAC 0xFFFF without an ack
    request; every other frame asks for one.
    Raises ValueError when a number does not fit its field.
    """
    for name, value, bits in (
        ("src_nwk", src_nwk, 16),
        ("dst_nwk", dst_nwk, 16),
        ("src_ep", src_ep, 8),
        ("dst_ep", dst_ep, 8),
        ("profile", profile, 16),
        ("cluster", cluster, 16),
        ("pan_id", pan_id, 16),
        ("mac_seq", mac_seq, 8),
        ("nwk_seq", nwk_seq, 8),
        ("aps_counter", aps_counter, 8),
        ("radius", radius, 8),
    ):
        _check(name, value, bits)
    broadcast = dst_nwk in _NWK_BROADCASTS
    mac_fc = _MAC_FC if broadcast else _MAC_FC | _MAC_FC_ACK_REQUEST
    mac_dst = _BROADCAST if broadcast else dst_nwk
    aps_fc = _APS_FC_BROADCAST if broadcast else _APS_FC
    body = b"".join(
        (
            _MAC_HEADER.pack(mac_fc, mac_seq, pan_id, mac_dst, src_nwk),
            _NWK_HEADER.pack(_NWK_FC, dst_nwk, src_nwk, radius, nwk_seq),
            _APS_HEADER.pack(aps_fc, dst_ep, cluster, profile, src_ep, aps_counter),
            bytes(zcl),
        )
    )
    return body + crc16_kermit(body).to_bytes(2, "little")


class PcapWriter:
    """Write ZCL frames to a pcap file as unsecured Zigbee 802.15.4 frames.

    Opening truncates ``path`` and writes the pcap header; each `write` appends
    one frame and flushes, so a capture can be read while it grows. Use it as a
    context manager, or call `close`. The MAC and NWK sequence numbers count up
    from 0 per writer (wrapping at 256), as does the APS counter unless the
    caller gives one.
    """

    def __init__(self, path: str | PathLike[str]) -> None:
        """Create (or truncate) the file at ``path`` and write the pcap header."""
        self._file: BinaryIO | None = open(path, "wb")  # noqa: SIM115
        self._frames = 0
        self._aps_counter = 0
        self._file.write(
            _PCAP_HEADER.pack(
                _PCAP_MAGIC,
                *_PCAP_VERSION,
                0,
                0,
                _PCAP_SNAPLEN,
                LINKTYPE_IEEE802_15_4_WITHFCS,
            )
        )
        self._file.flush()

    @property
    def frames(self) -> int:
        """The number of frames written so far."""
        return self._frames

    @property
    def closed(self) -> bool:
        """Whether the writer has been closed."""
        return self._file is None

    def write(  # noqa: PLR0917 - the frame's fields, in the order they are sent
        self,
        timestamp: float,
        src_nwk: int,
        dst_nwk: int,
        src_ep: int,
        dst_ep: int,
        profile: int,
        cluster: int,
        zcl: bytes,
        pan_id: int = DEFAULT_PAN_ID,
        aps_counter: int | None = None,
    ) -> None:
        """Append one frame carrying ``zcl``, stamped ``timestamp`` (Unix seconds).

        ``aps_counter`` defaults to the writer's own counter. Raises ValueError
        when the writer is closed, the timestamp is negative or out of the pcap
        range, or a number does not fit its field (nothing is written then).
        """
        if self._file is None:
            msg = "write to a closed PcapWriter"
            raise ValueError(msg)
        seconds, micros = divmod(round(timestamp * 1_000_000), 1_000_000)
        _check("timestamp", seconds, 32)
        seq = self._frames & 0xFF
        frame = frame_bytes(
            src_nwk,
            dst_nwk,
            src_ep,
            dst_ep,
            profile,
            cluster,
            zcl,
            pan_id=pan_id,
            mac_seq=seq,
            nwk_seq=seq,
            aps_counter=self._aps_counter if aps_counter is None else aps_counter,
        )
        if aps_counter is None:
            self._aps_counter = (self._aps_counter + 1) & 0xFF
        self._file.write(
            _RECORD_HEADER.pack(seconds, micros, len(frame), len(frame)) + frame
        )
        self._file.flush()
        self._frames += 1

    def close(self) -> None:
        """Close the file; closing again does nothing."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> Self:
        """Return the writer itself."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the file."""
        self.close()
