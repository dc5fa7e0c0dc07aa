"""Meters: batched reads, request counts, events, commands and faults."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
import functools
import math
import operator

import pytest
from zigpy.zcl import foundation

from custom_components.smets.han import clusters as c, model
from custom_components.smets.han.errors import (
    HanCommandError,
    HanError,
    HanProtocolError,
    HanTimeout,
)
from custom_components.smets.han.link import HanLink
from custom_components.smets.han.meter import (
    MAX_ZCL_PAYLOAD,
    AttributeReport,
    MessageCancelled,
    plan_reads,
)
from custom_components.smets.han.simulator import HanSimulator, RadioFrame, cbke
from custom_components.smets.han.utrn import InvalidUTRN

from .conftest import FAST_TIMEOUT


def test_plan_reads_fits_request_and_response() -> None:
    ids = [
        0x0000,
        0x0001,
        0x0014,
        0x0020,
        0x0200,
        0x0400,
        0x0401,
        0x0402,
        0x0100,
        0x0102,
    ]
    assert plan_reads(c.Metering, ids) == [ids]
    four_tiers = [*ids, 0x0104, 0x0106]
    batches = plan_reads(c.Metering, four_tiers)
    assert len(batches) == 2
    assert functools.reduce(operator.iadd, batches, []) == four_tiers
    # 40 one-byte attributes: the request (80 bytes) fits, the response does not
    many = list(range(0x0028))
    for batch in plan_reads(c.Prepayment, many):
        assert 2 * len(batch) <= MAX_ZCL_PAYLOAD
    # duplicates are asked once
    assert plan_reads(c.Metering, [0, 0, 0]) == [[0]]


async def test_esme_cycle_is_one_request(
    link: HanLink, sim: HanSimulator, frames: list[RadioFrame]
) -> None:
    esme = link.esme
    first = await esme.poll()
    assert esme.last_requests == 1  # the static attributes came with discovery
    frames.clear()
    reading = await esme.poll()
    assert esme.last_requests == 1
    assert len(frames) == 2  # one request, one response
    request = frames[0]
    assert (request.profile, request.cluster, request.dst_nwk) == (
        0x0109,
        0x0702,
        sim.esme.nwk,
    )
    assert request.zcl[0] == 0x00
    assert request.zcl[2] == 0x00
    assert len(request.zcl) - 3 <= MAX_ZCL_PAYLOAD
    assert len(frames[1].zcl) - 3 <= MAX_ZCL_PAYLOAD
    now = sim.clock.time()
    # every digit the simulated meter sends (Wh registers, divisor 1000)
    assert reading.import_kwh == Decimal(sim.electricity.import_register(now)) / 1000
    assert reading.export_kwh == Decimal(sim.electricity.export_register(now)) / 1000
    assert reading.tier_import_kwh == (
        Decimal(sim.electricity.tier_register(1, now)) / 1000,
        Decimal(sim.electricity.tier_register(2, now)) / 1000,
    )
    assert reading.demand_w == sim.electricity.demand_w(now)
    assert reading.active_tier == 1
    assert reading.supply_status is model.SupplyStatus.ON
    assert first.import_kwh == reading.import_kwh


async def test_24_hours_of_cycles(link: HanLink, sim: HanSimulator) -> None:
    """A simulated day of 10 s ESME cycles and 30 min gas cycles, fast, GSME untouched."""
    esme, gas = link.esme, link.gas
    await esme.poll()
    await gas.poll()
    start = link.requests.total
    cycles = 0
    for step in range(1, 8641):
        await sim.advance(10)
        await esme.poll()
        assert esme.last_requests == 1
        cycles += 1
        if step % 180 == 0:
            await gas.poll()
            assert gas.last_requests == 1
    assert link.requests.total - start == cycles + 48
    assert sim.gsme_wakeups == 0


async def test_gas_cycle_reads_gpf_only(
    link: HanLink, sim: HanSimulator, frames: list[RadioFrame]
) -> None:
    gas = link.gas
    await gas.poll_price()
    await gas.poll()
    frames.clear()
    reading = await gas.poll()
    assert gas.last_requests == 1
    assert {f.dst_nwk for f in frames if f.src_nwk == 0x6E5F} == {0x0000}
    assert sim.gsme_wakeups == 0
    now = sim.clock.time()
    assert reading.volume_m3 == Decimal(sim.gas.register(now)) / 1000
    assert reading.device_type is model.MeteringDeviceType.MIRRORED_GAS
    assert reading.conversion_factor == Decimal("1.022640")
    assert reading.energy_kwh is not None
    assert float(reading.energy_kwh) == pytest.approx(
        sim.gas.register(now) / 1000 * 1.02264 * 39.5 / 3.6, rel=1e-6
    )
    before = reading.volume_m3
    assert before is not None
    await sim.advance(60)
    assert (await gas.poll()).volume_m3 == before  # the GPF moves per half hour
    await sim.advance(1800)
    assert (await gas.poll()).volume_m3 > before


async def test_price_and_prepayment(link: HanLink) -> None:
    esme = link.esme
    await esme.poll()  # the active tier
    price = await esme.poll_price()
    assert price.tier_labels == ((1, "Day"), (2, "Night"))
    assert price.standing_charge_per_day == Decimal("0.60120")
    assert price.current_price == Decimal("0.245")
    again = await esme.poll_price()
    assert esme.last_requests == 1
    assert again == price
    prepay = await esme.poll_prepayment()
    assert prepay.prepayment_mode is False
    assert esme.last_requests == 1  # limits and formatting came with discovery
    event = await esme.get_current_price()
    assert event is not None
    assert event.price_tier == 1
    assert esme.price_event == event


async def test_identity_and_hub(link: HanLink) -> None:
    identity = await link.esme.read_identity()
    assert (identity.manufacturer, identity.model) == ("Landis & Gyr", "E470-5394")
    assert identity.site_id is not None
    assert len(identity.site_id) == 13
    gas_identity = await link.gas.read_identity()
    assert gas_identity.model == "G470-672"
    assert await link.hub.read_provider_name() == "Simulated Energy"
    assert (
        await link.hub.read_time()
        == link.hub.endpoint.device.application.simulator.clock.now()
    )


async def test_pushed_events(link: HanLink, sim: HanSimulator) -> None:
    events: list[object] = []
    unsubscribe = link.esme.subscribe(events.append)
    gas_events: list[object] = []
    link.gas.subscribe(gas_events.append)
    await sim.send_alert(0x8F3F)
    message_id = await sim.send_message("Your bill is ready", confirm=True)
    await sim.send_price()
    await sim.send_prepay_snapshot()
    await sim.send_alert(0x8F1F, fuel="gas")
    alert, message, price, snapshot = events
    assert isinstance(alert, model.AlertEvent)
    assert (alert.code, alert.source) == (0x8F3F, "esme")
    assert alert.category.value == "tamper"
    assert isinstance(message, model.SupplierMessage)
    assert (message.message_id, message.text, message.confirmation_required) == (
        message_id,
        "Your bill is ready",
        True,
    )
    assert isinstance(price, model.PriceEvent)
    assert isinstance(snapshot, model.PrepaySnapshotEvent)
    assert snapshot.credit_remaining == Decimal(15)
    (gas_alert,) = gas_events
    assert isinstance(gas_alert, model.AlertEvent)
    assert (gas_alert.code, gas_alert.source) == (0x8F1F, "gpf")
    await link.esme.confirm_message(message_id)
    unsubscribe()
    await sim.send_alert(0x8F3F)
    assert len(events) == 4


async def test_scheduled_alert_message_and_cancel(
    link: HanLink, sim: HanSimulator
) -> None:
    events: list[object] = []
    link.esme.subscribe(events.append)
    sim.schedule_alert(600, 0x81BB)
    sim.schedule_message(1200, "Meter reading due")
    await sim.advance(599)
    assert events == []
    await sim.advance(1)
    assert [type(e) for e in events] == [model.AlertEvent]
    await sim.advance(600)
    assert isinstance(events[-1], model.SupplierMessage)
    sim._outbox.append(
        (
            sim.esme,
            sim.esme.command_frame(
                1, c.Messaging, "cancel_message", message_id=5, message_control=0
            ),
        )
    )
    await sim.advance(0)
    assert events[-1] == MessageCancelled("esme", 5)


async def test_attribute_reports(link: HanLink, sim: HanSimulator) -> None:
    events: list[object] = []
    link.esme.subscribe(events.append)
    link.gas.subscribe(events.append)
    sim.configure_reports(sim.esme, 1, 0x0702, [0x0400, 0x0000], 10)
    sim.configure_reports(sim.hub, 2, 0x0702, [0x0000], 1800)
    await sim.advance(9)
    assert events == []
    await sim.advance(1)
    (report,) = events
    assert isinstance(report, AttributeReport)
    assert report.cluster_id == 0x0702
    assert report.values[0x0400] == sim.electricity.demand_w(sim.clock.time())
    events.clear()
    await sim.advance(
        1800
    )  # long step: one coalesced ESME report + the GPF's half hour
    sources = sorted(e.source for e in events if isinstance(e, AttributeReport))
    assert sources == ["esme", "gpf"]


async def test_top_up(sim: HanSimulator) -> None:
    sim = HanSimulator(seed=11, prepayment=True)
    link = await HanLink.open(
        await sim.start(), request_timeout=FAST_TIMEOUT, clock=sim.clock.time
    )
    try:
        esme = link.esme
        before = (await esme.poll_prepayment()).credit_remaining
        utrn = sim.issue_utrn(2000)
        spaced = " ".join(utrn[i : i + 4] for i in range(0, 20, 4))
        result = await esme.top_up(spaced)
        assert result.accepted
        assert result.reason is model.TopUpReason.ACCEPTED
        assert result.value == Decimal(20)
        assert before is not None
        assert result.credit_remaining == before + 20
        assert esme.last_requests == 1
        duplicate = await esme.top_up(utrn)
        assert (duplicate.accepted, duplicate.reason) == (
            False,
            model.TopUpReason.DUPLICATE,
        )
        fake = await esme.top_up("02000000009123456789")
        assert (fake.accepted, fake.reason) == (False, model.TopUpReason.NOT_AUTHENTIC)
        huge = await esme.top_up(sim.issue_utrn(99_999))
        assert (
            huge.result_code is model.TopUpResultCode.REJECTED_MAX_CREDIT_REACHED
            or (
                huge.result_code
                is model.TopUpResultCode.REJECTED_TOP_UP_VALUE_TOO_LARGE
            )
        )
        with pytest.raises(InvalidUTRN):
            await esme.top_up("1234")
    finally:
        await link.close()


async def test_top_up_on_a_credit_meter(link: HanLink, sim: HanSimulator) -> None:
    result = await link.esme.top_up(sim.issue_utrn(500))
    assert result.result_code is model.TopUpResultCode.REJECTED_ERROR


async def test_credit_drains_and_emergency_credit() -> None:
    sim = HanSimulator(seed=2, prepayment=True, solar=False)
    link = await HanLink.open(
        await sim.start(), request_timeout=FAST_TIMEOUT, clock=sim.clock.time
    )
    events: list[object] = []
    link.esme.subscribe(events.append)
    try:
        esme = link.esme
        start = (await esme.poll_prepayment()).credit_remaining
        assert start is not None
        assert await esme.select_emergency_credit() is False  # plenty of credit
        await sim.advance(6 * 3600)
        later = (await esme.poll_prepayment()).credit_remaining
        assert later is not None
        assert later < start
        for _ in range(40):
            await sim.advance(3 * 3600)
            info = await esme.poll_prepayment()
            if (
                info.credit_status is not None
                and info.credit_status.emergency_credit_available
            ):
                break
        codes = [e.code for e in events if isinstance(e, model.AlertEvent)]
        assert 0x810D in codes  # low credit
        assert 0x8119 in codes  # emergency credit available
        assert await esme.select_emergency_credit() is True
        info = await esme.poll_prepayment()
        assert info.credit_status is not None
        assert info.credit_status.emergency_credit_selected
        assert 0x81AB in [e.code for e in events if isinstance(e, model.AlertEvent)]
    finally:
        await link.close()


async def test_profile_paging_and_register_consistency(
    link: HanLink, sim: HanSimulator
) -> None:
    esme = link.esme
    now = sim.clock.now()
    start = now - dt.timedelta(days=3)
    series = await esme.get_profile_raw(start, now)
    assert len(series) == 3 * 48
    assert esme.last_requests == math.ceil(3 * 48 / 24)
    assert [when for when, _ in series] == [
        start + dt.timedelta(minutes=30 * i) for i in range(3 * 48)
    ]
    # the whole stored history + the opening reading = the register, to the Wh
    meter = sim.electricity
    base = dt.datetime.fromtimestamp(meter.base * 1800, dt.UTC)
    full = await esme.get_profile_raw(base - dt.timedelta(days=30), now)
    assert len(full) == 396 * 48
    assert full[0][0] == base
    register = (await esme.poll()).import_kwh
    assert register is not None
    half_hour = sim.clock.time() // 1800 * 1800
    assert meter.opening_import + sum(
        v for _, v in full if v is not None
    ) == meter.import_register(half_hour)
    assert round(register * 1000) == meter.import_register(sim.clock.time())
    exports = await esme.get_profile_raw(
        start, now, channel=c.IntervalChannel.Consumption_Received
    )
    assert [v for _, v in exports] == [
        meter.export_wh(i)
        for i in range(int(start.timestamp()) // 1800, half_hour // 1800)
    ]
    scaled = await esme.get_profile(now - dt.timedelta(hours=1), now)
    assert scaled == [(w, v / 1000) for w, v in series[-2:] if v is not None]


async def test_gas_profile(link: HanLink, sim: HanSimulator) -> None:
    now = sim.clock.now()
    series = await link.gas.get_profile_raw(now - dt.timedelta(hours=12), now)
    assert len(series) == 24
    assert link.gas.last_requests == 1
    assert sim.gsme_wakeups == 0
    from custom_components.smets.han.errors import HanCommandError

    with pytest.raises(HanCommandError):
        await link.gas.get_profile_raw(now - dt.timedelta(hours=1), now, channel=1)


async def test_profile_without_history(link: HanLink, sim: HanSimulator) -> None:
    now = sim.clock.now()
    assert (
        await link.esme.get_profile_raw(
            now - dt.timedelta(days=500), now - dt.timedelta(days=450)
        )
        == []
    )


async def test_timeout_fault(link: HanLink, sim: HanSimulator) -> None:
    await link.esme.poll()
    sim.drop_requests(1)
    with pytest.raises(HanTimeout):
        await link.esme.poll()
    assert link.esme.last_requests == 1
    await link.esme.poll()  # next one answers


async def test_radio_loss_and_return(link: HanLink, sim: HanSimulator) -> None:
    await link.esme.poll()
    sim.radio_loss()
    with pytest.raises(HanTimeout):
        await link.esme.poll()
    with pytest.raises(HanTimeout):
        await link.gas.poll()
    sim.radio_return()
    assert (await link.esme.poll()).import_kwh is not None


async def test_malformed_frame(link: HanLink, sim: HanSimulator) -> None:
    await link.esme.poll()
    sim.malform_responses(1)
    with pytest.raises(HanProtocolError):
        await link.esme.poll()
    assert (await link.esme.poll()).import_kwh is not None


@pytest.mark.parametrize(
    ("attr_id", "field"),
    [
        (0x0000, "import_kwh"),
        (0x0001, "export_kwh"),
        (0x0400, "demand_w"),
        (0x0401, "today_import_kwh"),
        (0x0100, "tier_import_kwh"),
    ],
)
async def test_sentinels_become_none(
    link: HanLink, sim: HanSimulator, attr_id: int, field: str
) -> None:
    sim.set_sentinel(0x0702, attr_id)
    reading = await link.esme.poll()
    value = getattr(reading, field)
    if field == "tier_import_kwh":
        assert value[0] is None
        assert value[1] is not None
    else:
        assert value is None
    sim.set_sentinel(0x0702, attr_id, on=False)
    assert getattr(await link.esme.poll(), field) is not None


async def test_sentinel_raw_patterns(link: HanLink, sim: HanSimulator) -> None:
    sim.set_sentinel(0x0702, 0x0400)
    sim.set_sentinel(0x0702, 0x0000)
    values = await link.esme.read(0x0702, [0x0000, 0x0400])
    assert values == {0x0000: 0xFFFFFFFFFFFF, 0x0400: -0x800000}


async def test_meter_exchange(link: HanLink, sim: HanSimulator) -> None:
    before = (await link.esme.poll()).import_kwh
    assert before is not None
    assert before > 1000
    sim.meter_exchange("electricity")
    link.esme.forget_static()
    after = (await link.esme.poll()).import_kwh
    assert after is not None
    assert after < 1
    await sim.advance(3600)
    now = sim.clock.now()
    series = await link.esme.get_profile_raw(now - dt.timedelta(days=1), now)
    assert len(series) == 2
    sim.meter_exchange("gas")
    assert (await link.gas.poll()).volume_m3 == 0


async def test_unsupported_attribute_not_asked_again(link: HanLink) -> None:
    values = await link.esme.read(0x0702, [0x0000, 0x0C01])
    assert 0x0C01 not in values
    assert (0x0702, 0x0C01) in link.esme.unsupported
    await link.esme.read(0x0702, [0x0000, 0x0C01])


async def test_default_response_on_unknown_command(link: HanLink) -> None:
    response = await link.esme._command(0x0705, "get_prepay_snapshot", 0, 0, 0, 0)
    assert response.snapshot_payload_type == 0
    status = await link.esme._command(0x0703, "get_message_cancellation", 0)
    assert status.status == foundation.Status.SUCCESS


async def test_key_establishment_exchange(link: HanLink, sim: HanSimulator) -> None:
    # The hub's CBKE responder, driven by hand with the stand-in maths of cbke
    # (through zigpy's requests, which match answers by sequence number)
    sim.cbke_careless_tsn = False
    cad = bytes(sim.cad_ieee)[::-1]
    ke = link.hub.cluster(0x0800)
    own_cert = cbke.certificate(cad)
    response = await ke.initiate_key_establishment(
        c.KeyEstablishmentSuite.CBKE_ECMQV_283k1,
        10,
        10,
        c.RemainingBytes(own_cert),
        timeout=FAST_TIMEOUT,
    )
    hub_cert = bytes(response.identity)
    assert len(hub_cert) == 74
    assert cbke.certificate_subject(hub_cert) == bytes(sim.hub.ieee)[::-1]
    own_eph = cbke.ephemeral_key(cad, 1)
    response = await ke.ephemeral_data(c.RemainingBytes(own_eph), timeout=FAST_TIMEOUT)
    hub_eph = bytes(response.ephemeral_data)
    assert len(hub_eph) == 37
    initiator, responder = cbke.smacs(own_cert, own_eph, hub_cert, hub_eph)
    response = await ke.confirm_key_data(
        c.RemainingBytes(initiator), timeout=FAST_TIMEOUT
    )
    assert bytes(response.secure_message_authentication_code) == responder
    assert sim.cbke_completed == {sim.cad_ieee}
    assert sim.problems == []
    values = await link.hub.read(0x0800, [0x0000])
    assert values == {0x0000: 0x0002}


async def test_key_establishment_refuses_a_stranger(
    link: HanLink, sim: HanSimulator
) -> None:
    ke = link.hub.cluster(0x0800)
    # A certificate for a device it did not admit: Terminate (bad message,
    # as key-establishment.c checkKeyTable ends it). A
    # Terminate carries the hub's own sequence number: zigpy cannot pair it
    # with the request, so what the hub sent is read from the simulator
    await ke.initiate_key_establishment(
        c.KeyEstablishmentSuite.CBKE_ECMQV_283k1,
        10,
        10,
        c.RemainingBytes(cbke.certificate(bytes(8))),
        expect_reply=False,
    )
    # Ephemeral data before a successful initiate is out of order
    await ke.ephemeral_data(c.RemainingBytes(bytes(37)), expect_reply=False)
    assert sim.cbke_hub_terminations == [
        c.KeyEstablishmentStatus.Bad_Message,
        c.KeyEstablishmentStatus.Bad_Message,
    ]
    assert sim.problems == ["Ephemeral Data Request out of order"]
    assert sim.cbke_completed == set()


async def test_event_log(link: HanLink, sim: HanSimulator) -> None:
    await sim.send_alert(0x8F74)
    events = link.esme.cluster(0x0709)
    response = await events.get_event_log(0x06, 0, 0, 0, 5, 0, timeout=FAST_TIMEOUT)
    assert response.log_payload[0].event_id == 0x8F74


async def test_an_empty_event_log_is_not_found_and_a_busy_one_fails(
    link: HanLink, sim: HanSimulator
) -> None:
    """events-server.c: NOT_FOUND when no event matches; FAILURE while another
    GetEventLog is being answered (the emulator alone)."""
    events = link.esme.cluster(0x0709)
    response = await events.get_event_log(0x06, 0, 0, 0, 5, 0, timeout=FAST_TIMEOUT)
    assert response.status == foundation.Status.NOT_FOUND
    sim.event_log_busy = 1
    await sim.send_alert(0x8F74)
    response = await events.get_event_log(0x06, 0, 0, 0, 5, 0, timeout=FAST_TIMEOUT)
    assert response.status == foundation.Status.FAILURE
    response = await events.get_event_log(0x06, 0, 0, 0, 5, 0, timeout=FAST_TIMEOUT)
    assert response.log_payload[0].event_id == 0x8F74


# --- gas Pay-As-You-Go through the GPF -------------------------------------------


def _gas_credit(sim: HanSimulator) -> Decimal:
    """The simulated gas meter's own credit, in pounds."""
    return Decimal(sim.gas_account.credit(sim.clock.time())) / 100_000


