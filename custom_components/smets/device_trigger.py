"""Device triggers: "Tamper detected", "Supply interrupted", "Low credit" ... by name.

Each trigger listens to the ``smets_alert`` bus event of its device and fires
for every alert whose trigger types include it (alerts.py decides which codes
each covers, push.py adds the hub's own; an unknown code fires "Other alert").

A device offers the triggers it can fire: a meter those of its fuel, the
Comms Hub those of the HAN it runs (a device joined, failed to join or left,
its device log changed) and the communications and other categories.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.const import CONF_DEVICE_ID, CONF_DOMAIN, CONF_PLATFORM, CONF_TYPE
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    HassJob,
    HomeAssistant,
    callback,
)
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType

from .compat import vol
from .const import DOMAIN, ROLE_ESME, ROLE_GAS, ROLE_HUB
from .han.alerts import CATEGORY_TRIGGERS, HEADLINE_TRIGGERS, AlertCategory
from .push import EVENT_ALERT, HUB_TRIGGER_CODES

TRIGGER_TYPES: Final = (*HEADLINE_TRIGGERS, *HUB_TRIGGER_CODES, *CATEGORY_TRIGGERS)

#: What the Comms Hub offers: the HAN it runs, and its own (firmware, clock).
HUB_TRIGGERS: Final = (
    "device_joined",
    "device_join_failed",
    *HUB_TRIGGER_CODES,
    f"{AlertCategory.COMMS}_alert",
    f"{AlertCategory.OTHER}_alert",
)

#: Triggers only one kind of meter can fire.
ELECTRICITY_ONLY: Final = frozenset(
    {
        "reverse_current",
        "load_limit_exceeded",
        "low_credit",
        "credit_below_disablement",
        "emergency_credit_available",
        "emergency_credit_in_use",
        "emergency_credit_exhausted",
        "credit_added",
        "top_up_rejected",
        "over_current",
        "over_voltage",
        "under_voltage",
        "credit_alert",
        "voltage_alert",
    }
)
GAS_ONLY: Final = frozenset({"reverse_gas_flow", "low_battery", "battery_alert"})
#: Triggers no meter offers.
HUB_ONLY: Final = frozenset(HUB_TRIGGER_CODES)

TRIGGER_SCHEMA = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {vol.Required(CONF_TYPE): vol.In(TRIGGER_TYPES)}
)


def _role(hass: HomeAssistant, device_id: str) -> str | None:
    """Return the role of a device: the hub, or a loaded meter (else None)."""
    device = dr.async_get(hass).async_get(device_id)
    if device is None:
        return None
    identifiers = {value for domain, value in device.identifiers if domain == DOMAIN}
    for entry_id in device.config_entries:
        entry = hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN:
            continue
        if entry.unique_id in identifiers:
            return ROLE_HUB  # the hub's EUI64 is the entry's id, loaded or not
        runtime = getattr(entry, "runtime_data", None)
        for role, meter in getattr(runtime, "meters", {}).items():
            if meter.device_id in identifiers:
                return str(role)
    return None


async def async_get_triggers(
    hass: HomeAssistant, device_id: str
) -> list[dict[str, Any]]:
    """List the alert triggers a device offers (a meter not loaded: every meter's)."""
    role = _role(hass, device_id)
    offered: tuple[str, ...]
    if role == ROLE_HUB:
        offered = HUB_TRIGGERS
    else:
        excluded = HUB_ONLY
        if role == ROLE_ESME:
            excluded |= GAS_ONLY
        elif role == ROLE_GAS:
            excluded |= ELECTRICITY_ONLY
        offered = tuple(t for t in TRIGGER_TYPES if t not in excluded)
    return [
        {
            CONF_PLATFORM: "device",
            CONF_DEVICE_ID: device_id,
            CONF_DOMAIN: DOMAIN,
            CONF_TYPE: trigger_type,
        }
        for trigger_type in offered
    ]


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Fire ``action`` on every alert of the device that the trigger covers."""
    device_id: str = config[CONF_DEVICE_ID]
    trigger_type: str = config[CONF_TYPE]
    job = HassJob(action, f"{DOMAIN} device trigger {trigger_type}")
    trigger_data = trigger_info["trigger_data"]

    @callback
    def matches(event_data: Any) -> bool:
        return bool(
            event_data.get(CONF_DEVICE_ID) == device_id
            and trigger_type in event_data.get("trigger_types", ())
        )

    @callback
    def fire(event: Event[Any]) -> None:
        hass.async_run_hass_job(
            job,
            {
                "trigger": {
                    **trigger_data,
                    CONF_PLATFORM: "device",
                    CONF_DOMAIN: DOMAIN,
                    CONF_DEVICE_ID: device_id,
                    CONF_TYPE: trigger_type,
                    "event": event,
                    "description": f"{event.data.get('name')} ({trigger_type})",
                }
            },
            event.context,
        )

    return hass.bus.async_listen(EVENT_ALERT, fire, event_filter=matches)
