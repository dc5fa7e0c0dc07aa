"""Every sensor's state and registry entry, for SMETS2 and SMETS1 households."""

from __future__ import annotations

from typing import Any

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)
from syrupy.assertion import SnapshotAssertion

from .conftest import simulator_data, snapshot_entities


@pytest.fixture
def platforms() -> list[Platform]:
    """Only the sensor platform."""
    return [Platform.SENSOR]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    "entry_data",
    [
        simulator_data(profile="smets2"),
        simulator_data(profile="smets1", seed=2, tiers=4),
    ],
    ids=["smets2", "smets1"],
)
async def test_sensors(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
    entry_data: dict[str, Any],
) -> None:
    await snapshot_entities(hass, snapshot, init_integration.entry_id)


@pytest.mark.parametrize("entry_data", [simulator_data(profile="smets1", seed=2)])
async def test_smets1_migration_status(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    state = hass.states.get("sensor.electricity_meter_dcc_migration")
    assert state is not None
    assert state.state == "smets1_eligible"
    assert state.attributes["cohort"] == "FOC"
    assert state.attributes["capability_date"] == "2020-07-26"
    assert hass.states.get("sensor.electricity_meter_smets_version").state == "smets1"
