"""The cost tracker: each tier at its price, days, billing periods, no spikes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from custom_components.smets.cost import CostTracker, billing_period_start

LONDON = ZoneInfo("Europe/London")
PRICES = {1: Decimal("0.245"), 2: Decimal("0.121")}
STANDING = Decimal("0.6012")


def at(day: int, hour: int, minute: int = 0, month: int = 1) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=LONDON)


def test_each_tier_at_its_own_price() -> None:
    tracker = CostTracker()
    assert tracker.cost_today is None
    assert tracker.cost_period is None
    tracker.update(at(14, 0, 10), {1: 100.0, 2: 50.0}, PRICES, STANDING)
    assert tracker.cost_today == STANDING
    tracker.update(at(14, 0, 20), {1: 100.0, 2: 52.0}, PRICES, STANDING)
    tracker.update(at(14, 8, 0), {1: 103.0, 2: 52.0}, PRICES, STANDING)
    assert tracker.cost_today == STANDING + 2 * PRICES[2] + 3 * PRICES[1]
    assert tracker.cost_period == tracker.cost_today


def test_a_price_change_prices_from_the_next_interval() -> None:
    """The kWh of an interval at the prices seen at its start, as Total cost does;
    a tier new to the tariff at the price it comes with."""
    tracker = CostTracker()
    tracker.update(at(14, 10, 0), {1: 100.0, 2: 50.0}, PRICES, STANDING)
    cheaper = {1: Decimal("0.1"), 2: Decimal("0.05")}
    # used at the old prices, seen with the new ones: the old prices
    tracker.update(at(14, 10, 5), {1: 101.0, 2: 51.0}, cheaper, STANDING)
    assert tracker.cost_today == STANDING + PRICES[1] + PRICES[2]
    tracker.update(at(14, 10, 10), {1: 103.0, 2: 51.0}, cheaper, STANDING)
    assert tracker.cost_today == STANDING + PRICES[1] + PRICES[2] + 2 * cheaper[1]
    # tier 2 had no price when seen: the price it comes with
    other = CostTracker()
    other.update(at(14, 10, 0), {1: 1.0, 2: 1.0}, {1: PRICES[1]}, None)
    other.update(at(14, 10, 5), {1: 1.0, 2: 3.0}, PRICES, None)
    assert other.cost_today == 2 * PRICES[2]


def test_midnight_splits_a_short_gap_and_starts_a_new_day() -> None:
    tracker = CostTracker()
    tracker.update(at(14, 23, 50), {1: 100.0}, {1: Decimal(1)}, Decimal(1))
    tracker.update(at(15, 0, 10), {1: 102.0}, {1: Decimal(1)}, Decimal(1))
    # 10 of the 20 minutes were before midnight: 1 kWh on each day
    assert tracker.cost_today == Decimal(1) + Decimal(1)
    assert tracker.cost_period == Decimal(1) + 1 + Decimal(1) + 1
    assert tracker.daily == []  # the 14th was not seen from its start
    assert tracker.today is not None
    assert tracker.today.complete
    tracker.update(at(15, 23, 55), {1: 110.0}, {1: Decimal(1)}, Decimal(1))
    tracker.update(at(16, 0, 5), {1: 111.0}, {1: Decimal(1)}, Decimal(1))
    assert tracker.daily == [(dt.date(2026, 1, 15), Decimal("10.5"))]
    assert tracker.average_daily_cost() == Decimal("10.5")
    assert tracker.days_left(Decimal(21)) == 2.0
    assert tracker.days_left(Decimal(-1)) == 0.0
    assert tracker.days_left(None) is None


def test_a_long_gap_across_midnight_is_not_guessed() -> None:
    tracker = CostTracker()
    tracker.update(at(14, 20), {1: 100.0}, {1: Decimal(1)}, Decimal(1))
    tracker.update(at(15, 9), {1: 130.0}, {1: Decimal(1)}, Decimal(1))
    assert tracker.cost_today == Decimal(1)
    assert tracker.today is not None
    assert not tracker.today.complete
    tracker.update(at(15, 10), {1: 131.0}, {1: Decimal(1)}, Decimal(1))
    assert tracker.cost_today == Decimal(2)


def test_no_spike_on_reset_new_tiers_invalid_values_or_clock_back() -> None:
    tracker = CostTracker()
    tracker.update(at(14, 10), {1: 100.0, 2: 10.0}, PRICES, None)
    assert tracker.cost_today == 0
    tracker.update(at(14, 11), {1: 0.5, 2: 10.0}, PRICES, None)  # meter exchange
    assert tracker.cost_today == 0
    tracker.update(at(14, 12), {1: 1.5, 2: 10.0}, PRICES, None)
    assert tracker.cost_today == PRICES[1]
    tracker.update(at(14, 12, 5), {1: 1.5, 2: None}, PRICES, None)
    tracker.update(at(14, 12, 10), {1: 2.5, 2: 11.0}, PRICES, None)
    assert tracker.cost_today == 2 * PRICES[1] + PRICES[2]
    tracker.update(at(14, 13), dict.fromkeys((1, 2, 3, 4), 20.0), PRICES, None)
    assert tracker.cost_today == 2 * PRICES[1] + PRICES[2]  # new tiers: a baseline
    tracker.update(at(14, 14), {1: 21.0, 2: 20.0, 3: 21.0, 4: 20.0}, PRICES, None)
    assert tracker.cost_today == 3 * PRICES[1] + PRICES[2]  # tier 3 has no price
    tracker.update(at(14, 11), {1: 30.0, 2: 20.0, 3: 21.0, 4: 20.0}, PRICES, None)
    assert tracker.cost_today == 3 * PRICES[1] + PRICES[2]  # the clock went back


def test_billing_period() -> None:
    assert billing_period_start(dt.date(2026, 1, 14)) == dt.date(2026, 1, 1)
    assert billing_period_start(dt.date(2026, 1, 14), 20) == dt.date(2025, 12, 20)
    assert billing_period_start(dt.date(2026, 3, 31), 31) == dt.date(2026, 3, 28)
    tracker = CostTracker()
    tracker.update(at(31, 23, 59), {1: 1.0}, {1: Decimal(1)}, Decimal(1))
    tracker.update(at(1, 0, 1, month=2), {1: 3.0}, {1: Decimal(1)}, Decimal(1))
    assert tracker.period is not None
    assert tracker.period.start == dt.date(2026, 2, 1)
    assert tracker.cost_period == Decimal(2)
    assert tracker.cost_today == Decimal(2)


def test_history_keeps_seven_days() -> None:
    tracker = CostTracker()
    register = 0.0
    for day in range(13, 24):
        tracker.update(at(day, 23, 55), {1: register}, {1: Decimal(1)}, Decimal(0))
        register += 1
        tracker.update(at(day + 1, 0, 5), {1: register}, {1: Decimal(1)}, Decimal(0))
    assert len(tracker.daily) == 7
    assert tracker.daily[-1][0] == dt.date(2026, 1, 23)


def test_saved_and_restored() -> None:
    tracker = CostTracker(billing_day=5)
    tracker.update(at(14, 23, 55), {1: 1.0, 2: 2.0}, PRICES, STANDING)
    tracker.update(at(15, 0, 5), {1: 2.0, 2: 2.0}, PRICES, STANDING)
    tracker.update(at(15, 23, 55), {1: 3.0, 2: 2.0}, PRICES, STANDING)
    tracker.update(at(16, 0, 5), {1: 3.0, 2: 2.0}, PRICES, STANDING)
    restored = CostTracker.from_dict(tracker.as_dict())
    assert restored.as_dict() == tracker.as_dict()
    assert restored.prices == PRICES
    assert restored.cost_today == tracker.cost_today
    assert restored.cost_period == tracker.cost_period
    assert CostTracker().as_dict() == CostTracker.from_dict({}).as_dict()
    # a save from before the prices were kept: the next interval at its end's prices
    saved = tracker.as_dict()
    del saved["prices"]
    older = CostTracker.from_dict(saved)
    assert older.prices == {}
    older.update(at(16, 0, 10), {1: 4.0, 2: 2.0}, PRICES, STANDING)
    assert older.cost_today == tracker.cost_today + PRICES[1]


@pytest.mark.parametrize(
    "data",
    [
        {"today": {"start": "not a date"}},
        {"registers": {"x": 1}},
        {"daily": [["2026-01-01", "NaNx"]]},
        {"today": {"start": "2026-01-01", "energy": "1", "standing": "0"}},
    ],
)
def test_a_damaged_save_starts_afresh(data: dict[str, object]) -> None:
    assert CostTracker.from_dict(data).today is None


def run_days(tracker: CostTracker, first: int, last: int) -> None:
    """Read a 1 kWh/h register at 1 GBP/kWh (1 GBP a day standing) from 12:00 on
    day ``first`` (January) to 00:30 on ``last``, through each midnight."""
    for day in range(first, last):
        for hour in (12, 23) if day == first else (0, 12, 23):
            when = at(day, hour, 30 if hour == 23 else 0)
            tracker.update(when, {1: hours(when)}, {1: Decimal(1)}, Decimal(1))
    end = at(last, 0, 30)
    tracker.update(end, {1: hours(end)}, {1: Decimal(1)}, Decimal(1))


def hours(when: dt.datetime) -> float:
    return (when - at(1, 0)).total_seconds() / 3600


@pytest.mark.parametrize(
    ("billing_day", "start", "cost", "complete", "since"),
    [
        # the days kept cover the new start: re-counted, complete
        (15, dt.date(2026, 1, 15), Decimal(24 + 0.5 + 2), True, at(15, 0)),
        (16, dt.date(2026, 1, 16), Decimal(0.5 + 1), True, at(16, 0)),
        # counting began at noon on the 14th: what came before is not known
        (14, dt.date(2026, 1, 14), Decimal(12 + 24 + 0.5 + 3), False, at(14, 12)),
        (10, dt.date(2026, 1, 10), Decimal(12 + 24 + 0.5 + 3), False, at(14, 12)),
        # a later day than today's: the period began last month
        (20, dt.date(2025, 12, 20), Decimal(12 + 24 + 0.5 + 3), False, at(14, 12)),
    ],
)
def test_a_new_billing_day_recounts_the_period(
    billing_day: int,
    start: dt.date,
    cost: Decimal,
    complete: bool,
    since: dt.datetime,
) -> None:
    tracker = CostTracker()
    run_days(tracker, 14, 16)
    assert tracker.period is not None
    assert tracker.period.start == dt.date(2026, 1, 1)
    assert not tracker.period.complete
    assert tracker.period.since == at(14, 12)
    calendar_month = tracker.cost_period
    assert calendar_month == Decimal(12 + 24 + 0.5 + 3)
    assert [day.start for day in tracker.days] == [
        dt.date(2026, 1, 14),
        dt.date(2026, 1, 15),
    ]

    tracker.set_billing_day(billing_day)
    assert tracker.period.start == start
    assert tracker.cost_period == cost
    assert tracker.period.complete is complete
    assert tracker.period.since == since
    assert tracker.cost_today == Decimal("1.5")  # today is not touched
    # saved and restored as it is; back to the 1st gives the month again
    tracker = CostTracker.from_dict(tracker.as_dict())
    assert tracker.billing_day == billing_day
    assert tracker.cost_period == cost
    tracker.set_billing_day(1)
    assert tracker.cost_period == calendar_month


def test_a_gap_in_the_days_kept_leaves_the_period_incomplete() -> None:
    tracker = CostTracker()
    run_days(tracker, 10, 12)
    # Home Assistant stopped from 12:00 on the 12th to 09:00 on the 13th
    tracker.update(at(12, 12), {1: hours(at(12, 12))}, {1: Decimal(1)}, Decimal(1))
    tracker.update(at(13, 9), {1: hours(at(13, 9))}, {1: Decimal(1)}, Decimal(1))
    assert tracker.period is not None
    assert not tracker.period.complete
    tracker.update(at(13, 10), {1: hours(at(13, 10))}, {1: Decimal(1)}, Decimal(1))
    tracker.set_billing_day(11)
    # the 11th whole, the 12th until noon, the 13th from 09:00: never guessed
    assert tracker.cost_period == Decimal(24 + 1 + 12 + 1 + 1 + 1)
    assert not tracker.period.complete
    assert tracker.period.since == at(11, 0)
    tracker.set_billing_day(13)
    assert tracker.cost_period == Decimal(1 + 1)
    assert not tracker.period.complete
    assert tracker.period.since == at(13, 9)


def test_a_billing_day_change_before_any_reading_and_the_bounds() -> None:
    tracker = CostTracker(billing_day=40)
    assert tracker.billing_day == 28
    tracker.set_billing_day(0)
    assert tracker.billing_day == 1
    assert tracker.period is None
    tracker.set_billing_day(5)
    tracker.update(at(14, 10), {1: 1.0}, {1: Decimal(1)}, Decimal(1))
    assert tracker.period is not None
    assert tracker.period.start == dt.date(2026, 1, 5)


def test_the_days_kept_are_one_month() -> None:
    tracker = CostTracker()
    register = 0.0
    for day in range(1, 60):
        when = dt.datetime(2026, 1, 1, 23, 55, tzinfo=LONDON) + dt.timedelta(days=day)
        tracker.update(when, {1: register}, {1: Decimal(1)}, Decimal(0))
        register += 1
        after = when + dt.timedelta(minutes=10)
        tracker.update(after, {1: register}, {1: Decimal(1)}, Decimal(0))
    assert len(tracker.days) == 31
    assert tracker.days[-1].start == dt.date(2026, 3, 1)
    assert all(day.complete for day in tracker.days[1:])
