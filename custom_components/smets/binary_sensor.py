"""Binary sensors: credit flags of a Pay-As-You-Go meter, and the meters' status bits."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .compat import BinarySensorDeviceClass
from .const import CONF_LOW_CREDIT_LEVEL, ROLE_ESME, ROLE_GAS
from .coordinator import SmetsCoordinator
from .entity import SmetsEntity, described_entities
from .han import model
from .models import (
    ElectricitySnapshot,
    GasSnapshot,
    SmetsConfigEntry,
    TariffSnapshot,
    in_prepayment,
    prepayment_of,
)

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SmetsBinarySensorEntityDescription[T](BinarySensorEntityDescription):
    """A binary sensor fed by a snapshot of type T."""

    is_on_fn: Callable[[T], bool | None]
    exists_fn: Callable[[T], bool] = lambda _: True


def _credit_flag(
    name: str, role: str = ROLE_ESME
) -> Callable[[TariffSnapshot], bool | None]:
    def is_on(data: TariffSnapshot) -> bool | None:
        prepayment = prepayment_of(data, role)
        status = prepayment.credit_status if prepayment else None
        return None if status is None else bool(getattr(status, name))

    return is_on


def _credit_sensors(
    role: str,
) -> tuple[SmetsBinarySensorEntityDescription[TariffSnapshot], ...]:
    """Describe the emergency credit flags of ``role``'s meter (prepayment only)."""

    def exists(data: TariffSnapshot) -> bool:
        return in_prepayment(data, role)

    return tuple(
        SmetsBinarySensorEntityDescription(
            key=key,
            translation_key=key,
            is_on_fn=_credit_flag(key, role),
            exists_fn=exists,
        )
        for key in ("emergency_credit_available", "emergency_credit_in_use")
    )


CREDIT_SENSORS: Final = _credit_sensors(ROLE_ESME)
GAS_CREDIT_SENSORS: Final = _credit_sensors(ROLE_GAS)


_COMMON_FLAGS = frozenset({"check_meter", "low_battery", "tamper_detect"})
"""The flags every meter type defines."""


def _status_flag[T: (ElectricitySnapshot, GasSnapshot)](
    name: str,
) -> tuple[Callable[[T], bool | None], Callable[[T], bool]]:
    """is_on and exists for one Metering Status flag (None: not for this meter)."""

    def is_on(data: T) -> bool | None:
        status = data.reading.status
        return None if status is None else getattr(status, name)

    def exists(data: T) -> bool:
        # Flags the meter's device type does not define are None: no entity
        status = data.reading.status
        if status is None:
            return name in _COMMON_FLAGS
        return getattr(status, name) is not None

    return is_on, exists


def _status_sensors[T: (ElectricitySnapshot, GasSnapshot)](
    leak_class: BinarySensorDeviceClass,
) -> tuple[SmetsBinarySensorEntityDescription[T], ...]:
    """Describe the Metering Status (0x0200) bits of one meter."""
    rows: tuple[
        tuple[str, str, BinarySensorDeviceClass, EntityCategory | None, bool], ...
    ] = (
        ("tamper", "tamper_detect", BinarySensorDeviceClass.TAMPER, None, True),
        (
            "low_battery",
            "low_battery",
            BinarySensorDeviceClass.BATTERY,
            EntityCategory.DIAGNOSTIC,
            True,
        ),
        ("leak", "leak_detect", leak_class, None, True),
        ("power_failure", "power_failure", BinarySensorDeviceClass.PROBLEM, None, True),
        (
            "supply_off",
            "service_disconnect_open",
            BinarySensorDeviceClass.PROBLEM,
            None,
            True,
        ),
        ("reverse_flow", "reverse_flow", BinarySensorDeviceClass.PROBLEM, None, True),
        (
            "check_meter",
            "check_meter",
            BinarySensorDeviceClass.PROBLEM,
            EntityCategory.DIAGNOSTIC,
            True,
        ),
        (
            "power_quality",
            "power_quality",
            BinarySensorDeviceClass.PROBLEM,
            EntityCategory.DIAGNOSTIC,
            False,
        ),
        (
            "low_pressure",
            "low_pressure",
            BinarySensorDeviceClass.PROBLEM,
            EntityCategory.DIAGNOSTIC,
            False,
        ),
    )
    descriptions: list[SmetsBinarySensorEntityDescription[T]] = []
    for key, flag, device_class, category, enabled in rows:
        is_on, exists = _status_flag(flag)
        descriptions.append(
            SmetsBinarySensorEntityDescription(
                key=key,
                translation_key=key,
                device_class=device_class,
                entity_category=category,
                entity_registry_enabled_default=enabled,
                is_on_fn=is_on,
                exists_fn=exists,
            )
        )
    return tuple(descriptions)


