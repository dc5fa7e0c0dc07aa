"""Prices from other entities on the simulated HAN: a dynamic tariff, the export rate.

The rate sensors are states set in the test, as another integration's would
be; the totals are checked to the last digit against the simulator's
registers, the entity's price, and the simulator's own standing charge.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smets import PLATFORMS
from custom_components.smets.connection import make_simulator
from custom_components.smets.const import (
    CONF_ELECTRICITY_PRICE_ENTITY,
    CONF_EXPORT_RATE,
    CONF_EXPORT_RATE_ENTITY,
    CONF_GAS_PRICE_ENTITY,
    CONF_SEED,
    DOMAIN,
)
from custom_components.smets.han.simulator import HanSimulator
from custom_components.smets.price_entities import (
    ABSENT_GRACE,
    PriceKind,
    issue_id,
    parse_price,
    unit_factor,
)

from .conftest import START, hub_ieee, setup_platform, simulator_data, simulator_of
from .test_tariff import STEP, energy_cost, registers, standing, step_to
from .test_total_cost import gas_price, gas_standing

ELECTRICITY = "sensor.electricity_meter_total_cost"
GAS = "sensor.gas_meter_total_cost"
GAS_ENERGY = "sensor.gas_meter_energy"
EXPORT = "sensor.electricity_meter_export_compensation"
COST_TODAY = "sensor.electricity_meter_cost_today"
COST_PERIOD = "sensor.electricity_meter_cost_this_billing_period"
RATE = "sensor.agile_rate"
GAS_RATE = "sensor.gas_rate"
EXPORT_RATE = "sensor.outgoing_rate"
GBP = {"unit_of_measurement": "GBP/kWh"}
PENCE = {"unit_of_measurement": "p/kWh"}
ENTRY_ID = "01JSMETSTESTENTRY0000000000"
SUMMER = dt.datetime(2026, 6, 10, 11, 0, tzinfo=dt.UTC)
"""Midday in June: the simulated roof exports every half-hour (January's hardly)."""


pytestmark = pytest.mark.usefixtures("london")
"""Days end at midnight in London (UTC in January)."""


def make_entry(options: dict[str, Any], **data: Any) -> MockConfigEntry:
    entry_data = simulator_data(**data)
    return MockConfigEntry(
        domain=DOMAIN,
        title="Simulated SMETS2 meter",
        data=entry_data,
        options=options,
        unique_id=hub_ieee(entry_data[CONF_SEED]),
        entry_id=ENTRY_ID,
    )


async def set_up(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    at: dt.datetime = START,
) -> HanSimulator:
    """Set the entry up at ``at``, every platform."""
    if at == START:
        await setup_platform(hass, entry, freezer, *PLATFORMS)
    else:
        freezer.move_to(at)
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    return simulator_of(entry)


def value(hass: HomeAssistant, entity_id: str) -> Decimal:
    state = hass.states.get(entity_id)
    assert state is not None
    return Decimal(state.state)


def shown(cost: Decimal) -> Decimal:
    """A cost as Cost today shows it (to a hundredth of a penny)."""
    return cost.quantize(Decimal("0.0001"))


def kwh(sim: HanSimulator, start: dt.datetime, end: dt.datetime) -> Decimal:
    """What every tier register counted between two times (kWh)."""
    before, after = registers(sim, start), registers(sim, end)
    return sum((Decimal(after[t] - before[t]) / 1000 for t in before), Decimal(0))


def exported(sim: HanSimulator, start: dt.datetime, end: dt.datetime) -> Decimal:
    """What the export register counted between two times (kWh)."""
    reg = sim.electricity.export_register
    return Decimal(reg(int(end.timestamp())) - reg(int(start.timestamp()))) / 1000


async def steps(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, start: dt.datetime, n: int
) -> dt.datetime:
    """Read the meters every 5 minutes ``n`` times from ``start``; return the last."""
    when = start
    for _ in range(n):
        when += STEP
        await step_to(hass, freezer, when)
    return when


def issue(hass: HomeAssistant, kind: PriceKind) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, issue_id(ENTRY_ID, kind))


