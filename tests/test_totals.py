"""The never-resetting total cost, on the simulated meter's own registers and tariff."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from custom_components.smets.han.simulator.meters import (
    MONEY_UNITS_PER_POUND,
    ElectricityMeter,
    Tariff,
)
from custom_components.smets.totals import (
    CostWalk,
    TierCalendar,
    TotalCost,
    blended_price,
)

START = dt.datetime(2026, 1, 14, 12, 0, tzinfo=dt.UTC)
STEP = dt.timedelta(minutes=5)


def pounds(money_units: int) -> Decimal:
    return Decimal(money_units) / MONEY_UNITS_PER_POUND


def tiers(meter: ElectricityMeter, when: dt.datetime) -> dict[int, Decimal | None]:
    """The meter's tier registers at ``when``, in kWh, as the sensors decode them."""
    now = int(when.timestamp())
    return {
        tier: Decimal(meter.tier_register(tier, now)) / 1000
        for tier in range(1, meter.tariff.tiers + 1)
    }


def prices(tariff: Tariff) -> dict[int, Decimal]:
    return {tier: pounds(tariff.price(tier)) for tier in range(1, tariff.tiers + 1)}


def cost(
    meter: ElectricityMeter, tariff: Tariff, start: dt.datetime, end: dt.datetime
) -> Decimal:
    """What the tiers used in ``[start, end)`` cost at ``tariff``'s prices."""
    before, after = tiers(meter, start), tiers(meter, end)
    return sum(
        (
            ((after[tier] or 0) - (before[tier] or 0)) * price
            for tier, price in prices(tariff).items()
        ),
        Decimal(0),
    )


def run(
    total: TotalCost,
    meter: ElectricityMeter,
    start: dt.datetime,
    end: dt.datetime,
    tariff: Tariff,
) -> None:
    when = start
    while when <= end:
        total.update(
            when, tiers(meter, when), prices(tariff), pounds(tariff.standing_charge)
        )
        when += STEP


def test_tiers_midnight_and_a_price_change() -> None:
    """Four tiers through the 16:00 peak and midnight; prices change at 20:00."""
    old = Tariff(tiers=4)
    new = Tariff(
        tiers=4, prices=(26_010, 13_300, 41_250, 21_700), standing_charge=63_450
    )
    meter = ElectricityMeter(1, int(START.timestamp()), old)
    change = START.replace(hour=20)
    end = START.replace(day=15, hour=1)
    total = TotalCost()
    run(total, meter, START, change - STEP, old)
    run(total, meter, change, end, new)
    expected = (
        pounds(old.standing_charge)
        + cost(meter, old, START, change)
        + cost(meter, new, change, end)
        + pounds(new.standing_charge)
    )
    assert total.total == expected
    # a flat rate, or the new prices from the start, would not give it
    assert abs(
        expected - cost(meter, new, START, end) - 2 * pounds(new.standing_charge)
    ) > Decimal("0.01")
    assert total.charged_through == end.date()
    assert total.since == START


def test_an_outage_costs_what_the_tiers_counted_in_it() -> None:
    """Six hours without an update, across midnight and the night tier."""
    tariff = Tariff(tiers=2)
    meter = ElectricityMeter(1, int(START.timestamp()), tariff)
    total = TotalCost()
    outage = START.replace(hour=21)
    back = outage + dt.timedelta(hours=6)
    run(total, meter, START, outage, tariff)
    run(total, meter, back, back + STEP, tariff)
    assert total.total == 2 * pounds(tariff.standing_charge) + cost(
        meter, tariff, START, back + STEP
    )


def test_days_skipped_are_charged_once_each() -> None:
    total = TotalCost()
    one = {1: Decimal(1)}
    total.update(START, {1: Decimal(10)}, one, Decimal(1))
    total.update(START + dt.timedelta(days=3), {1: Decimal(12)}, one, Decimal(1))
    assert total.total == 4 + 2
    total.update(
        START + dt.timedelta(days=3, hours=1), {1: Decimal(12)}, one, Decimal(1)
    )
    # the clock went back a day: nothing charged again
    total.update(START + dt.timedelta(days=2), {1: Decimal(13)}, one, Decimal(1))
    assert total.total == 4 + 3


