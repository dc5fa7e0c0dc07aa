"""Sensors: energy registers, demand, gas, tariff, identity and link health."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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
    UnitOfTime,
    UnitOfVolume,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.restore_state import ExtraStoredData, RestoreEntity
from homeassistant.helpers.storage import Store
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .const import (
    CONF_BILLING_DAY,
    DEFAULT_BILLING_DAY,
    DOMAIN,
    ROLE_ESME,
    ROLE_GAS,
    ROLE_HUB,
)
from .coordinator import SmetsCoordinator
from .cost import CostTracker
from .cost_sensors import total_cost_sensors
from .entity import SmetsEntity, SmetsMeterEntity, described_entities
from .han import model
from .models import (
    ElectricitySnapshot,
    GasSnapshot,
    MeterInfo,
    SmetsConfigEntry,
    SmetsRuntimeData,
    TariffSnapshot,
    in_prepayment,
    prepayment_of,
)
from .statistics import STATES as HISTORY_STATES, HistoryImporter

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
    attrs_fn: Callable[[T], Mapping[str, Any] | None] | None = None


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
) -> Callable[[ElectricitySnapshot], Decimal | None]:
    """Read one tier register of one direction from a snapshot."""

    def value(data: ElectricitySnapshot) -> Decimal | None:
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


def _tariff_sensors(
    price_of: Callable[[TariffSnapshot], model.PriceInfo | None],
) -> tuple[SmetsSensorEntityDescription[TariffSnapshot], ...]:
    """Describe the unit price and standing charge of one fuel's tariff."""

    def unit_price(data: TariffSnapshot) -> Decimal | None:
        price = price_of(data)
        return price.current_price if price else None

    def standing_charge(data: TariffSnapshot) -> Decimal | None:
        price = price_of(data)
        return price.standing_charge_per_day if price else None

    def exists(data: TariffSnapshot) -> bool:
        return price_of(data) is not None

    return (
        SmetsSensorEntityDescription(
            key="unit_price",
            translation_key="unit_price",
            native_unit_of_measurement=GBP_PER_KWH,
            state_class=SensorStateClass.MEASUREMENT,
            suggested_display_precision=4,
            value_fn=unit_price,
            exists_fn=exists,
        ),
        SmetsSensorEntityDescription(
            key="standing_charge",
            translation_key="standing_charge",
            native_unit_of_measurement=GBP_PER_DAY,
            suggested_display_precision=4,
            value_fn=standing_charge,
            exists_fn=exists,
        ),
    )


TARIFF_ESME_SENSORS: tuple[SmetsSensorEntityDescription[TariffSnapshot], ...] = (
    *_tariff_sensors(lambda data: data.electricity_price),
    SmetsSensorEntityDescription(
        key="supplier",
        translation_key="supplier",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.provider_name,
        exists_fn=lambda data: data.provider_name is not None,
    ),
)

