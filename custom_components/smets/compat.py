"""Differences between the Home Assistant releases this integration supports."""

from __future__ import annotations

# Home Assistant 2026.10 validates schemas with probatio, the successor of
# voluptuous with the same API; 2026.3 has only voluptuous.
try:
    import probatio as vol
except ImportError:  # pragma: no cover - only on the older releases
    import voluptuous as vol  # type: ignore[no-redef]

from typing import Any

from homeassistant.helpers.device_registry import DeviceEntry, DeviceInfo

__all__ = ["via_device", "vol"]


def via_device(hub: DeviceEntry, hub_identifier: tuple[str, str]) -> dict[str, Any]:
    """Return the device-registry argument that hangs a device off the hub.

    Home Assistant 2026.8 links devices by registry id (``via_device_id``) and
    deprecates ``via_device`` (the hub's identifier), which 2026.3 still needs.
    """
    if "via_device_id" in DeviceInfo.__annotations__:
        return {"via_device_id": hub.id}
    return {"via_device": hub_identifier}  # pragma: no cover - before 2026.8
