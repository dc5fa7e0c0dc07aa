"""What a fuel has cost since counting began: a total that never resets.

Pure logic, no Home Assistant. The total-cost sensors feed :class:`TotalCost`
the meter's registers (tier -> kWh) and tariff at each update and restore it
from :meth:`TotalCost.as_dict` after a restart; Home Assistant's statistics of
a ``total`` sensor without a reset then give the Energy dashboard each hour's
cost.

- Each tier's energy at that tier's price: between two updates, the kWh a
  tier register moved are priced at that tier's unit price. A tier register
  counts only while its tier is in force, so a tier change, even one in an
  outage, is costed right. The kWh of an interval are priced at the prices
  seen at its start (the tariff in force while they were used; a price that
  changes at an update is exact), a tier new to the tariff at the price it
  comes with.
- The standing charge is added day by day, in full at the first update of each
  day (as on a bill); days an outage or a stop skipped entirely are added when
  updates resume (the charge was due), each once.
- Never a spike: a register that steps back (a meter exchange) or a new set of
  tiers only moves the baseline; a tier that reads invalid keeps its last good
  value, so its energy is costed when it reads again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

HALF_HOUR = 1800
_SLOTS_A_DAY = 48


def _slot(when: dt.datetime) -> int:
    """Return the half-hour of the week ``when`` falls in (local wall clock)."""
    return when.weekday() * _SLOTS_A_DAY + when.hour * 2 + when.minute // 30


@dataclass(slots=True)
class TierCalendar:
    """Which tier the meter's calendar has in force, by half-hour of the week.

    Learnt from what the meter says: the tier block of each PublishPrice (its
    start and duration) and the active tier at each reading. The HAN gives no
    older calendar, so the past is priced with the week as it is now.
    """

    slots: dict[int, int] = field(default_factory=dict)

    def learn(self, start: dt.datetime, end: dt.datetime, tier: int) -> None:
        """Note ``tier`` in force over ``[start, end)`` (local, aware datetimes)."""
        end = min(end, start + dt.timedelta(days=7))
        when = start
        while when < end:
            self.slots[_slot(when)] = tier
            when += dt.timedelta(minutes=30)

    def tier_at(self, when: dt.datetime, tiers: int | None = None) -> int | None:
        """Return the tier of the half-hour ``when`` falls in, if it is known.

        A half-hour seen on any other day of the week counts when that weekday's
        is not known (most calendars repeat daily). On a two-tier tariff of
        which one tier alone was seen, the half-hours never seen are the other
        tier (an Economy 7 day: the night is what the day block leaves).
        """
        slot = _slot(when)
        if slot in self.slots:
            return self.slots[slot]
        for day in range(1, 7):
            other = (slot + day * _SLOTS_A_DAY) % (7 * _SLOTS_A_DAY)
            if other in self.slots:
                return self.slots[other]
        seen = set(self.slots.values())
        if tiers == 2 and len(seen) == 1:
            return 3 - seen.pop()
        return None

    def as_dict(self) -> dict[str, Any]:
        """Return the calendar as JSON-safe data."""
        return {"slots": {str(slot): tier for slot, tier in self.slots.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TierCalendar:
        """Rebuild a calendar (a damaged one is empty)."""
        try:
            slots = {
                int(slot): int(tier) for slot, tier in (data.get("slots") or {}).items()
            }
        except AttributeError, TypeError, ValueError:
            return cls()
        return cls({s: t for s, t in slots.items() if 0 <= s < 7 * _SLOTS_A_DAY})


@dataclass(slots=True)
class TotalCost:
    """The energy and standing charges of one fuel since counting began."""

    total: Decimal = Decimal(0)
    registers: dict[int, Decimal] = field(default_factory=dict)
    """The last good value of each tier register (kWh)."""
    charged_through: dt.date | None = None
    """The last day whose standing charge is in :attr:`total`."""
    standing: Decimal | None = None
    """The last standing charge per day the meter published."""
    prices: dict[int, Decimal] = field(default_factory=dict)
    """The unit prices seen at the last update (tier -> money/kWh)."""
    last_update: dt.datetime | None = None
    since: dt.datetime | None = None
    """When counting began."""
    since_total: Decimal | None = None
    """The total when counting began (the first day's standing charge)."""
    history_estimated: bool = False
    """Part of the imported history's cost is an estimate (tier not known)."""
    history_meter_periods: dict[str, int] = field(default_factory=dict)
    """Imported days, weeks and months whose cost is the meter's own figure."""
    calendar: TierCalendar = field(default_factory=TierCalendar)
    """The tiers seen in force, to price the imported history."""
    price_source: str | None = None
    """The entity the unit prices come from (the options), None: the meter's."""
    price_source_since: dt.datetime | None = None
    """Since when :attr:`price_source` has priced the total."""

    def price_from(self, now: dt.datetime, source: str | None) -> None:
        """Note that from ``now`` the unit prices come from ``source`` (None: the meter)."""
        if source != self.price_source:
            self.price_source = source
            self.price_source_since = None if source is None else now

    def update(
        self,
        now: dt.datetime,
        registers: Mapping[int, Decimal | None],
        prices: Mapping[int, Decimal],
        standing_charge: Decimal | None,
    ) -> None:
        """Take the registers and tariff (tier -> money/kWh, money/day) at ``now``.

        ``now`` must be aware, in the time zone whose midnight ends a day.
        """
        first = self.since is None
        if first:
            self.since = now
        known = {tier: value for tier, value in registers.items() if value is not None}
        if self.registers and set(registers) == set(self.registers):
            self.total += self._energy(known, {**prices, **self.prices})
            self.registers = {**self.registers, **known}
        else:
            self.registers = known  # the first reading or a new set of tiers
        self.prices = dict(prices)
        if standing_charge is not None:
            self.standing = standing_charge
        self._charge_days(now.date())
        if first:
            self.since_total = self.total
        self.last_update = now

    def _energy(
        self, registers: Mapping[int, Decimal], prices: Mapping[int, Decimal]
    ) -> Decimal:
        """Return the cost of what each tier used since the last update."""
        if any(value < self.registers[tier] for tier, value in registers.items()):
            return Decimal(0)  # a register went back (a meter exchange): a baseline
        cost = Decimal(0)
        for tier, value in registers.items():
            price = prices.get(tier)
            if price is not None:
                cost += (value - self.registers[tier]) * price
        return cost

    def _charge_days(self, today: dt.date) -> None:
        """Add the standing charge of each day up to today not yet charged."""
        if self.standing is None:
            return
        if self.charged_through is None:
            self.charged_through = today - dt.timedelta(days=1)
        while self.charged_through < today:
            self.charged_through += dt.timedelta(days=1)
            self.total += self.standing

    def as_dict(self) -> dict[str, Any]:
        """Return the state as JSON-safe data."""
        return {
            "total": str(self.total),
            "registers": {str(tier): str(v) for tier, v in self.registers.items()},
            "charged_through": (
                None
                if self.charged_through is None
                else self.charged_through.isoformat()
            ),
            "standing": None if self.standing is None else str(self.standing),
            "prices": {str(tier): str(v) for tier, v in self.prices.items()},
            "last_update": (
                None if self.last_update is None else self.last_update.isoformat()
            ),
            "since": None if self.since is None else self.since.isoformat(),
            "since_total": _str(self.since_total),
            "history_estimated": self.history_estimated,
            "history_meter_periods": dict(self.history_meter_periods),
            "calendar": self.calendar.as_dict(),
            "price_source": self.price_source,
            "price_source_since": (
                None
                if self.price_source_since is None
                else self.price_source_since.isoformat()
            ),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TotalCost | None:
        """Rebuild a total saved by :meth:`as_dict` (None when it is damaged)."""
        try:
            charged = data.get("charged_through")
            standing = data.get("standing")
            last = data.get("last_update")
            since = data.get("since")
            since_total = data.get("since_total")
            source = data.get("price_source")
            source_since = data.get("price_source_since")
            total = cls(
                total=Decimal(data["total"]),
                registers={
                    int(tier): Decimal(value)
                    for tier, value in (data.get("registers") or {}).items()
                },
                charged_through=None
                if charged is None
                else dt.date.fromisoformat(charged),
                standing=None if standing is None else Decimal(standing),
                prices={
                    int(tier): Decimal(value)
                    for tier, value in (data.get("prices") or {}).items()
                },
                last_update=None if last is None else dt.datetime.fromisoformat(last),
                since=None if since is None else dt.datetime.fromisoformat(since),
                since_total=None if since_total is None else Decimal(since_total),
                history_estimated=bool(data.get("history_estimated", False)),
                history_meter_periods={
                    str(level): int(count)
                    for level, count in (
                        data.get("history_meter_periods") or {}
                    ).items()
                },
                calendar=TierCalendar.from_dict(data.get("calendar") or {}),
                price_source=None if source is None else str(source),
                price_source_since=None
                if source_since is None
                else dt.datetime.fromisoformat(source_since),
            )
        except KeyError, TypeError, ValueError, AttributeError, InvalidOperation:
            return None
        values = [total.total, *total.registers.values(), *total.prices.values()]
        values.extend(
            value for value in (total.standing, total.since_total) if value is not None
        )
        if not all(value.is_finite() for value in values):
            return None
        return total


def _str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# --- the past: the cost of imported half-hours -----------------------------------------


def blended_price(
    registers: Mapping[int, Decimal | None], prices: Mapping[int, Decimal]
) -> Decimal | None:
    """Today's prices weighted by the kWh each tier register has counted.

    The estimate for a half-hour whose tier is not known: over a day the
    tiers are used about as they always were.
    """
    weights = {
        tier: value
        for tier, value in registers.items()
        if value is not None and value > 0 and tier in prices
    }
    kwh = sum(weights.values(), Decimal(0))
    if kwh <= 0:
        return None
    return (
        sum((value * prices[tier] for tier, value in weights.items()), Decimal(0)) / kwh
    )


@dataclass(slots=True)
class CostWalk:
    """The total cost walked back from where counting began, over imported half-hours.

    ``value`` is the total at ``at`` (a time no later than where counting
    began); each step back takes away one half-hour's kWh at its price and,
    at a local midnight, that day's standing charge, as :class:`TotalCost`
    added them. What it gives are hourly rows (hour start, total at the end
    of the hour), the past of the live total with no step between them.
    """

    at: int
    value: Decimal
    estimated: bool = False
    """Some half-hour was priced with the blended estimate."""

    def back(
        self,
        kwh: Mapping[int, Decimal | None],
        floor: int,
        price_at: Callable[[int], tuple[Decimal, bool] | None],
        standing: Decimal | None,
        is_midnight: Callable[[int], bool],
    ) -> list[tuple[int, Decimal]]:
        """Walk back to ``floor`` over ``kwh`` (half-hour start -> kWh used).

        ``price_at`` gives a half-hour's price and whether it is an estimate
        (None: not priced, the walk stops there, as at a missing half-hour).
        Rows come oldest first.
        """
        rows: list[tuple[int, Decimal]] = []
        if self.at % HALF_HOUR:
            return rows  # not at a half-hour boundary: start with :meth:`start`
        while self.at > floor:
            start = self.at - HALF_HOUR
            used = kwh.get(start)
            priced = price_at(start)
            if used is None or priced is None:
                break
            price, estimate = priced
            if self.at % 3600 == 0:
                rows.append((self.at - 3600, self.value))
            self.value -= used * price
            self.estimated |= estimate
            self.at = start
            if is_midnight(start) and standing is not None:
                self.value -= standing
        rows.reverse()
        return rows

    def forward(
        self,
        kwh: Mapping[int, Decimal | None],
        ceiling: int,
        price_at: Callable[[int], tuple[Decimal, bool] | None],
        standing: Decimal | None,
        is_midnight: Callable[[int], bool],
    ) -> list[tuple[int, Decimal]]:
        """Walk on to ``ceiling`` over ``kwh``: the gap fill after an outage.

        ``value`` is the total at ``at`` (an hour's end); each half-hour adds
        its kWh at its price and, from a local midnight, that day's standing
        charge, as :class:`TotalCost` adds them when updates resume. Stops at
        a half-hour not read or not priced. Rows (hour start, total at the end
        of the hour) come oldest first, whole hours only.
        """
        rows: list[tuple[int, Decimal]] = []
        at, value, estimated = self.at, self.value, self.estimated
        if at % 3600:
            return rows
        while at < ceiling:
            used = kwh.get(at)
            priced = price_at(at)
            if used is None or priced is None:
                break
            if is_midnight(at) and standing is not None:
                value += standing
            value += used * priced[0]
            estimated |= priced[1]
            at += HALF_HOUR
            if at % 3600 == 0:
                rows.append((at - 3600, value))
                self.at, self.value, self.estimated = at, value, estimated
        return rows

    @classmethod
    def start(
        cls,
        *,
        since: int,
        value: Decimal,
        used: Decimal,
        price: tuple[Decimal, bool] | None,
        standing: Decimal | None,
        is_midnight: Callable[[int], bool],
    ) -> CostWalk | None:
        """Begin at ``since`` with the total ``value`` then.

        ``used`` is the kWh of the half-hour in progress at ``since`` up to
        ``since``; the walk starts at that half-hour's start.
        """
        boundary = since - since % HALF_HOUR
        if since != boundary:
            if price is None:
                return None
            value -= used * price[0]
        walk = cls(
            boundary,
            value,
            estimated=since != boundary and price is not None and price[1],
        )
        if is_midnight(boundary) and standing is not None:
            walk.value -= standing
        return walk
