"""Cost today and this billing period on the simulator's 1-, 2- and 4-tier tariffs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
import itertools
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.smets.const import CONF_BILLING_DAY, CONF_SEED, DOMAIN
from custom_components.smets.han.simulator import HanSimulator, SimClock
from custom_components.smets.han.simulator.meters import MONEY_UNITS_PER_POUND

from .conftest import START, hub_ieee, simulator_data, simulator_of

COST_TODAY = "sensor.electricity_meter_cost_today"
COST_PERIOD = "sensor.electricity_meter_cost_this_billing_period"
NEXT_CHANGE = "sensor.electricity_meter_next_price_change"
STEP = dt.timedelta(minutes=5)


pytestmark = pytest.mark.usefixtures("london")
"""Days end at midnight in London (UTC in January)."""


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """The options of the entry under test (none: the defaults)."""
    return {}


@pytest.fixture
def mock_config_entry(
    entry_data: dict[str, Any], entry_options: dict[str, Any]
) -> MockConfigEntry:
    """A simulated HAN's entry, with ``entry_options``."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Simulated SMETS2 meter",
        data=entry_data,
        options=entry_options,
        unique_id=hub_ieee(entry_data[CONF_SEED]),
        entry_id="01JSMETSTESTENTRY0000000000",
    )


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
    entity_id: str = COST_TODAY,
) -> None:
    """Step 5 minutes at a time, keeping every state of ``entity_id``."""
    now = dt.datetime.fromtimestamp(freezer.time_to_freeze.timestamp(), dt.UTC)  # type: ignore[attr-defined]
    while now < until:
        now = min(now + STEP, until)
        await step_to(hass, freezer, now)
        seen.append((now, float(hass.states.get(entity_id).state)))


def midnight(day: int) -> dt.datetime:
    """Midnight at the start of a day of January 2026 (London is on UTC)."""
    return START.replace(day=day, hour=0)


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
    sim = simulator_of(init_integration)
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


@pytest.mark.parametrize(
    ("entry_data", "tiers"), [(simulator_data(tiers=n), n) for n in (1, 2, 4)]
)
@pytest.mark.parametrize("entry_options", [{CONF_BILLING_DAY: 15}])
async def test_cost_across_a_billing_day(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    tiers: int,
) -> None:
    """The period starts again at midnight on the billing day, each tier at its price."""
    sim = simulator_of(init_integration)
    assert sim is not None
    assert sim.tariff.tiers == tiers
    period = hass.states.get(COST_PERIOD)
    assert period.attributes["billing_day"] == 15
    assert period.attributes["period_start"] == "2025-12-15T00:00:00+00:00"
    assert period.attributes["last_reset"] == period.attributes["period_start"]
    # counting began at set-up, a month into the period: the sensor says so
    assert period.attributes["complete"] is False
    assert period.attributes["counted_since"] == START.isoformat()
    assert Decimal(period.state) == standing(sim)

    seen: list[tuple[dt.datetime, float]] = []
    await step_to(hass, freezer, START.replace(hour=23, minute=30))
    t1 = START.replace(day=15, hour=0, minute=45)
    await walk(hass, freezer, t1, seen, COST_PERIOD)
    before = dict(seen)[midnight(15) - STEP]
    assert before == pytest.approx(
        float(standing(sim) + energy_cost(sim, START, midnight(15) - STEP)), abs=1e-4
    )
    period = hass.states.get(COST_PERIOD)
    assert float(period.state) == pytest.approx(
        float(standing(sim) + energy_cost(sim, midnight(15), t1)), abs=1e-4
    )
    assert period.state == hass.states.get(COST_TODAY).state
    assert period.attributes["period_start"] == midnight(15).isoformat()
    assert period.attributes["last_reset"] == midnight(15).isoformat()
    assert period.attributes["complete"] is True
    assert period.attributes["counted_since"] == midnight(15).isoformat()
    # never a spike: the cost only grows, but for the reset on the billing day
    for (when, previous), (_, value) in itertools.pairwise(seen):
        assert value >= previous or when == midnight(15) - STEP, (when, value)