async def test_gas_prepayment_is_read_on_the_gpf(frames: list[RadioFrame]) -> None:
    sim = HanSimulator(seed=5, gas_prepayment=True, frame_observer=frames.append)
    link = await HanLink.open(
        await sim.start(), request_timeout=FAST_TIMEOUT, clock=sim.clock.time
    )
    try:
        gas = link.gas
        assert gas.has_cluster(c.Prepayment.cluster_id)
        frames.clear()
        info = await gas.poll_prepayment()
        # one Read Attributes to the hub's GPF (the limits came with the link's
        # opening); the sleeping GSME is never asked
        assert gas.last_requests == 1
        sent = [f for f in frames if f.src_nwk == 0x6E5F]
        assert [(f.dst_nwk, f.cluster) for f in sent] == [(0x0000, 0x0705)]
        assert sim.gsme_wakeups == 0
        assert info.prepayment_mode is True
        assert info.currency_code == "GBP"
        assert info.credit_remaining == Decimal(15) == _gas_credit(sim)
        assert info.emergency_credit_remaining == Decimal(10)
        assert info.emergency_credit_limit == Decimal(10)
        assert info.low_credit_warning_level == Decimal(5)
        assert info.accumulated_debt == Decimal(0)
        assert info.credit_status is not None
        assert info.credit_status.credit_ok
        # the electricity meter stays on credit
        assert (await link.esme.poll_prepayment()).prepayment_mode is False
        # gas used and the standing charge draw the credit down
        await sim.advance(6 * 3600)
        later = (await gas.poll_prepayment()).credit_remaining
        assert later is not None
        assert later < Decimal(15)
        assert later == _gas_credit(sim)
        # a pushed snapshot from the GPF is scaled like the attributes
        events: list[object] = []
        gas.subscribe(events.append)
        await sim.send_prepay_snapshot(fuel="gas")
        (snapshot,) = events
        assert isinstance(snapshot, model.PrepaySnapshotEvent)
        assert snapshot.credit_remaining == later
    finally:
        await link.close()


