"""The Energy dashboard accepts the entities as they are: zero issues."""

from __future__ import annotations

from typing import Any

from homeassistant.components.energy import data as energy_data, validate
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)

from custom_components.smets.const import CONF_GAS_FLOW

from .conftest import START, simulator_data

GRID_IMPORT = "sensor.electricity_meter_import"
GRID_EXPORT = "sensor.electricity_meter_export"
PRICE = "sensor.electricity_meter_unit_price"
GAS = "sensor.gas_meter_energy"
GAS_PRICE = "sensor.gas_meter_unit_price"


async def validate_with(
    hass: HomeAssistant, preferences: dict[str, Any]
) -> dict[str, Any]:
    """Set the Energy preferences on an hour of readings; return HA's validation of them.

    The hour's readings are compiled into statistics as the recorder does.
    """
    await hass.config.async_update(currency="GBP")
    assert await async_setup_component(hass, "energy", {})
    await async_wait_recording_done(hass)
    do_adhoc_statistics(hass, start=START)
    await async_wait_recording_done(hass)
    manager = await energy_data.async_get_manager(hass)
    await manager.async_update(preferences)  # type: ignore[arg-type]
    await hass.async_block_till_done()
    result = await validate.async_validate(hass)
    found: dict[str, Any] = result.as_dict()
    return found


def energy_preferences() -> dict[str, Any]:
    """The Energy preferences a household sets with these entities."""
    return {
        "energy_sources": [
            {
                "type": "grid",
                "flow_from": [
                    {
                        "stat_energy_from": GRID_IMPORT,
                        "stat_cost": None,
                        "entity_energy_price": PRICE,
                        "number_energy_price": None,
                    }
                ],
                "flow_to": [
                    {
                        "stat_energy_to": GRID_EXPORT,
                        "stat_compensation": None,
                        "entity_energy_price": None,
                        "number_energy_price": 0.15,
                    }
                ],
                "cost_adjustment_day": 0,
            },
            {
                "type": "gas",
                "stat_energy_from": GAS,
                "stat_cost": None,
                "entity_energy_price": GAS_PRICE,
                "number_energy_price": None,
            },
        ],
    }


async def test_energy_validation_has_no_issues(
    recorder_mock: Recorder, hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    found = await validate_with(hass, energy_preferences())
    assert len(found["energy_sources"]) == 2
    assert found["energy_sources"] == [[], []]
    assert all(not group for group in found["device_consumption"])
    for entity_id in (GRID_IMPORT, GRID_EXPORT, PRICE, GAS, GAS_PRICE):
        assert hass.states.get(entity_id) is not None, entity_id


GRID_POWER = "sensor.electricity_meter_demand"
ELECTRICITY_COST = "sensor.electricity_meter_total_cost"
GAS_COST = "sensor.gas_meter_total_cost"


def cost_and_power_preferences(
    power: str = GRID_POWER, gas_flow: str | None = None
) -> dict[str, Any]:
    """The preferences (one unified grid) with Total cost, the grid power, the gas flow."""
    gas: dict[str, Any] = {
        "type": "gas",
        "stat_energy_from": GAS,
        "stat_cost": GAS_COST,
        "entity_energy_price": None,
        "number_energy_price": None,
    }
    if gas_flow is not None:
        gas["stat_rate"] = gas_flow
    return {
        "energy_sources": [
            {
                "type": "grid",
                "stat_energy_from": GRID_IMPORT,
                "stat_energy_to": GRID_EXPORT,
                "stat_cost": ELECTRICITY_COST,
                "entity_energy_price": None,
                "number_energy_price": None,
                "stat_compensation": None,
                "entity_energy_price_export": None,
                "number_energy_price_export": 0.15,
                "stat_rate": power,
                "cost_adjustment_day": 0,
            },
            gas,
        ],
    }


@pytest.mark.parametrize(("power", "issues"), [(GRID_POWER, False), (PRICE, True)])
async def test_total_cost_and_grid_power_have_no_issues(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    power: str,
    issues: bool,
) -> None:
    """stat_cost = Total cost, grid power = the signed Demand: no issues.

    (A price as the grid power is an issue: the check looks at it.)
    """
    found = await validate_with(hass, cost_and_power_preferences(power))
    assert len(found["energy_sources"]) == 2
    assert found["energy_sources"][1] == []
    assert bool(found["energy_sources"][0]) is issues, found
    for entity_id in (GRID_POWER, ELECTRICITY_COST, GAS_COST):
        assert hass.states.get(entity_id) is not None, entity_id
    # the signed demand: import positive, export negative (solar at noon)
    assert float(hass.states.get(GRID_POWER).state) != 0


GAS_FLOW = "sensor.gas_meter_flow_rate"


@pytest.mark.parametrize("entry_data", [simulator_data(**{CONF_GAS_FLOW: True})])
@pytest.mark.parametrize(("flow", "issues"), [(GAS_FLOW, False), (GAS_PRICE, True)])
async def test_gas_flow_rate_has_no_issues(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    flow: str,
    issues: bool,
) -> None:
    """The gas source's stat_rate = the gas Flow rate (m³/h): no issues.

    (A price as the gas flow rate is an issue: the check looks at it.)
    """
    found = await validate_with(hass, cost_and_power_preferences(gas_flow=flow))
    assert found["energy_sources"][0] == []
    assert bool(found["energy_sources"][1]) is issues, found
    state = hass.states.get(GAS_FLOW)
    assert state is not None
    assert float(state.state) > 0
