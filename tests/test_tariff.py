"""Cost today and this billing period on the simulator's 1-, 2- and 4-tier tariffs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
import itertools
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.smets.const import DOMAIN
from custom_components.smets.han.simulator import HanSimulator, SimClock
from custom_components.smets.han.simulator.meters import MONEY_UNITS_PER_POUND

from .conftest import START, simulator_data

COST_TODAY = "sensor.electricity_meter_cost_today"
COST_PERIOD = "sensor.electricity_meter_cost_this_billing_period"
NEXT_CHANGE = "sensor.electricity_meter_next_price_change"
STEP = dt.timedelta(minutes=5)


@pytest.fixture(autouse=True)
async def london(hass: HomeAssistant) -> None:
    """Days end at midnight in London (UTC in January)."""
    await hass.config.async_set_time_zone("Europe/London")


async def step_to(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, when: dt.datetime
) -> None:
    """Move the clock to ``when``; the meters are read there."""
    freezer.move_to(when)
    async_fire_time_changed(hass, when)
    await hass.async_block_till_done(wait_background_tasks=True)


async def walk(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    until: dt.datetime,
    seen: list[tuple[dt.datetime, float]],
) -> None:
    """Step 5 minutes at a time, keeping every cost-today state."""
    now = dt.datetime.fromtimestamp(freezer.time_to_freeze.timestamp(), dt.UTC)  # type: ignore[attr-defined]
    while now < until:
        now = min(now + STEP, until)
        await step_to(hass, freezer, now)
        seen.append((now, float(hass.states.get(COST_TODAY).state)))


def registers(sim: HanSimulator, when: dt.datetime) -> dict[int, int]:
    """Every tier register of the simulated ESME at ``when`` (Wh)."""
    now = int(when.timestamp())
    return {
        tier: sim.electricity.tier_register(tier, now)
        for tier in range(1, sim.tariff.tiers + 1)
    }


def energy_cost(sim: HanSimulator, start: dt.datetime, end: dt.datetime) -> Decimal:
    """What the tiers used between two times cost, each at its own price (GBP)."""
    before, after = registers(sim, start), registers(sim, end)
    return sum(
        (
            Decimal(after[tier] - before[tier])
            / 1000
            * Decimal(sim.tariff.price(tier))
            / MONEY_UNITS_PER_POUND
            for tier in before
        ),
        Decimal(0),
    )


def standing(sim: HanSimulator) -> Decimal:
    return Decimal(sim.tariff.standing_charge) / MONEY_UNITS_PER_POUND


@pytest.mark.parametrize(
    ("entry_data", "tiers"), [(simulator_data(tiers=n), n) for n in (1, 2, 4)]
)
async def test_cost_across_tiers_and_midnight(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    tiers: int,
) -> None:
    """Each tier's kWh at that tier's price, through 16:00 and midnight; no spike."""
    sim = init_integration.runtime_data.simulator
    assert sim is not None
    assert sim.tariff.tiers == tiers

    t0 = START + STEP
    await step_to(hass, freezer, t0)
    c0 = Decimal(hass.states.get(COST_TODAY).state)
    assert c0 >= standing(sim)

    seen: list[tuple[dt.datetime, float]] = []
    await step_to(hass, freezer, START.replace(hour=15, minute=30))
    await walk(hass, freezer, START.replace(hour=16, minute=30), seen)
    t1 = START.replace(hour=16, minute=30)
    expected = c0 + energy_cost(sim, t0, t1)
    assert float(hass.states.get(COST_TODAY).state) == pytest.approx(
        float(expected), abs=1e-4
    )
    if tiers == 4:  # the peak began at 16:00: a flat rate would not give this
        flat = c0 + (
            Decimal(sum(registers(sim, t1).values()) - sum(registers(sim, t0).values()))
            / 1000
            * Decimal(sim.tariff.price(1))
            / MONEY_UNITS_PER_POUND
        )
        assert abs(expected - flat) > Decimal("0.01")

    await step_to(hass, freezer, START.replace(hour=23, minute=30))
    midnight = START.replace(day=15, hour=0)
    t2 = START.replace(day=15, hour=0, minute=45)
    await walk(hass, freezer, t2, seen)
    today = hass.states.get(COST_TODAY)
    assert today.attributes["last_reset"] == midnight.isoformat()
    assert float(today.state) == pytest.approx(
        float(standing(sim) + energy_cost(sim, midnight, t2)), abs=1e-4
    )
    period = hass.states.get(COST_PERIOD)
    assert period.attributes["last_reset"] == START.replace(day=1, hour=0).isoformat()
    assert float(period.state) == pytest.approx(
        float(c0 + energy_cost(sim, t0, t2) + standing(sim)), abs=1e-4
    )
    # never a spike: the cost only grows, but for the reset at midnight
    for (when, before), (_, after) in itertools.pairwise(seen):
        if when.date() == START.date() and when < midnight:
            assert after >= before or after < 1, (when, before, after)
        else:
            assert after >= before, (when, before, after)


async def test_cost_survives_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    entry = init_integration
    sim = entry.runtime_data.simulator
    assert sim is not None
    t0 = START + STEP
    await step_to(hass, freezer, t0)
    c0 = Decimal(hass.states.get(COST_TODAY).state)
    await step_to(hass, freezer, START + 6 * STEP)

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    t1 = START + dt.timedelta(hours=2)
    freezer.move_to(t1)
    # Home Assistant restarts; the meter is the same one, and went on counting
    with patch("custom_components.smets.connection.make_simulator", return_value=sim):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert float(hass.states.get(COST_TODAY).state) == pytest.approx(
        float(c0 + energy_cost(sim, t0, t1)), abs=1e-4
    )


async def test_cost_restored_from_storage(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    sim = HanSimulator(1, tiers=2, clock=SimClock(START))
    earlier = START - dt.timedelta(hours=1)
    saved_registers = registers(sim, earlier)
    hass_storage[f"{DOMAIN}.{mock_config_entry.entry_id}.cost"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{mock_config_entry.entry_id}.cost",
        "data": {
            "billing_day": 1,
            "today": {
                "start": "2026-01-14",
                "energy": "2.5",
                "standing": "0",
                "complete": True,
            },
            "period": {
                "start": "2026-01-01",
                "energy": "40",
                "standing": "7.8156",
                "complete": False,
            },
            "standing_today": "0.6012",
            "registers": {str(k): v / 1000 for k, v in saved_registers.items()},
            "last_update": earlier.isoformat(),
            "daily": [],
        },
    }
    freezer.move_to(START)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    used = energy_cost(sim, earlier, START)
    assert float(hass.states.get(COST_TODAY).state) == pytest.approx(
        float(Decimal("2.5") + Decimal("0.6012") + used), abs=1e-4
    )
    assert float(hass.states.get(COST_PERIOD).state) == pytest.approx(
        float(Decimal("40") + Decimal("7.8156") + Decimal("0.6012") + used), abs=1e-4
    )


async def test_next_price_change(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """The end of the price in force, fetched again when it ends; pushes at once."""
    state = hass.states.get(NEXT_CHANGE)
    assert state.state == "2026-01-15T00:30:00+00:00"
    assert state.attributes["rate_label"] == "Day"
    await step_to(hass, freezer, START.replace(day=15, hour=0, minute=30, second=1))
    state = hass.states.get(NEXT_CHANGE)
    assert state.state == "2026-01-15T07:30:00+00:00"
    assert state.attributes["rate_label"] == "Night"
    assert hass.states.get("sensor.electricity_meter_unit_price").state == "0.12100"

    sim = init_integration.runtime_data.simulator
    assert sim is not None
    await sim.send_price()
    await hass.async_block_till_done()
    assert hass.states.get(NEXT_CHANGE).state == "2026-01-15T07:30:00+00:00"


async def test_next_price_change_when_the_meter_does_not_say(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    sim = init_integration.runtime_data.simulator
    assert sim is not None
    sim.radio_loss(reported=True)
    await step_to(hass, freezer, START.replace(day=15, hour=0, minute=30, second=1))
    assert hass.states.get(NEXT_CHANGE).state == "unavailable"
    sim.radio_return()
    await step_to(hass, freezer, START.replace(day=15, hour=0, minute=36))
    assert hass.states.get(NEXT_CHANGE).state == "2026-01-15T07:30:00+00:00"
