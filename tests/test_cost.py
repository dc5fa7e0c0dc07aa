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
    assert restored.cost_today == tracker.cost_today
    assert restored.cost_period == tracker.cost_period
    assert CostTracker().as_dict() == CostTracker.from_dict({}).as_dict()


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
