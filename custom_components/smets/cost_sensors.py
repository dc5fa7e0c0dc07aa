"""Total cost sensors: what each fuel has cost since counting began, never reset.

The entities are thin: :mod:`.totals` does the costing. The state is restored
after a restart (Home Assistant's restore state), so the total carries on, and
the registers restored with it cost what was used while Home Assistant was
stopped. The Energy dashboard takes these as the "entity tracking the total
costs" of each fuel.

When the options name a price entity (a dynamic tariff's rate sensor), its
price is each tier's unit price from then on (the standing charge stays the
meter's); when that entity is gone the meter's price is used again. The Export
compensation sensor counts the export register at the export rate in force,
the Energy dashboard's "entity tracking the total compensation" for grid export.
"""

from __future__ import annotations

from collections.abc import Mapping
import datetime as dt
from decimal import Decimal
from typing import Any, Final

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.core import callback
from homeassistant.helpers.restore_state import ExtraStoredData, RestoreEntity
from homeassistant.util import dt as dt_util

from .const import ROLE_ESME, ROLE_GAS
from .coordinator import SmetsCoordinator
from .cost_history import history_attributes
from .entity import SmetsEntity
from .han import model
from .models import (
    ElectricitySnapshot,
    GasSnapshot,
    MeterInfo,
    SmetsConfigEntry,
    TariffSnapshot,
)
from .price_entities import (
    PriceEntity,
    PriceKind,
    entity_prices,
    fixed_export_rate,
    price_entity,
)
from .totals import TotalCost

TOTAL_COST: Final = "total_cost"
EXPORT_COMPENSATION: Final = "export_compensation"
DEFAULT_CURRENCY: Final = "GBP"

type Tiers = tuple[dict[int, Decimal | None], dict[int, Decimal]]


class TotalCostStoredData(ExtraStoredData):
    """The total and the registers it was counted to, for a restart."""

    def __init__(self, total: TotalCost) -> None:
        """Keep ``total``."""
        self.total = total

    def as_dict(self) -> dict[str, Any]:
        """Return the total as JSON-safe data."""
        return self.total.as_dict()


def electricity_tiers(
    data: ElectricitySnapshot, price: model.PriceInfo
) -> Tiers | None:
    """Return the ESME's tier registers and their prices (None: not known yet).

    Without tier registers the import register is priced at the price in force.
    """
    reading = data.reading
    if reading.tier_import_kwh:
        if len(reading.tier_import_kwh) != len(price.tier_prices):
            return None  # the meter's tier count is not known yet: wait for it
        return dict(enumerate(reading.tier_import_kwh, 1)), dict(price.tier_prices)
    prices = {0: price.current_price} if price.current_price is not None else {}
    return {0: reading.import_kwh}, prices


def gas_tiers(data: GasSnapshot, price: model.PriceInfo) -> Tiers:
    """Return the gas energy register (kWh) and the gas unit price."""
    prices = {0: price.current_price} if price.current_price is not None else {}
    return {0: data.energy_kwh}, prices


def price_attributes(source: PriceEntity | None, key: str) -> dict[str, Any]:
    """Return the attributes that say where a price comes from (none without an entity)."""
    if source is None:
        return {}
    return {
        key: source.entity_id,
        f"{key}_in_force": not source.missing and source.price is not None,
    }


