"""Diagnostics: what the meters said, with every secret and address redacted."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.core import HomeAssistant

from .const import CONF_CONNECTION, CONNECTION_SIMULATOR
from .models import SmetsConfigEntry

# Secrets never leave Home Assistant: install codes, link and network keys,
# certificates. Full EUI64s identify a household's meters: only their last
# two bytes are kept. MPAN/MPRN (site id) and serial numbers are personal.
# A radio entry's data names the radio, the hub and the network by EUI64
# (the extended PAN id is the hub's), and a discovered stick by its serial.
TO_REDACT = {
    "radio_eui64",
    "eui64",
    "hub_ieee",
    "extended_pan_id",
    "usb_id",
    "install_code",
    "link_key",
    "network_key",
    "tc_link_key",
    "certificate",
    "private_key",
    "utrn",
    "site_id",
    "serial_number",
    "unique_id",
}


def redact_eui64(value: str) -> str:
    """Keep only the last two bytes of an EUI64 (enough to tell devices apart)."""
    parts = value.split(":")
    if len(parts) != 8:
        return REDACTED
    return ":".join(["**"] * 6 + parts[6:])


def _plain(value: Any) -> Any:
    """Turn snapshots (dataclasses, enums, decimals, times) into JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _plain(getattr(value, field.name))
            for field in dataclasses.fields(value)
        }
    if isinstance(value, Enum):
        return value.name.lower()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SmetsConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    runtime = entry.runtime_data
    link = runtime.link
    meters = {
        role: {
            "ieee": redact_eui64(meter.ieee),
            "device_id": redact_eui64(meter.device_id)
            if meter.device_id.count(":") == 7
            else REDACTED,
            "identity": _plain(meter.identity),
            "catalogue": {
                "smets_version": meter.catalogue.smets_version,
                "listed": meter.catalogue.listed,
                "migration": _plain(meter.catalogue.migration),
            },
        }
        for role, meter in runtime.meters.items()
    }
    coordinators = {
        name: {
            "last_update_success": coordinator.last_update_success,
            "update_interval": str(coordinator.update_interval),
            "data": _plain(coordinator.data),
        }
        for name, coordinator in (
            ("electricity", runtime.electricity),
            ("gas", runtime.gas),
            ("tariff", runtime.tariff),
        )
        if coordinator is not None
    }
    return async_redact_data(
        {
            "entry": {
                "title": entry.title,
                "unique_id": entry.unique_id,
                "data": dict(entry.data),
                "options": dict(entry.options),
            },
            "link": {
                "simulator": entry.data.get(CONF_CONNECTION) == CONNECTION_SIMULATOR,
                "requests_by_cluster": {
                    f"0x{cluster:04X}": count
                    for cluster, count in sorted(link.requests.by_cluster.items())
                },
                "requests_total": link.requests.total,
                # Hostile or broken frames the link dropped before zigpy saw
                # them, per meter device, by reason (han/link.py)
                "dropped_frames": {
                    redact_eui64(ieee): reasons
                    for ieee, reasons in link.dropped_frames.items()
                },
                "discovered": [
                    {
                        "ieee": redact_eui64(found.ieee),
                        "nwk": f"0x{found.nwk:04X}",
                        "endpoint": found.endpoint_id,
                        "device_type": found.metering_device_type,
                        "sleepy": found.sleepy,
                    }
                    for found in link.discovered
                ],
            },
            "meters": meters,
            "coordinators": coordinators,
        },
        TO_REDACT,
    )
