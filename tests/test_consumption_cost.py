"""The meters' own cost of consumption (Historical Cost Consumption) as sensors."""

from __future__ import annotations

from collections.abc import Iterator
import datetime as dt
from decimal import Decimal
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.smets import connection
from custom_components.smets.const import CONF_GAS_PREPAYMENT, CONF_PREPAYMENT
from custom_components.smets.han import model
from custom_components.smets.han.simulator import HanSimulator

from .conftest import simulator_data, simulator_of

TODAY = "sensor.electricity_meter_consumption_cost_today"
YESTERDAY = "sensor.electricity_meter_consumption_cost_yesterday"
WEEK = "sensor.electricity_meter_consumption_cost_this_week"
MONTH = "sensor.electricity_meter_consumption_cost_this_month"
GAS_TODAY = "sensor.gas_meter_consumption_cost_today"
GAS_YESTERDAY = "sensor.gas_meter_consumption_cost_yesterday"
TARIFF_INTERVAL = dt.timedelta(minutes=5)


def tier_cost(sim: HanSimulator, start: int, end: int) -> Decimal:
    """Each half-hour's kWh at its tier's price, from the simulator's profile (GBP).

    Worked out apart from the simulator's Prepayment attributes: the meter's
    half-hours and its own tariff, in the meter's money unit (1/1000 p).
    """
    meter, tariff = sim.electricity, sim.tariff
    units = sum(
        meter.import_wh(index) * tariff.price(tariff.tier_at(index * 1800))
        for index in range(start // 1800, end // 1800)
    )
    return Decimal(units // 1000) / 100_000


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


async def next_tariff_cycle(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    freezer.tick(TARIFF_INTERVAL)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_the_meters_own_costs_with_every_digit(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Today and yesterday are the meter's half-hours at its tier prices, to 1/1000 p."""
    sim = simulator_of(init_integration)
    now = sim.clock.time()
    midnight = now - now % 86_400
    today = state_of(hass, TODAY)
    assert Decimal(today) == tier_cost(sim, midnight, now)
    assert Decimal(state_of(hass, YESTERDAY)) == tier_cost(
        sim, midnight - 86_400, midnight
    )
    assert len(today.partition(".")[2]) == 5  # pounds and 1/1000 p: every digit
    assert Decimal(state_of(hass, WEEK)) >= Decimal(today)
    assert Decimal(state_of(hass, MONTH)) >= Decimal(state_of(hass, WEEK))
    state = hass.states.get(TODAY)
    assert state is not None
    assert state.attributes["device_class"] == "monetary"
    assert state.attributes["unit_of_measurement"] == "GBP"
    assert "state_class" not in state.attributes  # Total cost is the statistic
    entry = entity_registry.async_get(TODAY)
    assert entry is not None
    assert entry.unique_id.endswith("_consumption_cost_today")
    # no gas Prepayment cluster on a credit GPF: no gas costs
    assert hass.states.get(GAS_TODAY) is None


async def test_today_follows_the_meter(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Each tariff cycle reads the set again; past midnight today starts again."""
    sim = simulator_of(init_integration)
    before = Decimal(state_of(hass, TODAY))
    for _ in range(12):  # an hour
        await next_tariff_cycle(hass, freezer)
    now = sim.clock.time()
    midnight = now - now % 86_400
    after = Decimal(state_of(hass, TODAY))
    assert after == tier_cost(sim, midnight, now)
    assert after > before
    # to the first half-hour after the next midnight (a cycle on it): yesterday
    # is the whole of the day before
    freezer.move_to(dt.datetime.fromtimestamp(midnight + 86_400 + 1500, dt.UTC))
    await next_tariff_cycle(hass, freezer)
    now = sim.clock.time()
    midnight = now - now % 86_400
    assert Decimal(state_of(hass, YESTERDAY)) == tier_cost(
        sim, midnight - 86_400, midnight
    )
    assert Decimal(state_of(hass, TODAY)) == tier_cost(sim, midnight, now)


async def test_not_available_is_unknown(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The uint48 all-ones "not available" is unknown, never a number; the rest stay."""
    sim = simulator_of(init_integration)
    prepayment = sim.esme.endpoints[1].clusters[0x0705]
    prepayment.attributes[0x051C] = lambda _: 0xFFFFFFFFFFFF
    await next_tariff_cycle(hass, freezer)
    assert state_of(hass, TODAY) == STATE_UNKNOWN
    assert Decimal(state_of(hass, YESTERDAY)) > 0


@pytest.fixture
def without_cost_consumption() -> Iterator[None]:
    """Simulated meters whose Prepayment cluster has no Historical Cost Consumption."""
    make = connection.make_simulator

    def make_without(data: dict[str, Any]) -> HanSimulator:
        sim = make(data)
        for attrs in model.COST_DAY_ATTRIBUTES, model.COST_WEEK_ATTRIBUTES:
            for attr in (*attrs, *model.COST_MONTH_ATTRIBUTES):
                sim.esme.endpoints[1].clusters[0x0705].attributes.pop(attr, None)
        return sim

    with patch.object(connection, "make_simulator", make_without):
        yield


@pytest.mark.usefixtures("without_cost_consumption")
async def test_no_entities_where_the_meter_has_none(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A meter that answers UNSUPPORTED_ATTRIBUTE gets no entities, asked once."""
    assert hass.states.get("sensor.electricity_meter_unit_price") is not None
    for entity_id in (TODAY, YESTERDAY, WEEK, MONTH):
        assert hass.states.get(entity_id) is None
    esme = init_integration.runtime_data.link.esme
    assert {(0x0705, attr) for attr in model.COST_CONSUMPTION_ATTRIBUTES} <= (
        esme.unsupported
    )


@pytest.mark.parametrize(
    "entry_data", [simulator_data(**{CONF_GAS_PREPAYMENT: True, CONF_PREPAYMENT: True})]
)
async def test_gas_costs_from_the_gpf(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A Pay-As-You-Go gas meter's costs come from the GPF: its kWh at the gas price."""
    sim = simulator_of(init_integration)
    now = sim.clock.time()
    midnight = now - now % 86_400
    gas = sim.gas

    def cost(start: int, end: int) -> Decimal:
        used = gas.kwh_x1000(gas.register(end)) - gas.kwh_x1000(gas.register(start))
        return Decimal(used * gas.unit_price // 1000) / 100_000

    assert Decimal(state_of(hass, GAS_TODAY)) == cost(midnight, now)
    assert Decimal(state_of(hass, GAS_YESTERDAY)) == cost(midnight - 86_400, midnight)
    assert Decimal(state_of(hass, GAS_YESTERDAY)) > 0
    assert Decimal(state_of(hass, TODAY)) == tier_cost(sim, midnight, now)
    assert sim.gsme_wakeups == 0
