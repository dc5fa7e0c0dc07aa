"""What the electricity has cost today and this billing period, kept up to date.

:class:`.cost.CostTracker` does the costing (pure, no Home Assistant).
:class:`CostManager` feeds it the ESME's registers and the tariff at every
electricity update and keeps it in the entry's store (delayed, and at unload),
so the cost so far survives a restart. The unit prices are Total cost's: the
electricity price entity the options name, or the meter's while it is gone
(:func:`.price_entities.entity_prices`); the standing charge is the meter's.
The functions at the end are what the cost sensors show of the tracker.
"""

from __future__ import annotations

from collections.abc import Mapping
import datetime as dt
from decimal import Decimal
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import CONF_BILLING_DAY, DEFAULT_BILLING_DAY, DOMAIN
from .coordinator import SmetsCoordinator
from .cost import CostTracker, PeriodCost
from .models import ElectricitySnapshot, SmetsConfigEntry, SmetsRuntimeData
from .price_entities import PriceKind, entity_prices

COST_SAVE_DELAY: Final = 60
"""Seconds between saves of the cost so far (and at unload and shutdown)."""


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
        meter_prices: dict[int, Decimal]
        if reading.tier_import_kwh:
            registers = {
                n: None if v is None else float(v)
                for n, v in enumerate(reading.tier_import_kwh, 1)
            }
            meter_prices = dict(price.tier_prices)
        else:
            kwh = reading.import_kwh
            registers = {0: None if kwh is None else float(kwh)}
            current = price.current_price
            meter_prices = {0: current} if current is not None else {}
        prices = entity_prices(
            self.runtime.prices.get(PriceKind.ELECTRICITY), registers, meter_prices
        )
        if prices is None:
            return  # the price entity has given no price yet: the registers wait
        self.tracker.update(
            dt_util.now(), registers, prices, price.standing_charge_per_day
        )
        self.store.async_delay_save(self.tracker.as_dict, COST_SAVE_DELAY)

    async def async_save(self) -> None:
        """Save now (unload)."""
        await self.store.async_save(self.tracker.as_dict())


async def async_cost_manager(
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


# --- what the cost sensors show ------------------------------------------------


def shown_cost(value: Decimal | None) -> Decimal | None:
    """Return the cost so far to a hundredth of a penny."""
    return None if value is None else value.quantize(Decimal("0.0001"))


def period_reset(period: PeriodCost | None) -> dt.datetime | None:
    """Midnight at the start of ``period`` (a cost sensor's last reset)."""
    return None if period is None else dt_util.start_of_local_day(period.start)


def billing_period_attributes(tracker: CostTracker) -> Mapping[str, Any] | None:
    """Return the billing period: its billing day, start and what was counted."""
    period = tracker.period
    if period is None:
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


def average_attributes(tracker: CostTracker) -> Mapping[str, Any]:
    """Return the average daily cost the days of credit are estimated from."""
    average = tracker.average_daily_cost()
    return {
        "average_daily_cost": None if average is None else round(float(average), 4),
        "days_averaged": len(tracker.daily),
    }