async def test_gas_top_up_by_utrn() -> None:
    sim = HanSimulator(seed=5, gas_prepayment=True, prepayment=True)
    link = await HanLink.open(
        await sim.start(), request_timeout=FAST_TIMEOUT, clock=sim.clock.time
    )
    try:
        gas = link.gas
        before = (await gas.poll_prepayment()).credit_remaining
        assert before is not None
        result = await gas.top_up(sim.issue_utrn(1000, fuel="gas"))
        assert (result.accepted, result.reason) == (True, model.TopUpReason.ACCEPTED)
        assert result.value == Decimal(10)
        assert result.credit_remaining == before + 10 == _gas_credit(sim)
        assert gas.last_requests == 1
        after = await gas.poll_prepayment()
        assert after.total_credit_added == Decimal(10)
        duplicate = await gas.top_up(sim.issue_utrn(1000, fuel="gas"))
        assert duplicate.accepted  # a new UTRN
        again = await gas.top_up(sim.gas_account.top_up_log[0][3])
        assert (again.accepted, again.reason) == (False, model.TopUpReason.DUPLICATE)
        # an electricity UTRN is not the gas meter's
        electric = sim.issue_utrn(500)
        wrong = await gas.top_up(electric)
        assert (wrong.accepted, wrong.reason) == (
            False,
            model.TopUpReason.NOT_AUTHENTIC,
        )
        # and each meter's credit moved only with its own top-ups
        esme_before = (await link.esme.poll_prepayment()).credit_remaining
        assert (await link.esme.top_up(electric)).accepted
        assert (await link.esme.poll_prepayment()).credit_remaining == (
            (esme_before or 0) + 5
        )
        assert (await gas.poll_prepayment()).credit_remaining == _gas_credit(sim)
    finally:
        await link.close()


