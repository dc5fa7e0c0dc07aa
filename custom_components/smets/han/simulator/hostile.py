"""Hostile frames: what a forged, broken or confused sender can put on the HAN.

The fuzz tests (``tests/han/test_fuzz_frames.py``) and the benchmark's fuzz
section (:func:`.bench.fuzz`) draw from here. Every frame is one the library
must drop or ignore: it must cost nothing, raise nothing into the event loop
and change no state (no event, no reading, no cached attribute). So nothing
here is a well-formed server-to-client command from a paired meter (that is a
real push, and a push is allowed to change state); everything else is fair:

* ``truncated``: a ZCL header cut short (0 to 4 bytes, manufacturer-specific
  headers included), or a Report Attributes whose last record is cut;
* ``wrong_direction``: client-to-server cluster commands (GetEventLog,
  MessageConfirmation, ... with any payload) and client-to-server Report
  Attributes, from a paired meter;
* ``wrong_type``: a Report Attributes giving a defined attribute a value of
  another ZCL type (or an array, a structure);
* ``oversized``: an octet-string attribute given a large integer (zigpy would
  allocate that many bytes: 0x40000000 is a gigabyte), a string longer than
  its attribute allows, an integer too wide for its attribute;
* ``unknown_attribute``: reports of attribute ids no cluster here defines;
* ``unknown_device``: anything at all, from a network address nobody has.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
import random
from typing import Any, Final

import zigpy.types as t

from custom_components.smets.han import clusters as c

_t: Any = t  # zigpy's integer types are untyped constructors

__all__ = [
    "KINDS",
    "Source",
    "frames",
    "packet",
    "report",
    "zcl",
]

GLOBAL_TO_CLIENT: Final = 0x18
"""Frame control: foundation command, server -> client, no default response."""
GLOBAL_TO_SERVER: Final = 0x10
CLUSTER_TO_SERVER: Final = 0x11
REPORT_ATTRIBUTES: Final = 0x0A

CLUSTERS: Final = (0x0700, 0x0702, 0x0703, 0x0705, 0x0708, 0x0709, 0x0800)
"""The Smart Energy clusters a meter serves here."""

KINDS: Final = (
    "truncated",
    "wrong_direction",
    "wrong_type",
    "oversized",
    "unknown_attribute",
    "unknown_device",
)

_INTEGERS: Final = {
    0x20: 1,
    0x21: 2,
    0x22: 3,
    0x23: 4,
    0x25: 6,
    0x27: 8,
    0x2A: 3,
    0x2B: 4,
    0x30: 1,
    0x18: 1,
    0xE2: 4,
}
"""Integer ZCL types and their widths."""
_COLLECTIONS: Final = (0x48, 0x4C, 0x50, 0x51)
"""Array, structure, set, bag."""


@dataclass(frozen=True, slots=True)
class Source:
    """Where a hostile frame comes from: a network address and an endpoint."""

    nwk: int
    endpoint: int
    paired: bool


def zcl(control: int, tsn: int, command: int, payload: bytes = b"") -> bytes:
    """Return a ZCL frame (no manufacturer code)."""
    return bytes((control, tsn & 0xFF, command)) + payload


def report(
    records: Sequence[tuple[int, int, bytes]], *, control: int = GLOBAL_TO_CLIENT
) -> bytes:
    """Return a Report Attributes of (attribute id, ZCL type, value bytes) records."""
    payload = b"".join(
        attr_id.to_bytes(2, "little") + bytes((type_id,)) + value
        for attr_id, type_id, value in records
    )
    return zcl(control, 0x42, REPORT_ATTRIBUTES, payload)


def packet(
    source: Source,
    cluster: int,
    data: bytes,
    *,
    dst_nwk: int,
    dst_ep: int = 1,
    profile: int = c.SE_PROFILE_ID,
) -> t.ZigbeePacket:
    """Return the frame as the radio hands it to zigpy's ``packet_received``."""
    return t.ZigbeePacket(
        src=t.AddrModeAddress(addr_mode=t.AddrMode.NWK, address=_t.NWK(source.nwk)),
        src_ep=_t.uint8_t(source.endpoint),
        dst=t.AddrModeAddress(addr_mode=t.AddrMode.NWK, address=_t.NWK(dst_nwk)),
        dst_ep=_t.uint8_t(dst_ep),
        profile_id=_t.uint16_t(profile),
        cluster_id=_t.uint16_t(cluster),
        data=t.SerializableBytes(data),
        lqi=_t.uint8_t(200),
        rssi=_t.int8s(-48),
    )


def _attributes(cluster: int) -> list[tuple[int, object]]:
    cls = c.HAN_CLUSTERS[cluster]
    return [(int(a.id), a.type) for a in cls.attributes.values()]


