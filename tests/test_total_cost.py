"""Total cost sensors on the simulated HAN, against the simulator's own tariff.

Across the 16:00 peak of the 4-tier tariff, midnight, a 6-hour radio outage
and a 6-hour stop of Home Assistant (the total restored), the total is the
standing charge of every day begun plus each tier's kWh at its own price.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
import itertools
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smets.han.simulator import HanSimulator
from custom_components.smets.han.simulator.meters import MONEY_UNITS_PER_POUND

from .conftest import START, simulator_data, simulator_of
from .test_tariff import STEP, energy_cost, standing, step_to

ELECTRICITY = "sensor.electricity_meter_total_cost"
GAS = "sensor.gas_meter_total_cost"
GAS_ENERGY = "sensor.gas_meter_energy"
HOUR = dt.timedelta(hours=1)


pytestmark = pytest.mark.usefixtures("london")
"""Days end at midnight in London (UTC in January)."""


def sim_of(entry: MockConfigEntry) -> HanSimulator:
    return simulator_of(entry)


def value(hass: HomeAssistant, entity_id: str) -> Decimal:
    state = hass.states.get(entity_id)
    assert state is not None
    return Decimal(state.state)


async def walk(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    until: dt.datetime,
    seen: list[tuple[dt.datetime, str]],
) -> None:
    """Step 5 minutes at a time to ``until``, keeping every electricity total."""
    now = dt.datetime.fromtimestamp(freezer.time_to_freeze.timestamp(), dt.UTC)  # type: ignore[attr-defined]
    while now < until:
        now = min(now + STEP, until)
        await step_to(hass, freezer, now)
        seen.append((now, hass.states.get(ELECTRICITY).state))


def never_down(seen: list[tuple[dt.datetime, str]]) -> None:
    """The total only grows (unavailable while the meter is not heard)."""
    values = [(when, Decimal(s)) for when, s in seen if s != STATE_UNAVAILABLE]
    for (when, before), (_, after) in itertools.pairwise(values):
        assert after >= before, (when, before, after)


def gas_standing(sim: HanSimulator) -> Decimal:
    return Decimal(sim.gas.standing_charge) / MONEY_UNITS_PER_POUND


def gas_price(sim: HanSimulator) -> Decimal:
    return Decimal(sim.gas.unit_price) / MONEY_UNITS_PER_POUND


@pytest.mark.parametrize("entry_data", [simulator_data(tiers=4)])
async def test_total_cost_across_a_tier_boundary_and_midnight(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """Each tier at its price through the 16:00 peak and midnight; never a reset."""
    sim = sim_of(init_integration)
    state = hass.states.get(ELECTRICITY)
    assert state is not None
    assert state.attributes["device_class"] == SensorDeviceClass.MONETARY
    assert state.attributes["state_class"] == SensorStateClass.TOTAL
    assert state.attributes["unit_of_measurement"] == "GBP"
    assert "last_reset" not in state.attributes
    assert state.attributes["counting_since"] == START.isoformat()
    assert Decimal(state.state) == standing(sim)
    gas_start = value(hass, GAS_ENERGY)
    assert value(hass, GAS) == gas_standing(sim)

    seen: list[tuple[dt.datetime, str]] = []
    await walk(hass, freezer, START.replace(hour=16, minute=30), seen)
    t1 = START.replace(hour=16, minute=30)
    expected = standing(sim) + energy_cost(sim, START, t1)
    assert value(hass, ELECTRICITY) == expected
    flat = (
        standing(sim)
        + (
            Decimal(sim.electricity.import_register(int(t1.timestamp())))
            - Decimal(sim.electricity.import_register(int(START.timestamp())))
        )
        / 1000
        * Decimal(sim.tariff.price(1))
        / MONEY_UNITS_PER_POUND
    )
    assert abs(expected - flat) > Decimal("0.01")  # the peak began at 16:00

    t2 = START.replace(day=15, hour=0, minute=45)
    await step_to(hass, freezer, START.replace(hour=23, minute=30))
    await walk(hass, freezer, t2, seen)
    assert value(hass, ELECTRICITY) == 2 * standing(sim) + energy_cost(sim, START, t2)
    never_down(seen)
    # gas: its energy register at the gas price, a standing charge a day
    assert value(hass, GAS) == 2 * gas_standing(sim) + (
        value(hass, GAS_ENERGY) - gas_start
    ) * gas_price(sim)


async def test_total_cost_through_a_six_hour_outage(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """The radio is lost 21:00-03:00: the total resumes with what the tiers counted."""
    sim = sim_of(init_integration)
    seen: list[tuple[dt.datetime, str]] = []
    outage = START.replace(hour=21)
    await step_to(hass, freezer, outage - STEP)
    await walk(hass, freezer, outage, seen)
    sim.radio_loss(reported=True)
    back = outage + 6 * HOUR
    await step_to(hass, freezer, outage + 3 * HOUR)
    await walk(hass, freezer, back, seen)
    assert hass.states.get(ELECTRICITY).state == STATE_UNAVAILABLE
    sim.radio_return()
    await walk(hass, freezer, back + 2 * STEP, seen)
    when = seen[-1][0]
    assert value(hass, ELECTRICITY) == 2 * standing(sim) + energy_cost(sim, START, when)
    never_down(seen)


async def test_total_cost_restored_after_a_six_hour_stop(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """Home Assistant stops 21:00-03:00: the total carries on from where it was,
    and the kWh the tiers counted while it was stopped are costed."""
    entry = init_integration
    sim = sim_of(entry)
    stop = START.replace(hour=21)
    await step_to(hass, freezer, stop)
    before = value(hass, ELECTRICITY)
    assert before == standing(sim) + energy_cost(sim, START, stop)
    gas_before = value(hass, GAS)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    again = stop + 6 * HOUR
    freezer.move_to(again)
    with patch("custom_components.smets.connection.make_simulator", return_value=sim):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.state is ConfigEntryState.LOADED
    state = hass.states.get(ELECTRICITY)
    assert state.attributes["counting_since"] == START.isoformat()
    assert Decimal(state.state) == 2 * standing(sim) + energy_cost(sim, START, again)
    assert value(hass, GAS) >= gas_before + gas_standing(sim)
