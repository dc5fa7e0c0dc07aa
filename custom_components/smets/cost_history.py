"""Cost statistics for the imported history, joined to the live Total cost.

The history importer hands over every half-hour it reads from a meter; this
walks back from where the Total cost sensor began counting (its total then,
and the register then for the half-hour in progress), taking away each
half-hour's kWh at its price and each day's standing charge, and writes the
Total cost statistic's hourly rows before the live ones. The rows' ``sum`` is
``state - zero`` with the live statistic's own zero, so the Energy dashboard's
costs run on with no step where live data starts.

The HAN gives today's tariff only: the past is priced with today's prices,
each half-hour at the tier the meter's calendar (as seen since set-up) has
for it, or, where that is not known, at today's prices blended by what each
tier register has counted (an estimate, which the options can turn off).

Where the meter costs its days itself (the Prepayment cluster's Historical
Cost Consumption: the eight complete days before today), those days are its
figures: each half-hour's share of the meter's cost of the day is its share
of the day's cost at today's prices (its share of the day's kWh where a tier
is not known), so the day adds up to what the meter charged, the standing
charge apart, as the meter keeps it apart.

A price entity the options name (a dynamic tariff) prices only what comes
after it was chosen: the half-hours an outage's gap fill costs from then on
are at its price in force (the meter's while it is gone); the imported
history before keeps the meter's tariff and calendar.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import datetime as dt
from decimal import Decimal
import logging
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.recorder.models import StatisticData
from homeassistant.components.recorder.statistics import (
    async_import_statistics,
    get_last_short_term_statistics,
    statistics_during_period,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .compat import sum_statistic_metadata
from .const import (
    CONF_ESTIMATE_HISTORY_COST,
    DEFAULT_ESTIMATE_HISTORY_COST,
    DOMAIN,
    ROLE_ESME,
    ROLE_GAS,
)
from .han import model
from .price_entities import PriceKind
from .totals import HALF_HOUR, CostWalk, TotalCost, blended_price

if TYPE_CHECKING:
    from .models import SmetsConfigEntry

_LOGGER = logging.getLogger(__name__)

HISTORY_PRICES: Final = "today"
"""What the imported history's cost is priced with (the entity says so)."""

SOURCES: Final = {"import": ROLE_ESME, "gas": ROLE_GAS}
"""History sources whose half-hours cost money, and the meter they are on."""

MAX_WANTED: Final = 2 * 3600
"""The most :meth:`CostHistory.async_wanted` reads (the rest is the importer's gap fill)."""

type Price = tuple[Decimal, bool]

_LONGEST_DAY: Final = 25 * 3600
"""A local day's length at most (the clocks going back)."""