def test_units_and_bad_states() -> None:
    """GBP/kWh and p/kWh by the unit; anything else is no price."""
    assert unit_factor("GBP/kWh") == 1
    assert unit_factor("£/kWh") == 1
    assert unit_factor("p/kWh") == Decimal("0.01")
    assert unit_factor("GBp/kWh") == Decimal("0.01")
    assert unit_factor(" p / kwh ") == Decimal("0.01")
    for unit in (None, "GBP", "EUR/kWh", "GBP/MWh", 1):
        assert unit_factor(unit) is None
    assert parse_price(State(RATE, "24.51", PENCE)) == Decimal("0.2451")
    assert parse_price(State(RATE, "-0.0213", GBP)) == Decimal("-0.0213")
    for bad in (STATE_UNKNOWN, STATE_UNAVAILABLE, "cheap", "nan", "inf"):
        assert parse_price(State(RATE, bad, GBP)) is None
    assert parse_price(State(RATE, "0.25", {})) is None
    assert parse_price(None) is None


@pytest.mark.parametrize(
    ("state", "attributes", "price"),
    [("0.2451", GBP, Decimal("0.2451")), ("24.51", PENCE, Decimal("0.2451"))],
)
async def test_electricity_price_from_an_entity(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    state: str,
    attributes: dict[str, str],
    price: Decimal,
) -> None:
    """Every kWh at the entity's price, a change from the next reading; standing charge
    from the meter. GBP/kWh and p/kWh give the same total."""
    hass.states.async_set(RATE, state, attributes)
    entry = make_entry({CONF_ELECTRICITY_PRICE_ENTITY: RATE}, tiers=2)
    sim = await set_up(hass, freezer, entry)
    total = hass.states.get(ELECTRICITY)
    assert total is not None
    assert total.attributes["price_entity"] == RATE
    assert total.attributes["price_entity_in_force"] is True
    assert value(hass, ELECTRICITY) == standing(sim)

    t1 = await steps(hass, freezer, START, 12)
    assert value(hass, ELECTRICITY) == standing(sim) + kwh(sim, START, t1) * price
    # not the meter's tariff (its tiers have other prices)
    assert value(hass, ELECTRICITY) != standing(sim) + energy_cost(sim, START, t1)

    # the rate changes (a new half-hour of a dynamic tariff): from the next reading
    hass.states.async_set(RATE, "0.1", GBP)
    await hass.async_block_till_done()
    t2 = await steps(hass, freezer, t1, 6)
    assert value(hass, ELECTRICITY) == (
        standing(sim)
        + kwh(sim, START, t1 + STEP) * price
        + kwh(sim, t1 + STEP, t2) * Decimal("0.1")
    )
    assert issue(hass, PriceKind.ELECTRICITY) is None
    assert entry.runtime_data.totals["esme"].price_source == RATE


async def test_cost_today_and_this_billing_period_price_as_total_cost(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
) -> None:
    """Cost today and Cost this billing period take the unit price Total cost takes:
    the entity's, a change from the next reading, the meter's once it is gone. On the
    first day of counting the three agree to the hundredth of a penny."""
    entity_registry.async_get_or_create(
        "sensor", "other", "rate", suggested_object_id="agile_rate"
    )
    hass.states.async_set(RATE, "24.51", PENCE)
    await hass.async_block_till_done()
    entry = make_entry({CONF_ELECTRICITY_PRICE_ENTITY: RATE}, tiers=2)
    sim = await set_up(hass, freezer, entry)
    p, q = Decimal("0.2451"), Decimal("0.1")

    def agree(expected: Decimal) -> None:
        assert value(hass, ELECTRICITY) == expected
        assert value(hass, COST_TODAY) == shown(expected)
        assert value(hass, COST_PERIOD) == shown(expected)

    agree(standing(sim))
    t1 = await steps(hass, freezer, START, 6)
    expected = standing(sim) + kwh(sim, START, t1) * p
    agree(expected)
    # not the meter's tariff
    assert value(hass, COST_TODAY) != shown(standing(sim) + energy_cost(sim, START, t1))

    hass.states.async_set(RATE, "0.1", GBP)
    await hass.async_block_till_done()
    t2 = await steps(hass, freezer, t1, 6)
    expected += kwh(sim, t1, t1 + STEP) * p + kwh(sim, t1 + STEP, t2) * q
    agree(expected)

    # the entity gone: the meter's price, for all three
    entity_registry.async_remove(RATE)
    hass.states.async_remove(RATE)
    await hass.async_block_till_done()
    assert issue(hass, PriceKind.ELECTRICITY) is not None
    t3 = await steps(hass, freezer, t2, 6)
    expected += kwh(sim, t2, t2 + STEP) * q + energy_cost(sim, t2 + STEP, t3)
    agree(expected)


