"""History without the recorder: nothing to import into."""

from __future__ import annotations

from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smets.const import DOMAIN
from custom_components.smets.services import SERVICE_IMPORT_HISTORY


async def test_without_the_recorder(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """No recorder: no importer, no progress sensor, and the action says why."""
    entry = init_integration
    assert entry.runtime_data.history is None
    registry = er.async_get(hass)
    assert (
        registry.async_get_entity_id(
            "sensor", DOMAIN, f"{entry.unique_id}_esme_history_import"
        )
        is None
    )
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            DOMAIN,
            SERVICE_IMPORT_HISTORY,
            {ATTR_CONFIG_ENTRY_ID: entry.entry_id},
            blocking=True,
        )