class CostHistory:
    """Writes one entry's cost statistics for the half-hours the importer reads."""

    def __init__(self, hass: HomeAssistant, entry: SmetsConfigEntry) -> None:
        """Load nothing yet; the walks are kept in a Store."""
        self.hass = hass
        self.entry = entry
        self._store: Store[dict[str, Any]] = Store(
            hass, 1, f"{DOMAIN}.{entry.entry_id}.cost_history"
        )
        self._walks: dict[str, dict[str, Any]] | None = None
        self.half_hours: dict[str, dict[int, Decimal | None]] = {}
        self._zeros: dict[str, float] = {}
        self._pending: dict[str, tuple[str, float, list[tuple[int, Decimal]]]] = {}
        """Each live statistic's zero, read once (no reset comes between pages)."""
        self._filled: dict[str, tuple[int, Decimal]] = {}
        """Where each source's last gap fill ended: (hour, total then)."""
        self._meter_days: dict[str, tuple[dt.date, dict[int, Decimal]]] = {}
        """Each source's days the meter costed: (the day read, day start -> cost)."""

    def meter_days_read(self, source: str) -> dt.date | None:
        """Return the local day the meter's own day costs were last read on."""
        read = self._meter_days.get(source)
        return None if read is None else read[0]

    def note_meter_days(self, source: str, costs: model.CostConsumption) -> None:
        """Keep what the meter says each complete day cost (1 to 8 days back).

        A GB meter's days are local days; a day it marks not available is
        left to today's prices.
        """
        today = dt_util.now().date()
        days: dict[int, Decimal] = {}
        for back in range(1, len(costs.days)):
            cost = costs.day(back)
            if cost is not None:
                start = dt_util.start_of_local_day(today - dt.timedelta(days=back))
                days[int(start.timestamp())] = cost
        self._meter_days[source] = (today, days)

    async def _async_walks(self) -> dict[str, dict[str, Any]]:
        if self._walks is None:
            self._walks = (await self._store.async_load() or {}).get("walks", {})
        return self._walks

    async def async_reset(self) -> None:
        """Walk again from the start (the history is imported again)."""
        self._walks = {}
        self._zeros = {}
        self._filled = {}
        await self._store.async_save({"walks": {}})

    def _entity_id(self, role: str) -> str | None:
        return er.async_get(self.hass).async_get_entity_id(
            "sensor", DOMAIN, f"{self.entry.unique_id}_{role}_total_cost"
        )

    def _price_at(self, role: str, total: TotalCost) -> Callable[[int], Price | None]:
        """Return the price of a half-hour by its start (None: not priced).

        From when the options' price entity began pricing the total, its price
        in force (the meter's while the entity is gone); before, the meter's.
        """
        meter = self._meter_price_at(role, total)
        kind = PriceKind.ELECTRICITY if role == ROLE_ESME else PriceKind.GAS
        source = self.entry.runtime_data.prices.get(kind)
        since = total.price_source_since
        if source is None or since is None or total.price_source != source.entity_id:
            return meter
        begun = since.timestamp()

        def at(start: int) -> Price | None:
            if start < begun or source.missing:
                return meter(start)
            return None if source.price is None else (source.price, False)

        return at

    def _meter_price_at(
        self, role: str, total: TotalCost
    ) -> Callable[[int], Price | None]:
        """Return the meter's price of a half-hour by its start (None: not priced)."""
        tariff = self.entry.runtime_data.tariff.data
        price = tariff.electricity_price if role == ROLE_ESME else tariff.gas_price
        if price is None:
            return lambda _start: None
        tiers = dict(price.tier_prices)
        if role == ROLE_GAS or len(tiers) <= 1:
            flat = price.current_price
            if flat is None and tiers:
                flat = next(iter(tiers.values()))
            return lambda _start: None if flat is None else (flat, False)
        estimate: Decimal | None = None
        if self.entry.options.get(
            CONF_ESTIMATE_HISTORY_COST, DEFAULT_ESTIMATE_HISTORY_COST
        ):
            estimate = blended_price(total.registers, tiers)

        def at(start: int) -> Price | None:
            tier = total.calendar.tier_at(
                dt_util.as_local(dt_util.utc_from_timestamp(start)), len(tiers)
            )
            if tier is not None and tier in tiers:
                return tiers[tier], False
            return None if estimate is None else (estimate, True)

        return at

    @staticmethod
    def _is_midnight(start: int) -> bool:
        local = dt_util.as_local(dt_util.utc_from_timestamp(start))
        return local.hour == 0 and local.minute == 0

    async def async_half_hours(
        self,
        source: str,
        intervals: Mapping[int, int | None],
        kwh: Callable[[int], Decimal | None],
    ) -> None:
        """Take the raw half-hours the importer read, cost them back to where it can.

        ``kwh`` turns a raw half-hour into kWh as the energy sensor decodes it.
        """
        role = SOURCES.get(source)
        if role is None:
            return
        known = self.half_hours.setdefault(source, {})
        for start, raw in intervals.items():
            known[start] = None if raw is None else kwh(raw)
        total: TotalCost | None = self.entry.runtime_data.totals.get(role)
        entity_id = self._entity_id(role)
        if (
            total is None
            or entity_id is None
            or total.since is None
            or total.since_total is None
        ):
            return
        zero = self._zeros.get(entity_id)
        if zero is None:
            zero = await self._async_zero(entity_id)
        if zero is None:
            return  # the live statistic is not compiled yet: the next page will do
        self._zeros[entity_id] = zero
        walks = await self._async_walks()
        costed = MeterDays(
            self._meter_days.get(source, (None, {}))[1],
            known,
            self._price_at(role, total),
            int(total.since.timestamp()),
            spread=bool(
                self.entry.options.get(
                    CONF_ESTIMATE_HISTORY_COST, DEFAULT_ESTIMATE_HISTORY_COST
                )
            ),
        )
        saved = walks.get(source)
        for start, value in ((saved or {}).get("held") or {}).items():
            # read before a restart, in a day the walk waited to finish
            known.setdefault(int(start), None if value is None else Decimal(value))
        begun = self._walk(saved, total, known, costed.price_at)
        if begun is None:
            return
        walk, provisional, again = begun
        floor = min(known, default=walk.at)
        rows = walk.back(
            known, floor, costed.price_at, total.standing, self._is_midnight
        )
        meter_days = (
            set() if again or saved is None else set(saved.get("meter_days", ()))
        )
        meter_days |= {day for day in costed.used if day >= walk.at}
        held: dict[str, str | None] = {}
        if costed.waited is not None:
            # the walk waits at this day's end for the rest of the day: keep
            # what it read of the day, which a restart would otherwise lose
            # (the importer reads on from where it was, never this again)
            held = {
                str(start): None if value is None else str(value)
                for start, value in known.items()
                if costed.waited <= start < walk.at
            }
        walks[source] = {
            "at": walk.at,
            "value": str(walk.value),
            "estimated": walk.estimated,
            "since": total.since.isoformat(),
            "provisional": provisional,
            "meter_days": sorted(meter_days),
            "held": held,
        }
        total.history_estimated = walk.estimated
        total.history_meter_days = len(meter_days)
        self._store.async_delay_save(lambda: {"walks": walks}, 1)
        if again:
            # walked again from the start: these rows replace every earlier one
            self._pending.pop(entity_id, None)
        if rows:
            self._pending.setdefault(entity_id, (role, zero, []))[2].extend(rows)

    @property
    def waiting(self) -> bool:
        """The walk waits for a half-hour that is over now (the importer reads it)."""
        now = int(dt_util.utcnow().timestamp())
        return any(self._wanted(source, now) for source in self.half_hours)

    async def async_wanted(self, source: str, now: int) -> tuple[int, int] | None:
        """Return the half-hours the walk waits for that are over by ``now``.

        The walk back begins where the Total cost began counting: it needs
        every half-hour from the newest read up to that point (and, for an
        exact start, the half-hour in progress then). The importer reads to
        its last whole hour; counting often begins later in the hour, so
        without these the history would wait for the importer's next look.
        None: nothing to read (walking already, or nothing over yet).
        """
        await self._async_walks()
        return self._wanted(source, now)

    def _wanted(self, source: str, now: int) -> tuple[int, int] | None:
        role = SOURCES.get(source)
        known = self.half_hours.get(source)
        if role is None or not known:
            return None
        total: TotalCost | None = self.entry.runtime_data.totals.get(role)
        if total is None or total.since is None or total.since_total is None:
            return None
        since = int(total.since.timestamp())
        boundary = since - since % HALF_HOUR
        saved = (self._walks or {}).get(source)
        if (
            saved is not None
            and saved.get("since") == total.since.isoformat()
            and (not saved.get("provisional") or known.get(boundary) is not None)
        ):
            return None  # walking, exactly or as exactly as it can yet
        end = boundary + HALF_HOUR if since != boundary else boundary
        end = min(end, now - now % HALF_HOUR)
        start = max(known) + HALF_HOUR
        if end - start > MAX_WANTED or start >= end:
            return None  # nothing over yet, or an outage's to fill (the importer's)
        return start, end

    async def async_fill(self, source: str, start: int, end: int) -> None:
        """Cost the hours the importer filled in ``[start, end)`` (after an outage).

        Walks on from the total at ``start`` (the hour row before it, or where
        the last fill ended) over the half-hours read, each at the price its
        tier had then, as the history import prices them: the hour the
        readings resume then carries only its own cost, and the rows' ``sum``
        is ``state - zero`` with the live statistic's zero, so they agree with
        the Total cost sensor's own statistic.
        """
        role = SOURCES.get(source)
        if role is None or end <= start:
            return
        total: TotalCost | None = self.entry.runtime_data.totals.get(role)
        entity_id = self._entity_id(role)
        if total is None or entity_id is None or total.since is None:
            return
        zero = self._zeros.get(entity_id)
        if zero is None:
            zero = await self._async_zero(entity_id)
        if zero is None:
            return
        self._zeros[entity_id] = zero
        filled = self._filled.get(source)
        value = filled[1] if filled is not None and filled[0] == start else None
        if value is None:
            value = await self._async_state_before(entity_id, start)
        if value is None:
            return  # nothing to walk on from (no cost row before the gap)
        walk = CostWalk(start, value)
        rows = walk.forward(
            self.half_hours.get(source, {}),
            end,
            self._price_at(role, total),
            total.standing,
            self._is_midnight,
        )
        if not rows:
            return
        self._filled[source] = (walk.at, walk.value)
        total.history_estimated |= walk.estimated
        self._pending.setdefault(entity_id, (role, zero, []))[2].extend(rows)

    async def _async_state_before(
        self, statistic_id: str, start: int
    ) -> Decimal | None:
        """Return the state of the hour row that ends at ``start`` (None: no row)."""
        end = dt_util.utc_from_timestamp(start)
        stats = await get_instance(self.hass).async_add_executor_job(
            statistics_during_period,
            self.hass,
            end - dt.timedelta(hours=1),
            end,
            {statistic_id},
            "hour",
            None,
            {"state"},
        )
        rows = stats.get(statistic_id) or []
        if not rows or rows[-1].get("state") is None:
            return None
        return Decimal(str(rows[-1]["state"]))

    def flush(self) -> None:
        """Import the cost rows walked since the last flush (one batch a statistic)."""
        tariff = self.entry.runtime_data.tariff.data
        for entity_id, (role, zero, rows) in self._pending.items():
            info = tariff.electricity_price if role == ROLE_ESME else tariff.gas_price
            unit = (info.currency_code if info else None) or "GBP"
            async_import_statistics(
                self.hass,
                sum_statistic_metadata(entity_id, unit, None),
                [
                    StatisticData(
                        start=dt_util.utc_from_timestamp(start),
                        state=float(value),
                        sum=float(value) - zero,
                    )
                    for start, value in rows
                ],
            )
        self._pending = {}

    def _walk(
        self,
        saved: Mapping[str, Any] | None,
        total: TotalCost,
        known: Mapping[int, Decimal | None],
        price_at: Callable[[int], Price | None],
    ) -> tuple[CostWalk, bool, bool] | None:
        """Resume the saved walk, or begin one where counting began.

        Returns the walk, whether its start is provisional, and whether it
        walks again from the start (its rows replace the earlier ones).

        Counting mostly begins inside a half-hour, and the meter's profile
        gives that half-hour only once it is over (up to half an hour and
        the importer's next look later). Until then the kWh it had counted
        at the start are taken pro rata from the half-hour before, so the
        history has its cost from the first import; once the half-hour is
        read, the walk starts again from it, exactly, if every half-hour
        walked is still at hand (not after a restart in between, when the
        provisional start stays: a step of a penny or so where live data
        starts).
        """
        assert total.since is not None
        assert total.since_total is not None
        since = int(total.since.timestamp())
        boundary = since - since % HALF_HOUR
        again = False
        if saved is not None and saved.get("since") == total.since.isoformat():
            at = int(saved["at"])
            if not (
                saved.get("provisional")
                and known.get(boundary) is not None
                and min(known, default=at + 1) <= at
            ):
                return (
                    CostWalk(at, Decimal(saved["value"]), bool(saved["estimated"])),
                    bool(saved.get("provisional")) and known.get(boundary) is None,
                    False,
                )
            again = True  # the half-hour in progress at the start is read now
        used = Decimal(0)
        provisional = False
        if since != boundary:
            part = self._used_before(known, boundary, since)
            if part is None:
                # not read yet: the half-hour before, pro rata, stands in
                part = self._used_before(known, boundary - HALF_HOUR, since - HALF_HOUR)
                provisional = True
            if part is None:
                return None  # nothing read yet next to where counting began
            used = part
        walk = CostWalk.start(
            since=since,
            value=total.since_total,
            used=used,
            price=price_at(boundary),
            standing=total.standing,
            is_midnight=self._is_midnight,
        )
        return None if walk is None else (walk, provisional, again)

    @staticmethod
    def _used_before(
        known: Mapping[int, Decimal | None], boundary: int, since: int
    ) -> Decimal | None:
        """KWh the half-hour from ``boundary`` had counted at ``since`` (pro rata).

        The profile gives whole half-hours: the part before ``since`` is taken
        by time, as the meter's register moves through a half-hour.
        """
        whole = known.get(boundary)
        if whole is None:
            return None
        return whole * Decimal(since - boundary) / 1800

    async def _async_zero(self, statistic_id: str) -> float | None:
        """Return the live statistic's zero (state - sum), None before its first compile."""
        rows = await get_instance(self.hass).async_add_executor_job(
            get_last_short_term_statistics,
            self.hass,
            1,
            statistic_id,
            False,
            {"state", "sum"},
        )
        row = rows.get(statistic_id, [None])[0]
        if row is None or row.get("state") is None or row.get("sum") is None:
            return None
        return float(row["state"] or 0) - float(row["sum"] or 0)


