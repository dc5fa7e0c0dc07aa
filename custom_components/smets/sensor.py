"""Sensors: energy registers, demand, gas, tariff, identity and link health."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
import datetime as dt
from decimal import Decimal
from typing import Any, Final

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    EntityCategory,
    UnitOfEnergy,
    UnitOfMass,
    UnitOfPower,
    UnitOfVolume,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .const import ROLE_ESME, ROLE_GAS, ROLE_HUB
from .coordinator import (
    ElectricitySnapshot,
    GasSnapshot,
    MeterInfo,
    SmetsConfigEntry,
    SmetsCoordinator,
    TariffSnapshot,
)
from .entity import SmetsEntity, device_info
from .han import model

PARALLEL_UPDATES = 0

type SensorValue = StateType | dt.datetime | Decimal

SUPPLY_STATUS = {
    model.SupplyStatus.OFF: "off",
    model.SupplyStatus.ARMED: "armed",
    model.SupplyStatus.ON: "on",
}
SMETS_VERSIONS = {"SMETS2": "smets2", "SMETS1": "smets1"}
MIGRATION_STATES: Final = [
    "native_smets2",
    "smets1_eligible",
    "smets1_not_on_adoption_list",
    "unknown",
]
GBP_PER_KWH = "GBP/kWh"
GBP_PER_DAY = "GBP/d"


@dataclass(frozen=True, kw_only=True)
class SmetsSensorEntityDescription[T](SensorEntityDescription):
    """A sensor fed by a snapshot of type T."""

    value_fn: Callable[[T], SensorValue]
    exists_fn: Callable[[T], bool] = lambda _: True
    attrs_fn: Callable[[T], Mapping[str, Any]] | None = None


ELECTRICITY_SENSORS: tuple[SmetsSensorEntityDescription[ElectricitySnapshot], ...] = (
    SmetsSensorEntityDescription(
        key="import_energy",
        translation_key="import_energy",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=3,
        value_fn=lambda data: data.reading.import_kwh,
    ),
    SmetsSensorEntityDescription(
        key="export_energy",
        translation_key="export_energy",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=3,
        value_fn=lambda data: data.reading.export_kwh,
        exists_fn=lambda data: data.reading.export_kwh is not None,
    ),
    SmetsSensorEntityDescription(
        key="demand",
        translation_key="demand",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        value_fn=lambda data: data.reading.demand_w,
    ),
    SmetsSensorEntityDescription(
        key="import_today",
        translation_key="import_today",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=3,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.reading.today_import_kwh,
        exists_fn=lambda data: data.reading.today_import_kwh is not None,
    ),
    SmetsSensorEntityDescription(
        key="export_today",
        translation_key="export_today",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=3,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.reading.today_export_kwh,
        exists_fn=lambda data: data.reading.today_export_kwh is not None,
    ),
    SmetsSensorEntityDescription(
        key="reactive_import",
        translation_key="reactive_import",
        device_class=SensorDeviceClass.REACTIVE_ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement="kvarh",
        value_fn=lambda data: data.reading.reactive_import_kvarh,
        exists_fn=lambda data: data.reading.reactive_import_kvarh is not None,
    ),
    SmetsSensorEntityDescription(
        key="reactive_export",
        translation_key="reactive_export",
        device_class=SensorDeviceClass.REACTIVE_ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement="kvarh",
        value_fn=lambda data: data.reading.reactive_export_kvarh,
        exists_fn=lambda data: data.reading.reactive_export_kvarh is not None,
    ),
    SmetsSensorEntityDescription(
        key="supply_status",
        translation_key="supply_status",
        device_class=SensorDeviceClass.ENUM,
        options=list(SUPPLY_STATUS.values()),
        value_fn=lambda data: (
            SUPPLY_STATUS.get(data.reading.supply_status)
            if data.reading.supply_status is not None
            else None
        ),
    ),
    SmetsSensorEntityDescription(
        key="co2",
        translation_key="co2",
        device_class=SensorDeviceClass.WEIGHT,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfMass.KILOGRAMS,
        suggested_display_precision=1,
        value_fn=lambda data: data.co2_kg,
    ),
    SmetsSensorEntityDescription(
        key="lqi",
        translation_key="lqi",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.link.lqi,
    ),
    SmetsSensorEntityDescription(
        key="rssi",
        translation_key="rssi",
        device_class=SensorDeviceClass.SIGNAL_STRENGTH,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.link.rssi,
    ),
    SmetsSensorEntityDescription(
        key="channel",
        translation_key="channel",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.link.channel,
    ),
    SmetsSensorEntityDescription(
        key="last_seen",
        translation_key="last_seen",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.link.last_seen,
    ),
)


def _tier_value(
    direction: str, index: int
) -> Callable[[ElectricitySnapshot], float | None]:
    """Read one tier register of one direction from a snapshot."""

    def value(data: ElectricitySnapshot) -> float | None:
        registers = (
            data.reading.tier_import_kwh
            if direction == "import"
            else data.reading.tier_export_kwh
        )
        return registers[index] if index < len(registers) else None

    return value


def _tier_sensors(
    data: ElectricitySnapshot,
) -> list[SmetsSensorEntityDescription[ElectricitySnapshot]]:
    """One import register per tier the meter publishes (export ones disabled)."""
    return [
        SmetsSensorEntityDescription(
            key=f"{direction}_tier_{index + 1}",
            translation_key=f"{direction}_tier",
            translation_placeholders={"tier": str(index + 1)},
            device_class=SensorDeviceClass.ENERGY,
            state_class=SensorStateClass.TOTAL_INCREASING,
            native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
            suggested_display_precision=3,
            entity_registry_enabled_default=direction == "import",
            value_fn=_tier_value(direction, index),
        )
        for direction, registers in (
            ("import", data.reading.tier_import_kwh),
            ("export", data.reading.tier_export_kwh),
        )
        for index in range(len(registers))
    ]


GAS_SENSORS: tuple[SmetsSensorEntityDescription[GasSnapshot], ...] = (
    SmetsSensorEntityDescription(
        key="volume",
        translation_key="volume",
        device_class=SensorDeviceClass.GAS,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfVolume.CUBIC_METERS,
        suggested_display_precision=3,
        value_fn=lambda data: data.reading.volume_m3,
    ),
    SmetsSensorEntityDescription(
        key="energy",
        translation_key="energy",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=3,
        value_fn=lambda data: data.energy_kwh,
    ),
    SmetsSensorEntityDescription(
        key="last_update",
        translation_key="last_update",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda data: data.last_update,
    ),
    SmetsSensorEntityDescription(
        key="calorific_value",
        translation_key="calorific_value",
        native_unit_of_measurement="MJ/m³",
        suggested_display_precision=1,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.calorific_value_mj_m3,
        attrs_fn=lambda data: {"source": data.calorific_value_source},
    ),
    SmetsSensorEntityDescription(
        key="conversion_factor",
        translation_key="conversion_factor",
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.reading.conversion_factor,
    ),
)


def _tier_options(price: model.PriceInfo | None) -> list[str]:
    """Return the active-tier options: the tier labels the meter publishes."""
    if price is not None and price.tier_labels:
        return [label for _tier, label in price.tier_labels]
    return []


def _active_tier(data: TariffSnapshot) -> str | None:
    price = data.electricity_price
    if price is None or price.current_tier is None:
        return None
    return price.current_tier_label or f"Tier {price.current_tier}"


TARIFF_ESME_SENSORS: tuple[SmetsSensorEntityDescription[TariffSnapshot], ...] = (
    SmetsSensorEntityDescription(
        key="unit_price",
        translation_key="unit_price",
        native_unit_of_measurement=GBP_PER_KWH,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=4,
        value_fn=lambda data: (
            data.electricity_price.current_price if data.electricity_price else None
        ),
        exists_fn=lambda data: data.electricity_price is not None,
    ),
    SmetsSensorEntityDescription(
        key="standing_charge",
        translation_key="standing_charge",
        native_unit_of_measurement=GBP_PER_DAY,
        suggested_display_precision=4,
        value_fn=lambda data: (
            data.electricity_price.standing_charge_per_day
            if data.electricity_price
            else None
        ),
        exists_fn=lambda data: data.electricity_price is not None,
    ),
    SmetsSensorEntityDescription(
        key="supplier",
        translation_key="supplier",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.provider_name,
        exists_fn=lambda data: data.provider_name is not None,
    ),
)

TARIFF_GAS_SENSORS: tuple[SmetsSensorEntityDescription[TariffSnapshot], ...] = (
    SmetsSensorEntityDescription(
        key="unit_price",
        translation_key="unit_price",
        native_unit_of_measurement=GBP_PER_KWH,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=4,
        value_fn=lambda data: data.gas_price.current_price if data.gas_price else None,
        exists_fn=lambda data: data.gas_price is not None,
    ),
    SmetsSensorEntityDescription(
        key="standing_charge",
        translation_key="standing_charge",
        native_unit_of_measurement=GBP_PER_DAY,
        suggested_display_precision=4,
        value_fn=lambda data: (
            data.gas_price.standing_charge_per_day if data.gas_price else None
        ),
        exists_fn=lambda data: data.gas_price is not None,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmetsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Create the sensors of every meter the HAN has."""
    runtime = entry.runtime_data
    meters = runtime.meters
    entities: list[SensorEntity] = []

    def add[T](
        coordinator: SmetsCoordinator[T],
        role: str,
        descriptions: tuple[SmetsSensorEntityDescription[T], ...]
        | list[SmetsSensorEntityDescription[T]],
    ) -> None:
        entities.extend(
            SmetsSensor(coordinator, meters, role, description)
            for description in descriptions
            if description.exists_fn(coordinator.data)
        )

    if runtime.electricity is not None and ROLE_ESME in meters:
        add(runtime.electricity, ROLE_ESME, ELECTRICITY_SENSORS)
        add(runtime.electricity, ROLE_ESME, _tier_sensors(runtime.electricity.data))
        if runtime.tariff.data.electricity_price is not None:
            entities.append(
                ActiveTierSensor(
                    runtime.tariff,
                    meters,
                    ROLE_ESME,
                    SmetsSensorEntityDescription(
                        key="active_tier",
                        translation_key="active_tier",
                        device_class=SensorDeviceClass.ENUM,
                        options=_tier_options(runtime.tariff.data.electricity_price)
                        or None,
                        value_fn=_active_tier,
                    ),
                )
            )
        add(runtime.tariff, ROLE_ESME, TARIFF_ESME_SENSORS)
    if runtime.gas is not None and ROLE_GAS in meters:
        add(runtime.gas, ROLE_GAS, GAS_SENSORS)
        add(runtime.tariff, ROLE_GAS, TARIFF_GAS_SENSORS)
    for role, meter in meters.items():
        if role == ROLE_HUB:
            continue
        entities.append(SmetsVersionSensor(entry, meters, meter))
        entities.append(MigrationStatusSensor(entry, meters, meter))
    async_add_entities(entities)


