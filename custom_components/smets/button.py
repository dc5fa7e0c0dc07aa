"""Button: take the emergency credit of a Pay-As-You-Go meter."""

from __future__ import annotations

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import ROLE_ESME, ROLE_GAS
from .entity import SmetsEntity
from .models import SmetsConfigEntry, TariffSnapshot, in_prepayment
from .services import async_activate_emergency_credit

# Commands on the HAN go one at a time.
PARALLEL_UPDATES = 1

EMERGENCY_CREDIT = ButtonEntityDescription(
    key="activate_emergency_credit",
    translation_key="activate_emergency_credit",
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmetsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add an emergency credit button to each meter in prepayment mode."""
    runtime = entry.runtime_data
    async_add_entities(
        EmergencyCreditButton(runtime.tariff, runtime.meters, role, EMERGENCY_CREDIT)
        for role in (ROLE_ESME, ROLE_GAS)
        if role in runtime.meters and in_prepayment(runtime.tariff.data, role)
    )


class EmergencyCreditButton(SmetsEntity[TariffSnapshot], ButtonEntity):
    """Select the meter's emergency credit (refused when none is available)."""

    async def async_press(self) -> None:
        """Ask the meter for its emergency credit."""
        await async_activate_emergency_credit(
            self.coordinator.config_entry, self.meter.role
        )
