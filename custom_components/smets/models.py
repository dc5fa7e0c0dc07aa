"""What the integration knows, as plain data: the bottom of the import graph.

The snapshots each coordinator hands its entities (immutable), who the meters
are (:class:`MeterInfo`), what a loaded entry holds (:class:`SmetsRuntimeData`)
and the entry type. Every other module of the integration may import this one;
it imports none of them but for type annotations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Final

from homeassistant.config_entries import ConfigEntry

from .const import ROLE_ESME, ROLE_GAS
from .han import model
from .han.catalogue import CatalogueMatch
from .han.link import HanLink

if TYPE_CHECKING:
    from .coordinator import (
        MeterWatch,
        PushedCoordinator,
        SmetsCoordinator,
        TariffCoordinator,
    )
    from .price_entities import PriceEntity, PriceKind
    from .statistics import HistoryImporter
    from .totals import TotalCost


@dataclass(frozen=True, slots=True)
class MeterInfo:
    """Who a meter is: its identity as read, and its catalogue entry."""

    role: str
    ieee: str
    """The EUI64 the meter answers on (the GPF answers on the Comms Hub's)."""
    device_id: str
    """The meter's own identifier: the GSME's EUI64 for the gas meter."""
    identity: model.MeterIdentity
    catalogue: CatalogueMatch


@dataclass(frozen=True, slots=True)
class LinkQuality:
    """How well the HAN link to a device is doing."""

    lqi: int | None
    rssi: int | None
    channel: int | None
    last_seen: dt.datetime | None


@dataclass(frozen=True, slots=True)
class ElectricitySnapshot:
    """What the ESME said in one cycle (registers already guarded)."""

    reading: model.ElectricityReading
    co2_kg: float | None
    link: LinkQuality


@dataclass(frozen=True, slots=True)
class GasSnapshot:
    """What the GPF gas mirror said in one cycle (registers already guarded)."""

    reading: model.GasReading
    energy_kwh: Decimal | None
    calorific_value_mj_m3: Decimal | None
    calorific_value_source: str | None
    last_update: dt.datetime | None


@dataclass(frozen=True, slots=True)
class TariffSnapshot:
    """Prices and (when in prepayment mode) credit."""

    electricity_price: model.PriceInfo | None
    gas_price: model.PriceInfo | None
    prepayment: model.PrepaymentInfo | None
    provider_name: str | None
    gas_prepayment: model.PrepaymentInfo | None = None
    """The gas meter's credit (the GPF mirror's Prepayment cluster), if it has one."""
    price_event: model.PriceEvent | None = None
    """The PublishPrice in force (the next price change is its end), if any."""
    cost_consumption: model.CostConsumption | None = None
    """What the ESME says its consumption cost (today, yesterday, week, month)."""
    gas_cost_consumption: model.CostConsumption | None = None
    """The same for the gas meter, from the GPF mirror's Prepayment cluster."""


DEFAULT_CONVERSION_FACTOR: Final = Decimal("1.02264")
"""The gas volume conversion factor GB bills use when the meter gives none."""


@dataclass(frozen=True, slots=True)
class GasEnergy:
    """Gas in kWh, and the calorific value it was worked out with."""

    energy_kwh: Decimal | None
    calorific_value_mj_m3: Decimal | None
    source: str | None
    """"meter" (its own calorific value), "override" (the options'), or None."""


def gas_energy(
    reading: model.GasReading | model.GasRegister, override: object | None
) -> GasEnergy:
    """Gas in kWh: as the meter says, or from the volume and the CV override.

    The override (the options' calorific value, MJ/m³) is used only when the
    meter publishes no calorific value of its own; the live sensor and the
    history import both come here, so they agree to the last digit.
    """
    cv = reading.calorific_value_mj_m3
    if cv is not None:
        return GasEnergy(reading.energy_kwh, cv, "meter")
    if not override or reading.volume_m3 is None:
        return GasEnergy(reading.energy_kwh, None, None)
    cv = Decimal(str(override))
    factor = reading.conversion_factor or DEFAULT_CONVERSION_FACTOR
    kwh = model.gas_m3_to_kwh(reading.volume_m3, factor, cv)
    return GasEnergy(None if kwh is None else Decimal(str(kwh)), cv, "override")


def prepayment_of(data: TariffSnapshot, role: str) -> model.PrepaymentInfo | None:
    """Return the credit snapshot of ``role``'s meter (the gas meter or the ESME)."""
    return data.gas_prepayment if role == ROLE_GAS else data.prepayment


def cost_consumption_of(
    data: TariffSnapshot, role: str
) -> model.CostConsumption | None:
    """Return what ``role``'s meter says its consumption cost (the gas meter or the ESME)."""
    return data.gas_cost_consumption if role == ROLE_GAS else data.cost_consumption


def in_prepayment(data: TariffSnapshot, role: str = ROLE_ESME) -> bool:
    """Whether the meter in ``role`` runs in prepayment (Pay-As-You-Go) mode."""
    prepayment = prepayment_of(data, role)
    return prepayment is not None and prepayment.prepayment_mode is True


@dataclass(frozen=True, slots=True)
class PushedSnapshot:
    """The last pushed events an entry received (for the entities and actions)."""

    messages: Mapping[str, model.SupplierMessage] = field(default_factory=dict)
    """The supplier message in force, by meter role."""
    confirmed: frozenset[int] = frozenset()
    """Ids of the messages confirmed to the meter."""
    alerts: Mapping[str, model.AlertEvent] = field(default_factory=dict)
    """The last alert, by meter role."""


@dataclass
class SmetsRuntimeData:
    """What a loaded config entry holds."""

    link: HanLink
    meters: dict[str, MeterInfo]
    electricity: SmetsCoordinator[ElectricitySnapshot] | None
    gas: SmetsCoordinator[GasSnapshot] | None
    tariff: TariffCoordinator
    pushed: PushedCoordinator
    """Alerts and messages the meters pushed (push.py feeds it)."""
    history: HistoryImporter | None = None
    """The import of the meters' half-hourly history (statistics.py)."""
    watch: MeterWatch | None = None
    """What notices a meter joining or leaving the HAN."""
    totals: dict[str, TotalCost] = field(default_factory=dict)
    """Each meter's Total cost, by role (cost_sensors.py; the history's cost joins it)."""
    prices: dict[PriceKind, PriceEntity] = field(default_factory=dict)
    """The unit prices other entities give, by kind (the options; price_entities.py)."""


type SmetsConfigEntry = ConfigEntry[SmetsRuntimeData]