async def test_gas_meter_without_utrn_over_the_han() -> None:
    sim = HanSimulator(seed=5, gas_prepayment=True, gas_utrn=False)
    link = await HanLink.open(
        await sim.start(), request_timeout=FAST_TIMEOUT, clock=sim.clock.time
    )
    try:
        with pytest.raises(HanCommandError) as refused:
            await link.gas.top_up(sim.issue_utrn(1000, fuel="gas"))
        assert refused.value.status == foundation.Status.UNSUP_CLUSTER_COMMAND
        assert _gas_credit(sim) == Decimal(15)
        # credit and emergency credit are still read
        assert (await link.gas.poll_prepayment()).credit_remaining == Decimal(15)
    finally:
        await link.close()


async def test_gas_emergency_credit_and_low_credit_alarm() -> None:
    sim = HanSimulator(seed=3, gas_prepayment=True)
    link = await HanLink.open(
        await sim.start(), request_timeout=FAST_TIMEOUT, clock=sim.clock.time
    )
    events: list[object] = []
    link.gas.subscribe(events.append)
    esme_events: list[object] = []
    link.esme.subscribe(esme_events.append)
    try:
        gas = link.gas
        assert await gas.select_emergency_credit() is False  # plenty of credit
        for _ in range(60):
            await sim.advance(3 * 3600)
            info = await gas.poll_prepayment()
            if (
                info.credit_status is not None
                and info.credit_status.emergency_credit_available
            ):
                break
        assert info.credit_status is not None
        assert info.credit_status.emergency_credit_available
        codes = [e.code for e in events if isinstance(e, model.AlertEvent)]
        assert 0x810D in codes  # low credit, raised by the gas meter
        assert 0x8119 in codes  # emergency credit available
        assert all(e.source == "gpf" for e in events if isinstance(e, model.AlertEvent))
        # the electricity meter (credit mode) raised none of them
        assert not [e for e in esme_events if isinstance(e, model.AlertEvent)]
        assert await gas.select_emergency_credit() is True
        info = await gas.poll_prepayment()
        assert info.credit_status is not None
        assert info.credit_status.emergency_credit_selected
        assert 0x81AB in [e.code for e in events if isinstance(e, model.AlertEvent)]
        # used up: the mirrored supply is armed (the GSME's valve closes)
        for _ in range(60):
            await sim.advance(6 * 3600)
            info = await gas.poll_prepayment()
            if info.credit_status is not None and info.credit_status.raw & 0x40:
                break
        assert info.emergency_credit_remaining == Decimal(0)
        reading = await gas.poll()
        assert reading.supply_status is model.SupplyStatus.ARMED
        assert 0x81AA in [e.code for e in events if isinstance(e, model.AlertEvent)]
    finally:
        await link.close()


