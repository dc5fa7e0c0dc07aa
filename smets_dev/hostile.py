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

import asyncio
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
import itertools
import random
import time
from typing import Any, Final

import zigpy.types as t

from custom_components.smets.han import clusters as c
from custom_components.smets.han.link import HanLink, SmartEnergyDevice
from custom_components.smets.han.simulator.app import CAD_ENDPOINT, HanSimulator

_t: Any = t  # zigpy's integer types are untyped constructors

__all__ = [
    "KINDS",
    "FuzzRun",
    "Source",
    "frames",
    "fuzz",
    "packet",
    "report",
    "snapshot",
    "sources",
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
    dst_ep: int = CAD_ENDPOINT,
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


# --- a fuzz run on the simulator ------------------------------------------------------

UNKNOWN_NWKS: Final = (0x7777, 0x1234, 0xFFF0)
"""Network addresses no device on the simulated HAN has."""


def sources(link: HanLink) -> tuple[list[Source], list[Source]]:
    """Return the paired meters' endpoints, and sources nobody paired."""
    paired = [
        Source(int(meter.nwk), meter.endpoint.endpoint_id, paired=True)
        for meter in (link.esme, link.gas, link.hub)
    ]
    unknown = [Source(nwk, 1, paired=False) for nwk in UNKNOWN_NWKS]
    return paired, unknown


def _caches(link: HanLink) -> dict[tuple[str, int, int, bool], dict[Any, Any]]:
    """Return what zigpy cached of every cluster of the meters' devices."""
    found: dict[tuple[str, int, int, bool], dict[Any, Any]] = {}
    for device in link.app.devices.values():
        if not isinstance(device, SmartEnergyDevice):
            continue
        for endpoint_id, endpoint in device.endpoints.items():
            if endpoint_id == 0:
                continue
            for server, group in (
                (True, endpoint.in_clusters),
                (False, endpoint.out_clusters),
            ):
                for cluster_id, cluster in group.items():
                    cache: Any = cluster._attr_cache  # noqa: SLF001 - what zigpy keeps
                    values = {
                        key: item.value
                        for key, item in {
                            **cache._cache,  # noqa: SLF001
                            **cache._legacy_cache,  # noqa: SLF001
                        }.items()
                    }
                    found[str(device.ieee), endpoint_id, cluster_id, server] = values
    return found


async def snapshot(link: HanLink) -> dict[str, object]:
    """Everything a frame could change: readings, kept state, zigpy's caches."""
    esme, gas = link.esme, link.gas
    return {
        "esme": await esme.poll(),
        "gas": await gas.poll(),
        "price_event": esme.price_event,
        "tiers": esme.tiers,
        "active_tier": esme.active_tier,
        "static": {
            meter.role: {k: dict(v) for k, v in meter._static.items()}  # noqa: SLF001
            for meter in (esme, gas, link.hub)
        },
        "unsupported": [set(m.unsupported) for m in (esme, gas, link.hub)],
        "gas_price": dict(gas.price_attributes),
        "caches": _caches(link),
        "devices": {str(ieee): int(d.nwk) for ieee, d in link.app.devices.items()},
    }


@dataclass(slots=True)
class FuzzRun:
    """What a fuzz run measured."""

    frames: int = 0
    seconds: float = 0.0
    """Wall time the loop spent on the frames (and on what zigpy did about them)."""
    loop_exceptions: int = 0
    """Exceptions that reached the event loop, or that zigpy raised and the link caught."""
    events: int = 0
    """Events the meters emitted (must be 0)."""
    state_unchanged: bool = True
    kinds: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    """The link's drop counts, summed over the meters' devices."""


BATCH: Final = 256
"""Frames handed to the loop at once, as a radio's callbacks queue them."""


async def fuzz(count: int, *, seed: int = 0) -> FuzzRun:
    """Hand ``count`` hostile frames to a link on the simulator, as the radio would.

    Every frame is queued on the event loop (``call_soon``, where a radio's
    callbacks run) and handled there; what reaches the loop's exception
    handler is counted. The meters' state is compared before and after.
    """
    run = FuzzRun()
    sim = HanSimulator(seed=seed)
    link = await HanLink.open(await sim.start(), clock=sim.clock.time)
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()

    def handler(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        run.loop_exceptions += 1

    seen: list[object] = []
    try:
        await link.esme.poll_price()
        await link.gas.poll_price()
        before = await snapshot(link)
        for meter in (link.esme, link.gas, link.hub):
            meter.subscribe(seen.append)
        paired, unknown = sources(link)
        cad = int(link.app.state.node_info.nwk)
        loop.set_exception_handler(handler)
        rng = random.Random(seed)  # noqa: S311 - a seeded fuzz, not a secret
        drawn = frames(rng, count, paired=paired, unknown=unknown, dst_nwk=cad)
        for _ in range(0, count, BATCH):
            # Drawn before the clock starts: the figure is the handling, not the making
            batch = list(itertools.islice(drawn, BATCH))
            run.kinds.update(kind for kind, _ in batch)
            started = time.perf_counter()
            for _, frame in batch:
                loop.call_soon(link.app.packet_received, frame)
            await sim.settle()
            run.seconds += time.perf_counter() - started
        run.frames = count
        loop.set_exception_handler(previous)
        after = await snapshot(link)
        run.state_unchanged = after == before
        run.events = len(seen)
        for device in link.app.devices.values():
            if isinstance(device, SmartEnergyDevice):
                run.dropped.update(device.dropped)
        run.loop_exceptions += run.dropped["zigpy_raised"]
    finally:
        loop.set_exception_handler(previous)
        await link.close()
    return run