def test_no_spike_on_an_exchange_new_tiers_or_invalid_values() -> None:
    total = TotalCost()
    one = {1: Decimal(1), 2: Decimal(2)}
    total.update(START, {1: Decimal(100), 2: Decimal(10)}, one, None)
    assert total.total == 0
    assert total.charged_through is None  # no standing charge published yet
    total.update(START + STEP, {1: Decimal("0.5"), 2: Decimal(10)}, one, None)
    assert total.total == 0  # a meter exchange: a baseline
    total.update(START + 2 * STEP, {1: Decimal("1.5"), 2: None}, one, None)
    assert total.total == 1
    total.update(START + 3 * STEP, {1: Decimal("1.5"), 2: Decimal(11)}, one, None)
    assert total.total == 3  # tier 2's kWh while it read invalid
    total.update(START + 4 * STEP, dict.fromkeys((1, 2, 3, 4), Decimal(20)), one, None)
    assert total.total == 3  # a new set of tiers: a baseline
    total.update(START + 5 * STEP, dict.fromkeys((1, 2, 3, 4), Decimal(21)), one, None)
    assert total.total == 6  # tiers 3 and 4 have no price
    total.update(
        START + 6 * STEP, dict.fromkeys((1, 2, 3, 4), Decimal(22)), one, Decimal(5)
    )
    assert total.total == 14  # and today's standing charge, once known


def test_saved_and_restored() -> None:
    tariff = Tariff(tiers=2)
    meter = ElectricityMeter(1, int(START.timestamp()), tariff)
    total = TotalCost()
    run(total, meter, START, START + dt.timedelta(hours=13), tariff)
    restored = TotalCost.from_dict(total.as_dict())
    assert restored == total
    assert TotalCost.from_dict(TotalCost().as_dict()) == TotalCost()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"total": "NaN"},
        {"total": "x"},
        {"total": "1", "registers": {"x": "1"}},
        {"total": "1", "registers": {"1": "Infinity"}},
        {"total": "1", "charged_through": "not a date"},
        {"total": "1", "prices": ["1"]},
    ],
)
def test_a_damaged_save_is_refused(data: dict[str, object]) -> None:
    assert TotalCost.from_dict(data) is None


def test_the_calendar_learns_the_week() -> None:
    calendar = TierCalendar()
    monday = dt.datetime(2026, 1, 12, tzinfo=dt.UTC)
    assert calendar.tier_at(monday, 2) is None
    calendar.learn(monday.replace(hour=7, minute=30), monday.replace(hour=23), 1)
    assert calendar.tier_at(monday.replace(hour=12)) == 1
    # another weekday's half-hour counts when that day's is not known
    assert calendar.tier_at(monday.replace(day=14, hour=12)) == 1
    assert calendar.tier_at(monday.replace(hour=3)) is None
    # two tiers, one seen: the rest is the other one
    assert calendar.tier_at(monday.replace(hour=3), 2) == 2
    assert calendar.tier_at(monday.replace(hour=3), 4) is None
    calendar.learn(monday.replace(hour=3), monday.replace(hour=4), 2)
    assert calendar.tier_at(monday.replace(hour=1), 2) is None  # both seen
    # a block never marks more than a week
    calendar.learn(monday, monday + dt.timedelta(days=30), 3)
    assert set(calendar.slots.values()) == {3}
    assert len(calendar.slots) == 7 * 48
    assert TierCalendar.from_dict(calendar.as_dict()) == calendar
    assert TierCalendar.from_dict({"slots": {"x": 1}}) == TierCalendar()
    assert TierCalendar.from_dict({"slots": {"9999": 1}}) == TierCalendar()


def test_blended_price() -> None:
    rates = {1: Decimal("0.3"), 2: Decimal("0.1")}
    assert blended_price({1: Decimal(1), 2: Decimal(3)}, rates) == Decimal("0.15")
    assert blended_price({1: None, 2: Decimal(0)}, rates) is None


def midnight_utc(start: int) -> bool:
    return start % 86_400 == 0


