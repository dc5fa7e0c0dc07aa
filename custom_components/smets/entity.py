"""The base of every SMETS HAN entity: names, unique ids and devices."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN, ROLE_ESME, ROLE_GAS, ROLE_HUB
from .coordinator import SmetsCoordinator
from .models import MeterInfo

DEVICE_TRANSLATION_KEYS: dict[str, str] = {
    ROLE_HUB: "comms_hub",
    ROLE_ESME: "electricity_meter",
    ROLE_GAS: "gas_meter",
}


def device_info(
    entry: ConfigEntry, meters: dict[str, MeterInfo], role: str
) -> DeviceInfo:
    """Describe the device of one meter (the hub link is set at registration)."""
    meter = meters[role]
    identity = meter.identity
    return DeviceInfo(
        identifiers={(DOMAIN, meter.device_id)},
        translation_key=DEVICE_TRANSLATION_KEYS[role],
        manufacturer=identity.manufacturer,
        model=identity.model,
        sw_version=identity.sw_build_id,
        serial_number=identity.serial_number,
    )


def unique_id(entry: ConfigEntry, role: str, key: str) -> str:
    """Return the unique id of an entity: the HAN (its hub), the role, the key.

    It names the role, not the meter, so a replaced meter's entities carry on.
    """
    return f"{entry.unique_id}_{role}_{key}"


class SmetsMeterEntity(Entity):
    """An entity of one meter that no coordinator feeds (identity, alerts, progress)."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self, entry: ConfigEntry, meters: dict[str, MeterInfo], role: str, key: str
    ) -> None:
        """Put the entity ``key`` on the device of the meter in ``role``."""
        self._attr_unique_id = unique_id(entry, role, key)
        self._attr_device_info = device_info(entry, meters, role)


class SmetsEntity[T](CoordinatorEntity[SmetsCoordinator[T]]):
    """An entity of one meter, fed by one coordinator."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: SmetsCoordinator[T],
        meters: dict[str, MeterInfo],
        role: str,
        description: EntityDescription,
    ) -> None:
        """Name the entity after its description, on its meter's device."""
        super().__init__(coordinator)
        self.entity_description = description
        self.meter = meters[role]
        entry = coordinator.config_entry
        self._attr_unique_id = unique_id(entry, role, description.key)
        self._attr_device_info = device_info(entry, meters, role)


class Described[T](Protocol):
    """An entity description that says whether its meter has the value."""

    @property
    def exists_fn(self) -> Callable[[T], bool]:
        """Whether the meter has what the entity shows, from the first data."""
        ...


def described_entities[T, D: Described[Any], E](
    entity: Callable[[SmetsCoordinator[T], dict[str, MeterInfo], str, D], E],
    coordinator: SmetsCoordinator[T],
    meters: dict[str, MeterInfo],
    role: str,
    descriptions: Iterable[D],
) -> list[E]:
    """Build one entity per description whose value the meter has (the platforms' setup)."""
    return [
        entity(coordinator, meters, role, description)
        for description in descriptions
        if description.exists_fn(coordinator.data)
    ]
