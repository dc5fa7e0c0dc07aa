"""The simulator on its own: clock, determinism, data model, radio."""

from __future__ import annotations

import datetime as dt

import pytest
from zigpy.zcl import foundation

from custom_components.smets.han.simulator import (
    HALF_HOUR,
    HanSimulator,
    RadioFrame,
    SimClock,
    Tariff,
    unix_time,
    zcl_time,
)
from custom_components.smets.han.simulator.devices import EmulatedDevice
from custom_components.smets.han.simulator.meters import UtrnBook, unit_random


def test_clock_moves_only_when_told() -> None:
    clock = SimClock(dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
    seen: list[tuple[int, int]] = []
    unsubscribe = clock.on_advance(lambda old, new: seen.append((old, new)))
    start = clock.time()
    assert clock.time() == start
    assert clock.advance(10) == start + 10
    assert seen == [(start, start + 10)]
    unsubscribe()
    clock.advance(5)
    assert len(seen) == 1
    assert clock.now() == dt.datetime(2025, 6, 1, 0, 0, 15, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="never goes back"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="aware"):
        SimClock(dt.datetime(2025, 6, 1))  # noqa: DTZ001
    assert SimClock(1_000).time() == 1_000


def test_zcl_time() -> None:
    assert zcl_time(946_684_800) == 0
    assert unix_time(10) == 946_684_810


def test_same_seed_same_meter() -> None:
    a, b, other = HanSimulator(seed=4), HanSimulator(seed=4), HanSimulator(seed=5)
    now = a.clock.time()
    assert a.electricity.import_register(now) == b.electricity.import_register(now)
    assert a.gas.register(now) == b.gas.register(now)
    assert a.electricity.import_register(now) != other.electricity.import_register(now)
    assert a.esme.ieee == b.esme.ieee != other.esme.ieee
    assert 0 <= unit_random(1, 2, 3) < 1


def test_registers_are_opening_plus_intervals() -> None:
    sim = HanSimulator(seed=9)
    meter = sim.electricity
    now = sim.clock.time() // HALF_HOUR * HALF_HOUR
    index = now // HALF_HOUR
    assert 19_000 <= index - meter.base <= 19_100  # 13 months, half-hourly
    total = sum(meter.import_wh(i) for i in range(meter.base, index))
    assert meter.import_register(now) == meter.opening_import + total
    assert meter.import_register(now) == sum(
        meter.tier_register(k, now) for k in (1, 2)
    )
    mid = now + 900
    assert (
        meter.import_register(mid)
        == meter.import_register(now) + meter.import_wh(index) // 2
    )


def test_solar_exports_at_midday_in_summer() -> None:
    clock = SimClock(dt.datetime(2025, 6, 21, 12, 0, tzinfo=dt.UTC))
    sim = HanSimulator(seed=1, clock=clock)
    noon = clock.time()
    demands = [sim.electricity.demand_w(noon + 600 * k) for k in range(-6, 7)]
    assert min(demands) < 0  # exporting
    night = sim.electricity.demand_w(noon - 12 * 3600)
    assert night > 0
    no_solar = HanSimulator(seed=1, clock=SimClock(noon), solar=False)
    assert (
        no_solar.electricity.export_register(noon)
        == no_solar.electricity.opening_export
    )


@pytest.mark.parametrize("tiers", [1, 2, 4])
def test_tariff_tiers(tiers: int) -> None:
    tariff = Tariff(tiers=tiers)
    monday = int(dt.datetime(2025, 1, 13, tzinfo=dt.UTC).timestamp())
    seen = {tariff.tier_at(monday + 1800 * k) for k in range(48 * 7)}
    assert seen == set(range(1, tiers + 1))
    sim = HanSimulator(seed=1, tiers=tiers)
    now = sim.clock.time()
    total = sum(sim.electricity.tier_register(k, now) for k in range(1, tiers + 1))
    assert total == sim.electricity.import_register(now)


def test_bad_tariff() -> None:
    with pytest.raises(ValueError, match="tiers"):
        Tariff(tiers=3)


def test_gas_moves_each_half_hour() -> None:
    sim = HanSimulator(seed=2)
    now = sim.clock.time() // HALF_HOUR * HALF_HOUR
    assert sim.gas.register(now + 1799) == sim.gas.register(now)
    assert sim.gas.register(now + 1800) == sim.gas.register(now) + sim.gas.litres(
        now // HALF_HOUR
    )
    assert sim.gas.kwh_x1000(1000) == round(1000 * 1.02264 * 39.5 / 3.6)


def test_utrn_book() -> None:
    book = UtrnBook(b"key")
    utrn = book.issue(1234)
    assert len(utrn) == 20
    assert utrn.isdigit()
    assert book.check(utrn) == (1234, 1)
    assert book.check(utrn[:-1] + str((int(utrn[-1]) + 1) % 10)) is None
    assert book.check("abc") is None
    assert UtrnBook(b"other").check(utrn) is None
    with pytest.raises(ValueError, match="UTRN"):
        book.issue(0)


async def test_frames_both_directions(
    sim_app, sim: HanSimulator, frames: list[RadioFrame]
) -> None:
    from custom_components.smets.han.link import HanLink

    link = HanLink(sim_app, request_timeout=0.05, clock=sim.clock.time)
    await link.start()
    assert frames
    out = [f for f in frames if f.src_nwk == 0x6E5F]
    back = [f for f in frames if f.dst_nwk == 0x6E5F]
    assert len(out) == len(back) == 3
    assert all(f.profile == 0x0109 for f in frames)
    assert all(f.timestamp == sim.clock.time() for f in frames)
    assert [f.aps_counter for f in out] == [0, 1, 2]
    # a Read Attributes request and its response, byte for byte
    request, response = frames[0], frames[1]
    assert request.zcl[0] == 0x00  # global, client to server
    assert request.zcl[2] == 0x00  # Read Attributes
    assert response.zcl[0] == 0x18  # global, server to client, no default response
    assert response.zcl[1] == request.zcl[1]  # same TSN
    assert response.zcl[2] == 0x01  # Read Attributes Response


async def test_unsupported_and_unknown(sim_app, sim: HanSimulator) -> None:
    replies = sim.esme.handle(1, 0x0702, b"\x00\x01\x00\x99\x09", sim.clock.time())
    assert replies[0].data[3:] == b"\x99\x09\x86"  # UNSUPPORTED_ATTRIBUTE
    replies = sim.esme.handle(1, 0x0B04, b"\x01\x02\x00", sim.clock.time())
    assert replies[0].data[2] == 0x0B  # Default Response
    assert replies[0].data[4] == 0x81  # UNSUP_CLUSTER_COMMAND
    replies = sim.esme.handle(1, 0x0705, b"\x01\x03\x04\x02", sim.clock.time())
    assert replies[0].data[4] == 0x80  # MALFORMED_COMMAND
    assert sim.esme.handle(1, 0x0702, b"\x18\x04\x0b\x00\x00", sim.clock.time()) == []


# --- a HAN that changes: gas paired later, unpaired, a meter exchanged -------------


def test_gas_paired_later() -> None:
    sim = HanSimulator(seed=5, gas=False)
    sim.register_simulated_cad()  # the hub pushes its alerts to a bound CAD
    assert not sim.gas_paired
    assert sim.gsme not in sim.devices
    assert 2 not in sim.hub.endpoints
    esme, hub, gsme = str(sim.esme.ieee), str(sim.hub.ieee), str(sim.gsme.ieee)
    assert sim.metering_endpoints() == {esme: [1]}
    # the same household as with gas from the start: same addresses
    assert str(HanSimulator(seed=5).gsme.ieee) == gsme

    sim.pair_gas()
    assert sim.gas_paired
    assert sim.metering_endpoints() == {hub: [2], esme: [1], gsme: [1]}
    assert sim.metering_endpoints() == HanSimulator(seed=5).metering_endpoints()
    # the hub's "device joined" alert waits for the next frames
    assert [(d.name, r.src_ep) for d, r in sim._outbox] == [("hub", 1)]
    assert sim.events[sim.hub.nwk][0][1] == 0x8183
    sim.pair_gas()  # already paired: nothing more
    assert len(sim._outbox) == 1

    sim.unpair_gas()
    assert not sim.gas_paired
    assert sim.metering_endpoints() == {esme: [1]}
    sim.unpair_gas()
    assert sim.metering_endpoints() == {esme: [1]}


def test_pair_gas_quietly() -> None:
    sim = HanSimulator(seed=5, gas=False)
    sim.pair_gas(announce=False)
    assert sim.gas_paired
    assert sim._outbox == []


def test_meter_exchange_with_a_new_eui64_is_deterministic() -> None:
    first, second = HanSimulator(seed=9), HanSimulator(seed=9)
    old_esme, old_gsme = first.esme.ieee, first.gsme.ieee
    first.meter_exchange("electricity", new_eui64=True)
    second.meter_exchange("electricity", new_eui64=True)
    assert first.esme.ieee == second.esme.ieee != old_esme
    assert first.esme.nwk == second.esme.nwk  # the same place on the network
    assert first.gsme.ieee == old_gsme
    assert first.electricity.import_register(first.clock.time()) == 0
    assert str(first.esme.ieee) in first.metering_endpoints()
    assert str(old_esme) not in first.metering_endpoints()
    assert first.events[first.hub.nwk][0][1] == 0x8183
    # a second exchange: yet another meter
    again = first.esme.ieee
    first.meter_exchange("electricity", new_eui64=True, announce=False)
    assert first.esme.ieee not in (again, old_esme)
    # the gas meter behind the GPF
    first.meter_exchange("gas", new_eui64=True)
    assert first.gsme.ieee != old_gsme
    assert first.gas.register(first.clock.time()) == 0
    # a plain exchange keeps the device
    esme = first.esme.ieee
    first.meter_exchange("electricity")
    assert first.esme.ieee == esme


async def test_survey_of_the_simulated_application() -> None:
    sim = HanSimulator(seed=5, gas=False)
    app = await sim.start()
    try:
        assert await app.survey() == {str(sim.esme.ieee): [1]}
        assert all(d.ieee != sim.gsme.ieee for d in app.devices.values())
        sim.pair_gas()
        assert len(await app.survey()) == 3
        sim.radio_loss()
        with pytest.raises(Exception, match="radio loss"):
            await app.survey()
    finally:
        await app.shutdown()


async def test_hub_alerts_come_from_its_own_endpoint(
    sim_app, sim: HanSimulator
) -> None:
    from custom_components.smets.han import model
    from custom_components.smets.han.link import HanLink

    link = await HanLink.open(sim_app, request_timeout=0.05, clock=sim.clock.time)
    seen: list[object] = []
    link.hub.subscribe(seen.append)
    await sim.send_alert(0x8183, fuel="hub")
    assert len(seen) == 1
    assert isinstance(seen[0], model.AlertEvent)
    assert seen[0].code == 0x8183
    assert "device_joined" in seen[0].trigger_types


def test_gas_prepayment_account_charges_the_gas_tariff() -> None:
    sim = HanSimulator(seed=4, gas_prepayment=True)
    account, gas = sim.gas_account, sim.gas
    assert account.meter is gas
    assert account is sim.prepayment_account("gas")
    assert sim.account is sim.prepayment_account("electricity")
    start = sim.clock.time()
    assert account.credit(start) == 1_500_000  # £15
    # six hours on: each kWh the mirrored register moved at the gas unit
    # price, and the standing charge by the second
    later = start + 6 * 3600
    energy = gas.kwh_x1000(gas.register(later)) - gas.kwh_x1000(gas.register(start))
    assert energy > 0
    spent = energy * gas.unit_price // 1000 + gas.standing_charge * 6 * 3600 // 86_400
    assert account.credit(later) == 1_500_000 - spent
    # the GPF publishes the same tariff the account charges
    assert (sim.gas_price, sim.gas_standing_charge) == (6_240, 31_430)
    # the electricity account is separate (and on credit)
    assert not sim.account.prepayment
    assert sim.account.utrns.key != account.utrns.key


def test_gas_prepayment_cluster_on_the_gpf_only_in_prepayment() -> None:
    credit = HanSimulator(seed=4)
    assert 0x0705 not in credit.hub.endpoints[2].clusters
    assert not credit.gas_account.prepayment
    paygo = HanSimulator(seed=4, gas_prepayment=True)
    cluster = paygo.hub.endpoints[2].clusters[0x0705]
    assert set(cluster.commands) == {0x00, 0x04, 0x07}
    assert cluster.attributes[0x0000](0) == 0x0003  # prepayment enabled
    keypad_only = HanSimulator(seed=4, gas_prepayment=True, gas_utrn=False)
    assert set(keypad_only.hub.endpoints[2].clusters[0x0705].commands) == {0x00, 0x07}
    # the ESME's cluster is the same code for electricity
    esme = paygo.esme.endpoints[1].clusters[0x0705]
    assert set(esme.commands) == {0x00, 0x04, 0x07}
    assert esme.attributes[0x0000](0) == 0x0000  # electricity on credit


def test_gas_meter_exchange_restarts_its_account() -> None:
    sim = HanSimulator(seed=4, gas_prepayment=True, gas_utrn=False)
    now = sim.clock.time()
    sim.gas_account._reanchor(now, 123_000)
    sim.meter_exchange("gas")
    account = sim.gas_account
    assert account.credit(now) == 1_500_000
    assert (account.prepayment, account.accepts_utrn) == (True, False)
    assert account.meter is sim.gas
    assert sim.gas.register(now) == 0


def test_gas_supply_is_armed_when_its_credit_is_exhausted() -> None:
    sim = HanSimulator(seed=4, gas_prepayment=True)
    supply = sim.hub.endpoints[2].clusters[0x0702].attributes[0x0014]
    esme_supply = sim.esme.endpoints[1].clusters[0x0702].attributes[0x0014]
    now = sim.clock.time()
    assert supply(now) == 0x02
    sim.gas_account._reanchor(now, 100_000)  # £1: emergency credit available
    assert sim.gas_account.select_emergency_credit(now)
    sim.gas_account._reanchor(now, -1_000_000)  # emergency credit used up
    assert sim.gas_account.status(now) & 0x40
    assert supply(now) == 0x01  # armed
    assert esme_supply(now) == 0x02  # the electricity meter is not affected


@pytest.mark.parametrize("general", [True, False])
@pytest.mark.parametrize(("tsn", "command_id"), [(0, 0x01), (0x7F, 0x0A), (0xFF, 0x0B)])
def test_answer_header_is_a_zcl_server_to_client_header(
    general: bool, tsn: int, command_id: int
) -> None:
    """The simulated meters' hand-built answer header is what ZCL 2.4.1 gives."""
    hdr, rest = foundation.ZCLHeader.deserialize(
        EmulatedDevice.header(tsn, command_id, general=general)
    )
    assert rest == b""
    assert hdr.frame_control.is_general is general
    assert hdr.frame_control.is_cluster is not general
    assert hdr.direction == foundation.Direction.Server_to_Client
    assert hdr.frame_control.disable_default_response
    assert not hdr.frame_control.is_manufacturer_specific
    assert (hdr.tsn, hdr.command_id) == (tsn, command_id)