def _strings(cluster: int) -> list[tuple[int, int]]:
    """(attribute id, longest length) of the cluster's bounded octet strings."""
    found = []
    for attr_id, attr_type in _attributes(cluster):
        max_len = getattr(attr_type, "_max_len", None)
        if isinstance(max_len, int):
            found.append((attr_id, max_len))
    return found


def _integer(rng: random.Random, type_id: int, value: int | None = None) -> bytes:
    width = _INTEGERS[type_id]
    if value is None:
        value = rng.getrandbits(8 * width)
    return value.to_bytes(width, "little")


def _truncated(rng: random.Random) -> tuple[int, bytes]:
    cluster = rng.choice(CLUSTERS)
    header = bytes(rng.getrandbits(8) for _ in range(5))
    if rng.random() < 0.3:
        # A manufacturer-specific header needs 5 bytes
        return cluster, bytes((header[0] | 0x04,)) + header[1 : rng.randint(1, 4)]
    if rng.random() < 0.3:
        # A report whose record stops in its value
        whole = report([(0x0000, 0x25, bytes(6))])
        return 0x0702, whole[: rng.randint(4, len(whole) - 1)]
    return cluster, header[: rng.randint(0, 2)]


def _wrong_direction(rng: random.Random) -> tuple[int, bytes]:
    cluster = rng.choice(CLUSTERS)
    payload = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 24)))
    if rng.random() < 0.3:
        return 0x0702, report(
            [(0x0000, 0x25, _integer(rng, 0x25))], control=GLOBAL_TO_SERVER
        )
    return cluster, zcl(
        CLUSTER_TO_SERVER, rng.getrandbits(8), rng.randint(0, 8), payload
    )


def _wrong_type(rng: random.Random) -> tuple[int, bytes]:
    cluster = rng.choice((0x0700, 0x0702, 0x0705, 0x0708))
    attr_id, attr_type = rng.choice(_attributes(cluster))
    if isinstance(attr_type, type) and issubclass(attr_type, int):
        if rng.random() < 0.5:
            value = rng.randbytes(rng.randint(0, 40))
            record = (attr_id, rng.choice((0x41, 0x42)), bytes((len(value),)) + value)
        else:
            count = rng.randint(0, 3000)
            record = (
                attr_id,
                rng.choice(_COLLECTIONS),
                b"\x00" + count.to_bytes(2, "little"),
            )
    else:
        type_id = rng.choice(list(_INTEGERS))
        record = (attr_id, type_id, _integer(rng, type_id))
    return cluster, report([record])


def _oversized(rng: random.Random) -> tuple[int, bytes]:
    cluster = rng.choice((0x0700, 0x0705, 0x0708))
    attr_id, max_len = rng.choice(_strings(cluster))
    choice = rng.random()
    if choice < 0.5:
        value = rng.choice((0x40000000, 0xFFFFFFFF, rng.getrandbits(32)))
        return cluster, report([(attr_id, 0x23, _integer(rng, 0x23, value))])
    if choice < 0.8:
        text = rng.randbytes(rng.randint(max_len + 1, 255))
        return cluster, report([(attr_id, 0x41, bytes((len(text),)) + text)])
    # Metering's uint8 / enum8 attributes given 8-byte integers
    return 0x0702, report([(0x0300, 0x27, _integer(rng, 0x27, (1 << 64) - 2))])


def _unknown_attribute(rng: random.Random) -> tuple[int, bytes]:
    cluster = rng.choice(CLUSTERS)
    known = {attr_id for attr_id, _ in _attributes(cluster)}
    attr_id = rng.choice([a for a in range(0x8000, 0x8100) if a not in known])
    type_id = rng.choice(list(_INTEGERS))
    return cluster, report([(attr_id, type_id, _integer(rng, type_id))])


def _anything(rng: random.Random) -> tuple[int, bytes]:
    return rng.choice(CLUSTERS), rng.randbytes(rng.randint(0, 48))


_MAKERS: Final = {
    "truncated": _truncated,
    "wrong_direction": _wrong_direction,
    "wrong_type": _wrong_type,
    "oversized": _oversized,
    "unknown_attribute": _unknown_attribute,
    "unknown_device": _anything,
}


def frames(
    rng: random.Random,
    count: int,
    *,
    paired: Sequence[Source],
    unknown: Sequence[Source],
    dst_nwk: int,
    kinds: Sequence[str] = KINDS,
) -> Iterator[tuple[str, t.ZigbeePacket]]:
    """Yield ``count`` hostile frames, (kind, packet), drawn from ``rng`` by kind in turn."""
    for index in range(count):
        kind = kinds[index % len(kinds)]
        cluster, data = _MAKERS[kind](rng)
        source = rng.choice(unknown if kind == "unknown_device" else paired)
        yield kind, packet(source, cluster, data, dst_nwk=dst_nwk)
