"""Fuzzing every incoming frame path: hostile frames cost nothing and change nothing.

Frames reach the library the way a radio hands them over: queued on the
event loop (``call_soon``) into zigpy's ``ControllerApplication.packet_received``,
from the paired meters (each endpoint, Smart Energy and Home Automation
profiles, ZCL and ZDO) and from network addresses nobody paired. What hypothesis
draws is hostile by construction (see :mod:`smets_dev.hostile`): truncated,
the wrong direction, wrong types, oversized values, unknown attributes, and
anything at all from an unknown device. A well-formed server-to-client command
from a paired meter is a real push and may change state, so it is never drawn.

After every run: no exception reached the loop (nor zigpy, behind the link),
no event was emitted, and the meters' snapshot (readings, kept state, zigpy's
attribute caches, the device table) is what it was.

Reproducible and bounded like ``test_fuzz_model.py`` (derandomized, no example
database, a fixed number of examples).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import random
from typing import Any

from hypothesis import given, strategies as st
import pytest
import zigpy.types as t

from custom_components.smets.han import clusters as c
from custom_components.smets.han.link import HanLink, SmartEnergyDevice
from custom_components.smets.han.simulator import HanSimulator
from smets_dev import hostile

from .test_fuzz_model import FUZZ

_SE_CLUSTERS = sorted(c.HAN_CLUSTERS)
_CLUSTERS = st.one_of(
    st.sampled_from([*_SE_CLUSTERS, 0x0000, 0x000A, 0x0019]), st.integers(0, 0xFFFF)
)
_PROFILES = st.sampled_from([c.SE_PROFILE_ID, 0x0104, 0xC05E])

_INTEGER_ATTRS = {
    cid: [a for a in cls.attributes.values() if issubclass(a.type, int)]
    for cid, cls in c.HAN_CLUSTERS.items()
}
_OTHER_ATTRS = {
    cid: [a for a in cls.attributes.values() if not issubclass(a.type, int)]
    for cid, cls in c.HAN_CLUSTERS.items()
}
_STRING_AND_COLLECTION = [0x41, 0x42, 0x43, 0x44, 0x48, 0x4C, 0x50, 0x51, 0x00]


@st.composite
def _bad_record(draw: st.DrawFn, cluster: int) -> bytes:
    """One Report Attributes record that its attribute cannot take."""
    integers, others = _INTEGER_ATTRS[cluster], _OTHER_ATTRS[cluster]
    if integers and (not others or draw(st.booleans())):
        attr = draw(st.sampled_from(integers))
        type_id = draw(st.sampled_from(_STRING_AND_COLLECTION))
    elif others:
        attr = draw(st.sampled_from(others))
        type_id = draw(st.integers(0, 0xFF).filter(lambda v: v != attr.zcl_type))
    else:
        attr_id = draw(st.integers(0xF000, 0xFFFF))
        return attr_id.to_bytes(2, "little") + draw(st.binary(max_size=12))
    value = draw(st.binary(max_size=40))
    return int(attr.id).to_bytes(2, "little") + bytes((type_id,)) + value


@st.composite
def _from_paired(draw: st.DrawFn) -> tuple[int, int, bytes]:
    """(cluster, profile, data): hostile frames a paired meter can send."""
    how = draw(st.sampled_from(["seeded", "short", "to_server", "reserved", "report"]))
    profile = draw(_PROFILES)
    if how == "seeded":
        rng = random.Random(draw(st.integers(0, 2**32)))
        kind = draw(
            st.sampled_from([k for k in hostile.KINDS if k != "unknown_device"])
        )
        (_, frame), *_ = hostile.frames(
            rng,
            1,
            paired=[hostile.Source(0, 1, True)],
            unknown=[],
            dst_nwk=0,
            kinds=[kind],
        )
        return int(frame.cluster_id), profile, frame.data.serialize()
    cluster = draw(_CLUSTERS)
    if how == "short":
        control = draw(st.integers(0, 0xFF))
        size = 4 if control & 0x04 else 2
        return cluster, profile, bytes((control,)) + draw(st.binary(max_size=size - 1))
    if how == "to_server":
        control = draw(st.integers(0, 0xFF)) & ~0x08  # client -> server
        return cluster, profile, bytes((control,)) + draw(st.binary(max_size=60))
    if how == "reserved":
        control = draw(st.integers(0, 0xFF)) | 0x02  # frame type 2 or 3
        return cluster, profile, bytes((control,)) + draw(st.binary(max_size=60))
    cluster = draw(st.sampled_from([0x0700, 0x0702, 0x0705, 0x0708]))
    records = draw(st.lists(_bad_record(cluster), min_size=1, max_size=4))
    return cluster, profile, hostile.zcl(0x18, 1, 0x0A, b"".join(records))


class _Harness:
    """A link on the simulator, its loop, and what reached the loop or the callbacks."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.sim = HanSimulator(seed=11)
        self.link: HanLink = self.loop.run_until_complete(self._open())
        self.loop_errors: list[dict[str, Any]] = []
        self.events: list[object] = []
        self.before = self.run(hostile.snapshot(self.link))
        for meter in (self.link.esme, self.link.gas, self.link.hub):
            meter.subscribe(self.events.append)
        self.loop.set_exception_handler(lambda _l, ctx: self.loop_errors.append(ctx))
        self.paired, self.unknown = hostile.sources(self.link)
        self.cad = int(self.link.app.state.node_info.nwk)

    async def _open(self) -> HanLink:
        link = await HanLink.open(await self.sim.start(), clock=self.sim.clock.time)
        await link.esme.poll_price()
        await link.gas.poll_price()
        return link

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def deliver(self, packet: t.ZigbeePacket) -> None:
        """Queue a frame where a radio's callback runs, and let the loop handle it."""
        self.loop.call_soon(self.link.app.packet_received, packet)
        self.run(self.sim.settle())

    def dropped(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for device in self.link.app.devices.values():
            if isinstance(device, SmartEnergyDevice):
                for reason, count in device.dropped.items():
                    total[reason] = total.get(reason, 0) + count
        return total

    def check_and_close(self) -> None:
        try:
            assert self.loop_errors == []
            assert self.events == []
            assert self.dropped().get("zigpy_raised", 0) == 0
            self.loop.set_exception_handler(None)
            assert self.run(hostile.snapshot(self.link)) == self.before
        finally:
            self.run(self.link.close())
            self.loop.close()


@pytest.fixture
def harness() -> Iterator[_Harness]:
    """A link on its own event loop (hypothesis drives a plain function)."""
    made = _Harness()
    yield made
    made.check_and_close()


def test_hostile_frames_from_paired_meters(harness: _Harness) -> None:
    @FUZZ
    @given(
        source=st.sampled_from(harness.paired),
        frame=_from_paired(),
        endpoint=st.one_of(st.none(), st.integers(0, 0xFF)),
    )
    def deliver(
        source: hostile.Source, frame: tuple[int, int, bytes], endpoint: int | None
    ) -> None:
        cluster, profile, data = frame
        if endpoint is not None and endpoint != 0:
            source = hostile.Source(source.nwk, endpoint, True)
        harness.deliver(
            hostile.packet(source, cluster, data, dst_nwk=harness.cad, profile=profile)
        )

    deliver()
    assert sum(harness.dropped().values()) > 0


def test_empty_zdo_frames_from_paired_meters(harness: _Harness) -> None:
    for source in harness.paired:
        zdo = hostile.Source(source.nwk, 0, True)
        for cluster in (0x0000, 0x0005, 0x8004, 0x8005):
            harness.deliver(
                hostile.packet(
                    zdo, cluster, b"", dst_nwk=harness.cad, dst_ep=0, profile=0
                )
            )
    assert harness.dropped() == {"truncated": 4 * len(harness.paired)}


def test_anything_from_unknown_devices(harness: _Harness) -> None:
    """zigpy asks who an unknown address is (a broadcast); nothing else happens.

    Not drawn: ZDO Device_annce and address responses (0x0013, 0x8000,
    0x8001), by which zigpy itself learns devices and addresses.
    """

    @FUZZ
    @given(
        source=st.sampled_from(harness.unknown),
        endpoint=st.integers(0, 0xFF),
        cluster=_CLUSTERS.filter(lambda v: v not in (0x0013, 0x8000, 0x8001)),
        profile=st.one_of(_PROFILES, st.just(0), st.integers(0, 0xFFFF)),
        data=st.binary(max_size=80),
    )
    def deliver(
        source: hostile.Source, endpoint: int, cluster: int, profile: int, data: bytes
    ) -> None:
        src = hostile.Source(source.nwk, endpoint, False)
        harness.deliver(
            hostile.packet(src, cluster, data, dst_nwk=harness.cad, profile=profile)
        )

    deliver()


async def test_a_seeded_fuzz_run_changes_nothing() -> None:
    """The benchmark's run (:func:`hostile.fuzz`), shortened: every kind, no trace."""
    run = await hostile.fuzz(1200, seed=3)
    assert run.frames == 1200
    assert set(run.kinds) == set(hostile.KINDS)
    assert run.loop_exceptions == 0
    assert run.events == 0
    assert run.state_unchanged
    assert run.dropped["wrong_type"] > 0
    assert run.dropped["truncated"] > 0
    assert run.dropped["wrong_direction"] > 0
    assert run.dropped["unknown_attribute"] > 0
    assert run.dropped["too_long"] + run.dropped["unconvertible"] > 0
    assert "zigpy_raised" not in run.dropped