class _RunningTotalSensor[T](SmetsEntity[T], RestoreEntity, SensorEntity):
    """A never-resetting money total counted from a meter's registers.

    The total is a :class:`~.totals.TotalCost`, restored after a restart and
    moved on each reading by the subclass's ``_count``.
    """

    _attr_device_class = SensorDeviceClass.MONETARY
    _attr_state_class = SensorStateClass.TOTAL
    _attr_suggested_display_precision = 2

    def __init__(
        self,
        coordinator: SmetsCoordinator[T],
        meters: dict[str, MeterInfo],
        role: str,
        key: str,
        price: model.PriceInfo | None,
    ) -> None:
        """Count for the meter ``role``, in the currency of ``price``."""
        super().__init__(
            coordinator,
            meters,
            role,
            SensorEntityDescription(key=key, translation_key=key),
        )
        self.total = TotalCost()
        currency = price.currency_code if price is not None else None
        self._attr_native_unit_of_measurement = currency or DEFAULT_CURRENCY

    async def async_added_to_hass(self) -> None:
        """Carry on from the total saved at the last stop, then count."""
        await super().async_added_to_hass()
        last = await self.async_get_last_extra_data()
        if last is not None:
            restored = TotalCost.from_dict(last.as_dict())
            if restored is not None:
                self.total = restored
        self._restored()
        self._count()

    def _restored(self) -> None:
        """Share the restored total where others read it (nothing by default)."""

    def _count(self) -> None:
        raise NotImplementedError

    @callback
    def _handle_coordinator_update(self) -> None:
        self._count()
        super()._handle_coordinator_update()

    @property
    def native_value(self) -> Decimal | None:
        """The total so far (None until the first reading with a price)."""
        if self.total.last_update is None:
            return None
        return self.total.total

    @property
    def extra_restore_state_data(self) -> TotalCostStoredData:
        """The total and its registers, for the next start."""
        return TotalCostStoredData(self.total)


class _TotalCostSensor[T](_RunningTotalSensor[T]):
    """What one fuel has cost since counting began (standing charges in)."""

    _kind: PriceKind

    def __init__(
        self,
        coordinator: SmetsCoordinator[T],
        tariff: SmetsCoordinator[TariffSnapshot],
        meters: dict[str, MeterInfo],
        role: str,
    ) -> None:
        """Cost what ``coordinator`` reads at the prices ``tariff`` holds."""
        self.tariff = tariff
        super().__init__(coordinator, meters, role, TOTAL_COST, self._price())

    def _price(self) -> model.PriceInfo | None:
        raise NotImplementedError

    def _tiers(self, price: model.PriceInfo) -> Tiers | None:
        raise NotImplementedError

    def _restored(self) -> None:
        """Hand the fuel's total to its cost statistics, which read it."""
        self.coordinator.config_entry.runtime_data.totals[self.meter.role] = self.total

    def _count(self) -> None:
        price = self._price()
        if not self.coordinator.last_update_success or price is None:
            return
        tiers = self._tiers(price)
        if tiers is None:
            return
        registers, meter_prices = tiers
        source = self._source()
        prices = entity_prices(source, registers, meter_prices)
        if prices is None:
            return
        now = dt_util.now()
        self.total.price_from(now, None if source is None else source.entity_id)
        self.total.update(now, registers, prices, price.standing_charge_per_day)
        self._learn(now, price)

    def _source(self) -> PriceEntity | None:
        """Return the entity the options take the unit price from, if any."""
        return price_entity(self.coordinator.config_entry, self._kind)

    def _learn(self, now: dt.datetime, price: model.PriceInfo) -> None:
        """Note the tiers the meter has in force (the calendar the past is priced by)."""

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """Since when the total counts; what the imported history is priced with."""
        since = self.total.since
        return {
            "counting_since": None if since is None else since.isoformat(),
            **history_attributes(self.total),
            **price_attributes(self._source(), "price_entity"),
        }


class ElectricityTotalCostSensor(_TotalCostSensor[ElectricitySnapshot]):
    """Electricity: each tier register at its tier's price, and the standing charge."""

    _kind = PriceKind.ELECTRICITY

    def _price(self) -> model.PriceInfo | None:
        return self.tariff.data.electricity_price

    def _tiers(self, price: model.PriceInfo) -> Tiers | None:
        return electricity_tiers(self.coordinator.data, price)

    def _learn(self, now: dt.datetime, price: model.PriceInfo) -> None:
        calendar = self.total.calendar
        if price.current_tier is not None:
            start = now.replace(
                minute=now.minute - now.minute % 30, second=0, microsecond=0
            )
            calendar.learn(start, start + dt.timedelta(minutes=30), price.current_tier)
        link = self.coordinator.config_entry.runtime_data.link
        event = link.esme.current_price_event() if link.has_esme else None
        if event is not None and event.start_time is not None:
            end = event.end_time
            if end is not None:
                calendar.learn(
                    dt_util.as_local(event.start_time),
                    dt_util.as_local(end),
                    event.price_tier,
                )