TARIFF_GAS_SENSORS: tuple[SmetsSensorEntityDescription[TariffSnapshot], ...] = (
    _tariff_sensors(lambda data: data.gas_price)
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
        descriptions: Iterable[SmetsSensorEntityDescription[T]],
    ) -> None:
        entities.extend(
            described_entities(SmetsSensor, coordinator, meters, role, descriptions)
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
        add(runtime.tariff, ROLE_GAS, GAS_PREPAYMENT_SENSORS)
    for role, meter in meters.items():
        if role == ROLE_HUB:
            continue
        entities.append(SmetsVersionSensor(entry, meters, meter))
        entities.append(MigrationStatusSensor(entry, meters, meter))
    entities.extend(await _async_money_sensors(hass, entry))
    entities.extend(history_sensors(entry))
    entities.extend(total_cost_sensors(entry))
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


class HistoryProgressSensor(SmetsMeterEntity, SensorEntity):
    """Where the import of the meters' history stands (diagnostic)."""

    _attr_translation_key = "history_import"
    _attr_device_class = SensorDeviceClass.ENUM
    _attr_options = HISTORY_STATES
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(
        self,
        entry: SmetsConfigEntry,
        meters: dict[str, MeterInfo],
        role: str,
        importer: HistoryImporter,
    ) -> None:
        """Show ``importer``'s progress on the device of meter ``role``."""
        self._progress = importer.progress
        super().__init__(entry, meters, role, "history_import")

    async def async_added_to_hass(self) -> None:
        """Follow the importer's progress."""
        listeners = self._progress.listeners
        listeners.append(self.async_write_ha_state)
        self.async_on_remove(lambda: listeners.remove(self.async_write_ha_state))

    @property
    def native_value(self) -> str:
        """Return importing, done or failed."""
        return self._progress.state

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return how many half-hours were imported and the oldest date reached."""
        oldest = self._progress.oldest
        return {
            "intervals_imported": self._progress.intervals,
            "oldest": oldest.date().isoformat() if oldest is not None else None,
        }


def history_sensors(entry: SmetsConfigEntry) -> list[SensorEntity]:
    """Return the progress sensor, on the electricity meter (else the gas meter)."""
    runtime = entry.runtime_data
    importer = runtime.history
    if importer is None:
        return []
    role = ROLE_ESME if ROLE_ESME in runtime.meters else ROLE_GAS
    if role not in runtime.meters:
        return []
    return [HistoryProgressSensor(entry, runtime.meters, role, importer)]


class _StaticSensor(SmetsMeterEntity, SensorEntity):
    """A sensor whose value is known at setup (who the meter is)."""

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
        super().__init__(entry, meters, meter.role, key)


class SmetsVersionSensor(_StaticSensor):
    """SMETS2, SMETS1 or unknown, from the catalogue of approved meters."""

    def __init__(
        self, entry: SmetsConfigEntry, meters: dict[str, MeterInfo], meter: MeterInfo
    ) -> None:
        """Describe one meter's SMETS version."""
        super().__init__(entry, meters, meter, "smets_version")
        self._attr_options = [*SMETS_VERSIONS.values(), "unknown"]
        self._attr_native_value = SMETS_VERSIONS.get(
            meter.catalogue.smets_version, "unknown"
        )


class MigrationStatusSensor(_StaticSensor):
    """Where a meter stands in the DCC's adoption of SMETS1 meters."""

    def __init__(
        self, entry: SmetsConfigEntry, meters: dict[str, MeterInfo], meter: MeterInfo
    ) -> None:
        """Describe one meter's DCC migration status."""
        super().__init__(entry, meters, meter, "migration_status")
        self._attr_options = list(MIGRATION_STATES)
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


# --- Pay-As-You-Go, cost, next price change, supplier messages ---------------------

CREDIT_STATUSES: Final = [
    "credit_ok",
    "low_credit",
    "emergency_credit_available",
    "emergency_credit_selected",
    "emergency_credit_in_use",
    "exhausted",
    "no_credit",
]
GBP: Final = "GBP"
COST_SAVE_DELAY: Final = 60
"""Seconds between saves of the cost so far (and at unload and shutdown)."""


def _credit_status(role: str) -> Callable[[TariffSnapshot], str | None]:
    """Return the CreditStatus of ``role``'s meter as one state, most pressing first."""

    def state_of(data: TariffSnapshot) -> str | None:
        prepayment = prepayment_of(data, role)
        status = prepayment.credit_status if prepayment else None
        if status is None:
            return None
        for flag, state in (
            (status.emergency_credit_exhausted, "exhausted"),
            (status.emergency_credit_in_use, "emergency_credit_in_use"),
            (status.emergency_credit_selected, "emergency_credit_selected"),
            (status.emergency_credit_available, "emergency_credit_available"),
            (status.low_credit, "low_credit"),
            (status.credit_ok, "credit_ok"),
        ):
            if flag:
                return state
        return "no_credit"

    return state_of


def _prepayment_sensors(
    role: str,
) -> tuple[SmetsSensorEntityDescription[TariffSnapshot], ...]:
    """Describe the credit sensors of ``role``'s meter (the ESME or the gas meter)."""

    def exists(data: TariffSnapshot) -> bool:
        return in_prepayment(data, role)

    def money(
        key: str,
        value: Callable[[model.PrepaymentInfo], SensorValue],
        *,
        category: EntityCategory | None = None,
        enabled: bool = True,
        state_class: SensorStateClass | None = None,
    ) -> SmetsSensorEntityDescription[TariffSnapshot]:
        def read(data: TariffSnapshot) -> SensorValue:
            prepayment = prepayment_of(data, role)
            return value(prepayment) if prepayment is not None else None

        return SmetsSensorEntityDescription(
            key=key,
            translation_key=key,
            device_class=SensorDeviceClass.MONETARY,
            native_unit_of_measurement=GBP,
            suggested_display_precision=2,
            state_class=state_class,
            entity_category=category,
            entity_registry_enabled_default=enabled,
            value_fn=read,
            exists_fn=exists,
        )

    return (
        money("credit_remaining", lambda p: p.credit_remaining),
        money("emergency_credit_remaining", lambda p: p.emergency_credit_remaining),
        money("accumulated_debt", lambda p: p.accumulated_debt),
        money(
            "total_credit_added",
            lambda p: p.total_credit_added,
            state_class=SensorStateClass.TOTAL,
        ),
        money(
            "emergency_credit_limit",
            lambda p: p.emergency_credit_limit,
            category=EntityCategory.DIAGNOSTIC,
        ),
        money(
            "emergency_credit_threshold",
            lambda p: p.emergency_credit_threshold,
            category=EntityCategory.DIAGNOSTIC,
        ),
        money(
            "low_credit_warning_level",
            lambda p: p.low_credit_warning_level,
            category=EntityCategory.DIAGNOSTIC,
            enabled=False,
        ),
        SmetsSensorEntityDescription(
            key="credit_status",
            translation_key="credit_status",
            device_class=SensorDeviceClass.ENUM,
            options=CREDIT_STATUSES,
            value_fn=_credit_status(role),
            exists_fn=exists,
        ),
    )


PREPAYMENT_SENSORS: Final = _prepayment_sensors(ROLE_ESME)
GAS_PREPAYMENT_SENSORS: Final = _prepayment_sensors(ROLE_GAS)


class CostManager:
    """Feeds the cost tracker from every electricity update; saves it."""

    def __init__(
        self,
        runtime: SmetsRuntimeData,
        electricity: SmetsCoordinator[ElectricitySnapshot],
        store: Store[dict[str, Any]],
        tracker: CostTracker,
    ) -> None:
        """Cost what ``electricity`` reports at the tariff's prices."""
        self.runtime = runtime
        self.electricity = electricity
        self.store = store
        self.tracker = tracker

    @callback
    def update(self) -> None:
        """Cost what the tier registers moved since the last update."""
        data = self.electricity.data
        price = self.runtime.tariff.data.electricity_price
        if not self.electricity.last_update_success or price is None:
            return
        reading = data.reading
        registers: dict[int, float | None]
        if reading.tier_import_kwh and len(reading.tier_import_kwh) != len(
            price.tier_prices
        ):
            return  # the meter's tier count is not known yet: wait for it
        if reading.tier_import_kwh:
            registers = {
                n: None if v is None else float(v)
                for n, v in enumerate(reading.tier_import_kwh, 1)
            }
            prices = dict(price.tier_prices)
        else:
            kwh = reading.import_kwh
            registers = {0: None if kwh is None else float(kwh)}
            prices = {0: price.current_price} if price.current_price is not None else {}
        self.tracker.update(
            dt_util.now(), registers, prices, price.standing_charge_per_day
        )
        self.store.async_delay_save(self.tracker.as_dict, COST_SAVE_DELAY)

    async def async_save(self) -> None:
        """Save now (unload)."""
        await self.store.async_save(self.tracker.as_dict())


async def _async_cost_manager(
    hass: HomeAssistant, entry: SmetsConfigEntry
) -> CostManager | None:
    """Load the cost so far and follow the electricity meter (None: no tariff)."""
    runtime = entry.runtime_data
    electricity = runtime.electricity
    if electricity is None or runtime.tariff.data.electricity_price is None:
        return None
    store: Store[dict[str, Any]] = Store(hass, 1, f"{DOMAIN}.{entry.entry_id}.cost")
    saved = await store.async_load()
    billing_day = int(entry.options.get(CONF_BILLING_DAY, DEFAULT_BILLING_DAY))
    tracker = CostTracker.from_dict(saved) if saved else CostTracker(billing_day)
    # a changed billing day re-counts the period in progress from the days kept
    tracker.set_billing_day(billing_day)
    manager = CostManager(runtime, electricity, store, tracker)
    manager.update()
    entry.async_on_unload(electricity.async_add_listener(manager.update))
    entry.async_on_unload(manager.async_save)
    return manager


class CostSensor(SmetsEntity[ElectricitySnapshot], SensorEntity):
    """What the electricity cost today or this billing period (standing charge in)."""

    _attr_device_class = SensorDeviceClass.MONETARY
    _attr_state_class = SensorStateClass.TOTAL
    _attr_native_unit_of_measurement = GBP
    _attr_suggested_display_precision = 2

    def __init__(
        self, manager: CostManager, meters: dict[str, MeterInfo], key: str
    ) -> None:
        """Show the cost of the period ``key`` (cost_today or cost_period)."""
        super().__init__(
            manager.electricity,
            meters,
            ROLE_ESME,
            SensorEntityDescription(key=key, translation_key=key),
        )
        self.manager = manager

    @property
    def _period(self) -> dt.date | None:
        tracker = self.manager.tracker
        period = tracker.today if self.entity_description.key == "cost_today" else None
        if self.entity_description.key == "cost_period":
            period = tracker.period
        return period.start if period is not None else None

    @property
    def native_value(self) -> Decimal | None:
        """The cost so far, to a hundredth of a penny."""
        tracker = self.manager.tracker
        value = (
            tracker.cost_today
            if self.entity_description.key == "cost_today"
            else tracker.cost_period
        )
        return None if value is None else value.quantize(Decimal("0.0001"))

    @property
    def last_reset(self) -> dt.datetime | None:
        """Midnight at the start of the period."""
        start = self._period
        return None if start is None else dt_util.start_of_local_day(start)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """The billing period: its billing day, start and what was counted of it."""
        tracker = self.manager.tracker
        period = tracker.period
        if self.entity_description.key != "cost_period" or period is None:
            return None
        start = dt_util.start_of_local_day(period.start)
        since = period.since
        if since is None and period.complete:
            since = start
        return {
            "billing_day": tracker.billing_day,
            "period_start": start.isoformat(),
            "counted_since": None if since is None else since.isoformat(),
            "complete": period.complete,
        }


class DaysOfCreditSensor(SmetsEntity[TariffSnapshot], SensorEntity):
    """How long the credit lasts at the last 7 days' average daily cost."""

    _attr_device_class = SensorDeviceClass.DURATION
    _attr_native_unit_of_measurement = UnitOfTime.DAYS
    _attr_suggested_display_precision = 1

    def __init__(
        self,
        manager: CostManager,
        coordinator: SmetsCoordinator[TariffSnapshot],
        meters: dict[str, MeterInfo],
    ) -> None:
        """Estimate from ``manager``'s daily costs and the meter's credit."""
        super().__init__(
            coordinator,
            meters,
            ROLE_ESME,
            SensorEntityDescription(
                key="days_of_credit", translation_key="days_of_credit"
            ),
        )
        self.manager = manager

    @property
    def native_value(self) -> float | None:
        """Unknown until a whole day's cost has been seen."""
        prepayment = self.coordinator.data.prepayment
        credit = prepayment.credit_remaining if prepayment is not None else None
        return self.manager.tracker.days_left(credit)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """The average it is based on."""
        average = self.manager.tracker.average_daily_cost()
        return {
            "average_daily_cost": None if average is None else round(float(average), 4),
            "days_averaged": len(self.manager.tracker.daily),
        }


def _next_price_change(data: TariffSnapshot) -> dt.datetime | None:
    """Return the end of the price in force, if the meter said and it is ahead."""
    event = data.price_event
    end = event.end_time if event is not None else None
    if end is None or end <= dt_util.utcnow():
        return None
    return end


def _price_in_force(data: TariffSnapshot) -> Mapping[str, Any] | None:
    """Return the rate in force and since when."""
    event = data.price_event
    if event is None:
        return None
    return {
        "rate_label": event.rate_label,
        "price": float(event.price),
        "tier": event.price_tier or None,
        "start": event.start_time.isoformat() if event.start_time else None,
    }


NEXT_PRICE_CHANGE: Final = SmetsSensorEntityDescription[TariffSnapshot](
    key="next_price_change",
    translation_key="next_price_change",
    device_class=SensorDeviceClass.TIMESTAMP,
    value_fn=_next_price_change,
    attrs_fn=_price_in_force,
    exists_fn=lambda data: data.electricity_price is not None,
)
"""When the price in force ends (PublishPrice start time + duration)."""


def _message_as_dict(
    message: model.SupplierMessage, confirmed: bool, arrived: dt.datetime | None
) -> dict[str, Any]:
    """Return a supplier message as JSON-safe data (what a restart restores)."""
    return {
        "message_id": message.message_id,
        "control": message.control,
        "start_time": (
            message.start_time.isoformat() if message.start_time is not None else None
        ),
        "starts_now": message.starts_now,
        "duration_minutes": message.duration_minutes,
        "text": message.text,
        "extended_control": message.extended_control,
        "confirmed": confirmed,
        "arrived": arrived.isoformat() if arrived is not None else None,
    }


def _message_from_dict(
    data: Mapping[str, Any],
) -> tuple[model.SupplierMessage, bool, dt.datetime | None] | None:
    """Rebuild a message saved by :func:`_message_as_dict` (None if damaged)."""
    try:
        control = int(data["control"]) & 0xFF
        start = data.get("start_time")
        arrived = data.get("arrived")
        duration = data.get("duration_minutes")
        extended = data.get("extended_control")
        message = model.SupplierMessage(
            message_id=int(data["message_id"]),
            control=control,
            transmission=control & 0x03,
            importance=list(model.MessageImportance)[(control >> 2) & 0x03],
            confirmation_required=bool(control & 0x80),
            enhanced_confirmation_requested=bool(control & 0x20),
            start_time=None if start is None else dt.datetime.fromisoformat(start),
            starts_now=bool(data.get("starts_now")),
            duration_minutes=None if duration is None else int(duration),
            text=str(data["text"]),
            extended_control=None if extended is None else int(extended),
        )
        when = None if arrived is None else dt.datetime.fromisoformat(arrived)
    except KeyError, TypeError, ValueError:
        return None
    return message, bool(data.get("confirmed")), when


@dataclass(frozen=True, slots=True)
class SupplierMessageStoredData(ExtraStoredData):
    """The message in force when Home Assistant stopped (restored at start)."""

    message: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        """Return the message, or None when there was none."""
        return {"message": self.message}


class SupplierMessageSensor(
    SmetsEntity[ElectricitySnapshot], SensorEntity, RestoreEntity
):
    """The supplier's last message on the meter's display.

    A message stays the state after its duration has ended (the attribute
    ``ended`` says so) until the supplier cancels it or sends another; it is
    restored after a restart, with whether it was confirmed. The message is
    the pushed coordinator's; the entity is available while the ESME is.
    """

    def __init__(
        self,
        runtime: SmetsRuntimeData,
        coordinator: SmetsCoordinator[ElectricitySnapshot],
        meters: dict[str, MeterInfo],
    ) -> None:
        """Show the messages the ESME pushes."""
        super().__init__(
            coordinator,
            meters,
            ROLE_ESME,
            SensorEntityDescription(
                key="supplier_message", translation_key="supplier_message"
            ),
        )
        self.runtime = runtime
        self._arrived: tuple[int, dt.datetime] | None = None
        """When a message that starts "now" arrived (its id, the time)."""
        self._end_timer: CALLBACK_TYPE | None = None

    async def async_added_to_hass(self) -> None:
        """Restore the message shown before the restart, unless a new one came."""
        await super().async_added_to_hass()
        self.async_on_remove(self._stop_end_timer)
        if self._message is None:
            await self._async_restore()
        self.async_on_remove(self.runtime.pushed.async_add_listener(self._async_pushed))
        self._follow_message()

    async def _async_restore(self) -> None:
        extra = await self.async_get_last_extra_data()
        saved = extra.as_dict().get("message") if extra is not None else None
        restored = _message_from_dict(saved) if isinstance(saved, Mapping) else None
        if restored is None:
            return
        message, confirmed, arrived = restored
        if arrived is not None:
            self._arrived = (message.message_id, arrived)
        self.runtime.pushed.async_restore_message(
            ROLE_ESME, message, confirmed=confirmed
        )

    @property
    def _message(self) -> model.SupplierMessage | None:
        return self.runtime.pushed.data.messages.get(ROLE_ESME)

    def _start(self, message: model.SupplierMessage) -> dt.datetime | None:
        """When it started: the meter's start time, or when one for "now" arrived."""
        if message.start_time is not None:
            return message.start_time
        if self._arrived is not None and self._arrived[0] == message.message_id:
            return self._arrived[1]
        return None

    def _end(self, message: model.SupplierMessage) -> dt.datetime | None:
        """When its duration ends (None: until changed, or not known)."""
        start = self._start(message)
        if start is None or message.duration_minutes is None:
            return None
        return start + dt.timedelta(minutes=message.duration_minutes)

    @callback
    def _async_pushed(self) -> None:
        """Show a new message, a cancelled one or a confirmation."""
        self._follow_message()
        self.async_write_ha_state()

    @callback
    def _follow_message(self) -> None:
        """Note when a message for "now" arrived; show its end when it comes."""
        self._stop_end_timer()
        message = self._message
        if message is None:
            return
        if message.start_time is None and (
            self._arrived is None or self._arrived[0] != message.message_id
        ):
            self._arrived = (message.message_id, dt_util.utcnow())
        end = self._end(message)
        if end is not None and end > dt_util.utcnow():
            self._end_timer = async_track_point_in_utc_time(
                self.hass, self._async_ended, end
            )

    @callback
    def _async_ended(self, _now: dt.datetime) -> None:
        self._end_timer = None
        self.async_write_ha_state()

    @callback
    def _stop_end_timer(self) -> None:
        if self._end_timer is not None:
            self._end_timer()
            self._end_timer = None

    @property
    def native_value(self) -> str | None:
        """The message text (a state holds 255 characters)."""
        message = self._message
        return None if message is None else message.text[:255]

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Id, start, duration, end and importance; whether it asks for confirmation."""
        message = self._message
        if message is None:
            return None
        start = self._start(message)
        end = self._end(message)
        return {
            "message_id": message.message_id,
            "start": start.isoformat() if start is not None else None,
            "duration_minutes": message.duration_minutes,
            "end": end.isoformat() if end is not None else None,
            "ended": end is not None and end <= dt_util.utcnow(),
            "importance": str(message.importance),
            "confirmation_required": message.confirmation_required,
            "confirmed": message.message_id in self.runtime.pushed.data.confirmed,
        }

    @property
    def extra_restore_state_data(self) -> SupplierMessageStoredData:
        """The whole message and whether it was confirmed, for the next start."""
        message = self._message
        if message is None:
            return SupplierMessageStoredData(None)
        arrived = (
            self._arrived[1]
            if self._arrived is not None and self._arrived[0] == message.message_id
            else None
        )
        return SupplierMessageStoredData(
            _message_as_dict(
                message,
                message.message_id in self.runtime.pushed.data.confirmed,
                arrived,
            )
        )


async def _async_money_sensors(
    hass: HomeAssistant, entry: SmetsConfigEntry
) -> list[SensorEntity]:
    """Cost, Pay-As-You-Go, next price change and supplier message sensors."""
    runtime = entry.runtime_data
    meters = runtime.meters
    if ROLE_ESME not in meters or runtime.electricity is None:
        return []
    tariff = runtime.tariff
    entities: list[SensorEntity] = [
        SmetsSensor(tariff, meters, ROLE_ESME, description)
        for description in PREPAYMENT_SENSORS
        if description.exists_fn(tariff.data)
    ]
    entities.append(SupplierMessageSensor(runtime, runtime.electricity, meters))
    if NEXT_PRICE_CHANGE.exists_fn(tariff.data):
        entities.append(SmetsSensor(tariff, meters, ROLE_ESME, NEXT_PRICE_CHANGE))
    manager = await _async_cost_manager(hass, entry)
    if manager is not None:
        entities.extend(
            CostSensor(manager, meters, key) for key in ("cost_today", "cost_period")
        )
        if in_prepayment(tariff.data):
            entities.append(DaysOfCreditSensor(manager, tariff, meters))
    return entities