def test_the_walk_back_matches_the_total_it_started_from() -> None:
    """Walking back from a total over the half-hours it counted gives the totals
    it had at each hour, standing charges at midnight."""
    tariff = Tariff(tiers=2)
    meter = ElectricityMeter(1, int(START.timestamp()), tariff)
    rates = prices(tariff)
    standing = pounds(tariff.standing_charge)
    first = START - dt.timedelta(days=2)
    total = TotalCost()
    hourly: dict[int, Decimal] = {}
    when = first
    while when <= START:
        total.update(when, tiers(meter, when), rates, standing)
        hourly[int(when.timestamp())] = total.total
        when += dt.timedelta(minutes=30)
    kwh = {
        index * 1800: Decimal(meter.import_wh(index)) / 1000
        for index in range(
            int(first.timestamp()) // 1800, int(START.timestamp()) // 1800
        )
    }

    def price_at(start: int) -> tuple[Decimal, bool]:
        return rates[tariff.tier_at(start)], False

    since = int(START.timestamp()) + 600  # ten minutes into a half-hour
    used = Decimal(meter.import_wh(since // 1800)) / 1000 / 3
    walk = CostWalk.start(
        since=since,
        value=total.total + used * rates[1],
        used=used,
        price=price_at(since - 600),
        standing=standing,
        is_midnight=midnight_utc,
    )
    assert walk is not None
    rows = walk.back(kwh, int(first.timestamp()), price_at, standing, midnight_utc)
    assert len(rows) == 48
    # the totals it had, but at midnight: the new day's standing charge is in
    # the hour that midnight begins (the total adds it at the day's first update)
    for start, value in rows:
        end = start + 3600
        assert value == hourly[end] - (standing if midnight_utc(end) else 0), end
    assert not walk.estimated
    # a half-hour not read, or not priced, stops it
    assert walk.back(kwh, 0, price_at, standing, midnight_utc) == []
    again = CostWalk(int(START.timestamp()), Decimal(10))
    assert again.back(kwh, 0, lambda _s: None, None, midnight_utc) == []
    assert CostWalk(since, Decimal(1)).back(kwh, 0, price_at, None, midnight_utc) == []
    assert (
        CostWalk.start(
            since=since,
            value=Decimal(1),
            used=used,
            price=None,
            standing=None,
            is_midnight=midnight_utc,
        )
        is None
    )


def test_the_walk_forward_matches_the_total() -> None:
    """The gap fill's walk on from an hour's total over the half-hours read gives
    the totals the live one reached, standing charges from midnight."""
    tariff = Tariff(tiers=2)
    meter = ElectricityMeter(1, int(START.timestamp()), tariff)
    rates = prices(tariff)
    standing = pounds(tariff.standing_charge)
    first = START - dt.timedelta(days=2)
    total = TotalCost()
    hourly: dict[int, Decimal] = {}
    when = first
    while when <= START:
        total.update(when, tiers(meter, when), rates, standing)
        hourly[int(when.timestamp())] = total.total
        when += dt.timedelta(minutes=30)
    begin, end = int(first.timestamp()), int(START.timestamp())
    kwh: dict[int, Decimal | None] = {
        index * 1800: Decimal(meter.import_wh(index)) / 1000
        for index in range(begin // 1800, end // 1800)
    }

    def price_at(start: int) -> tuple[Decimal, bool]:
        return rates[tariff.tier_at(start)], False

    walk = CostWalk(begin, hourly[begin])
    rows = walk.forward(kwh, end, price_at, standing, midnight_utc)
    assert [start for start, _ in rows] == list(range(begin, end, 3600))
    for start, value in rows:
        stop = start + 3600
        # the total adds a day's standing charge at its first update, midnight
        assert value == hourly[stop] - (standing if midnight_utc(stop) else 0), stop
    assert (walk.at, walk.estimated) == (end, False)
    # a half-hour not read stops it at the last whole hour; an hour's middle
    # is no place to start
    kwh[begin + 5400] = None
    partial = CostWalk(begin, hourly[begin])
    assert len(partial.forward(kwh, end, price_at, standing, midnight_utc)) == 1
    assert partial.at == begin + 3600
    assert (
        CostWalk(begin + 1800, Decimal(1)).forward(
            kwh, end, price_at, None, midnight_utc
        )
        == []
    )
    estimated = CostWalk(end - 3600, Decimal(0))
    estimated.forward(kwh, end, lambda _s: (Decimal(1), True), None, midnight_utc)
    assert estimated.estimated