ELECTRICITY_STATUS_SENSORS: tuple[
    SmetsBinarySensorEntityDescription[ElectricitySnapshot], ...
] = _status_sensors(BinarySensorDeviceClass.SAFETY)
GAS_STATUS_SENSORS: tuple[SmetsBinarySensorEntityDescription[GasSnapshot], ...] = (
    _status_sensors(BinarySensorDeviceClass.GAS)
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmetsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Create the binary sensors of every meter the HAN has."""
    runtime = entry.runtime_data
    meters = runtime.meters
    entities: list[BinarySensorEntity] = []

    def add[T](
        coordinator: SmetsCoordinator[T],
        role: str,
        descriptions: tuple[SmetsBinarySensorEntityDescription[T], ...],
    ) -> None:
        entities.extend(
            described_entities(
                SmetsBinarySensor, coordinator, meters, role, descriptions
            )
        )

    def add_credit(role: str) -> None:
        if not in_prepayment(runtime.tariff.data, role):
            return
        entities.append(
            LowCreditBinarySensor(
                runtime.tariff,
                meters,
                role,
                SmetsBinarySensorEntityDescription(
                    key="low_credit",
                    translation_key="low_credit",
                    is_on_fn=_credit_flag("low_credit", role),
                ),
            )
        )
        add(
            runtime.tariff,
            role,
            GAS_CREDIT_SENSORS if role == ROLE_GAS else CREDIT_SENSORS,
        )

    if runtime.electricity is not None and ROLE_ESME in meters:
        add(runtime.electricity, ROLE_ESME, ELECTRICITY_STATUS_SENSORS)
        add_credit(ROLE_ESME)
    if runtime.gas is not None and ROLE_GAS in meters:
        add(runtime.gas, ROLE_GAS, GAS_STATUS_SENSORS)
        add_credit(ROLE_GAS)
    async_add_entities(entities)


class SmetsBinarySensor[T](SmetsEntity[T], BinarySensorEntity):
    """A binary sensor whose state comes from its coordinator's snapshot."""

    entity_description: SmetsBinarySensorEntityDescription[T]

    @property
    def is_on(self) -> bool | None:
        """Return the flag from the latest snapshot (None: unknown)."""
        return self.entity_description.is_on_fn(self.coordinator.data)


class LowCreditBinarySensor(SmetsBinarySensor[TariffSnapshot]):
    """Low credit: the meter's own flag, or below the level chosen in the options."""

    @property
    def _own_level(self) -> Decimal | None:
        level = self.coordinator.config_entry.options.get(CONF_LOW_CREDIT_LEVEL)
        return None if level is None else Decimal(str(level))

    @property
    def is_on(self) -> bool | None:
        """On when the meter says so, or credit is below your own level."""
        prepayment = prepayment_of(self.coordinator.data, self.meter.role)
        level = self._own_level
        if prepayment is not None and level is not None:
            credit = prepayment.credit_remaining
            if credit is not None:
                return credit < level
        return super().is_on

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """The level in use: yours, or the meter's warning level."""
        prepayment: model.PrepaymentInfo | None = prepayment_of(
            self.coordinator.data, self.meter.role
        )
        level = self._own_level
        meter_level = prepayment.low_credit_warning_level if prepayment else None
        threshold = level if level is not None else meter_level
        return {
            "threshold": None if threshold is None else float(threshold),
            "threshold_source": "options" if level is not None else "meter",
        }