async def test_credit_mode_gas_has_no_prepayment(link: HanLink) -> None:
    assert not link.gas.has_cluster(c.Prepayment.cluster_id)
    with pytest.raises(HanError):
        await link.gas.poll_prepayment()


# --- the meter's own cost of consumption (Historical Cost Consumption) --------------


def _tier_cost(sim: HanSimulator, start: int, end: int) -> Decimal:
    """Each half-hour's kWh at its tier's price, from the profile (pounds)."""
    meter, tariff = sim.electricity, sim.tariff
    units = sum(
        meter.import_wh(index) * tariff.price(tariff.tier_at(index * 1800))
        for index in range(start // 1800, end // 1800)
    )
    return Decimal(units // 1000) / 100_000


async def test_cost_consumption_is_each_half_hour_at_its_tier_price(
    link: HanLink, sim: HanSimulator, frames: list[RadioFrame]
) -> None:
    """Today, yesterday, this week and month: one request; no standing charge."""
    now = sim.clock.time()
    await sim.advance(86_400 * 3 + 1800 - now % 1800)  # on a half-hour
    now = sim.clock.time()
    midnight = now - now % 86_400
    await link.esme.poll_prepayment()  # the formatting and currency, once
    frames.clear()
    costs = await link.esme.poll_cost_consumption()
    assert link.esme.last_requests == 1
    assert [f.cluster for f in frames if f.src_nwk == 0x6E5F] == [0x0705]
    assert costs.currency_code == "GBP"
    assert costs.today == _tier_cost(sim, midnight, now)
    assert costs.yesterday == _tier_cost(sim, midnight - 86_400, midnight)
    assert costs.today is not None
    assert costs.today > 0
    # a week begins on Monday, a month on the 1st (UTC)
    monday = midnight - ((midnight // 86_400 + 3) % 7) * 86_400
    assert costs.this_week == _tier_cost(sim, monday, now)
    first = int(dt.datetime.fromtimestamp(midnight, dt.UTC).replace(day=1).timestamp())
    assert costs.this_month == _tier_cost(sim, first, now)
    # the eight days back, on request (one more request)
    back = await link.esme.poll_cost_consumption(model.COST_DAY_ATTRIBUTES)
    assert back.day(8) == _tier_cost(sim, midnight - 8 * 86_400, midnight - 7 * 86_400)
    assert back.yesterday == costs.yesterday


async def test_gas_cost_consumption_on_the_gpf() -> None:
    """A Pay-As-You-Go gas meter's costs come through the GPF: kWh at the gas price."""
    sim = HanSimulator(seed=5, gas_prepayment=True)
    link = await HanLink.open(
        await sim.start(), request_timeout=FAST_TIMEOUT, clock=sim.clock.time
    )
    try:
        await sim.advance(86_400)
        now = sim.clock.time()
        midnight = now - now % 86_400
        gas = sim.gas
        costs = await link.gas.poll_cost_consumption()

        def cost(start: int, end: int) -> Decimal:
            used = gas.kwh_x1000(gas.register(end)) - gas.kwh_x1000(gas.register(start))
            return Decimal(used * gas.unit_price // 1000) / 100_000

        assert costs.today == cost(midnight, now)
        assert costs.yesterday == cost(midnight - 86_400, midnight)
        assert costs.yesterday is not None
        assert costs.yesterday > 0
        assert sim.gsme_wakeups == 0
    finally:
        await link.close()


async def test_a_meter_without_cost_consumption_is_asked_once(
    link: HanLink, sim: HanSimulator
) -> None:
    for attr in model.COST_CONSUMPTION_ATTRIBUTES:
        del sim.esme.endpoints[1].clusters[0x0705].attributes[attr]
    costs = await link.esme.poll_cost_consumption()
    assert costs.today is costs.this_month is None
    again = await link.esme.poll_cost_consumption()
    assert link.esme.last_requests == 0
    assert again == costs


# --- the gas flow rate ---------------------------------------------------------------


@pytest.mark.parametrize("gas_flow", [True, False])
async def test_gas_flow_rate_when_the_gpf_publishes_one(gas_flow: bool) -> None:
    sim = HanSimulator(seed=3, gas_flow=gas_flow)
    link = await HanLink.open(
        await sim.start(), request_timeout=FAST_TIMEOUT, clock=sim.clock.time
    )
    try:
        await sim.advance(3600)
        reading = await link.gas.poll()
        if not gas_flow:
            assert reading.flow_m3_per_h is None
            return
        index = sim.clock.time() // 1800 - 1
        # the last half-hour's litres as a rate, in m³/h with every digit
        assert reading.flow_m3_per_h == Decimal(sim.gas.litres(index) * 2) / 1000
        assert reading.power_w is None  # a volume flow is not a power
        assert sim.gsme_wakeups == 0
    finally:
        await link.close()
