"""Cost statistics of the imported history, joined to the live Total cost.

The real stack with the recorder (as tests/test_statistics.py): the importer
reads 13 months of half-hours; each hour before the Total cost sensor began
counting gets its cost (each half-hour at its tier's price, the standing
charge at midnight), and the sums run into the live ones with no step.
"""

from __future__ import annotations

from dataclasses import replace
import datetime as dt
from decimal import Decimal
from typing import Any, Final

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.smets.const import (
    CONF_ELECTRICITY_PRICE_ENTITY,
    CONF_ESTIMATE_HISTORY_COST,
    DOMAIN,
)
from custom_components.smets.cost_history import (
    DAY as DAY_LEVEL,
    MONTH as MONTH_LEVEL,
    WEEK as WEEK_LEVEL,
    CostHistory,
    MeterCosts,
    MeterPeriod,
)
from custom_components.smets.han.model import (
    COST_DAY_ATTRIBUTES,
    COST_MONTH_ATTRIBUTES,
    COST_WEEK_ATTRIBUTES,
    CostConsumption,
    gas_m3_to_kwh,
)
from custom_components.smets.han.simulator import HanSimulator
from custom_components.smets.han.simulator.meters import (
    HALF_HOUR,
    MONEY_UNITS_PER_POUND,
)
from custom_components.smets.totals import TotalCost

from .conftest import START, hub_ieee, simulator_data
from .test_statistics import (
    HOUR,
    advance,
    auto_enable_custom_integrations,  # noqa: F401 - the recorder first
    backfill,
    hourly,
    quiet_sql,  # noqa: F401 - 40 000 rows need no SQL log
    simulator,
)

ELECTRICITY = "sensor.electricity_meter_total_cost"
GAS = "sensor.gas_meter_total_cost"
RATE = "sensor.agile_rate"
DAY = dt.timedelta(days=1)


pytestmark = pytest.mark.usefixtures("london")
"""Days end at midnight in London (UTC in January)."""


@pytest.fixture
def entry_options() -> dict[str, Any]:
    return {}


@pytest.fixture
def mock_config_entry(entry_options: dict[str, Any]) -> MockConfigEntry:
    data = simulator_data(tiers=2)
    return MockConfigEntry(
        domain=DOMAIN,
        title="Simulated SMETS2 meter",
        data=data,
        options=entry_options,
        unique_id=hub_ieee(1),
        entry_id="01JSMETSTESTENTRY0000000000",
    )


METER_UNIT: Final = 1e-5
"""The meter's money unit in pounds (1/1000 p): a day's cost it publishes is to this."""


def pounds(units: int) -> float:
    return units / MONEY_UNITS_PER_POUND


