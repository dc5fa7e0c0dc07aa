"""The Energy dashboard accepts the entities as they are: zero issues."""

from __future__ import annotations

from typing import Any

from homeassistant.components.energy import data as energy_data, validate
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)

from .conftest import START

GRID_IMPORT = "sensor.electricity_meter_import"
GRID_EXPORT = "sensor.electricity_meter_export"
PRICE = "sensor.electricity_meter_unit_price"
GAS = "sensor.gas_meter_energy"
GAS_PRICE = "sensor.gas_meter_unit_price"


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
    await hass.config.async_update(currency="GBP")
    assert await async_setup_component(hass, "energy", {})
    # An hour of readings, compiled into statistics as the recorder does.
    await async_wait_recording_done(hass)
    do_adhoc_statistics(hass, start=START)
    await async_wait_recording_done(hass)
    manager = await energy_data.async_get_manager(hass)
    await manager.async_update(energy_preferences())  # type: ignore[arg-type]
    await hass.async_block_till_done()
    result = await validate.async_validate(hass)
    found = result.as_dict()
    assert len(found["energy_sources"]) == 2
    assert found["energy_sources"] == [[], []]
    assert all(not group for group in found["device_consumption"])
    for entity_id in (GRID_IMPORT, GRID_EXPORT, PRICE, GAS, GAS_PRICE):
        assert hass.states.get(entity_id) is not None, entity_id