class GasTotalCostSensor(_TotalCostSensor[GasSnapshot]):
    """Gas: the energy register at the unit price, and the standing charge."""

    _kind = PriceKind.GAS

    def _price(self) -> model.PriceInfo | None:
        return self.tariff.data.gas_price

    def _tiers(self, price: model.PriceInfo) -> Tiers:
        return gas_tiers(self.coordinator.data, price)


class ExportCompensationSensor(_RunningTotalSensor[ElectricitySnapshot]):
    """What the exported energy has earned since counting began, never reset.

    Between two readings, the kWh the export register moved at the export
    rate in force at the first (the entity the options name or, without one
    or while it is gone, the options' number). Restored after a restart; a
    register that steps back only moves the baseline.
    """

    def __init__(
        self,
        coordinator: SmetsCoordinator[ElectricitySnapshot],
        tariff: SmetsCoordinator[TariffSnapshot],
        meters: dict[str, MeterInfo],
    ) -> None:
        """Count what ``coordinator`` reads at the options' export rate."""
        super().__init__(
            coordinator,
            meters,
            ROLE_ESME,
            EXPORT_COMPENSATION,
            tariff.data.electricity_price,
        )
        self.fixed = fixed_export_rate(coordinator.config_entry)

    def _source(self) -> PriceEntity | None:
        return price_entity(self.coordinator.config_entry, PriceKind.EXPORT)

    def rate(self) -> Decimal | None:
        """Return the export rate in force (GBP/kWh), None while none is known."""
        source = self._source()
        if source is not None and not source.missing:
            return source.price
        return self.fixed

    def _count(self) -> None:
        rate = self.rate()
        if not self.coordinator.last_update_success or rate is None:
            return  # no rate yet: the register waits, so no kWh is lost
        source = self._source()
        now = dt_util.now()
        self.total.price_from(now, None if source is None else source.entity_id)
        self.total.update(
            now, {0: self.coordinator.data.reading.export_kwh}, {0: rate}, None
        )

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """Since when the total counts, and the rate in force."""
        since = self.total.since
        rate = self.rate()
        return {
            "counting_since": None if since is None else since.isoformat(),
            # for display (GBP/kWh): the total is counted with every digit
            "export_rate": None if rate is None else float(rate),
            **price_attributes(self._source(), "export_rate_entity"),
        }


def total_cost_sensors(entry: SmetsConfigEntry) -> list[SensorEntity]:
    """Return a total-cost sensor for each meter that has a tariff.

    And the Export compensation sensor, when the meter has an export register
    and the options give an export rate.
    """
    runtime = entry.runtime_data
    meters = runtime.meters
    tariff = runtime.tariff
    entities: list[SensorEntity] = []
    if (
        runtime.electricity is not None
        and ROLE_ESME in meters
        and tariff.data.electricity_price is not None
    ):
        entities.append(
            ElectricityTotalCostSensor(runtime.electricity, tariff, meters, ROLE_ESME)
        )
    if (
        runtime.gas is not None
        and ROLE_GAS in meters
        and tariff.data.gas_price is not None
    ):
        entities.append(GasTotalCostSensor(runtime.gas, tariff, meters, ROLE_GAS))
    if (
        runtime.electricity is not None
        and ROLE_ESME in meters
        and runtime.electricity.data.reading.export_kwh is not None
        and (PriceKind.EXPORT in runtime.prices or fixed_export_rate(entry) is not None)
    ):
        entities.append(ExportCompensationSensor(runtime.electricity, tariff, meters))
    return entities
