"""Event entities: the alerts each meter and the Comms Hub raise (event types = categories)."""

from __future__ import annotations

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import ROLE_ESME, ROLE_GAS, ROLE_HUB
from .entity import SmetsMeterEntity
from .han import model
from .han.alerts import AlertCategory
from .models import MeterInfo, SmetsConfigEntry
from .push import METER_NAMES, SIGNAL_ALERT, signal

PARALLEL_UPDATES = 0

ALERT_DESCRIPTION = EventEntityDescription(
    key="alert",
    translation_key="alert",
    event_types=[str(category) for category in AlertCategory],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmetsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Create one alert event entity per meter, and one for the Comms Hub."""
    meters = entry.runtime_data.meters
    async_add_entities(
        SmetsAlertEvent(entry, meters, role)
        for role in (ROLE_HUB, ROLE_ESME, ROLE_GAS)
        if role in meters
    )


class SmetsAlertEvent(SmetsMeterEntity, EventEntity):
    """The GBCS alerts a meter (or the hub) publishes, by category; code and name as attributes.

    Every category is an event type, the hub's too: the codes a device
    raises are its manufacturer's choice, and an alert is never dropped.
    """

    entity_description = ALERT_DESCRIPTION

    def __init__(
        self, entry: SmetsConfigEntry, meters: dict[str, MeterInfo], role: str
    ) -> None:
        """Describe the alerts of the meter in ``role``."""
        self._entry = entry
        self._role = role
        super().__init__(entry, meters, role, ALERT_DESCRIPTION.key)

    async def async_added_to_hass(self) -> None:
        """Listen to the meter's alerts."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal(self._entry.entry_id, SIGNAL_ALERT), self._on_alert
            )
        )

    @callback
    def _on_alert(self, role: str, event: model.AlertEvent) -> None:
        if role != self._role:
            return
        self._trigger_event(
            str(event.category),
            {
                "code": event.code,
                "code_hex": f"0x{event.code:04X}",
                "name": event.name,
                "severity": str(event.severity),
                "known": event.known,
                "meter": METER_NAMES.get(role, role),
                "time": event.time.isoformat() if event.time is not None else None,
            },
        )
        self.async_write_ha_state()
