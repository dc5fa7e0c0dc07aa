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

Where the meter costs its past itself (the Prepayment cluster's Historical
Cost Consumption: the eight days before today, the five weeks before this
one, the thirteen months before this one), those periods are its figures
(:class:`MeterCosts`): each adds up to what the meter charged (the standing
charge apart, as the meter keeps it apart), its half-hours in the shape of
today's prices; a week takes what its days did not, a month what its days
and weeks did not.

A price entity the options name (a dynamic tariff) prices only what comes
after it was chosen: the half-hours an outage's gap fill costs from then on
are at its price in force (the meter's while it is gone); the imported
history before keeps the meter's tariff and calendar.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
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
        self._meter_costs: dict[str, tuple[dt.date, tuple[MeterPeriod, ...]]] = {}
        """Each source's periods the meter costed: (the day read, the periods)."""
        self._done: set[str] = set()
        """Sources the importer has read to the end of (no page is coming)."""

    def meter_costs_read(self, source: str) -> dt.date | None:
        """Return the local day the meter's own period costs were last read on."""
        read = self._meter_costs.get(source)
        return None if read is None else read[0]

    def note_meter_costs(
        self, source: str, costs: model.CostConsumption | None
    ) -> None:
        """Keep what the meter says each complete day, week and month cost.

        The periods are taken as local ones (ZigBee Smart Energy keeps a
        meter's day from local midnight): days from midnight, weeks from
        Monday, months from the 1st; that a GB meter does so in summer time
        too is not proven on a real one. One it marks not available is left
        to today's prices (or to the coarser period around it).
        """
        today = dt_util.now().date()
        periods: list[MeterPeriod] = []
        if costs is None:
            # not read (the meter did not answer): none today, asked again tomorrow
            self._meter_costs[source] = (today, ())
            return

        def add(
            level: int, first: dt.date, after: dt.date, cost: Decimal | None
        ) -> None:
            if cost is not None:
                periods.append(
                    MeterPeriod(level, _midnight(first), _midnight(after), cost)
                )

        for back in range(1, len(costs.days)):
            day = today - dt.timedelta(days=back)
            add(DAY, day, day + dt.timedelta(days=1), costs.days[back])
        monday = today - dt.timedelta(days=today.weekday())
        for back in range(1, len(costs.weeks)):
            week = monday - dt.timedelta(weeks=back)
            add(WEEK, week, week + dt.timedelta(weeks=1), costs.weeks[back])
        month = today.year * 12 + today.month - 1
        for back in range(1, len(costs.months)):
            add(
                MONTH,
                _first(month - back),
                _first(month - back + 1),
                costs.months[back],
            )
        self._meter_costs[source] = (today, tuple(periods))

    async def async_done(self, source: str) -> None:
        """Walk on without waiting: the importer has read all the meter holds.

        The walk waits at a period the meter costed until every half-hour of
        it is read; the oldest period the meter holds only in part never is.
        """
        if source in self._done:
            return
        self._done.add(source)
        await self._async_walk(source, self.half_hours.setdefault(source, {}))

    async def _async_walks(self) -> dict[str, dict[str, Any]]:
        if self._walks is None:
            self._walks = (await self._store.async_load() or {}).get("walks", {})
        return self._walks

    async def async_reset(self) -> None:
        """Walk again from the start (the history is imported again)."""
        self._walks = {}
        self._zeros = {}
        self._filled = {}
        self._done = set()
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
        await self._async_walk(source, known)

    async def _async_walk(self, source: str, known: dict[int, Decimal | None]) -> None:
        """Walk the source's cost back over the half-hours read (see the module)."""
        role = SOURCES[source]
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
        saved = walks.get(source)
        current = (
            saved
            if saved is not None and saved.get("since") == total.since.isoformat()
            else None
        )
        """The saved walk, if it walks from where counting began now."""
        for start, value in ((current or {}).get("held") or {}).items():
            # read before a restart, in a period the walk has not finished
            known.setdefault(int(start), None if value is None else Decimal(value))
        # The periods a walk began with stay its own: a day that drops out of
        # the meter's eight, or a read that failed and later did not, would
        # otherwise change a week or month under the days already walked.
        if current is not None and "periods" in current:
            periods = tuple(MeterPeriod.from_list(item) for item in current["periods"])
        else:
            periods = self._meter_costs.get(source, (None, ()))[1]
        costed = MeterCosts(
            periods,
            known,
            self._price_at(role, total),
            int(total.since.timestamp()),
            spread=bool(
                self.entry.options.get(
                    CONF_ESTIMATE_HISTORY_COST, DEFAULT_ESTIMATE_HISTORY_COST
                )
            ),
            done=source in self._done,
        )
        begun = self._walk(saved, total, known, costed.price_at)
        if begun is None:
            return
        walk, provisional, again = begun
        floor = min(known, default=walk.at)
        rows = walk.back(
            known, floor, costed.price_at, total.standing, self._is_midnight
        )
        counted = (
            {} if again or saved is None else dict(saved.get("meter_periods") or {})
        )
        for period in costed.used:
            if period.start >= walk.at:
                counted[f"{period.level}:{period.start}"] = LEVELS[period.level]
        # What a restart would lose and the walk still needs (the importer
        # reads on from where it was, never this again): the half-hours of
        # the periods the walk is in, a week or month priced only when the
        # walk reaches its part its days do not cover; and, while it waits,
        # what it read and has not walked.
        keep = [
            (period.start, period.end)
            for period in costed.periods_at(walk.at - HALF_HOUR)
        ]
        held = {
            str(start): None if value is None else str(value)
            for start, value in known.items()
            if source not in self._done
            and (
                (costed.waited and start < walk.at)
                or any(first <= start < end for first, end in keep)
            )
        }
        walks[source] = {
            "at": walk.at,
            "value": str(walk.value),
            "estimated": walk.estimated,
            "since": total.since.isoformat(),
            "provisional": provisional,
            "meter_periods": counted,
            "held": held,
            "periods": [period.as_list() for period in periods],
        }
        total.history_estimated = walk.estimated
        total.history_meter_periods = {
            level: sum(1 for name in counted.values() if name == level)
            for level in LEVELS
        }
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
                and all(start in known for start in range(at, boundary, HALF_HOUR))
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


DAY: Final = 0
WEEK: Final = 1
MONTH: Final = 2
LEVELS: Final = ("days", "weeks", "months")
"""The meter's periods, finest first (:attr:`MeterPeriod.level` indexes it)."""


def _midnight(day: dt.date) -> int:
    return int(dt_util.start_of_local_day(day).timestamp())


def _first(month: int) -> dt.date:
    """Return the 1st of ``month`` (months since year 0, January 0)."""
    return dt.date(month // 12, month % 12 + 1, 1)


@dataclass(frozen=True, slots=True)
class MeterPeriod:
    """A day, week or month the meter says the energy cost (no standing charge)."""

    level: int
    start: int
    end: int
    cost: Decimal

    def as_list(self) -> list[int | str]:
        """Return the period as the walk's store keeps it."""
        return [self.level, self.start, self.end, str(self.cost)]

    @classmethod
    def from_list(cls, item: list[Any]) -> MeterPeriod:
        """Rebuild a period :meth:`as_list` kept."""
        level, start, end, cost = item
        return cls(int(level), int(start), int(end), Decimal(cost))


class _Wait:
    """The walk waits: part of the period is on a page not read yet."""


_WAIT: Final = _Wait()
type _Pricing = Callable[[int], Price | None] | _Wait | None


class MeterCosts:
    """Half-hour prices that make each period the meter costed add up to its cost.

    A period wholly before counting began, every half-hour of it read: a day
    is priced at today's prices times the meter's cost over the day's cost
    at today's prices, so its hours keep their shape and it adds up to its
    bill. A week takes what its costed days did not (its cost less theirs,
    over its other half-hours the same way), a month what its days and weeks
    did not. Where a half-hour's price is not known and the options allow an
    estimate (``spread``), the period's other half-hours are at what is left
    over their kWh (the period is exact, its hours an estimate). A period
    not read to its end waits (the walk stops until the next page), unless
    the importer is ``done``; one with a half-hour the meter marks invalid,
    or whose finer periods cost more than it does, is left to the coarser
    period or today's prices.
    """

    def __init__(
        self,
        periods: Iterable[MeterPeriod],
        known: Mapping[int, Decimal | None],
        price_at: Callable[[int], Price | None],
        since: int,
        *,
        spread: bool,
        done: bool = False,
    ) -> None:
        """Price ``known`` half-hours so each of ``periods`` adds up."""
        self._levels: tuple[dict[object, MeterPeriod], ...] = ({}, {}, {})
        for period in periods:
            start = dt_util.as_local(dt_util.utc_from_timestamp(period.start))
            self._levels[period.level][self._key(period.level, start.date())] = period
        every = [p for level in self._levels for p in level.values()]
        self._lo = min((p.start for p in every), default=0)
        self._hi = max((p.end for p in every), default=0)
        self._known = known
        self._plain = price_at
        self._since = since
        self._spread = spread
        self._done = done
        self._pricing: dict[MeterPeriod, _Pricing] = {}
        self.used: set[MeterPeriod] = set()
        """The periods priced from the meter's cost."""
        self.waited = False
        """The walk stopped to wait for the rest of a period."""

    @staticmethod
    def _key(level: int, day: dt.date) -> object:
        if level == DAY:
            return day
        if level == WEEK:
            return day - dt.timedelta(days=day.weekday())
        return (day.year, day.month)

    def periods_at(self, start: int) -> list[MeterPeriod]:
        """Return the costed periods the half-hour from ``start`` is in, finest first."""
        day = dt_util.as_local(dt_util.utc_from_timestamp(start)).date()
        found = []
        for level, periods in enumerate(self._levels):
            period = periods.get(self._key(level, day))
            if period is not None:
                found.append(period)
        return found

    def price_at(self, start: int) -> Price | None:
        """Return the price of the half-hour from ``start`` (None: not priced yet)."""
        if not self._lo <= start < self._hi:
            return self._plain(start)
        for period in self.periods_at(start):
            pricing = self._resolve(period)
            if isinstance(pricing, _Wait):
                self.waited = True
                return None
            if pricing is not None:
                return pricing(start)
        return self._plain(start)

    def _resolve(self, period: MeterPeriod) -> _Pricing:
        if period not in self._pricing:
            self._pricing[period] = self._price(period)
        return self._pricing[period]

    def _price(self, period: MeterPeriod) -> _Pricing:
        """Return the period's pricing from the meter's cost (None: not its own)."""
        if period.end > self._since:
            return None  # part of it is counted live
        starts = range(period.start, period.end, HALF_HOUR)
        if any(start not in self._known for start in starts):
            return None if self._done else _WAIT
        assigned = Decimal(0)
        free: list[tuple[int, Decimal]] = []
        for start in starts:
            kwh = self._known[start]
            if kwh is None:
                return None  # the meter marks it invalid: the walk stops there
            finer: Callable[[int], Price | None] | None = None
            for inner in self.periods_at(start):
                if inner.level >= period.level:
                    break
                pricing = self._resolve(inner)
                if isinstance(pricing, _Wait):
                    return _WAIT
                if pricing is not None:
                    finer = pricing
                    break
            priced = None if finer is None else finer(start)
            if priced is None:
                free.append((start, kwh))
            else:
                assigned += kwh * priced[0]
        left = period.cost - assigned
        if left < 0 or not free:
            return None
        if period.cost == 0 and any(kwh > 0 for _, kwh in free):
            return None  # a meter that does not cost its periods says 0: not a bill
        prices = [self._plain(start) for start, _ in free]
        if all(priced is not None for priced in prices):
            weight = sum(
                (
                    kwh * priced[0]
                    for (_, kwh), priced in zip(free, prices, strict=True)
                    if priced is not None
                ),
                Decimal(0),
            )
            if weight > 0:
                factor = left / weight
                self.used.add(period)

                def scaled(start: int) -> Price | None:
                    priced = self._plain(start)
                    # a blended price (the tier not known) keeps its estimate
                    return None if priced is None else (priced[0] * factor, priced[1])

                return scaled
        total_kwh = sum((kwh for _, kwh in free), Decimal(0))
        if not self._spread or total_kwh <= 0:
            return None
        flat = left / total_kwh
        self.used.add(period)
        return lambda _start: (flat, True)  # the period is the meter's, its hours not


def history_attributes(total: TotalCost) -> dict[str, Any]:
    """Return what the Total cost sensor says about the imported history's cost."""
    return {
        "history_prices": HISTORY_PRICES,
        "history_estimated": total.history_estimated,
        "history_meter_periods": {
            level: total.history_meter_periods.get(level, 0) for level in LEVELS
        },
    }