class SmetsSensor[T](SmetsEntity[T], SensorEntity):
    """A sensor whose state comes from its coordinator's snapshot."""

    entity_description: SmetsSensorEntityDescription[T]

    @property
    def native_value(self) -> SensorValue:
        """Return the value from the latest snapshot."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return the description's extra attributes, if it has any."""
        if self.entity_description.attrs_fn is None:
            return None
        return self.entity_description.attrs_fn(self.coordinator.data)


class ActiveTierSensor(SmetsSensor[TariffSnapshot]):
    """The tariff tier in force, by the meter's own label."""

    @property
    def options(self) -> list[str] | None:
        """Return the labels the meter publishes (they can change with the tariff)."""
        labels = _tier_options(self.coordinator.data.electricity_price)
        current = self.native_value
        if isinstance(current, str) and current not in labels:
            labels.append(current)
        return labels


class _StaticSensor(SensorEntity):
    """A sensor whose value is known at setup (who the meter is)."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_device_class = SensorDeviceClass.ENUM

    def __init__(
        self,
        entry: SmetsConfigEntry,
        meters: dict[str, MeterInfo],
        meter: MeterInfo,
        key: str,
    ) -> None:
        self.meter = meter
        self._attr_translation_key = key
        self._attr_unique_id = f"{entry.unique_id}_{meter.role}_{key}"
        self._attr_device_info = device_info(entry, meters, meter.role)


class SmetsVersionSensor(_StaticSensor):
    """SMETS2, SMETS1 or unknown, from the catalogue of approved meters."""

    _attr_options = [*SMETS_VERSIONS.values(), "unknown"]

    def __init__(
        self, entry: SmetsConfigEntry, meters: dict[str, MeterInfo], meter: MeterInfo
    ) -> None:
        """Describe one meter's SMETS version."""
        super().__init__(entry, meters, meter, "smets_version")
        self._attr_native_value = SMETS_VERSIONS.get(
            meter.catalogue.smets_version, "unknown"
        )


class MigrationStatusSensor(_StaticSensor):
    """Where a meter stands in the DCC's adoption of SMETS1 meters."""

    _attr_options = MIGRATION_STATES

    def __init__(
        self, entry: SmetsConfigEntry, meters: dict[str, MeterInfo], meter: MeterInfo
    ) -> None:
        """Describe one meter's DCC migration status."""
        super().__init__(entry, meters, meter, "migration_status")
        catalogue = meter.catalogue
        migration = catalogue.migration
        attributes: dict[str, Any] = {}
        if catalogue.smets_version == "SMETS2":
            state = "native_smets2"
        elif migration is not None and migration.status == "not_on_adoption_list":
            state = "smets1_not_on_adoption_list"
        elif catalogue.smets_version == "SMETS1" and migration is not None:
            state = "smets1_eligible"
            capability = migration.capability_date
            attributes = {
                "cohort": ", ".join(migration.cohort_names) or None,
                "capability_date": capability.isoformat() if capability else None,
                "operators": [cohort.operator for cohort in migration.cohorts],
            }
        else:
            state = "unknown"
        self._attr_native_value = state
        self._attr_extra_state_attributes = attributes
