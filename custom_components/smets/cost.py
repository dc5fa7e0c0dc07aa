"""What the electricity has cost: today and this billing period.

Pure logic, no Home Assistant: the sensors feed it the meter's tier registers
and the tariff at each update and persist :meth:`CostTracker.as_dict`.

Each tier's consumption is costed at that tier's own price (a time-of-use
tariff is never "today's kWh times the current rate"): between two updates,
the kWh a tier register moved are priced at that tier's unit price, the one
seen at the interval's start (the price in force while they were used, as
:class:`.totals.TotalCost` prices them, so the two agree when a price
changes); a tier new to the tariff at the price it comes with. The standing
charge is added once for each day, in full, as on a bill.

Cost never spikes: a register that steps back (a meter exchange) or a change
in the set of tiers only moves the baseline; a gap across midnight longer than
:data:`MAX_SPLIT_GAP` (Home Assistant was stopped) is not costed at all rather
than guessed; a shorter one is split between the two days by time.

The billing period starts at midnight on the billing day of each month. The
cost of each closed day is kept for a month, so that a change of billing day
re-counts the period from the days it knows; what it cannot know (before the
integration started counting, or a gap it did not cost) is said by the
period's ``complete`` and ``since``, never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import datetime as dt
from decimal import Decimal
from typing import Any, Final

from .const import DEFAULT_BILLING_DAY, MAX_BILLING_DAY, MIN_BILLING_DAY

MAX_SPLIT_GAP: Final = dt.timedelta(hours=1)
"""The longest update gap across midnight whose consumption is split by time."""

HISTORY_DAYS: Final = 7
"""Completed days kept for the average daily cost."""

LEDGER_DAYS: Final = 31
"""Closed days whose cost is kept: a billing period is never longer."""

_KWH_QUANTUM = Decimal("0.000001")


def clamp_billing_day(billing_day: int) -> int:
    """Return ``billing_day`` within the days every month has (1-28)."""
    return max(MIN_BILLING_DAY, min(int(billing_day), MAX_BILLING_DAY))


def billing_period_start(
    day: dt.date, billing_day: int = DEFAULT_BILLING_DAY
) -> dt.date:
    """Return the first day of the billing period ``day`` falls in."""
    billing_day = clamp_billing_day(billing_day)
    if day.day >= billing_day:
        return day.replace(day=billing_day)
    previous = day.replace(day=1) - dt.timedelta(days=1)
    return previous.replace(day=billing_day)


@dataclass(slots=True)
class PeriodCost:
    """Money spent in one period (a day or a billing period)."""

    start: dt.date
    energy: Decimal = Decimal(0)
    standing: Decimal = Decimal(0)
    """Standing charges of the period's completed days (billing period)."""
    complete: bool = False
    """Counted from its very start with no gap left out (a day's cost can then
    feed the average)."""
    since: dt.datetime | None = None
    """When the counting of this period began (its start's midnight when it was
    seen from its start; None when not known, as in a save from before)."""


def _midnight(day: dt.date, tzinfo: dt.tzinfo | None) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tzinfo)


