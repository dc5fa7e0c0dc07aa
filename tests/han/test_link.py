"""HanLink: discovery, the Smart Energy profile fix, errors, shutdown."""

from __future__ import annotations

import pytest
import zigpy.device
from zigpy.zcl.clusters import smartenergy as zse

from custom_components.smets.han import clusters as c
from custom_components.smets.han.errors import (
    HanError,
    HanNotFound,
    HanNotStarted,
    HanTimeout,
)
from custom_components.smets.han.link import HanLink, SmartEnergyDevice, adopt_device
from custom_components.smets.han.meter import RequestCounter, read_attributes
from custom_components.smets.han.simulator import HanSimulator, RadioFrame

from .conftest import FAST_TIMEOUT


async def test_discovery(link: HanLink, sim: HanSimulator) -> None:
    assert link.esme.nwk == sim.esme.nwk
    assert link.gas.nwk == sim.hub.nwk
    assert link.gas.endpoint.endpoint_id == 2
    assert link.hub.nwk == 0x0000
    assert link.gsme is not None
    assert link.gsme.sleepy
    assert link.has_gas
    types = {found.nwk: found.metering_device_type for found in link.discovered}
    assert types == {0x1A2B: 0x00, 0x0000: 0x80, 0x4C3D: None}
    # one Read Attributes per awake Metering endpoint (+ the ESME's prepayment
    # limits), none to the GSME
    assert link.requests.total == 3
    assert link.requests.by_cluster == {0x0702: 2, 0x0705: 1}
    assert sim.gsme_wakeups == 0
    assert {m.role for m in link.meters} == {"esme", "gpf"}


async def test_clusters_attached_per_endpoint(link: HanLink) -> None:
    assert type(link.esme.endpoint.in_clusters[0x0705]) is c.Prepayment
    assert type(link.gas.endpoint.in_clusters[0x0702]) is c.Metering
    assert isinstance(link.esme.endpoint.device, SmartEnergyDevice)


async def test_smart_energy_frames_dropped_without_the_fix(
    sim_app, sim: HanSimulator, frames: list[RadioFrame]
) -> None:
    """Plain zigpy drops the 0x0109 answer: the request times out."""
    device = next(d for d in sim_app.devices.values() if d.nwk == sim.esme.nwk)
    assert not isinstance(device, SmartEnergyDevice)
    cluster = device.endpoints[1].in_clusters[0x0702]
    with pytest.raises(HanTimeout):
        await read_attributes(
            cluster, [0x0000], counter=RequestCounter(), timeout=FAST_TIMEOUT
        )
    # the meter did answer, on the Smart Energy profile
    assert [f.profile for f in frames] == [0x0109, 0x0109]
    assert frames[1].src_nwk == sim.esme.nwk


async def test_smart_energy_frames_reach_clusters_with_the_fix(
    sim_app, sim: HanSimulator
) -> None:
    device = next(d for d in sim_app.devices.values() if d.nwk == sim.esme.nwk)
    adopted = adopt_device(sim_app, device)
    assert sim_app.devices[device.ieee] is adopted
    assert adopt_device(sim_app, adopted) is adopted
    cluster = adopted.endpoints[1].in_clusters[0x0702]
    values = await read_attributes(
        cluster, [0x0000], counter=RequestCounter(), timeout=FAST_TIMEOUT
    )
    assert values[0x0000] == sim.electricity.import_register(sim.clock.time())


async def test_other_profiles_still_go_to_zigpy(sim_app, sim: HanSimulator) -> None:
    device = adopt_device(
        sim_app, next(d for d in sim_app.devices.values() if d.nwk == sim.esme.nwk)
    )
    seen = []
    original = zigpy.device.Device.custom_profile_packet_received

    def spy(self, packet):
        seen.append(packet.profile_id)
        return original(self, packet)

    zigpy.device.Device.custom_profile_packet_received = spy
    try:
        import zigpy.types as t

        device.packet_received(
            t.ZigbeePacket(
                src=t.AddrModeAddress(addr_mode=t.AddrMode.NWK, address=device.nwk),
                src_ep=1,
                dst=t.AddrModeAddress(addr_mode=t.AddrMode.NWK, address=0x6E5F),
                dst_ep=1,
                profile_id=0xC216,
                cluster_id=0x0702,
                data=t.SerializableBytes(b"\x18\x01\x0b\x00\x00"),
            )
        )
    finally:
        zigpy.device.Device.custom_profile_packet_received = original
    assert seen == [0xC216]


async def test_no_meters_found() -> None:
    sim = HanSimulator(seed=3)
    app = await sim.start()
    for ieee in [d.ieee for d in app.devices.values() if d.nwk in (0x1A2B, 0x0000)]:
        del app.devices[ieee]
    with pytest.raises(HanNotFound):
        await HanLink.open(app, request_timeout=FAST_TIMEOUT)


async def test_missing_gas_and_closed_link(sim: HanSimulator) -> None:
    app = await sim.start()
    hub = next(d for d in app.devices.values() if d.nwk == 0x0000)
    del app.devices[hub.ieee]
    link = await HanLink.open(app, request_timeout=FAST_TIMEOUT, clock=sim.clock.time)
    assert not link.has_gas
    with pytest.raises(HanNotFound):
        _ = link.gas
    with pytest.raises(HanNotFound):
        _ = link.hub
    await link.close()
    with pytest.raises(HanNotStarted):
        _ = link.esme


