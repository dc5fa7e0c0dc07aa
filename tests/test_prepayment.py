"""Pay-As-You-Go sensors: credit, debt, status, days of credit left."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.smets.const import DOMAIN

from .conftest import (
    START,
    setup_platform,
    simulator_data,
    simulator_of,
    snapshot_entities,
)

CREDIT = "sensor.electricity_meter_credit"
DAYS = "sensor.electricity_meter_days_of_credit_left"


@pytest.fixture
def entry_data() -> dict[str, Any]:
    """A Pay-As-You-Go meter on a 4-tier tariff."""
    return simulator_data(prepayment=True, tiers=4)


@pytest.fixture(autouse=True)
async def london(hass: HomeAssistant) -> None:
    await hass.config.async_set_time_zone("Europe/London")


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    snapshot: SnapshotAssertion,
) -> None:
    await setup_platform(hass, mock_config_entry, freezer, Platform.SENSOR)
    await snapshot_entities(hass, snapshot, mock_config_entry.entry_id)


async def test_pushed_snapshot_updates_credit_at_once(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    sim = simulator_of(init_integration)
    assert sim is not None
    assert hass.states.get(CREDIT).state == "15.00000"
    sim.account._reanchor(sim.clock.time(), 1_234_000)
    await sim.send_prepay_snapshot()
    await hass.async_block_till_done()
    assert float(hass.states.get(CREDIT).state) == 12.34
    assert (
        float(hass.states.get("sensor.electricity_meter_emergency_credit").state) == 10
    )


async def test_days_of_credit(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    key = f"{DOMAIN}.{mock_config_entry.entry_id}.cost"
    hass_storage[key] = {
        "version": 1,
        "minor_version": 1,
        "key": key,
        "data": {
            "billing_day": 1,
            "today": None,
            "period": None,
            "standing_today": None,
            "registers": {},
            "last_update": None,
            "daily": [["2026-01-12", "2.5"], ["2026-01-13", "3.5"]],
        },
    }
    freezer.move_to(START)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get(DAYS)
    assert float(state.state) == 5.0  # £15 at £3 a day
    assert state.attributes["average_daily_cost"] == 3.0
    assert state.attributes["days_averaged"] == 2


async def test_days_of_credit_unknown_without_history(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    assert hass.states.get(DAYS).state == "unknown"
