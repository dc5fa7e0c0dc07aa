"""Sensors: energy registers, demand, gas, tariff, cost, identity and link health.

Each sensor is a description: what it reads of its coordinator's snapshot
(``value_fn``), whether the meter has it (``exists_fn``), its attributes
(``attrs_fn``) and, for an enum whose options follow the tariff, its options
(``options_fn``); :class:`SmetsSensor` shows any of them. The few other
classes hold what no snapshot has: the cost tracker, who a meter is (known
at setup), the history import's progress, and the supplier message restored
across a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
import datetime as dt
from decimal import Decimal
from functools import partial
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
    UnitOfVolumeFlowRate,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.restore_state import RestoreEntity
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .const import ROLE_ESME, ROLE_GAS, ROLE_HUB
from .coordinator import PushedCoordinator, SmetsCoordinator
from .cost import CostTracker
from .cost_manager import (
    CostManager,
    async_cost_manager,
    average_attributes,
    billing_period_attributes,
    period_reset,
    shown_cost,
)
from .cost_sensors import total_cost_sensors
from .entity import SmetsEntity, SmetsMeterEntity, described_entities
from .han import model
from .messages import (
    Arrival,
    SupplierMessageStoredData,
    arrived_at,
    message_as_dict,
    message_attributes,
    message_end,
    message_from_dict,
)
from .models import (
    ElectricitySnapshot,
    GasSnapshot,
    MeterInfo,
    SmetsConfigEntry,
    TariffSnapshot,
    cost_consumption_of,
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
    options_fn: Callable[[T], list[str]] | None = None
    """An enum's options from the snapshot, when they can change (else ``options``)."""


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
        # InstantaneousDemand (0x0400) of the GPF with its Multiplier / Divisor:
        # only where the gas proxy publishes one (GBCS has the GSME push none,
        # so most do not); the Energy dashboard's gas flow rate
        key="flow_rate",
        translation_key="flow_rate",
        device_class=SensorDeviceClass.VOLUME_FLOW_RATE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfVolumeFlowRate.CUBIC_METERS_PER_HOUR,
        suggested_display_precision=3,
        value_fn=lambda data: data.reading.flow_m3_per_h,
        exists_fn=lambda data: data.reading.flow_m3_per_h is not None,
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


def _active_tier_options(data: TariffSnapshot) -> list[str]:
    """Return the tier labels the meter publishes (they follow the tariff) and the one in force."""
    labels = _tier_options(data.electricity_price)
    current = _active_tier(data)
    if current is not None and current not in labels:
        labels.append(current)
    return labels


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
    SmetsSensorEntityDescription(
        key="active_tier",
        translation_key="active_tier",
        device_class=SensorDeviceClass.ENUM,
        value_fn=_active_tier,
        options_fn=_active_tier_options,
        exists_fn=lambda data: data.electricity_price is not None,
    ),
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


