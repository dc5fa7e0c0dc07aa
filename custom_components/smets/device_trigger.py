"""Device triggers: "Tamper detected", "Supply interrupted", "Low credit" ... by name.

Each trigger listens to the ``smets_alert`` bus event of its device and fires
for every alert whose trigger types include it (alerts.py decides which codes
each covers; an unknown code fires "Other alert").
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
from .const import DOMAIN, ROLE_ESME, ROLE_GAS
from .han.alerts import CATEGORY_TRIGGERS, HEADLINE_TRIGGERS
from .push import EVENT_ALERT

TRIGGER_TYPES: Final = (*HEADLINE_TRIGGERS, *CATEGORY_TRIGGERS)

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

TRIGGER_SCHEMA = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {vol.Required(CONF_TYPE): vol.In(TRIGGER_TYPES)}
)


def _role(hass: HomeAssistant, device_id: str) -> str | None:
    """Return the meter role of a device (None when it is not a loaded meter)."""
    device = dr.async_get(hass).async_get(device_id)
    if device is None:
        return None
    identifiers = {value for domain, value in device.identifiers if domain == DOMAIN}
    for entry_id in device.config_entries:
        entry = hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry.domain != DOMAIN:
            continue
        runtime = getattr(entry, "runtime_data", None)
        for role, meter in getattr(runtime, "meters", {}).items():
            if meter.device_id in identifiers:
                return str(role)
    return None


async def async_get_triggers(
    hass: HomeAssistant, device_id: str
) -> list[dict[str, Any]]:
    """List the alert triggers a meter offers (none for the Comms Hub)."""
    role = _role(hass, device_id)
    if role not in (ROLE_ESME, ROLE_GAS, None):
        return []
    excluded: frozenset[str] = frozenset()
    if role == ROLE_ESME:
        excluded = GAS_ONLY
    elif role == ROLE_GAS:
        excluded = ELECTRICITY_ONLY
    return [
        {
            CONF_PLATFORM: "device",
            CONF_DEVICE_ID: device_id,
            CONF_DOMAIN: DOMAIN,
            CONF_TYPE: trigger_type,
        }
        for trigger_type in TRIGGER_TYPES
        if trigger_type not in excluded
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