async def change_billing_day(
    hass: HomeAssistant, entry: MockConfigEntry, sim: HanSimulator, day: int
) -> None:
    """Set the billing day in the options; the entry reloads on the same meter."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    with patch("custom_components.smets.connection.make_simulator", return_value=sim):
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_BILLING_DAY: day}
        )
        await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.options[CONF_BILLING_DAY] == day
    assert entry.state is ConfigEntryState.LOADED


async def test_a_new_billing_day_recounts_the_period(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """A changed billing day gives the cost since the new start, as far as known."""
    entry = init_integration
    sim = simulator_of(entry)
    assert sim is not None
    for day in (14, 15):  # the 14th counted from set-up at noon, the 15th whole
        await step_to(hass, freezer, START.replace(day=day, hour=23, minute=30))
        await walk(hass, freezer, midnight(day + 1) + 6 * STEP, [])
    now = midnight(16) + 6 * STEP
    day14 = standing(sim) + energy_cost(sim, START, midnight(15))
    day15 = standing(sim) + energy_cost(sim, midnight(15), midnight(16))
    today = standing(sim) + energy_cost(sim, midnight(16), now)
    assert float(hass.states.get(COST_PERIOD).state) == pytest.approx(
        float(day14 + day15 + today), abs=1e-4
    )
    for billing_day, start, expected, counted_since in (
        (15, midnight(15), day15 + today, midnight(15)),
        (16, midnight(16), today, midnight(16)),
        # before noon on the 14th nothing was counted: not invented
        (14, midnight(14), day14 + day15 + today, START),
        (1, midnight(1), day14 + day15 + today, START),
    ):
        await change_billing_day(hass, entry, sim, billing_day)
        period = hass.states.get(COST_PERIOD)
        assert float(period.state) == pytest.approx(float(expected), abs=1e-4)
        assert period.attributes["billing_day"] == billing_day
        assert period.attributes["period_start"] == start.isoformat()
        assert period.attributes["last_reset"] == start.isoformat()
        assert period.attributes["counted_since"] == counted_since.isoformat()
        assert period.attributes["complete"] is (counted_since == start)
        assert float(hass.states.get(COST_TODAY).state) == pytest.approx(
            float(today), abs=1e-4
        )


async def test_cost_survives_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    entry = init_integration
    sim = simulator_of(entry)
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

    sim = simulator_of(init_integration)
    assert sim is not None
    await sim.send_price()
    await hass.async_block_till_done()
    assert hass.states.get(NEXT_CHANGE).state == "2026-01-15T07:30:00+00:00"


async def test_next_price_change_when_the_meter_does_not_say(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    sim = simulator_of(init_integration)
    assert sim is not None
    sim.radio_loss(reported=True)
    await step_to(hass, freezer, START.replace(day=15, hour=0, minute=30, second=1))
    assert hass.states.get(NEXT_CHANGE).state == "unavailable"
    sim.radio_return()
    await step_to(hass, freezer, START.replace(day=15, hour=0, minute=36))
    assert hass.states.get(NEXT_CHANGE).state == "2026-01-15T07:30:00+00:00"


async def test_a_gas_price_pushed_is_the_gas_price_only(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The GPF publishes the gas meter's price: it is the gas unit price, and
    the electricity price and its next change stay (failed before: the gas
    price replaced the electricity unit price until the next poll)."""
    sim = simulator_of(init_integration)
    assert sim is not None
    electricity = hass.states.get("sensor.electricity_meter_unit_price").state
    next_change = hass.states.get(NEXT_CHANGE).state
    assert hass.states.get("sensor.gas_meter_unit_price").state == "0.06240"
    sim.gas.unit_price = 7_015  # a new gas price, published before any poll
    await sim.send_price("gas")
    await hass.async_block_till_done()
    assert hass.states.get("sensor.electricity_meter_unit_price").state == electricity
    assert hass.states.get(NEXT_CHANGE).state == next_change
    assert hass.states.get("sensor.gas_meter_unit_price").state == "0.07015"
    assert sim.unbound_pushes == []