async def test_discovery_timeout_closes_app(sim: HanSimulator) -> None:
    app = await sim.start()
    sim.radio_loss()
    with pytest.raises(HanTimeout):
        await HanLink.open(app, request_timeout=FAST_TIMEOUT)
    assert sim.app is None  # the application was shut down


async def test_smets1_profile() -> None:
    sim = HanSimulator(seed=5, profile="smets1")
    link = await HanLink.open(
        await sim.start(), request_timeout=FAST_TIMEOUT, clock=sim.clock.time
    )
    try:
        identity = await link.esme.read_identity()
        assert (identity.manufacturer, identity.model) == ("Landis & Gyr", "E470")
    finally:
        await link.close()


def test_unknown_profile() -> None:
    with pytest.raises(ValueError, match="profile"):
        HanSimulator(profile="smets3")  # type: ignore[arg-type]


async def test_mirrored_gas_type_is_zigpy_0x80() -> None:
    assert zse.MeteringDeviceType.Mirrored_Gas_Metering == 0x80


# --- meters that join or leave ---------------------------------------------------------


async def _open(sim: HanSimulator) -> HanLink:
    app = await sim.start()
    return await HanLink.open(app, request_timeout=FAST_TIMEOUT, clock=sim.clock.time)


async def test_rediscover_finds_a_gas_meter_paired_later() -> None:
    sim = HanSimulator(seed=4, gas=False)
    link = await _open(sim)
    try:
        assert not link.has_gas
        assert link.gsme is None
        assert link.footprint == {(str(sim.esme.ieee), 1)}
        assert not await link.rediscover()
        requests = link.requests.total
        sim.pair_gas(announce=False)
        assert await link.rediscover()
        assert link.requests.total == requests  # asking costs no ZCL request
        assert sim.gsme_wakeups == 0
        assert not link.has_gas  # this link keeps what it found
    finally:
        await link.close()
    # a new link takes the gas meter in
    link = await _open(sim)
    try:
        assert link.has_gas
        assert link.gsme is not None
        assert link.gsme.ieee == str(sim.gsme.ieee)
        assert not await link.rediscover()
        assert (await link.gas.poll()).volume_m3 is not None
    finally:
        await link.close()


async def test_rediscover_notices_a_new_meter_not_a_silent_one(
    link: HanLink, sim: HanSimulator
) -> None:
    assert not await link.rediscover()
    sim.meter_exchange("electricity", new_eui64=True)
    assert await link.rediscover()  # a new EUI64 answered
    sim2 = HanSimulator(seed=7)
    link2 = await _open(sim2)
    try:
        sim2.unpair_gas()
        # gone, or one lost answer: over the air they look the same
        assert not await link2.rediscover()
        sim2.pair_gas()
        assert not await link2.rediscover()  # back as it was: nothing new
    finally:
        await link2.close()


async def test_rediscover_when_the_han_is_silent(
    link: HanLink, sim: HanSimulator
) -> None:
    sim.radio_loss()
    with pytest.raises(HanError, match="could not be asked"):
        await link.rediscover()
    sim.radio_return()
    assert not await link.rediscover()


async def test_rediscover_without_a_surveying_application(
    link: HanLink, sim: HanSimulator
) -> None:
    """A zigpy application of another kind is surveyed from its devices."""
    link.app = _PlainApp(link.app)
    assert not await link.rediscover()
    hub = next(d for d in link.app.devices.values() if d.nwk == 0x0000)
    gone = link.app.devices.pop(hub.ieee)  # the hub and its GPF gas mirror
    assert not await link.rediscover()  # a missing answer is not a change
    link.app.devices[hub.ieee] = gone
    sim.meter_exchange("electricity", new_eui64=True)
    sim.populate(link.app.app, sim.esme)  # zigpy learns the new meter
    assert await link.rediscover()
    link.app = link.app.app


class _PlainApp:
    """A zigpy application seen without its survey()."""

    def __init__(self, app) -> None:
        self.app = app
        self.devices = app.devices
        self.state = app.state


async def test_on_join_hears_the_hub_and_zigpy() -> None:
    sim = HanSimulator(seed=4, gas=False)
    link = await _open(sim)
    calls: list[None] = []
    try:
        unsubscribe = link.on_join(lambda: calls.append(None))
        sim.pair_gas()  # the hub raises 0x8183 from its own endpoint
        await sim.advance(1)
        assert len(calls) == 1
        await sim.send_alert(0x8F49)  # "device joining succeeded", from the ESME
        assert len(calls) == 2
        await sim.send_alert(0x8F48)  # joining failed: nothing joined
        assert len(calls) == 2
        await sim.send_alert(0x8F4B, fuel="hub")  # the hub unjoined a device
        assert len(calls) == 3
        calls.pop()
        esme = link.app.get_device(ieee=link.esme.endpoint.device.ieee)
        link.app.handle_leave(esme.nwk, esme.ieee)  # zigpy: a device left
        assert len(calls) == 3
        link.app.listener_event("device_joined", esme)
        assert len(calls) == 4
        unsubscribe()
        unsubscribe()
        await sim.send_alert(0x8183, fuel="hub")
        assert len(calls) == 4
        # a failing callback does not stop the others
        link.on_join(lambda: 1 / 0)
        link.on_join(lambda: calls.append(None))
        await sim.send_alert(0x8183, fuel="hub")
        assert len(calls) == 5
    finally:
        await link.close()
    assert link not in [listener for listener, _ in link.app._listeners.values()]
    with pytest.raises(HanNotStarted):
        link.on_join(lambda: None)
    with pytest.raises(HanNotStarted):
        await link.rediscover()