async def test_bad_states_are_ignored(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Unknown, unavailable, not a number, a unit not known: the last good price
    stays in force and no kWh goes uncosted."""
    hass.states.async_set(RATE, "0.25", GBP)
    await hass.async_block_till_done()
    sim = await set_up(hass, freezer, make_entry({CONF_ELECTRICITY_PRICE_ENTITY: RATE}))
    when = START
    for bad, attributes in (
        (STATE_UNAVAILABLE, GBP),
        (STATE_UNKNOWN, GBP),
        ("cheap", GBP),
        ("30", {"unit_of_measurement": "EUR/kWh"}),
        ("0.3", {}),
    ):
        hass.states.async_set(RATE, bad, attributes)
        await hass.async_block_till_done()
        when = await steps(hass, freezer, when, 2)
    assert value(hass, ELECTRICITY) == standing(sim) + kwh(sim, START, when) * Decimal(
        "0.25"
    )
    assert hass.states.get(ELECTRICITY).attributes["price_entity_in_force"] is True
    assert issue(hass, PriceKind.ELECTRICITY) is None


async def test_total_waits_for_a_first_good_price(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Set up while the rate sensor is unavailable: counting begins with its first price,
    for Total cost, Cost today and Cost this billing period alike."""
    hass.states.async_set(RATE, STATE_UNAVAILABLE, GBP)
    await hass.async_block_till_done()
    sim = await set_up(hass, freezer, make_entry({CONF_ELECTRICITY_PRICE_ENTITY: RATE}))
    assert hass.states.get(ELECTRICITY).attributes["price_entity_in_force"] is False
    t1 = await steps(hass, freezer, START, 2)
    for entity_id in (ELECTRICITY, COST_TODAY, COST_PERIOD):
        assert hass.states.get(entity_id).state == STATE_UNKNOWN, entity_id
    hass.states.async_set(RATE, "0.2", GBP)
    await hass.async_block_till_done()
    t2 = await steps(hass, freezer, t1, 1)
    assert value(hass, ELECTRICITY) == standing(sim)
    assert value(hass, COST_TODAY) == value(hass, COST_PERIOD) == shown(standing(sim))
    t3 = await steps(hass, freezer, t2, 3)
    expected = standing(sim) + kwh(sim, t2, t3) * Decimal("0.2")
    assert value(hass, ELECTRICITY) == expected
    assert value(hass, COST_TODAY) == shown(expected)
    assert value(hass, COST_PERIOD) == shown(expected)


async def test_removed_entity_raises_a_repair_and_falls_back(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
) -> None:
    """The rate sensor is removed: a repair issue, the meter's price; back: cleared."""
    entity_registry.async_get_or_create(
        "sensor", "other", "rate", suggested_object_id="agile_rate"
    )
    hass.states.async_set(RATE, "0.3", GBP)
    await hass.async_block_till_done()
    entry = make_entry({CONF_ELECTRICITY_PRICE_ENTITY: RATE})
    sim = await set_up(hass, freezer, entry)
    t1 = await steps(hass, freezer, START, 3)
    p = Decimal("0.3")
    assert value(hass, ELECTRICITY) == standing(sim) + kwh(sim, START, t1) * p

    entity_registry.async_remove(RATE)
    hass.states.async_remove(RATE)
    await hass.async_block_till_done()
    found = issue(hass, PriceKind.ELECTRICITY)
    assert found is not None
    assert found.translation_key == "electricity_price_entity_missing"
    assert found.translation_placeholders == {
        "entity_id": RATE,
        "entry": "Simulated SMETS2 meter",
    }
    assert found.severity is ir.IssueSeverity.WARNING
    assert not found.is_fixable
    t2 = await steps(hass, freezer, t1, 4)
    # the reading in progress at the removal was at the entity's price; then the meter's
    expected = (
        standing(sim) + kwh(sim, START, t1 + STEP) * p + energy_cost(sim, t1 + STEP, t2)
    )
    assert value(hass, ELECTRICITY) == expected
    assert hass.states.get(ELECTRICITY).attributes["price_entity_in_force"] is False

    # back (its integration added it again): the repair goes, its price is used
    entity_registry.async_get_or_create(
        "sensor", "other", "rate", suggested_object_id="agile_rate"
    )
    hass.states.async_set(RATE, "0.3", GBP)
    await hass.async_block_till_done()
    assert issue(hass, PriceKind.ELECTRICITY) is None
    t3 = await steps(hass, freezer, t2, 4)
    assert value(hass, ELECTRICITY) == (
        expected + energy_cost(sim, t2, t2 + STEP) + kwh(sim, t2 + STEP, t3) * p
    )


async def test_absent_entity_raises_a_repair_after_a_grace(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
) -> None:
    """No state for five minutes (its integration gone): the repair; renamed: at once.
    Clearing the option clears the repair."""
    entry = make_entry({CONF_GAS_PRICE_ENTITY: GAS_RATE})
    sim = await set_up(hass, freezer, entry)
    assert issue(hass, PriceKind.GAS) is None
    assert hass.states.get(GAS).state == STATE_UNKNOWN  # waits for a price
    t1 = await steps(hass, freezer, START, 1)
    assert t1 - START >= ABSENT_GRACE
    assert issue(hass, PriceKind.GAS) is not None
    # the meter's price meanwhile: counting begins at the next gas reading
    while hass.states.get(GAS).state == STATE_UNKNOWN:
        t1 = await steps(hass, freezer, t1, 1)
    gas_start = value(hass, GAS_ENERGY)
    assert value(hass, GAS) == gas_standing(sim)
    await steps(hass, freezer, t1, 12)
    assert value(hass, GAS_ENERGY) > gas_start
    assert value(hass, GAS) == gas_standing(sim) + (
        value(hass, GAS_ENERGY) - gas_start
    ) * gas_price(sim)

    # it comes back, then is renamed: the option names a gone entity again
    entity_registry.async_get_or_create(
        "sensor", "other", "gas", suggested_object_id="gas_rate"
    )
    hass.states.async_set(GAS_RATE, "6.5", PENCE)
    await hass.async_block_till_done()
    assert issue(hass, PriceKind.GAS) is None
    entity_registry.async_update_entity(GAS_RATE, new_entity_id="sensor.gas_rate_2")
    await hass.async_block_till_done()
    assert issue(hass, PriceKind.GAS) is not None

    # the option cleared: the entry reloads and the repair goes
    hass.config_entries.async_update_entry(entry, options={})
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert issue(hass, PriceKind.GAS) is None
    assert "price_entity" not in hass.states.get(GAS).attributes


async def test_gas_price_from_an_entity(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The gas energy register at the entity's price (p/kWh), the meter's standing charge."""
    hass.states.async_set(GAS_RATE, "6.24", PENCE)
    await hass.async_block_till_done()
    sim = await set_up(hass, freezer, make_entry({CONF_GAS_PRICE_ENTITY: GAS_RATE}))
    gas_start = value(hass, GAS_ENERGY)
    await steps(hass, freezer, START, 14)
    assert value(hass, GAS_ENERGY) > gas_start
    assert value(hass, GAS) == gas_standing(sim) + (
        value(hass, GAS_ENERGY) - gas_start
    ) * Decimal("0.0624")


async def test_export_compensation_across_a_rate_change_and_a_restart(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Each exported kWh at the export rate in force; restored after a stop."""
    hass.states.async_set(EXPORT_RATE, "15", PENCE)
    await hass.async_block_till_done()
    entry = make_entry({CONF_EXPORT_RATE_ENTITY: EXPORT_RATE, CONF_EXPORT_RATE: 4.1})
    sim = await set_up(hass, freezer, entry, SUMMER)
    state = hass.states.get(EXPORT)
    assert state is not None
    assert state.attributes["device_class"] == SensorDeviceClass.MONETARY
    assert state.attributes["state_class"] == SensorStateClass.TOTAL
    assert state.attributes["unit_of_measurement"] == "GBP"
    assert dt.datetime.fromisoformat(state.attributes["counting_since"]) == SUMMER
    assert state.attributes["export_rate"] == 0.15
    assert state.attributes["export_rate_entity"] == EXPORT_RATE
    assert "last_reset" not in state.attributes
    assert value(hass, EXPORT) == 0
    first, second = Decimal("0.15"), Decimal("0.055")

    t1 = await steps(hass, freezer, SUMMER, 6)
    assert exported(sim, SUMMER, t1) > 0
    assert value(hass, EXPORT) == exported(sim, SUMMER, t1) * first
    hass.states.async_set(EXPORT_RATE, "0.055", GBP)
    await hass.async_block_till_done()
    stop = await steps(hass, freezer, t1, 6)
    before = (
        exported(sim, SUMMER, t1 + STEP) * first
        + exported(sim, t1 + STEP, stop) * second
    )
    assert value(hass, EXPORT) == before

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    again = stop + dt.timedelta(hours=1)
    freezer.move_to(again)
    with patch("custom_components.smets.connection.make_simulator", return_value=sim):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    state = hass.states.get(EXPORT)
    assert dt.datetime.fromisoformat(state.attributes["counting_since"]) == SUMMER
    assert value(hass, EXPORT) == before + exported(sim, stop, again) * second

    # the entity gone: the options' number (p/kWh) is the rate, with a repair
    hass.states.async_remove(EXPORT_RATE)
    await hass.async_block_till_done()
    await step_to(hass, freezer, again + ABSENT_GRACE)
    assert issue(hass, PriceKind.EXPORT) is not None
    gone = again + ABSENT_GRACE + STEP  # the reading at the grace's end was before it
    later = await steps(hass, freezer, again + ABSENT_GRACE, 3)
    assert exported(sim, gone, later) > 0
    assert value(hass, EXPORT) == (
        before
        + exported(sim, stop, gone) * second
        + exported(sim, gone, later) * Decimal("0.041")
    )
    assert hass.states.get(EXPORT).attributes["export_rate"] == 0.041


async def test_export_compensation_at_a_fixed_rate(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The options' number alone (p/kWh); the total cost is the meter's as ever."""
    sim = await set_up(hass, freezer, make_entry({CONF_EXPORT_RATE: 12}), SUMMER)
    when = await steps(hass, freezer, SUMMER, 6)
    assert exported(sim, SUMMER, when) > 0
    assert value(hass, EXPORT) == exported(sim, SUMMER, when) * Decimal("0.12")
    assert "export_rate_entity" not in hass.states.get(EXPORT).attributes
    assert "price_entity" not in hass.states.get(ELECTRICITY).attributes
    assert value(hass, ELECTRICITY) == standing(sim) + energy_cost(sim, SUMMER, when)


async def test_no_export_compensation_without_a_rate(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await set_up(hass, freezer, make_entry({}))
    assert hass.states.get(ELECTRICITY) is not None
    assert hass.states.get(EXPORT) is None


async def test_no_export_compensation_without_an_export_register(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A meter whose export register reads invalid has no Export compensation."""
    entry = make_entry({CONF_EXPORT_RATE: 12})
    freezer.move_to(START)
    sim = make_simulator(dict(entry.data))
    sim.set_sentinel(0x0702, 0x0001)  # CurrentSummationReceived
    with patch("custom_components.smets.connection.make_simulator", return_value=sim):
        await set_up(hass, freezer, entry)
    assert hass.states.get("sensor.electricity_meter_export") is None
    assert hass.states.get(ELECTRICITY) is not None
    assert hass.states.get(EXPORT) is None
