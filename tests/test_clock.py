"""The simulator keeps its own time: nothing in the integration has to move it.

Home Assistant's clock is frozen in the tests and moved by the test alone; the
request timeout is the tests' short one (``fast_timeouts``). The simulator
follows that clock itself and answers at once, so however time is ticked no
answer comes after its request timed out.
"""

from __future__ import annotations

import datetime as dt

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from .conftest import setup_platform

MINUTES = 10


@pytest.mark.parametrize("step", [1, 10])
async def test_electricity_stays_available_ticking_by_the_second(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    step: int,
) -> None:
    await setup_platform(hass, mock_config_entry, freezer, Platform.SENSOR)
    electricity = [
        entity.entity_id
        for entity in er.async_entries_for_config_entry(
            entity_registry, mock_config_entry.entry_id
        )
        if entity.entity_id.startswith("sensor.electricity_meter_")
        and entity.disabled_by is None
    ]
    assert electricity
    import_id = "sensor.electricity_meter_import"
    first = float(hass.states.get(import_id).state)
    for elapsed in range(step, MINUTES * 60 + 1, step):
        freezer.tick(dt.timedelta(seconds=step))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        gone = [
            entity_id
            for entity_id in electricity
            if hass.states.get(entity_id).state == STATE_UNAVAILABLE
        ]
        assert not gone, f"unavailable {elapsed} s in: {gone}"
    last = hass.states.get(import_id).state
    assert last not in (STATE_UNAVAILABLE, STATE_UNKNOWN)
    # The meter kept time with Home Assistant: ten minutes of import went by.
    assert float(last) > first