class MeterDays:
    """Half-hour prices that make each day the meter costed add up to its cost.

    For a day wholly before counting began whose cost the meter published,
    every half-hour's price is today's price times the meter's cost over the
    day's cost at today's prices: the hours keep their shape and the day its
    bill. Where a half-hour's price is not known, and the options allow an
    estimate (``spread``), every half-hour is at the meter's cost over the
    day's kWh: the day is exact, its hours an estimate. A day not read to its
    end yet is not priced (the walk back waits for the next page); one with a
    half-hour the meter marks invalid keeps today's prices, as does every
    other day.
    """

    def __init__(
        self,
        costs: Mapping[int, Decimal],
        known: Mapping[int, Decimal | None],
        price_at: Callable[[int], Price | None],
        since: int,
        *,
        spread: bool,
    ) -> None:
        """Price ``known`` half-hours so each day in ``costs`` (local midnight) adds up."""
        self._spread = spread
        self._costs = costs
        self._lo = min(costs, default=0)
        self._hi = max(costs, default=-_LONGEST_DAY) + _LONGEST_DAY
        """The half-hours that may be in a day the meter costed."""
        self._known = known
        self._plain = price_at
        self._since = since
        self._factors: dict[int, Callable[[int], Price | None] | None] = {}
        self.used: set[int] = set()
        """The days (local midnight, Unix seconds) priced from the meter's cost."""
        self.waited: int | None = None
        """The day the walk stopped at to wait for the rest of (its start)."""

    def price_at(self, start: int) -> Price | None:
        """Return the price of the half-hour from ``start`` (None: not priced yet)."""
        if not self._lo <= start < self._hi:
            return self._plain(start)
        day = int(
            dt_util.start_of_local_day(
                dt_util.as_local(dt_util.utc_from_timestamp(start))
            ).timestamp()
        )
        if day not in self._costs:
            return self._plain(start)
        if day not in self._factors:
            self._factors[day] = self._day(day)
        priced = self._factors[day]
        if priced is None:
            return self._plain(start)
        return priced(start)

    def _day(self, day: int) -> Callable[[int], Price | None] | None:
        """Return the day's pricing from the meter's cost (None: today's prices)."""
        local = dt_util.as_local(dt_util.utc_from_timestamp(day))
        end = int(
            dt_util.start_of_local_day(local + dt.timedelta(hours=26)).timestamp()
        )
        if end > self._since:
            return None  # part of the day is counted live
        starts = range(day, end, HALF_HOUR)
        if any(start not in self._known for start in starts):
            # the rest of the day is on the next page: the walk waits for it
            def wait(_start: int) -> Price | None:
                self.waited = day
                return None

            return wait
        used = [self._known[start] for start in starts]
        prices = [self._plain(start) for start in starts]
        if any(kwh is None for kwh in used):
            return None
        kwh = [k for k in used if k is not None]
        cost = self._costs[day]
        if all(priced is not None for priced in prices):
            weight = sum(
                (k * p[0] for k, p in zip(kwh, prices, strict=True) if p is not None),
                Decimal(0),
            )
            if weight > 0:
                factor = cost / weight
                self.used.add(day)

                def scaled(start: int) -> Price | None:
                    priced = self._plain(start)
                    # a blended price (the tier not known) keeps its estimate
                    return None if priced is None else (priced[0] * factor, priced[1])

                return scaled
        total_kwh = sum(kwh, Decimal(0))
        if not self._spread or total_kwh <= 0:
            return None
        flat = cost / total_kwh
        self.used.add(day)
        return lambda _start: (flat, True)  # the day is the meter's, its hours not


def history_attributes(total: TotalCost) -> dict[str, Any]:
    """Return what the Total cost sensor says about the imported history's cost."""
    return {
        "history_prices": HISTORY_PRICES,
        "history_estimated": total.history_estimated,
        "history_meter_days": total.history_meter_days,
    }
