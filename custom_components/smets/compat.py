"""Differences between the Home Assistant releases this integration supports."""

from __future__ import annotations

# Home Assistant 2026.10 validates schemas with probatio, the successor of
# voluptuous with the same API; 2026.3 has only voluptuous.
try:
    import probatio as vol
except ImportError:  # pragma: no cover - only on the older releases
    import voluptuous as vol  # type: ignore[no-redef]

from typing import Any, cast

from homeassistant.components.recorder.models import StatisticMetaData
from homeassistant.helpers.device_registry import DeviceEntry, DeviceInfo

# Home Assistant 2026.10 moved the binary sensor device classes to .const (the
# package re-exports them without listing them); 2026.3 defines them in the package.
try:
    from homeassistant.components.binary_sensor.const import (  # type: ignore[import-not-found]
        BinarySensorDeviceClass,
    )
except ImportError:  # pragma: no cover - only on the older releases
    from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined,no-redef]
        BinarySensorDeviceClass,
    )

__all__ = [
    "BinarySensorDeviceClass",
    "sum_statistic_metadata",
    "via_device",
    "vol",
]


def via_device(hub: DeviceEntry, hub_identifier: tuple[str, str]) -> dict[str, Any]:
    """Return the device-registry argument that hangs a device off the hub.

    Home Assistant 2026.8 links devices by registry id (``via_device_id``) and
    deprecates ``via_device`` (the hub's identifier), which 2026.3 still needs.
    """
    if "via_device_id" in DeviceInfo.__annotations__:
        return {"via_device_id": hub.id}
    return {"via_device": hub_identifier}  # pragma: no cover - before 2026.8


def sum_statistic_metadata(
    statistic_id: str, unit: str, unit_class: str | None
) -> StatisticMetaData:
    """Return the metadata of a sensor's sum statistic (source ``recorder``).

    During 2025-2026 the recorder replaced ``has_mean`` by ``mean_type``
    (StatisticMeanType) and added ``unit_class``; the importer warns, then
    refuses, metadata without them. Fields are set from what this release's
    StatisticMetaData declares.
    """
    fields = StatisticMetaData.__annotations__
    metadata: dict[str, Any] = {
        "has_sum": True,
        "name": None,
        "source": "recorder",
        "statistic_id": statistic_id,
        "unit_of_measurement": unit,
    }
    if "mean_type" in fields:
        from homeassistant.components.recorder.models import (  # noqa: PLC0415
            StatisticMeanType,
        )

        metadata["mean_type"] = StatisticMeanType.NONE
    else:  # pragma: no cover - before mean_type
        metadata["has_mean"] = False
    if "unit_class" in fields:
        metadata["unit_class"] = unit_class
    return cast("StatisticMetaData", metadata)