class CostTracker:
    """Accumulate the cost of tier registers over a day and a billing period."""

    def __init__(self, billing_day: int = DEFAULT_BILLING_DAY) -> None:
        """Start with nothing seen."""
        self.billing_day = clamp_billing_day(billing_day)
        self.today: PeriodCost | None = None
        self.period: PeriodCost | None = None
        self.standing_today: Decimal | None = None
        self.registers: dict[int, float] = {}
        self.prices: dict[int, Decimal] = {}
        """The unit prices seen at the last update (tier -> GBP/kWh)."""
        self.last_update: dt.datetime | None = None
        self.daily: list[tuple[dt.date, Decimal]] = []
        self.days: list[PeriodCost] = []
        """The closed days of the last month, oldest first (standing charge in)."""

    # --- results ---------------------------------------------------------------

    @property
    def cost_today(self) -> Decimal | None:
        """Energy and standing charge of today, in pounds (None before any data)."""
        if self.today is None:
            return None
        return self.today.energy + (self.standing_today or 0)

    @property
    def cost_period(self) -> Decimal | None:
        """Energy and standing charges of the billing period so far."""
        if self.period is None:
            return None
        return self.period.energy + self.period.standing + (self.standing_today or 0)

    def average_daily_cost(self) -> Decimal | None:
        """Average cost of the completed days kept (None until a day completes)."""
        if not self.daily:
            return None
        return sum((cost for _day, cost in self.daily), Decimal(0)) / len(self.daily)

    def days_left(self, credit: Decimal | None) -> float | None:
        """Days that ``credit`` lasts at the average daily cost (None if unknown)."""
        average = self.average_daily_cost()
        if credit is None or average is None or average <= 0:
            return None
        if credit <= 0:
            return 0.0
        return round(float(credit / average), 1)

    # --- updates -----------------------------------------------------------------

    def update(
        self,
        now: dt.datetime,
        registers: Mapping[int, float | None],
        prices: Mapping[int, Decimal],
        standing_charge: Decimal | None,
    ) -> None:
        """Take the registers (tier -> kWh) and tariff (tier -> GBP/kWh) at ``now``.

        ``now`` must be aware, in the time zone whose midnight ends a day.
        """
        known = {tier: value for tier, value in registers.items() if value is not None}
        energy = self._energy(known, {**prices, **self.prices})
        last = self.last_update
        today = now.date()
        if self.today is None or self.period is None:
            self.today = PeriodCost(today, since=now)
            self.period = PeriodCost(
                billing_period_start(today, self.billing_day), since=now
            )
        elif self.today.start != today:
            self._roll(now, energy)
            energy = Decimal(0)
        elif last is not None and now < last:
            energy = Decimal(0)  # the clock went back: cost nothing twice
        self.today.energy += energy
        self.period.energy += energy
        if standing_charge is not None:
            self.standing_today = standing_charge
        if set(known) == set(registers):
            self.registers = known
        else:
            # a tier went invalid: keep the last good values of the others
            self.registers = {**self.registers, **known}
        self.prices = dict(prices)
        self.last_update = now

    def _energy(
        self, registers: Mapping[int, float], prices: Mapping[int, Decimal]
    ) -> Decimal:
        """Return the cost of what each tier used since the last update."""
        if not self.registers or set(registers) != set(self.registers):
            return Decimal(0)  # first reading or a new set of tiers: a baseline
        total = Decimal(0)
        for tier, value in registers.items():
            price = prices.get(tier)
            used = value - self.registers[tier]
            if price is None or used <= 0:
                continue  # no price yet, or a register reset (a meter exchange)
            kwh = Decimal(str(used)).quantize(_KWH_QUANTUM)
            total += kwh * price
        return total

    def _roll(self, now: dt.datetime, energy: Decimal) -> None:
        """Close today (and maybe the period): a new day began since the last update."""
        assert self.today is not None
        assert self.period is not None
        last = self.last_update
        midnight = _midnight(now.date(), now.tzinfo)
        contiguous = (
            last is not None
            and last.date() == now.date() - dt.timedelta(days=1)
            and now - last <= MAX_SPLIT_GAP
        )
        before = Decimal(0)
        if contiguous and last is not None:
            share = (midnight - last) / (now - last)
            before = energy * Decimal(str(round(share, 6)))
        ended = self.today
        ended.energy += before
        self.period.energy += before
        if contiguous and ended.complete:
            self.daily.append((ended.start, ended.energy + (self.standing_today or 0)))
            del self.daily[:-HISTORY_DAYS]
        self._keep_day(
            PeriodCost(
                ended.start,
                ended.energy,
                self.standing_today or Decimal(0),
                complete=contiguous and ended.complete,
                since=ended.since,
            ),
            now.date(),
        )
        since = midnight if contiguous else now
        period_start = billing_period_start(now.date(), self.billing_day)
        if period_start != self.period.start:
            self.period = PeriodCost(period_start, complete=contiguous, since=since)
        else:
            self.period.standing += self.standing_today or 0
            if not contiguous:
                self.period.complete = False  # the gap was not costed
        self.today = PeriodCost(now.date(), complete=contiguous, since=since)
        after = energy - before if contiguous else Decimal(0)
        self.today.energy += after
        self.period.energy += after

    def _keep_day(self, closed: PeriodCost, today: dt.date) -> None:
        """Keep a closed day's cost (one per date, for the last month)."""
        oldest = today - dt.timedelta(days=LEDGER_DAYS)
        days = [
            day
            for day in self.days
            if day.start != closed.start and oldest <= day.start < today
        ]
        if oldest <= closed.start < today:
            days.append(closed)
        self.days = sorted(days, key=lambda day: day.start)

    # --- billing day ------------------------------------------------------------------

    def set_billing_day(self, billing_day: int) -> None:
        """Start billing periods on another day of the month.

        The period in progress is counted again from its new start with the
        closed days kept; what was not seen leaves it incomplete.
        """
        billing_day = clamp_billing_day(billing_day)
        if billing_day == self.billing_day:
            return
        self.billing_day = billing_day
        if self.today is None or self.period is None:
            return
        start = billing_period_start(self.today.start, billing_day)
        if start != self.period.start:
            self.period = self._recount(start)

    def _recount(self, start: dt.date) -> PeriodCost:
        """Return the billing period from ``start`` to today, from the days kept."""
        assert self.today is not None
        today = self.today
        days = [day for day in self.days if start <= day.start < today.start]
        period = PeriodCost(start, energy=today.energy)
        for day in days:
            period.energy += day.energy
            period.standing += day.standing
        period.complete = (
            today.complete
            and len(days) == (today.start - start).days
            and all(day.complete for day in days)
        )
        period.since = days[0].since if days else today.since
        return period

    # --- persistence ----------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        """Return the state as JSON-safe data."""

        def period(value: PeriodCost | None) -> dict[str, Any] | None:
            if value is None:
                return None
            return {
                "start": value.start.isoformat(),
                "energy": str(value.energy),
                "standing": str(value.standing),
                "complete": value.complete,
                "since": None if value.since is None else value.since.isoformat(),
            }

        return {
            "billing_day": self.billing_day,
            "today": period(self.today),
            "period": period(self.period),
            "standing_today": (
                None if self.standing_today is None else str(self.standing_today)
            ),
            "registers": {str(tier): value for tier, value in self.registers.items()},
            "prices": {str(tier): str(price) for tier, price in self.prices.items()},
            "last_update": (
                None if self.last_update is None else self.last_update.isoformat()
            ),
            "daily": [[day.isoformat(), str(cost)] for day, cost in self.daily],
            "days": [period(day) for day in self.days],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CostTracker:
        """Rebuild a tracker saved by :meth:`as_dict` (a bad one starts afresh)."""
        tracker = cls(int(data.get("billing_day", DEFAULT_BILLING_DAY)))
        try:

            def period(raw: Mapping[str, Any] | None) -> PeriodCost | None:
                if raw is None:
                    return None
                since = raw.get("since")
                return PeriodCost(
                    start=dt.date.fromisoformat(raw["start"]),
                    energy=Decimal(raw["energy"]),
                    standing=Decimal(raw["standing"]),
                    complete=bool(raw["complete"]),
                    since=None if since is None else dt.datetime.fromisoformat(since),
                )

            tracker.today = period(data.get("today"))
            tracker.period = period(data.get("period"))
            standing = data.get("standing_today")
            tracker.standing_today = None if standing is None else Decimal(standing)
            tracker.registers = {
                int(tier): float(value)
                for tier, value in (data.get("registers") or {}).items()
            }
            tracker.prices = {
                int(tier): Decimal(price)
                for tier, price in (data.get("prices") or {}).items()
            }
            last = data.get("last_update")
            tracker.last_update = (
                None if last is None else dt.datetime.fromisoformat(last)
            )
            tracker.daily = [
                (dt.date.fromisoformat(day), Decimal(cost))
                for day, cost in data.get("daily") or []
            ]
            tracker.days = [
                day
                for raw in data.get("days") or []
                if (day := period(raw)) is not None
            ]
        except KeyError, TypeError, ValueError, ArithmeticError, AttributeError:
            return cls(int(data.get("billing_day", DEFAULT_BILLING_DAY)))
        return tracker
