"""The emergency credit button."""

from __future__ import annotations

import datetime as dt
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.const import ATTR_ENTITY_ID, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)
from syrupy.assertion import SnapshotAssertion

from .conftest import setup_platform, simulator_data, simulator_of, snapshot_entities

BUTTON = "button.electricity_meter_activate_emergency_credit"


@pytest.fixture
def entry_data() -> dict[str, Any]:
    """A Pay-As-You-Go meter."""
    return simulator_data(prepayment=True)


async def press(hass: HomeAssistant) -> None:
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: BUTTON}, blocking=True
    )


async def test_entities(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    snapshot: SnapshotAssertion,
) -> None:
    await setup_platform(hass, mock_config_entry, freezer, Platform.BUTTON)
    await snapshot_entities(hass, snapshot, mock_config_entry.entry_id)


async def test_press(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    sim = simulator_of(init_integration)
    assert sim is not None
    with pytest.raises(ServiceValidationError) as err:
        await press(hass)
    assert err.value.translation_key == "emergency_credit_not_available"

    alerts = async_capture_events(hass, "smets_alert")
    sim.account._reanchor(sim.clock.time(), 100_000)
    freezer.tick(dt.timedelta(seconds=10))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert {event.data["code"] for event in alerts} == {0x810D, 0x8119}
    await press(hass)
    await hass.async_block_till_done()
    assert alerts[-1].data["code"] == 0x81AB  # emergency credit activated
    assert hass.states.get("sensor.electricity_meter_credit_status").state == (
        "emergency_credit_selected"
    )