def _money(
    key: str,
    value_fn: Callable[[TariffSnapshot], SensorValue],
    exists_fn: Callable[[TariffSnapshot], bool],
    *,
    category: EntityCategory | None = None,
    enabled: bool = True,
    state_class: SensorStateClass | None = None,
) -> SmetsSensorEntityDescription[TariffSnapshot]:
    """Describe a sensor of money in the meter's currency, two decimals shown."""
    return SmetsSensorEntityDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.MONETARY,
        native_unit_of_measurement=GBP,
        suggested_display_precision=2,
        state_class=state_class,
        entity_category=category,
        entity_registry_enabled_default=enabled,
        value_fn=value_fn,
        exists_fn=exists_fn,
    )


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

        return _money(
            key,
            read,
            exists,
            category=category,
            enabled=enabled,
            state_class=state_class,
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


def _consumption_cost_sensors(
    role: str,
) -> tuple[SmetsSensorEntityDescription[TariffSnapshot], ...]:
    """Describe what ``role``'s meter says its consumption cost (Historical Cost Consumption).

    The meter's own figures, with every digit it sends: each period's energy
    at the prices the meter charged it, no standing charge (GBCS charges that
    apart). They exist where the meter published any of them when the entry
    set up (a credit meter's Prepayment cluster has them too); a period the
    meter marks not available is unknown.
    """

    def exists(data: TariffSnapshot) -> bool:
        costs = cost_consumption_of(data, role)
        return costs is not None and any(
            value is not None
            for value in (
                costs.today,
                costs.yesterday,
                costs.this_week,
                costs.this_month,
            )
        )

    def cost(
        key: str, value: Callable[[model.CostConsumption], Decimal | None]
    ) -> SmetsSensorEntityDescription[TariffSnapshot]:
        def read(data: TariffSnapshot) -> SensorValue:
            costs = cost_consumption_of(data, role)
            return value(costs) if costs is not None else None

        return _money(key, read, exists)

    return (
        cost("consumption_cost_today", lambda c: c.today),
        cost("consumption_cost_yesterday", lambda c: c.yesterday),
        cost("consumption_cost_this_week", lambda c: c.this_week),
        cost("consumption_cost_this_month", lambda c: c.this_month),
    )


CONSUMPTION_COST_SENSORS: Final = _consumption_cost_sensors(ROLE_ESME)
GAS_CONSUMPTION_COST_SENSORS: Final = _consumption_cost_sensors(ROLE_GAS)


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


@dataclass(frozen=True, kw_only=True)
class SmetsCostSensorEntityDescription[T](SensorEntityDescription):
    """A sensor of the cost tracker, written at each update of a snapshot of type T."""

    value_fn: Callable[[CostTracker, T], SensorValue]
    exists_fn: Callable[[T], bool] = lambda _: True
    attrs_fn: Callable[[CostTracker], Mapping[str, Any] | None] = lambda _: None
    last_reset_fn: Callable[[CostTracker], dt.datetime | None] = lambda _: None


COST_SENSORS: tuple[SmetsCostSensorEntityDescription[ElectricitySnapshot], ...] = (
    SmetsCostSensorEntityDescription(
        key="cost_today",
        translation_key="cost_today",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        native_unit_of_measurement=GBP,
        suggested_display_precision=2,
        value_fn=lambda tracker, _data: shown_cost(tracker.cost_today),
        last_reset_fn=lambda tracker: period_reset(tracker.today),
    ),
    SmetsCostSensorEntityDescription(
        key="cost_period",
        translation_key="cost_period",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        native_unit_of_measurement=GBP,
        suggested_display_precision=2,
        value_fn=lambda tracker, _data: shown_cost(tracker.cost_period),
        attrs_fn=billing_period_attributes,
        last_reset_fn=lambda tracker: period_reset(tracker.period),
    ),
)
"""What the electricity cost today and this billing period (standing charge in)."""


def _days_of_credit(tracker: CostTracker, data: TariffSnapshot) -> float | None:
    """Unknown until a whole day's cost has been seen."""
    prepayment = data.prepayment
    credit = prepayment.credit_remaining if prepayment is not None else None
    return tracker.days_left(credit)


CREDIT_COST_SENSORS: tuple[SmetsCostSensorEntityDescription[TariffSnapshot], ...] = (
    SmetsCostSensorEntityDescription(
        key="days_of_credit",
        translation_key="days_of_credit",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.DAYS,
        suggested_display_precision=1,
        value_fn=_days_of_credit,
        attrs_fn=average_attributes,
        exists_fn=in_prepayment,
    ),
)
"""How long the credit lasts at the last 7 days' average daily cost."""


@dataclass(frozen=True, kw_only=True)
class SmetsMeterSensorEntityDescription(SensorEntityDescription):
    """A sensor of who a meter is: known at setup, no coordinator feeds it."""

    value_fn: Callable[[MeterInfo], str]
    attrs_fn: Callable[[MeterInfo], Mapping[str, Any] | None] = lambda _: None


def _migration_status(meter: MeterInfo) -> str:
    """Where a meter stands in the DCC's adoption of SMETS1 meters."""
    catalogue = meter.catalogue
    migration = catalogue.migration
    if catalogue.smets_version == "SMETS2":
        return "native_smets2"
    if migration is not None and migration.status == "not_on_adoption_list":
        return "smets1_not_on_adoption_list"
    if catalogue.smets_version == "SMETS1" and migration is not None:
        return "smets1_eligible"
    return "unknown"


def _migration_cohort(meter: MeterInfo) -> Mapping[str, Any] | None:
    """Return the DCC cohort of an eligible SMETS1 meter: name, date, operators."""
    migration = meter.catalogue.migration
    if migration is None or _migration_status(meter) != "smets1_eligible":
        return None
    capability = migration.capability_date
    return {
        "cohort": ", ".join(migration.cohort_names) or None,
        "capability_date": capability.isoformat() if capability else None,
        "operators": [cohort.operator for cohort in migration.cohorts],
    }


METER_SENSORS: tuple[SmetsMeterSensorEntityDescription, ...] = (
    SmetsMeterSensorEntityDescription(
        key="smets_version",
        translation_key="smets_version",
        device_class=SensorDeviceClass.ENUM,
        entity_category=EntityCategory.DIAGNOSTIC,
        options=[*SMETS_VERSIONS.values(), "unknown"],
        value_fn=lambda meter: SMETS_VERSIONS.get(
            meter.catalogue.smets_version, "unknown"
        ),
    ),
    SmetsMeterSensorEntityDescription(
        key="migration_status",
        translation_key="migration_status",
        device_class=SensorDeviceClass.ENUM,
        entity_category=EntityCategory.DIAGNOSTIC,
        options=list(MIGRATION_STATES),
        value_fn=_migration_status,
        attrs_fn=_migration_cohort,
    ),
)
"""Each meter's SMETS version (from the catalogue of approved meters) and migration."""

HISTORY_PROGRESS: Final = SensorEntityDescription(
    key="history_import",
    translation_key="history_import",
    device_class=SensorDeviceClass.ENUM,
    options=HISTORY_STATES,
    entity_category=EntityCategory.DIAGNOSTIC,
)
"""Where the import of the meters' history stands (importing, done, failed)."""

SUPPLIER_MESSAGE: Final = SensorEntityDescription(
    key="supplier_message", translation_key="supplier_message"
)
"""The supplier's last message on the ESME's display."""


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

    electricity = runtime.electricity if ROLE_ESME in meters else None
    tariff = runtime.tariff
    if electricity is not None:
        add(electricity, ROLE_ESME, ELECTRICITY_SENSORS)
        add(electricity, ROLE_ESME, _tier_sensors(electricity.data))
        add(tariff, ROLE_ESME, TARIFF_ESME_SENSORS)
    if runtime.gas is not None and ROLE_GAS in meters:
        add(runtime.gas, ROLE_GAS, GAS_SENSORS)
        add(tariff, ROLE_GAS, TARIFF_GAS_SENSORS)
        add(tariff, ROLE_GAS, GAS_PREPAYMENT_SENSORS)
        add(tariff, ROLE_GAS, GAS_CONSUMPTION_COST_SENSORS)
    entities.extend(
        MeterSensor(entry, meters, role, description)
        for role in meters
        if role != ROLE_HUB
        for description in METER_SENSORS
    )
    if electricity is not None:
        add(tariff, ROLE_ESME, PREPAYMENT_SENSORS)
        add(tariff, ROLE_ESME, CONSUMPTION_COST_SENSORS)
        entities.append(SupplierMessageSensor(runtime.pushed, electricity, meters))
        add(tariff, ROLE_ESME, (NEXT_PRICE_CHANGE,))
        manager = await async_cost_manager(hass, entry)
        if manager is not None:
            cost_sensor = partial(CostSensor, manager)
            entities.extend(
                described_entities(
                    cost_sensor, electricity, meters, ROLE_ESME, COST_SENSORS
                )
            )
            entities.extend(
                described_entities(
                    cost_sensor, tariff, meters, ROLE_ESME, CREDIT_COST_SENSORS
                )
            )
    history = runtime.history
    history_role = ROLE_ESME if ROLE_ESME in meters else ROLE_GAS
    if history is not None and history_role in meters:
        entities.append(HistoryProgressSensor(entry, meters, history_role, history))
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

    @property
    def options(self) -> list[str] | None:
        """Return the enum's options: from the snapshot, when they follow it."""
        if self.entity_description.options_fn is None:
            return super().options
        return self.entity_description.options_fn(self.coordinator.data)


class CostSensor[T](SmetsEntity[T], SensorEntity):
    """A sensor of the cost tracker, which its :class:`CostManager` keeps.

    It stays a class because the tracker is no snapshot: the manager feeds it
    from each electricity update, and the sensor shows it at each update of its
    own coordinator.
    """

    entity_description: SmetsCostSensorEntityDescription[T]

    def __init__(
        self,
        manager: CostManager,
        coordinator: SmetsCoordinator[T],
        meters: dict[str, MeterInfo],
        role: str,
        description: SmetsCostSensorEntityDescription[T],
    ) -> None:
        """Show what ``description`` reads of ``manager``'s tracker."""
        super().__init__(coordinator, meters, role, description)
        self.manager = manager

    @property
    def native_value(self) -> SensorValue:
        """Return the value from the tracker (and the latest snapshot)."""
        return self.entity_description.value_fn(
            self.manager.tracker, self.coordinator.data
        )

    @property
    def last_reset(self) -> dt.datetime | None:
        """Midnight at the start of the period, for a cost that resets."""
        return self.entity_description.last_reset_fn(self.manager.tracker)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return what the tracker says of the period or the average."""
        return self.entity_description.attrs_fn(self.manager.tracker)


class MeterSensor(SmetsMeterEntity, SensorEntity):
    """Who a meter is (its SMETS version, its migration): known at setup.

    It stays a class because no coordinator feeds it: it is available whether
    or not its meter answers.
    """

    entity_description: SmetsMeterSensorEntityDescription

    def __init__(
        self,
        entry: SmetsConfigEntry,
        meters: dict[str, MeterInfo],
        role: str,
        description: SmetsMeterSensorEntityDescription,
    ) -> None:
        """Describe the meter in ``role`` as ``description`` says."""
        super().__init__(entry, meters, role, description.key)
        self.entity_description = description
        self.meter = meters[role]

    @property
    def native_value(self) -> str:
        """Return what the description reads of the meter."""
        return self.entity_description.value_fn(self.meter)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Return the description's attributes of the meter, if it has any."""
        return self.entity_description.attrs_fn(self.meter)


class HistoryProgressSensor(SmetsMeterEntity, SensorEntity):
    """Where the import of the meters' history stands (diagnostic).

    It stays a class because it follows the importer's progress, which no
    coordinator holds.
    """

    entity_description = HISTORY_PROGRESS

    def __init__(
        self,
        entry: SmetsConfigEntry,
        meters: dict[str, MeterInfo],
        role: str,
        importer: HistoryImporter,
    ) -> None:
        """Show ``importer``'s progress on the device of meter ``role``."""
        self._progress = importer.progress
        super().__init__(entry, meters, role, HISTORY_PROGRESS.key)

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


class SupplierMessageSensor(
    SmetsEntity[ElectricitySnapshot], SensorEntity, RestoreEntity
):
    """The supplier's last message on the meter's display.

    A message stays the state after its duration has ended (the attribute
    ``ended`` says so) until the supplier cancels it or sends another; it is
    restored after a restart, with whether it was confirmed. The message is
    the pushed coordinator's; the entity is available while the ESME is. It
    stays a class for what is its own: the restore, when a message for "now"
    arrived, and the timer that shows its end.
    """

    def __init__(
        self,
        pushed: PushedCoordinator,
        coordinator: SmetsCoordinator[ElectricitySnapshot],
        meters: dict[str, MeterInfo],
    ) -> None:
        """Show the messages the ESME pushes (``pushed`` holds them)."""
        super().__init__(coordinator, meters, ROLE_ESME, SUPPLIER_MESSAGE)
        self.pushed = pushed
        self._arrival: Arrival | None = None
        self._end_timer: CALLBACK_TYPE | None = None

    async def async_added_to_hass(self) -> None:
        """Restore the message shown before the restart, unless a new one came."""
        await super().async_added_to_hass()
        self.async_on_remove(self._stop_end_timer)
        if self._message is None:
            await self._async_restore()
        self.async_on_remove(self.pushed.async_add_listener(self._async_pushed))
        self._follow_message()

    async def _async_restore(self) -> None:
        extra = await self.async_get_last_extra_data()
        saved = extra.as_dict().get("message") if extra is not None else None
        restored = message_from_dict(saved) if isinstance(saved, Mapping) else None
        if restored is None:
            return
        message, confirmed, arrived = restored
        if arrived is not None:
            self._arrival = (message.message_id, arrived)
        self.pushed.async_restore_message(ROLE_ESME, message, confirmed=confirmed)

    @property
    def _message(self) -> model.SupplierMessage | None:
        return self.pushed.data.messages.get(ROLE_ESME)

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
        if message.start_time is None and arrived_at(message, self._arrival) is None:
            self._arrival = (message.message_id, dt_util.utcnow())
        end = message_end(message, self._arrival)
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
        return message_attributes(
            message,
            self._arrival,
            confirmed=message.message_id in self.pushed.data.confirmed,
            now=dt_util.utcnow(),
        )

    @property
    def extra_restore_state_data(self) -> SupplierMessageStoredData:
        """The whole message and whether it was confirmed, for the next start."""
        message = self._message
        if message is None:
            return SupplierMessageStoredData(None)
        return SupplierMessageStoredData(
            message_as_dict(
                message,
                message.message_id in self.pushed.data.confirmed,
                arrived_at(message, self._arrival),
            )
        )
