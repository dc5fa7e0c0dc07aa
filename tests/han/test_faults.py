"""Faults and edge cases: what the library does when a meter or the radio misbehaves.

Also the emulated devices' own ZCL error answers, and a prepayment meter run
down to an exhausted emergency credit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import datetime as dt
import logging
import struct
from typing import Any

import pytest
import zigpy.exceptions
import zigpy.types as t
from zigpy.zcl import foundation

from custom_components.smets.han import clusters as c, model
from custom_components.smets.han.errors import (
    HanCommandError,
    HanError,
    HanNotAllowed,
    HanNotFound,
    HanProtocolError,
    HanTimeout,
)
from custom_components.smets.han.link import HanLink
from custom_components.smets.han.meter import RequestCounter, read_attributes
from custom_components.smets.han.simulator import HanSimulator, SimulatedApplication
from custom_components.smets.han.simulator.app import (
    CAD_NWK,
    CONF_SIMULATOR,
    ESME_NWK,
    _ValidatedOnce,
)
from custom_components.smets.han.simulator.devices import (
    EmulatedDevice,
    ServerCluster,
    SimEndpoint,
)

from .conftest import FAST_TIMEOUT

METERING, PRICE, MESSAGING, PREPAYMENT, DEVICE_MANAGEMENT = (
    0x0702,
    0x0700,
    0x0703,
    0x0705,
    0x0708,
)
_t: Any = t


async def _open(sim: HanSimulator) -> HanLink:
    return await HanLink.open(
        await sim.start(), request_timeout=FAST_TIMEOUT, clock=sim.clock.time
    )


@pytest.fixture
async def prepay() -> AsyncIterator[tuple[HanSimulator, HanLink]]:
    """A Pay-As-You-Go ESME without solar (its credit only goes down)."""
    sim = HanSimulator(seed=2, prepayment=True, solar=False)
    link = await _open(sim)
    yield sim, link
    await link.close()


# --- counting and zigpy's failures --------------------------------------------------


def test_request_counter_reset_keeps_the_parents_counts() -> None:
    parent = RequestCounter()
    child = RequestCounter(parent)
    child.count(METERING)
    child.count(PRICE)
    child.reset()
    assert child.total == 0
    assert not child.by_cluster
    assert parent.total == 2
    assert parent.by_cluster == {METERING: 1, PRICE: 1}


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (zigpy.exceptions.DeliveryError("no route"), HanError),
        (zigpy.exceptions.ParsingError("bad frame"), HanProtocolError),
        (TimeoutError(), HanTimeout),
    ],
)
async def test_zigpy_failures_become_han_errors(
    link: HanLink,
    monkeypatch: pytest.MonkeyPatch,
    failure: Exception,
    expected: type[HanError],
) -> None:
    async def fail(*args: object, **kwargs: object) -> None:
        raise failure

    monkeypatch.setattr(link.esme.cluster(METERING), "read_attributes_raw", fail)
    with pytest.raises(expected) as caught:
        await link.esme.poll()
    assert type(caught.value) is expected
    assert caught.value.__cause__ is failure
    assert link.esme.last_requests == 1  # a failed request still went out


async def test_read_of_a_cluster_the_device_lacks(link: HanLink) -> None:
    """zigpy thinks the hub has Electrical Measurement; the hub says otherwise."""
    link.hub.endpoint.add_input_cluster(0x0B04)
    with pytest.raises(HanCommandError) as caught:
        await link.hub.read(0x0B04, [0x0505])
    assert caught.value.status == foundation.Status.UNSUP_CLUSTER_COMMAND
    assert link.hub.last_requests == 1


async def test_cluster_the_endpoint_lacks(link: HanLink) -> None:
    before = link.requests.total
    with pytest.raises(HanError, match="the gpf has no cluster 0x0705"):
        await link.gas.read(PREPAYMENT, [0x0001])
    assert link.requests.total == before  # nothing was sent
    assert not link.gas.has_cluster(PREPAYMENT)


async def test_a_failing_callback_does_not_stop_the_others(
    link: HanLink, sim: HanSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: object) -> None:
        raise RuntimeError("bug in a listener")

    seen: list[object] = []
    link.esme.subscribe(broken)
    link.esme.subscribe(seen.append)
    with caplog.at_level(logging.ERROR):
        await sim.send_alert(0x8F35)
    assert [type(e) for e in seen] == [model.AlertEvent]
    assert "Error in a HAN event callback" in caplog.text


# --- profiles ------------------------------------------------------------------------


async def test_profile_page_size_falls_back_when_the_meter_gives_none() -> None:
    sim = HanSimulator(seed=1)
    sim.set_sentinel(METERING, 0x0500)  # MaxNumberOfPeriodsDelivered: 0xFF, invalid
    link = await _open(sim)
    try:
        now = sim.clock.now()
        series = await link.esme.get_profile_raw(now - dt.timedelta(days=1), now)
        assert len(series) == 48
        assert link.esme.last_requests == 2  # 24 a page, the ZSE default
    finally:
        await link.close()


async def test_a_meter_that_overstates_its_page_size() -> None:
    sim = HanSimulator(seed=1)
    metering = sim.esme.endpoints[1].clusters[METERING]
    metering.attributes[0x0500] = lambda _: 48  # it answers 24 at most
    link = await _open(sim)
    try:
        now = sim.clock.now()
        with pytest.raises(HanCommandError) as caught:
            await link.esme.get_profile_raw(now - dt.timedelta(days=1), now)
        assert (
            caught.value.status
            == c.ProfileStatus.More_Periods_Requested_Than_Can_Be_Returned
        )
        assert link.esme.last_requests == 1
    finally:
        await link.close()


async def test_profile_of_an_undefined_channel(
    link: HanLink, sim: HanSimulator
) -> None:
    now = sim.clock.now()
    with pytest.raises(HanCommandError) as caught:
        await link.esme.get_profile_raw(now - dt.timedelta(hours=1), now, channel=2)
    assert caught.value.status == c.ProfileStatus.Undefined_Interval_Channel


async def test_a_meter_without_get_profile(link: HanLink, sim: HanSimulator) -> None:
    del sim.esme.endpoints[1].clusters[METERING].commands[0x00]
    now = sim.clock.now()
    with pytest.raises(HanCommandError, match="GetProfile refused") as caught:
        await link.esme.get_profile_raw(now - dt.timedelta(hours=1), now)
    assert caught.value.status == foundation.Status.UNSUP_CLUSTER_COMMAND


# --- commands and reads on the slow rhythm -------------------------------------------


async def test_a_meter_without_top_up(link: HanLink, sim: HanSimulator) -> None:
    # Silicon Labs' prepayment server answers a top-up it does not take with
    # UNSUP_COMMAND (prepayment-server.c): from an ESME, the PPMID's role in GB
    del sim.esme.endpoints[1].clusters[PREPAYMENT].commands[0x04]
    with pytest.raises(HanNotAllowed, match="prepayment interface device") as caught:
        await link.esme.top_up(sim.issue_utrn(500))
    assert caught.value.status == foundation.Status.UNSUP_CLUSTER_COMMAND


async def test_poll_history_is_yesterday(link: HanLink, sim: HanSimulator) -> None:
    values = await link.esme.poll_history()
    assert link.esme.last_requests == 1
    now = sim.clock.time()
    midnight = now - now % 86_400
    meter = sim.electricity
    assert values == {
        0x0403: meter.import_register(midnight)
        - meter.import_register(midnight - 86_400),
        0x0404: meter.export_register(midnight)
        - meter.export_register(midnight - 86_400),
    }


async def test_gas_mirror_without_a_price_cluster(link: HanLink) -> None:
    del link.gas.endpoint.in_clusters[PRICE]
    before = link.requests.total
    price = await link.gas.poll_price()
    assert link.requests.total == before
    assert price.calorific_value is None
    assert price.conversion_factor is None
    assert price.standing_charge_per_day is None


async def test_provider_name_blank_or_missing(link: HanLink, sim: HanSimulator) -> None:
    assert await link.hub.read_provider_name() == "Simulated Energy"
    sim.provider_name = "   "
    assert await link.hub.read_provider_name() is None
    del sim.hub.endpoints[1].clusters[DEVICE_MANAGEMENT].attributes[0x0101]
    assert await link.hub.read_provider_name() is None
    assert (DEVICE_MANAGEMENT, 0x0101) in link.hub.unsupported


# --- what the link finds --------------------------------------------------------------


async def test_a_han_without_an_esme() -> None:
    sim = HanSimulator(seed=3)
    sim.devices = (sim.hub, sim.gsme)  # the electricity meter has not joined
    link = await _open(sim)
    try:
        assert not link.has_esme
        assert link.has_gas
        assert link.has_hub
        with pytest.raises(HanNotFound, match="no ESME"):
            _ = link.esme
        assert (await link.gas.poll()).volume_m3 is not None
        assert [m.role for m in link.meters] == ["gpf"]
    finally:
        await link.close()


async def test_devices_outside_smart_energy_are_left_alone() -> None:
    sim = HanSimulator(seed=3)
    app = await sim.start()
    lamp = app.add_device(t.EUI64.convert("00:11:22:33:44:55:66:77"), _t.NWK(0x2222))
    endpoint = lamp.add_endpoint(1)
    endpoint.profile_id = 0x0104  # Home Automation: a ZHA lamp, say
    endpoint.add_input_cluster(0x0006)
    link = await HanLink.open(app, request_timeout=FAST_TIMEOUT, clock=sim.clock.time)
    try:
        assert app.devices[lamp.ieee] is lamp  # not adopted
        assert all(found.nwk != 0x2222 for found in link.discovered)
    finally:
        await link.close()


async def test_client_clusters_survive_adoption() -> None:
    sim = HanSimulator(seed=3)
    sim.esme.endpoints[1].out_clusters = (0x000A, MESSAGING)
    link = await _open(sim)
    try:
        out = link.esme.endpoint.out_clusters
        assert set(out) == {0x000A, MESSAGING}
        assert type(out[MESSAGING]) is c.Messaging  # this package's, per endpoint
    finally:
        await link.close()


# --- the radio ------------------------------------------------------------------------


def test_the_simulated_application_needs_a_simulator() -> None:
    with pytest.raises(TypeError, match="needs a HanSimulator"):
        SimulatedApplication({})


def test_many_simulated_applications_in_one_process() -> None:
    """zigpy's config schema must not run each time (probatio breaks on the 50th).

    Under Home Assistant 2026.10, probatio compiles a schema on its 50th use and
    zigpy 2.4.0's (a Range up to math.inf) then fails with NameError.
    """
    sim = HanSimulator(seed=1)
    apps = [SimulatedApplication(sim.zigpy_config()) for _ in range(60)]
    assert all(app.simulator is sim for app in apps)
    # Each application has its own copy of the validated configuration
    assert apps[0].config is not apps[1].config
    assert apps[0].config == apps[1].config


def test_the_configuration_is_validated_once_per_shape() -> None:
    calls: list[dict[str, Any]] = []

    def schema(config: dict[str, Any]) -> dict[str, Any]:
        calls.append(config)
        return {**config, "defaulted": {"nested": 1}}

    validate = _ValidatedOnce(schema)
    first, second = HanSimulator(seed=1), HanSimulator(seed=2)
    one = validate(first.zigpy_config())
    two = validate(second.zigpy_config())
    assert len(calls) == 1
    assert CONF_SIMULATOR not in calls[0]  # the simulator is never validated
    assert one[CONF_SIMULATOR] is first
    assert two[CONF_SIMULATOR] is second
    one["defaulted"]["nested"] = 2
    assert two["defaulted"]["nested"] == 1  # copies, not the cached dict
    validate({**first.zigpy_config(), "extra": True})
    assert len(calls) == 2
    assert CONF_SIMULATOR not in validate({"device": {"path": "x"}})


async def test_a_request_to_the_gsme_wakes_it_and_gets_no_answer(
    link: HanLink, sim: HanSimulator
) -> None:
    gsme = link.app.get_device(ieee=sim.gsme.ieee)
    counter = RequestCounter()
    # zigpy waits far longer for a sleepy end device than it is told to
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(FAST_TIMEOUT * 2):
            await read_attributes(
                gsme.endpoints[1].in_clusters[METERING],
                [0x0000],
                counter=counter,
                timeout=FAST_TIMEOUT,
            )
    assert sim.gsme_wakeups == 1
    assert counter.total == 1


def _packet(dst: int, data: bytes) -> t.ZigbeePacket:
    return t.ZigbeePacket(
        src=t.AddrModeAddress(addr_mode=t.AddrMode.NWK, address=_t.NWK(CAD_NWK)),
        src_ep=_t.uint8_t(1),
        dst=t.AddrModeAddress(addr_mode=t.AddrMode.NWK, address=_t.NWK(dst)),
        dst_ep=_t.uint8_t(1),
        tsn=_t.uint8_t(1),
        profile_id=_t.uint16_t(0x0109),
        cluster_id=_t.uint16_t(METERING),
        data=t.SerializableBytes(data),
    )


async def test_frames_nobody_can_answer(
    sim_app: SimulatedApplication, sim: HanSimulator, frames: list[Any]
) -> None:
    sim.transmit(_packet(0x7777, b"\x00\x01\x00\x00\x00"))  # no such device
    assert sim.requests == 0
    sim.transmit(_packet(ESME_NWK, b"\x00"))  # too short for a ZCL header
    await sim.settle()
    assert sim.requests == 1
    # Both crossed the radio; neither got an answer
    assert [f.dst_nwk for f in frames] == [0x7777, ESME_NWK]


async def test_pushes_are_lost_while_the_radio_is_down(
    link: HanLink, sim: HanSimulator
) -> None:
    seen: list[object] = []
    link.esme.subscribe(seen.append)
    sim.radio_loss()
    await sim.send_alert(0x8F35)
    await sim.send_message("lost")
    assert seen == []
    sim.radio_return()
    await sim.send_alert(0x8F35)
    assert [type(e) for e in seen] == [model.AlertEvent]


async def test_slow_answers(link: HanLink, sim: HanSimulator) -> None:
    sim.faults.response_delay = FAST_TIMEOUT / 5
    assert (await link.esme.poll()).import_kwh is not None
    sim.faults.response_delay = FAST_TIMEOUT * 4
    with pytest.raises(HanTimeout):
        await link.esme.poll()


async def test_get_last_message(link: HanLink, sim: HanSimulator) -> None:
    messaging: Any = link.esme.cluster(MESSAGING)
    answer = await messaging.get_last_message()
    assert answer.status == foundation.Status.NOT_FOUND  # nothing to show yet
    message_id = await sim.send_message("Hello from your supplier")
    answer = await messaging.get_last_message()
    assert answer.message_id == message_id
    assert answer.message == "Hello from your supplier"


# --- the emulated devices' ZCL answers ---------------------------------------------------


@pytest.fixture
def device() -> EmulatedDevice:
    return EmulatedDevice(
        "meter",
        "00:0d:6f:00:00:00:00:01",
        0x1234,
        manufacturer="Test",
        model="M1",
        endpoints=[
            SimEndpoint(
                1,
                0x0501,
                {
                    METERING: ServerCluster(c.Metering, {0x0000: lambda now: now}),
                    MESSAGING: ServerCluster(
                        c.Messaging, {}, {0x01: lambda hdr, args, now: []}
                    ),
                },
            )
        ],
    )


def _default_response(replies: list[Any]) -> tuple[int, int, int, int]:
    """(tsn, command id of the Default Response, command answered, status)."""
    (reply,) = replies
    frame_control, tsn, command, answered, status = reply.data
    assert frame_control == 0x18  # general, server to client, no default response
    return tsn, command, answered, status


def test_emulated_device_refuses_what_it_does_not_know(device: EmulatedDevice) -> None:
    now = 1_736_942_400
    unsup_cluster = foundation.Status.UNSUP_CLUSTER_COMMAND
    # A cluster-specific command the cluster does not define
    assert _default_response(device.handle(1, METERING, b"\x01\x05\x7f", now)) == (
        5,
        0x0B,
        0x7F,
        unsup_cluster,
    )
    # GetProfile is defined, but this meter has no handler for it
    get_profile = b"\x01\x06\x00" + struct.pack("<BIB", 0, 0, 1)
    assert _default_response(device.handle(1, METERING, get_profile, now)) == (
        6,
        0x0B,
        0x00,
        unsup_cluster,
    )
    # A cluster the endpoint does not have
    assert _default_response(device.handle(1, PRICE, b"\x00\x07\x00\x00\x00", now)) == (
        7,
        0x0B,
        0x00,
        unsup_cluster,
    )
    # A general command it does not implement (Discover Attributes)
    assert _default_response(
        device.handle(1, METERING, b"\x00\x08\x0c\x00\x00\x10", now)
    ) == (8, 0x0B, 0x0C, foundation.Status.UNSUP_GENERAL_COMMAND)
    assert device.frames_received == 4


def test_emulated_device_stays_quiet_when_it_should(device: EmulatedDevice) -> None:
    now = 1_736_942_400
    # A Default Response from the client needs no answer
    assert device.handle(1, METERING, b"\x10\x09\x0b\x0a\x00", now) == []
    # A server-to-client frame (an answer to the device's own) needs none either
    assert device.handle(1, METERING, b"\x18\x0a\x01\x00\x00\x00", now) == []
    # A command that succeeds: a Default Response only when not disabled
    confirmation = struct.pack("<II", 7, 0)
    assert device.handle(1, MESSAGING, b"\x11\x0b\x01" + confirmation, now) == []
    assert _default_response(
        device.handle(1, MESSAGING, b"\x01\x0c\x01" + confirmation, now)
    ) == (0x0C, 0x0B, 0x01, foundation.Status.SUCCESS)


def test_a_report_needs_a_supported_attribute(device: EmulatedDevice) -> None:
    now = 1_736_942_400
    assert device.report_frame(1, METERING, [0x0400], now) is None
    report = device.report_frame(1, METERING, [0x0000, 0x0400], now)
    assert report is not None
    assert report.data[2] == foundation.GeneralCommand.Report_Attributes
    assert report.data[3:5] == b"\x00\x00"  # only the summation went


# --- a prepayment meter run down ---------------------------------------------------------


async def test_emergency_credit_runs_out_and_a_top_up_restores_supply(
    prepay: tuple[HanSimulator, HanLink],
) -> None:
    sim, link = prepay
    esme = link.esme
    alerts: list[int] = []
    link.esme.subscribe(
        lambda event: (
            alerts.append(event.code) if isinstance(event, model.AlertEvent) else None
        )
    )
    for _ in range(60):
        info = await esme.poll_prepayment()
        assert info.credit_status is not None
        if info.credit_status.emergency_credit_available:
            break
        await sim.advance(3 * 3600)
    assert await esme.select_emergency_credit() is True
    assert await esme.select_emergency_credit() is False  # already selected
    for _ in range(60):
        await sim.advance(3 * 3600)
        info = await esme.poll_prepayment()
        assert info.credit_status is not None
        if info.credit_status.emergency_credit_exhausted:
            break
    assert info.credit_status.emergency_credit_in_use
    assert info.emergency_credit_remaining == 0
    assert info.credit_remaining is not None
    assert info.credit_remaining < 0
    assert 0x81AA in alerts  # emergency credit exhausted
    reading = await esme.poll()
    assert reading.supply_status is model.SupplyStatus.ARMED
    # A top-up pays back the emergency credit used and restores the supply
    result = await esme.top_up(sim.issue_utrn(5_000))
    assert result.accepted
    info = await esme.poll_prepayment()
    assert info.credit_status is not None
    assert not info.credit_status.emergency_credit_selected
    assert info.credit_remaining is not None
    assert info.credit_remaining > 0
    assert (await esme.poll()).supply_status is model.SupplyStatus.ON


async def test_top_ups_stop_at_the_maximum_credit(
    prepay: tuple[HanSimulator, HanLink],
) -> None:
    sim, link = prepay
    esme = link.esme
    assert (await esme.top_up(sim.issue_utrn(25_000))).accepted
    refused = await esme.top_up(sim.issue_utrn(25_000))  # over the £500 limit
    assert not refused.accepted
    assert refused.result_code is model.TopUpResultCode.REJECTED_MAX_CREDIT_REACHED
    info = await esme.poll_prepayment()
    assert info.credit_remaining is not None
    assert info.credit_remaining > 250