def electricity_hour(sim: HanSimulator, start: int) -> float:
    """What the simulator's tariff charges for the hour from ``start``."""
    tariff = sim.tariff
    cost = sum(
        sim.electricity.import_wh(when // HALF_HOUR)
        / 1000
        * pounds(tariff.price(tariff.tier_at(when)))
        for when in (start, start + HALF_HOUR)
    )
    if start % 86_400 == 0:
        cost += pounds(tariff.standing_charge)
    return cost


def import_kwh(sim: HanSimulator, start: int) -> float:
    """The kWh the simulated ESME imported in the hour from ``start``."""
    return sum(
        sim.electricity.import_wh(when // HALF_HOUR) / 1000
        for when in (start, start + HALF_HOUR)
    )


def gas_hour(sim: HanSimulator, start: int) -> float:
    """The gas hour: its kWh at the gas price, the standing charge at midnight."""
    kwh = float(
        (gas_m3_to_kwh(sim.gas.register(start + 3600) / 1000, 1.02264, 39.5) or 0)
        - (gas_m3_to_kwh(sim.gas.register(start) / 1000, 1.02264, 39.5) or 0)
    )
    cost = kwh * pounds(sim.gas.unit_price)
    if start % 86_400 == 0:
        cost += pounds(sim.gas.standing_charge)
    return cost


async def import_then_lose_the_radio(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, sim: HanSimulator
) -> dt.datetime:
    """Import the history, then a 6-hour radio outage from 2 h in and 20 minutes
    after it; return the outage's start."""
    await backfill(hass)
    outage = START + 2 * HOUR
    await advance(hass, freezer, outage)
    sim.radio_loss(reported=True)
    await advance(hass, freezer, outage + 6 * HOUR)
    sim.radio_return()
    await advance(hass, freezer, outage + 6 * HOUR + dt.timedelta(minutes=20))
    return outage


async def test_history_cost_runs_into_the_live_total(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """Each imported hour at the simulator's tariff; no step where live data starts."""
    sim = simulator(init_integration)
    await backfill(hass)
    await advance(hass, freezer, START + 2 * HOUR)
    # gas: the simulator's registers are to the Wh, the imported cost is not
    for entity_id, hour_cost, tolerance in (
        (ELECTRICITY, electricity_hour, 1e-6),
        (GAS, gas_hour, 2e-4),
    ):
        state = hass.states.get(entity_id)
        assert state is not None
        assert state.attributes["history_prices"] == "today"
        assert state.attributes["history_estimated"] is False
        rows = await hourly(
            hass,
            entity_id,
            START - 3 * DAY,
            START + 2 * HOUR,
            types=frozenset({"state", "sum", "change"}),
        )
        starts = [int(row["start"]) for row in rows]
        assert starts == list(
            range(int((START - 3 * DAY).timestamp()), int(START.timestamp()) + 1, 3600)
        ), entity_id
        since = {int(row["start"]): row for row in rows}
        # the hour that ends where counting began carries the live zero
        joined = since[int((START - HOUR).timestamp())]
        assert joined["sum"] == pytest.approx(0, abs=1e-9), entity_id
        assert joined["state"] == pytest.approx(
            float(
                init_integration.runtime_data.totals[
                    "esme" if entity_id == ELECTRICITY else "gpf"
                ].since_total
                or 0
            ),
            abs=1e-9,
        )
        for row in rows[1:]:
            start = int(row["start"])
            if start >= START.timestamp():
                break
            assert row["change"] == pytest.approx(
                hour_cost(sim, start), abs=tolerance
            ), (
                entity_id,
                dt_util.utc_from_timestamp(start),
            )
        # yesterday, as the Energy dashboard reads it
        day = await hourly(
            hass,
            entity_id,
            START.replace(hour=0) - DAY,
            START.replace(hour=0),
            period="day",
            types=frozenset({"change"}),
        )
        first = int((START.replace(hour=0) - DAY).timestamp())
        # the meter costs its days itself, to its money unit (1/1000 p): the
        # day is its figure (and the standing charge), not the tariff's to 1e-6
        assert day[0]["change"] == pytest.approx(
            sum(hour_cost(sim, first + 3600 * n) for n in range(24)),
            abs=max(tolerance, METER_UNIT),
        )


def set_day_cost(sim: HanSimulator, back: int, units: int) -> None:
    """Make the ESME publish ``units`` (1/1000 p) as the cost of the day ``back`` days ago."""
    prepayment = sim.esme.endpoints[1].clusters[0x0705]
    prepayment.attributes[0x051C + 2 * back] = lambda _: units


async def test_history_is_the_meters_own_costs_across_a_past_price_change(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """Before 22 December the meter charged 4/5 of today's prices: so does the history.

    The HAN's Price cluster gives only today's tariff; the meter's own cost
    of each of its past days, weeks and months (Historical Cost Consumption)
    carries the change. Every imported hour before it is at 4/5 of today's
    prices, every hour after at today's, the standing charge apart; a day
    the meter marks not available takes its week's rest; the oldest month,
    which the meter holds only in part, stays at today's prices; nothing
    moves where live data starts.
    """
    sim = simulator(init_integration)
    change = int(dt.datetime(2025, 12, 22, tzinfo=dt.UTC).timestamp())
    sim.past_prices = (change, 4, 5)
    set_day_cost(sim, 3, 0xFFFFFFFFFFFF)
    await backfill(hass)
    await advance(hass, freezer, START + HOUR)
    standing = pounds(sim.tariff.standing_charge)
    oldest = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)  # the first whole month held
    rows = await hourly(hass, ELECTRICITY, oldest, START, types=frozenset({"change"}))
    first = int(oldest.timestamp())
    assert [int(row["start"]) for row in rows] == list(
        range(first, int(START.timestamp()), 3600)
    )
    # The simulator's tiers and months are UTC; Home Assistant's London. In
    # the GMT months they agree to the hour; from March to October the
    # meter's month is an hour off London's and its tiers an hour off the
    # calendar seen in January, so only each month's total is the meter's.
    march = int(dt.datetime(2025, 3, 1, tzinfo=dt.UTC).timestamp())
    november = int(dt.datetime(2025, 11, 1, tzinfo=dt.UTC).timestamp())
    months: dict[tuple[int, int], list[float]] = {}
    for row in rows:
        hour = int(row["start"])
        own = electricity_hour(sim, hour)
        charge = standing if hour % 86_400 == 0 else 0
        factor = 0.8 if hour < change else 1.0
        local = dt_util.as_local(dt_util.utc_from_timestamp(hour))
        sums = months.setdefault((local.year, local.month), [0.0, 0.0])
        sums[0] += row["change"] - charge
        sums[1] += (own - charge) * factor
        if march <= hour < november:
            continue
        assert row["change"] - charge == pytest.approx(
            (own - charge) * factor, rel=1e-5, abs=1e-9
        ), dt_util.utc_from_timestamp(hour)
    assert len(months) == 13
    for month, (history, tariff) in months.items():
        assert history == pytest.approx(tariff, rel=5e-3), month
    state = hass.states.get(ELECTRICITY)
    assert state is not None
    assert state.attributes["history_meter_periods"] == {
        "days": 7,  # 1, 2, 4 ... 8 days back; 3 is "not available"
        "weeks": 5,
        "months": 12,  # the 13th back is held only in part
    }
    assert state.attributes["history_estimated"] is False
    joined = await hourly(hass, ELECTRICITY, START - HOUR, START)
    assert joined[0]["sum"] == pytest.approx(0, abs=1e-9)
    # the oldest month the meter holds in part: today's prices
    older = await hourly(
        hass, ELECTRICITY, oldest - 3 * DAY, oldest, types=frozenset({"change"})
    )
    assert older
    for row in older:
        hour = int(row["start"])
        assert row["change"] == pytest.approx(electricity_hour(sim, hour), abs=1e-6)


async def test_history_at_todays_prices_where_the_meter_costs_no_day(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
) -> None:
    """A meter without Historical Cost Consumption: today's prices, asked once."""
    sim = simulator(init_integration)
    prepayment = sim.esme.endpoints[1].clusters[0x0705]
    for attr in (
        *COST_DAY_ATTRIBUTES,
        *COST_WEEK_ATTRIBUTES,
        *COST_MONTH_ATTRIBUTES,
    ):
        del prepayment.attributes[attr]
    await backfill(hass)
    first = START.replace(hour=0) - 2 * DAY
    days = await hourly(
        hass, ELECTRICITY, first, first + DAY, period="day", types=frozenset({"change"})
    )
    start = int(first.timestamp())
    assert days[0]["change"] == pytest.approx(
        sum(electricity_hour(sim, start + 3600 * n) for n in range(24)), abs=1e-6
    )
    state = hass.states.get(ELECTRICITY)
    assert state is not None
    assert state.attributes["history_meter_periods"] == {
        "days": 0,
        "weeks": 0,
        "months": 0,
    }
    esme = init_integration.runtime_data.link.esme
    assert (0x0705, 0x0520) in esme.unsupported


@pytest.mark.parametrize("entry_options", [{CONF_ESTIMATE_HISTORY_COST: False}])
async def test_no_estimate_leaves_unknown_tiers_uncosted(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
) -> None:
    """With the estimate off, hours whose tier is not known get no cost row."""
    total = init_integration.runtime_data.totals["esme"]
    total.calendar.slots.clear()
    total.calendar.learn(
        dt_util.as_local(START.replace(hour=7, minute=30)),
        dt_util.as_local(START.replace(hour=10)),
        1,
    )
    total.calendar.learn(
        dt_util.as_local(START.replace(hour=10)),
        dt_util.as_local(START.replace(hour=11)),
        2,
    )  # two tiers seen, neither block whole: 11:00-07:30 is not known
    await backfill(hass)
    rows = await hourly(hass, ELECTRICITY, START - 3 * DAY, START)
    # back from 12:00 to 11:00 needs 11:00-12:00, which is not known: nothing
    assert rows == []
    assert Decimal(hass.states.get(ELECTRICITY).state) > 0


async def test_outage_gap_fill_costs_every_hour(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """A 6-hour outage: each of its hours costed at the tariff, no step after it."""
    sim = simulator(init_integration)
    outage = await import_then_lose_the_radio(hass, freezer, sim)
    since_total = init_integration.runtime_data.totals["esme"].since_total
    assert since_total is not None
    zero = float(since_total)  # the joined hour's state, with sum 0
    rows = await hourly(
        hass,
        ELECTRICITY,
        START,
        outage + 6 * HOUR,
        types=frozenset({"state", "sum", "change"}),
    )
    starts = [int(row["start"]) for row in rows]
    assert starts == list(
        range(int(START.timestamp()), int((outage + 6 * HOUR).timestamp()), 3600)
    )
    for row in rows:
        start = int(row["start"])
        if start < outage.timestamp():
            continue
        assert row["change"] == pytest.approx(electricity_hour(sim, start), abs=1e-6), (
            dt_util.utc_from_timestamp(start)
        )
        assert row["sum"] == pytest.approx(row["state"] - zero, abs=1e-9)
    # the Total cost sensor runs on from the last filled hour: what it has
    # counted since is at most the half-hour in progress, never the outage
    state = hass.states.get(ELECTRICITY)
    assert state is not None
    after = float(state.state) - zero - rows[-1]["sum"]
    resumed = int((outage + 6 * HOUR).timestamp())
    in_progress = (
        sim.electricity.import_wh(resumed // HALF_HOUR)
        / 1000
        * pounds(sim.tariff.price(sim.tariff.tier_at(resumed)))
    )
    assert -1e-6 <= after <= in_progress + 1e-6


@pytest.mark.parametrize("entry_options", [{CONF_ELECTRICITY_PRICE_ENTITY: RATE}])
async def test_outage_gap_fill_costs_at_the_price_entity(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A dynamic tariff's rate sensor prices the total: the hours a 6-hour outage's
    gap fill costs are at its price (the history from before it at the meter's)."""
    hass.states.async_set(RATE, "30.5", {"unit_of_measurement": "p/kWh"})
    await hass.async_block_till_done()
    rate = 0.305
    freezer.move_to(START)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    sim = simulator(mock_config_entry)
    total = mock_config_entry.runtime_data.totals["esme"]
    assert total.price_source == RATE
    outage = await import_then_lose_the_radio(hass, freezer, sim)
    assert total.since_total is not None
    zero = float(total.since_total)
    # the imported history, before the entity priced the total: the meter's tariff
    before = await hourly(
        hass, ELECTRICITY, START - DAY, START, types=frozenset({"change"})
    )
    assert len(before) == 24
    for row in before[1:]:
        start = int(row["start"])
        assert row["change"] == pytest.approx(electricity_hour(sim, start), abs=1e-6)
    rows = await hourly(
        hass,
        ELECTRICITY,
        outage,
        outage + 6 * HOUR,
        types=frozenset({"state", "sum", "change"}),
    )
    assert [int(row["start"]) for row in rows] == list(
        range(int(outage.timestamp()), int((outage + 6 * HOUR).timestamp()), 3600)
    )
    for row in rows:
        start = int(row["start"])
        assert row["change"] == pytest.approx(
            import_kwh(sim, start) * rate, abs=1e-6
        ), dt_util.utc_from_timestamp(start)
        # not the meter's tariff
        assert abs(row["change"] - electricity_hour(sim, start)) > 1e-4
        assert row["sum"] == pytest.approx(row["state"] - zero, abs=1e-9)
    # the Total cost runs on from the last filled hour, at the entity's price too
    state = hass.states.get(ELECTRICITY)
    assert state is not None
    assert state.attributes["price_entity_in_force"] is True
    after = float(state.state) - zero - rows[-1]["sum"]
    resumed = int((outage + 6 * HOUR).timestamp())
    in_progress = sim.electricity.import_wh(resumed // HALF_HOUR) / 1000 * rate
    assert -1e-6 <= after <= in_progress + 1e-6


async def set_up_and_cost_yesterday(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    began: dt.datetime,
    until: dt.datetime,
) -> tuple[HanSimulator, TotalCost]:
    """Set up at ``began``, run to ``until``: yesterday has its whole cost by then.

    Return the simulator and the electricity Total cost (counting since ``began``).
    """
    freezer.move_to(began)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    sim = simulator(entry)
    await advance(hass, freezer, until)
    first = int((START.replace(hour=0) - DAY).timestamp())
    day = await hourly(
        hass,
        ELECTRICITY,
        START.replace(hour=0) - DAY,
        START.replace(hour=0),
        period="day",
        types=frozenset({"change"}),
    )
    assert day, "yesterday has no cost after the first import"
    assert day[0]["change"] == pytest.approx(
        sum(electricity_hour(sim, first + 3600 * n) for n in range(24)),
        abs=METER_UNIT,
    )
    total = entry.runtime_data.totals["esme"]
    assert total.since is not None
    assert total.since_total is not None
    return sim, total


async def test_history_cost_when_counting_began_inside_a_half_hour(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Set up at 12:07:57: the first import costs yesterday, before 12:00-12:30 is over.

    The meter's profile gives the half-hour in progress only once it is over
    (the demo in a browser starts at any minute): the history must not wait
    for it to have its cost.
    """
    began = START + dt.timedelta(minutes=7, seconds=57)
    sim, total = await set_up_and_cost_yesterday(
        hass,
        freezer,
        mock_config_entry,
        began,
        START + dt.timedelta(minutes=10, seconds=10),
    )
    # the hour before counting began: the total then, less 12:00-12:07:57 (pro rata)
    rows = await hourly(
        hass,
        ELECTRICITY,
        START - HOUR,
        START,
        types=frozenset({"state", "sum"}),
    )
    assert len(rows) == 1
    price = pounds(sim.tariff.price(sim.tariff.tier_at(int(START.timestamp()))))
    part = (began - START).total_seconds() / 1800
    before = sim.electricity.import_wh(int((START.timestamp() - 1800) // HALF_HOUR))
    assert rows[0]["state"] == pytest.approx(
        float(total.since_total) - before / 1000 * part * price, abs=1e-9
    )
    # once 12:00-12:30 is over and read, the walk starts again from it, exactly
    await advance(hass, freezer, START + dt.timedelta(minutes=75))
    rows = await hourly(
        hass,
        ELECTRICITY,
        START - HOUR,
        START,
        types=frozenset({"state", "sum"}),
    )
    whole = sim.electricity.import_wh(int(START.timestamp() // HALF_HOUR))
    assert rows[0]["state"] == pytest.approx(
        float(total.since_total) - whole / 1000 * part * price, abs=1e-9
    )
    assert total.history_estimated is False


async def test_history_cost_when_counting_began_late_in_an_hour(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Set up at 12:37:57: the first import (up to 12:00) costs yesterday too.

    The walk back starts at 12:30 and needs 12:00-12:30, over by then but
    after the import's last whole hour: the importer reads it at once rather
    than at its next look half an hour later (the browser test's demo, set up
    at 10:44, had no cost for yesterday after 15 minutes).
    """
    began = START + dt.timedelta(minutes=37, seconds=57)
    sim, total = await set_up_and_cost_yesterday(
        hass,
        freezer,
        mock_config_entry,
        began,
        START + dt.timedelta(minutes=40, seconds=10),
    )
    noon = int(START.timestamp())

    def price(start: int) -> float:
        return pounds(sim.tariff.price(sim.tariff.tier_at(start)))

    part = (began - START).total_seconds() / 1800 - 1
    first_half = sim.electricity.import_wh(noon // HALF_HOUR) / 1000
    second_half = sim.electricity.import_wh(noon // HALF_HOUR + 1) / 1000
    rows = await hourly(
        hass, ELECTRICITY, START - HOUR, START, types=frozenset({"state", "sum"})
    )
    assert len(rows) == 1
    # 12:30-12:37:57 not read yet: 12:00-12:30 pro rata stands in for it
    assert rows[0]["state"] == pytest.approx(
        float(total.since_total)
        - first_half * part * price(noon + 1800)
        - first_half * price(noon),
        abs=1e-9,
    )
    # once 12:30-13:00 is over, the next compile reads it: exact from then on
    await advance(hass, freezer, START + dt.timedelta(minutes=70))
    rows = await hourly(
        hass, ELECTRICITY, START - HOUR, START, types=frozenset({"state", "sum"})
    )
    assert rows[0]["state"] == pytest.approx(
        float(total.since_total)
        - second_half * part * price(noon + 1800)
        - first_half * price(noon),
        abs=1e-9,
    )
    assert total.history_estimated is False


@pytest.mark.parametrize(
    ("day", "half_hours"),
    [
        (dt.date(2026, 3, 29), 46),
        (dt.date(2026, 10, 25), 50),
        (dt.date(2026, 1, 12), 48),
    ],
)
async def test_a_meter_day_is_a_local_day(
    hass: HomeAssistant, day: dt.date, half_hours: int
) -> None:
    """The clocks change: the meter's day is its local day, 23 or 25 hours long."""
    start = int(dt_util.start_of_local_day(day).timestamp())
    known: dict[int, Decimal | None] = {
        start + HALF_HOUR * n: Decimal("0.5") for n in range(-2, half_hours + 2)
    }

    def price(when: int) -> tuple[Decimal, bool]:
        night = dt_util.as_local(dt_util.utc_from_timestamp(when)).hour < 7
        return (Decimal("0.1") if night else Decimal("0.3")), False

    period = MeterPeriod(
        DAY_LEVEL, start, start + half_hours * HALF_HOUR, Decimal("4.2")
    )
    days = MeterCosts([period], known, price, start + 3 * 86_400, spread=True)
    costs = []
    for when in range(start, start + half_hours * HALF_HOUR, HALF_HOUR):
        priced = days.price_at(when)
        assert priced is not None
        costs.append(Decimal("0.5") * priced[0])
    assert len(costs) == half_hours
    assert sum(costs, Decimal(0)) == pytest.approx(Decimal("4.2"), abs=Decimal("1e-20"))
    assert costs[0] / costs[-1] == pytest.approx(Decimal(1) / 3)  # the shape kept
    assert days.used == {period}
    # the half-hours either side are the next and previous days': today's prices
    assert days.price_at(start - HALF_HOUR) == price(start - HALF_HOUR)
    assert days.price_at(start + half_hours * HALF_HOUR) == price(
        start + half_hours * HALF_HOUR
    )
    # a day not read to its end waits; one counted live in part is today's prices
    del known[start + HALF_HOUR]
    waiting = MeterCosts([period], known, price, start + 3 * 86_400, spread=True)
    assert waiting.price_at(start) is None
    assert waiting.waited
    done = MeterCosts(
        [period], known, price, start + 3 * 86_400, spread=True, done=True
    )
    assert done.price_at(start) == price(start)  # no page is coming: today's prices
    live = MeterCosts([period], known, price, start + 3600, spread=True)
    assert live.price_at(start) == price(start)


def profile_page(sim: HanSimulator, start: int, end: int) -> dict[int, int | None]:
    """The ESME's half-hours in ``[start, end)`` as the importer reads them (Wh)."""
    return {
        when: sim.electricity.import_wh(when // HALF_HOUR)
        for when in range(start, end, HALF_HOUR)
    }


def wh_to_kwh(raw: int) -> Decimal:
    return Decimal(raw) / 1000


async def test_a_restart_while_the_walk_waits_for_the_rest_of_a_day(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """A day the meter costed, read in two pages with a restart between: none lost.

    The walk back waits at the day's end for the rest of the day (the next
    page). Home Assistant restarting then loses the half-hours it held, and
    the importer reads on from where it was: the walk keeps what it read of
    the day in its store, so after the restart the day is whole again.
    """
    sim = simulator(init_integration)
    await backfill(hass)  # the live statistic's zero; the importer is done
    midnight = int(START.replace(hour=0).timestamp())
    yesterday = midnight - 86_400
    costs = CostConsumption(
        days=(None, Decimal("2.5"), *([None] * 7)),
        weeks=(None,) * 6,
        months=(None,) * 14,
        currency=826,
        trailing_digits=3,
    )

    first = CostHistory(hass, init_integration)
    await first.async_reset()
    first.note_meter_costs("import", costs)
    await first.async_half_hours(
        "import",
        profile_page(sim, yesterday + 12 * 3600, int(START.timestamp())),
        wh_to_kwh,
    )
    waiting = (await first._async_walks())["import"]
    assert waiting["at"] == midnight  # waiting for yesterday's morning
    assert len(waiting["held"]) == 24  # yesterday afternoon, not walked yet
    # the restart: the delayed save is written, a new history loads it
    freezer.tick(dt.timedelta(seconds=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    second = CostHistory(hass, init_integration)
    second.note_meter_costs("import", costs)
    await second.async_half_hours(
        "import", profile_page(sim, yesterday, yesterday + 12 * 3600), wh_to_kwh
    )
    walked = (await second._async_walks())["import"]
    assert walked["at"] == yesterday
    assert walked["meter_periods"] == {f"{DAY_LEVEL}:{yesterday}": "days"}
    assert walked["held"] == {}
    day = Decimal(waiting["value"]) - Decimal(walked["value"])
    standing = Decimal(sim.tariff.standing_charge) / MONEY_UNITS_PER_POUND
    assert day == pytest.approx(Decimal("2.5") + standing, abs=Decimal("1e-20"))


async def test_a_week_takes_what_its_days_did_not_and_a_month_the_rest(
    hass: HomeAssistant,
) -> None:
    """A costed day inside a costed week inside a costed month: each adds up."""
    jan = int(dt_util.start_of_local_day(dt.date(2026, 1, 1)).timestamp())
    feb = int(dt_util.start_of_local_day(dt.date(2026, 2, 1)).timestamp())
    monday = int(dt_util.start_of_local_day(dt.date(2026, 1, 5)).timestamp())
    tuesday = monday + 86_400
    known: dict[int, Decimal | None] = {
        when: Decimal(1) for when in range(jan - 7 * 86_400, feb, HALF_HOUR)
    }

    def price(_when: int) -> tuple[Decimal, bool]:
        return Decimal("0.2"), False

    day = MeterPeriod(DAY_LEVEL, tuesday, tuesday + 86_400, Decimal(5))
    week = MeterPeriod(WEEK_LEVEL, monday, monday + 7 * 86_400, Decimal(60))
    month = MeterPeriod(MONTH_LEVEL, jan, feb, Decimal(200))
    costs = MeterCosts([day, week, month], known, price, feb + 86_400, spread=True)

    def cost(start: int, end: int) -> Decimal:
        total = Decimal(0)
        for when in range(start, end, HALF_HOUR):
            priced = costs.price_at(when)
            assert priced is not None
            assert priced[1] is False
            total += priced[0]  # 1 kWh each
        return total

    assert cost(tuesday, tuesday + 86_400) == pytest.approx(Decimal(5))
    assert cost(monday, monday + 7 * 86_400) == pytest.approx(Decimal(60))
    assert cost(jan, feb) == pytest.approx(Decimal(200))
    assert costs.price_at(jan - HALF_HOUR) == price(0)  # before them all
    assert costs.used == {day, week, month}
    # a week that costs less than its day is not its own: today's prices
    cheap = MeterPeriod(WEEK_LEVEL, monday, monday + 7 * 86_400, Decimal(3))
    costs = MeterCosts([day, cheap], known, price, feb + 86_400, spread=True)
    assert costs.price_at(monday) == price(0)
    assert cost(tuesday, tuesday + 86_400) == pytest.approx(Decimal(5))
    assert costs.used == {day}


async def test_a_restart_inside_a_week_whose_days_were_walked_before_it(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """A week's newer days walked (each its own cost), a restart, its older days next.

    The week takes what its days did not: it needs every half-hour of it,
    the walked ones too, which only the walk's store keeps over a restart.
    After the restart the walk prices the rest of the week and goes on; a
    restart once the importer is done walks on without waiting at all.
    """
    sim = simulator(init_integration)
    await backfill(hass)
    monday = int(dt.datetime(2026, 1, 5, tzinfo=dt.UTC).timestamp())
    thursday = monday + 3 * 86_400
    costs = CostConsumption(  # days 3 to 6 back are 11 to 8 January
        days=(None, None, None, *([Decimal(4)] * 4), None, None),
        weeks=(None, Decimal(40), *([None] * 4)),
        months=(None,) * 14,
        currency=826,
        trailing_digits=3,
    )
    moved = replace(costs, weeks=(None, Decimal(50), *([None] * 4)))

    async def restart() -> CostHistory:
        freezer.tick(dt.timedelta(seconds=2))  # the delayed save is written
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        history = CostHistory(hass, init_integration)
        # read again the next day, the meter's figures have moved on: the walk
        # keeps the periods it began with
        history.note_meter_costs("import", moved)
        return history

    first = CostHistory(hass, init_integration)
    await first.async_reset()
    first.note_meter_costs("import", costs)
    await first.async_half_hours(
        "import", profile_page(sim, thursday, int(START.timestamp())), wh_to_kwh
    )
    walked = (await first._async_walks())["import"]
    assert walked["at"] == thursday  # not waiting: at the page's end
    assert len(walked["held"]) == 4 * 48  # the week's half-hours walked so far
    rows = dict(first._pending[ELECTRICITY][2])
    second = await restart()
    await second.async_half_hours(
        "import", profile_page(sim, monday - 4 * 86_400, thursday), wh_to_kwh
    )
    walked = (await second._async_walks())["import"]
    assert walked["at"] == monday - 4 * 86_400  # through the week and on
    assert f"{WEEK_LEVEL}:{monday}" in walked["meter_periods"]
    rows |= dict(second._pending[ELECTRICITY][2])
    standing = Decimal(sim.tariff.standing_charge) / MONEY_UNITS_PER_POUND
    week = rows[monday + 7 * 86_400 - 3600] - rows[monday - 3600]
    assert week == pytest.approx(Decimal(40) + 7 * standing, abs=Decimal("1e-20"))
    # the import done before a restart: the walk waits for no page
    third = CostHistory(hass, init_integration)
    await third.async_reset()
    third.note_meter_costs("import", costs)
    await third.async_half_hours(
        "import", profile_page(sim, thursday, int(START.timestamp())), wh_to_kwh
    )
    assert (await third._async_walks())["import"]["at"] == thursday
    fourth = await restart()
    await fourth.async_half_hours(
        "import", profile_page(sim, monday + 86_400, thursday), wh_to_kwh
    )
    assert (await fourth._async_walks())["import"]["at"] == thursday  # waits
    await fourth.async_done("import")
    done = (await fourth._async_walks())["import"]
    assert done["at"] == monday + 86_400  # walked on at today's prices
    assert done["held"] == {}
