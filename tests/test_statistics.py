"""History: 13 months of half-hours from the meters into long-term statistics.

Everything runs on the real stack (Home Assistant's recorder on SQLite, the
integration, the HAN library, zigpy, the simulated HAN); time only moves when
a test moves it, and the recorder compiles its 5-minute statistics when a test
asks, as it would every 5 minutes.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
import datetime as dt
import itertools
import logging
import struct
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder, get_instance
from homeassistant.components.recorder.statistics import (
    get_last_statistics,
    statistics_during_period,
)
from homeassistant.components.recorder.tasks import StatisticsTask
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.smets.const import CONF_SEED, DOMAIN
from custom_components.smets.coordinator import RECHECK_INTERVAL
from custom_components.smets.han.model import ZCL_EPOCH, gas_m3_to_kwh
from custom_components.smets.han.profile import HISTORY_DAYS
from custom_components.smets.han.simulator import HanSimulator, RadioFrame
from custom_components.smets.han.simulator.app import CAD_NWK, ESME_NWK, HUB_NWK
from custom_components.smets.services import ATTR_START, SERVICE_IMPORT_HISTORY
from custom_components.smets.statistics import (
    HistoryImporter,
)

from .conftest import START, ha_time, simulator_of

HOUR = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """The recorder first (before hass), then custom_components/."""


@pytest.fixture(autouse=True)
def quiet_sql() -> Generator[None]:
    """The test plugin logs every SQL statement; 40 000 rows need not be."""
    logger = logging.getLogger("sqlalchemy.engine")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


FIVE_MINUTES = dt.timedelta(minutes=5)
PAGES_PER_CHANNEL = HISTORY_DAYS * 48 // 24
"""GetProfile requests for 13 months of one channel: 24 half-hours a response."""
MIN_REQUESTS = 3 * PAGES_PER_CHANNEL
"""Import, export and gas."""


def stat_id(hass: HomeAssistant, entry: MockConfigEntry, role: str, key: str) -> str:
    """The statistic id (entity id) of one of the entry's sensors."""
    found = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entry.unique_id}_{role}_{key}"
    )
    assert found is not None
    return found


async def compile_short_term(hass: HomeAssistant, start: dt.datetime) -> None:
    """Compile one 5-minute period, as the recorder does every 5 minutes."""
    await async_wait_recording_done(hass)
    get_instance(hass).queue_task(StatisticsTask(start, True))
    await async_wait_recording_done(hass)


async def settle(hass: HomeAssistant) -> None:
    """Let the background import finish and the recorder write it."""
    await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)


async def backfill(hass: HomeAssistant) -> None:
    """The first compile after setup lets the import start; wait for it."""
    await compile_short_term(hass, START)
    await settle(hass)


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, until: dt.datetime
) -> None:
    """Move time on in 5-minute steps, compiling statistics after each.

    Each step lands 10 s after a 5-minute boundary and waits until everything
    it started (polls, pushes, a gap fill) has finished before the next one,
    so no request is ever in flight while the frozen clock jumps: a radio loss
    must be a reported one (every send fails at once), never a silent one
    whose requests would only time out when time moves.
    """
    now = max(START, dt.datetime.now(dt.UTC))
    while now < until:
        period = now.replace(second=0, microsecond=0)
        period -= dt.timedelta(minutes=period.minute % 5)
        now = min(until, period + FIVE_MINUTES + dt.timedelta(seconds=10))
        freezer.move_to(now)
        async_fire_time_changed(hass, now)
        await hass.async_block_till_done(wait_background_tasks=True)
        if now - dt.timedelta(seconds=10) == period + FIVE_MINUTES:
            await compile_short_term(hass, period)
            await hass.async_block_till_done(wait_background_tasks=True)
    await settle(hass)


async def hourly(
    hass: HomeAssistant,
    statistic_id: str,
    start: dt.datetime,
    end: dt.datetime,
    *,
    period: str = "hour",
    types: frozenset[str] = frozenset({"state", "sum"}),
) -> list[dict[str, Any]]:
    """The statistics of one id in ``[start, end)``."""
    stats = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        start,
        end,
        {statistic_id},
        period,
        None,
        set(types),
    )
    return list(stats.get(statistic_id, []))


def registers(sim: HanSimulator) -> dict[tuple[str, str], Callable[[int], float]]:
    """The simulator's own registers, in the sensors' units, by (role, key)."""
    gas = sim.gas
    return {
        ("esme", "import_energy"): lambda t: sim.electricity.import_register(t) / 1000,
        ("esme", "export_energy"): lambda t: sim.electricity.export_register(t) / 1000,
        ("gpf", "volume"): lambda t: gas.register(t) / 1000,
        ("gpf", "energy"): lambda t: float(
            gas_m3_to_kwh(gas.register(t) / 1000, 1.02264, 39.5) or 0
        ),
    }


def simulator(entry: MockConfigEntry) -> HanSimulator:
    sim = simulator_of(entry)
    assert isinstance(sim, HanSimulator)
    return sim


def importer(entry: MockConfigEntry) -> HistoryImporter:
    found = entry.runtime_data.history
    assert isinstance(found, HistoryImporter)
    return found


async def test_full_backfill_equals_the_registers(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
) -> None:
    """13 months for both fuels, to the Wh, in the fewest GetProfile requests."""
    entry = init_integration
    sim = simulator(entry)
    history = importer(entry)
    progress = hass.states.get(stat_id(hass, entry, "esme", "history_import"))
    assert progress is not None
    assert progress.state == "importing"

    await backfill(hass)

    assert history.requests == MIN_REQUESTS
    assert sim.gsme_wakeups == 0
    first = START - dt.timedelta(days=HISTORY_DAYS)
    for (role, key), register in registers(sim).items():
        statistic_id = stat_id(hass, entry, role, key)
        live = hass.states.get(statistic_id)
        assert live is not None
        rows = await hourly(hass, statistic_id, first - HOUR, START + HOUR)
        assert len(rows) == HISTORY_DAYS * 24, key
        assert rows[0]["start"] == first.timestamp()
        assert rows[-1]["start"] == (START - HOUR).timestamp()
        zero = register(int(START.timestamp()))
        for row in rows:
            end = int(row["start"]) + 3600
            assert round(row["state"] * 1000) == round(register(end) * 1000), key
            assert row["sum"] == pytest.approx(row["state"] - zero, abs=1e-6)
        # The last imported hour ends where the live sensor starts: no step.
        assert rows[-1]["state"] == float(live.state)
        assert rows[-1]["sum"] == pytest.approx(0, abs=1e-9)

    progress = hass.states.get(stat_id(hass, entry, "esme", "history_import"))
    assert progress is not None
    assert progress.state == "done"
    assert progress.attributes["intervals_imported"] == 3 * HISTORY_DAYS * 48
    assert progress.attributes["oldest"] == first.date().isoformat()


async def test_energy_dashboard_past_day(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
) -> None:
    """What the Energy dashboard reads for a past day is what the meter counted."""
    entry = init_integration
    sim = simulator(entry)
    await backfill(hass)
    # the dashboard's days are local days (US/Pacific in the tests)
    day = dt_util.start_of_local_day(dt.date(2025, 12, 1))
    t0, t1 = int(day.timestamp()), int((day + dt.timedelta(days=1)).timestamp())
    for (role, key), register in registers(sim).items():
        statistic_id = stat_id(hass, entry, role, key)
        rows = await hourly(
            hass,
            statistic_id,
            day,
            day + dt.timedelta(days=1),
            period="hour",
            types=frozenset({"change"}),
        )
        assert len(rows) == 24
        for row in rows:
            start = int(row["start"])
            assert row["change"] == pytest.approx(
                register(start + 3600) - register(start), abs=1e-6
            )
        rows = await hourly(
            hass,
            statistic_id,
            day,
            day + dt.timedelta(days=1),
            period="day",
            types=frozenset({"change"}),
        )
        assert rows[0]["change"] == pytest.approx(register(t1) - register(t0), abs=1e-6)


async def test_restart_mid_import_resumes(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
) -> None:
    """Home Assistant stops half-way through the import; the next start resumes."""
    entry = init_integration
    sent: list[RadioFrame] = []

    def observe(frame: RadioFrame) -> None:
        if frame.src_nwk == CAD_NWK and frame.cluster == 0x0702:
            sent.append(frame)
            if len(sent) == 1000:
                hass.async_create_task(hass.config_entries.async_unload(entry.entry_id))

    simulator(entry).frame_observer = observe
    first_run = importer(entry)
    await backfill(hass)
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert first_run.progress.state == "importing"
    assert 900 < first_run.requests < MIN_REQUESTS

    assert await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass)
    second_run = importer(entry)
    assert second_run.progress.state == "done"
    # only what the first run had not imported (and the page in flight)
    assert second_run.requests <= MIN_REQUESTS - first_run.requests + 14

    sim = simulator(entry)
    first = START - dt.timedelta(days=HISTORY_DAYS)
    for (role, key), register in registers(sim).items():
        rows = await hourly(hass, stat_id(hass, entry, role, key), first, START)
        assert len(rows) == HISTORY_DAYS * 24
        for row in rows[:: 24 * 7]:
            end = int(row["start"]) + 3600
            assert round(row["state"] * 1000) == round(register(end) * 1000)


async def test_import_history_action(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
) -> None:
    """A manual re-import from a date reads exactly that range again."""
    entry = init_integration
    history = importer(entry)
    await backfill(hass)
    before = history.requests
    statistic_id = stat_id(hass, entry, "esme", "import_energy")
    last = await get_instance(hass).async_add_executor_job(
        get_last_statistics, hass, 1, statistic_id, True, {"state", "sum"}
    )

    start = (START - dt.timedelta(days=2)).date()
    await hass.services.async_call(
        DOMAIN,
        SERVICE_IMPORT_HISTORY,
        {ATTR_CONFIG_ENTRY_ID: entry.entry_id, ATTR_START: start.isoformat()},
        blocking=True,
    )
    await settle(hass)
    assert history.progress.state == "done"
    # 2 days and 12 hours back to local midnight (US/Pacific in the tests)
    floor = int(
        dt.datetime(start.year, start.month, start.day, 8, tzinfo=dt.UTC).timestamp()
    )
    half_hours = (int(START.timestamp()) - floor) // 1800
    assert history.requests - before == 3 * -(-half_hours // 24)
    again = await get_instance(hass).async_add_executor_job(
        get_last_statistics, hass, 1, statistic_id, True, {"state", "sum"}
    )
    assert again == last

    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            DOMAIN,
            SERVICE_IMPORT_HISTORY,
            {
                ATTR_CONFIG_ENTRY_ID: entry.entry_id,
                ATTR_START: (START + dt.timedelta(days=2)).date().isoformat(),
            },
            blocking=True,
        )
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            DOMAIN,
            SERVICE_IMPORT_HISTORY,
            {ATTR_CONFIG_ENTRY_ID: "nope"},
            blocking=True,
        )


async def test_link_lost_before_the_import(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """No link when the import starts: failed, then done when the link returns."""
    entry = init_integration
    sim = simulator(entry)
    history = importer(entry)
    sim.radio_loss(reported=True)  # every send fails at once: nothing waits on time
    await compile_short_term(hass, START)
    await settle(hass)
    assert history.progress.state == "failed"
    sim.radio_return()
    # One step on, with the clock still while the 13-month import runs: a
    # request in flight would time out (0.05 s) if time moved under it.
    now = START + FIVE_MINUTES + dt.timedelta(seconds=10)
    freezer.move_to(now)
    async_fire_time_changed(hass, now)  # the live sensors poll: the link is back
    await hass.async_block_till_done()
    await compile_short_term(hass, START + FIVE_MINUTES)
    await settle(hass)
    assert history.progress.state == "done"
    assert history.requests == MIN_REQUESTS


async def test_outage_gap_fill(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 6-hour radio outage mid-day: no hour missing, none counted twice."""
    entry = init_integration
    sim = simulator(entry)
    history = importer(entry)
    await backfill(hass)
    assert history.progress.state == "done"

    outage = START + 2 * HOUR
    await advance(hass, freezer, outage)
    sim.radio_loss(reported=True)
    await advance(hass, freezer, outage + 6 * HOUR)
    statistic_id = stat_id(hass, entry, "esme", "import_energy")
    state = hass.states.get(statistic_id)
    assert state is not None
    assert state.state == "unavailable"

    before = history.requests
    sim.radio_return()
    end = outage + 6 * HOUR + dt.timedelta(minutes=20)
    await advance(hass, freezer, end)
    assert history.progress.state == "done"
    # one GetProfile a channel: the 12 missing half-hours fit one response
    assert history.requests - before == 3

    last_hour = (outage + 6 * HOUR).replace(minute=0)
    expected = list(
        range(int((START - 2 * HOUR).timestamp()), int(last_hour.timestamp()), 3600)
    )
    for (role, key), register in registers(sim).items():
        rows = await hourly(
            hass,
            stat_id(hass, entry, role, key),
            START - 2 * HOUR,
            last_hour,
            types=frozenset({"change", "sum"}),
        )
        # every hour once: none missing in the outage, none written twice
        assert [int(row["start"]) for row in rows] == expected, key
        for row in rows:
            start = int(row["start"])
            assert row["change"] == pytest.approx(
                register(start + 3600) - register(start), abs=1e-6
            ), (key, dt.datetime.fromtimestamp(start, dt.UTC))
        # and the sums run on without a step into the live hours
        zero = register(int(START.timestamp()))
        assert rows[-1]["sum"] == pytest.approx(
            register(int(last_hour.timestamp())) - zero, abs=1e-6
        ), key


def profile_requests(sim: HanSimulator) -> list[tuple[int, int, dt.datetime, int]]:
    """Record every GetProfile the CAD sends: (to NWK, channel, end, periods)."""
    sent: list[tuple[int, int, dt.datetime, int]] = []

    def observe(frame: RadioFrame) -> None:
        zcl = frame.zcl
        # cluster-specific, client to server, no manufacturer code: GetProfile 0x00
        if (
            frame.src_nwk == CAD_NWK
            and frame.cluster == 0x0702
            and zcl[0] & 0x0F == 0x01
            and zcl[2] == 0x00
        ):
            channel, end, periods = struct.unpack_from("<BIB", zcl, 3)
            sent.append(
                (frame.dst_nwk, channel, ZCL_EPOCH + dt.timedelta(seconds=end), periods)
            )

    sim.frame_observer = observe
    return sent


def windows(
    sent: list[tuple[int, int, dt.datetime, int]], to: int, channel: int
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The ``[start, end)`` each GetProfile to ``to`` on ``channel`` asked for."""
    return [
        (end - periods * dt.timedelta(minutes=30), end)
        for nwk, chan, end, periods in sent
        if nwk == to and chan == channel
    ]


def hours(start: dt.datetime, end: dt.datetime) -> list[int]:
    """The hour starts in ``[start, end)``, as the statistics give them."""
    return list(range(int(start.timestamp()), int(end.timestamp()), 3600))


@pytest.mark.parametrize("announced", [True, False], ids=["announced", "periodic"])
async def test_gas_meter_paired_later_gets_its_history(  # noqa: PLR0917 - fixtures
    recorder_mock: Recorder,
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    announced: bool,
) -> None:
    """A gas meter paired after setup: its statistics hold what the GPF holds.

    The GPF logs only what the gas meter sent it since they paired (the gas
    meter's own 13 months stay in the sleeping meter): after the reload the
    importer backfills every whole hour the GPF holds, then the hours as they
    complete, equal to the registers, and nothing before the pairing; the
    electricity statistics are neither read again nor touched. Announced, the
    hub's "device joined" alert reloads the entry a minute later (the GPF
    holds no whole hour yet); unannounced, the 6-hourly re-check finds the
    meter, by when the GPF holds 4 hours.
    """
    entry = mock_config_entry
    hans: list[HanSimulator] = []

    def lasting_han(data: dict[str, Any]) -> HanSimulator:
        """The same simulated HAN behind every setup, as a real one outlives HA."""
        if not hans:
            hans.append(HanSimulator(int(data[CONF_SEED]), clock=ha_time, gas=False))
        return hans[0]

    with patch("custom_components.smets.connection.make_simulator", lasting_han):
        freezer.move_to(START)
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        sim = simulator(entry)
        sent = profile_requests(sim)
        first_importer = importer(entry)
        await backfill(hass)
        assert first_importer.progress.state == "done"
        assert first_importer.requests == 2 * PAGES_PER_CHANNEL  # import, export
        assert {to for to, *_ in sent} == {ESME_NWK}
        assert hass.states.get("sensor.gas_meter_volume") is None

        paired = START + 2 * HOUR
        await advance(hass, freezer, paired)
        first = START - dt.timedelta(days=HISTORY_DAYS)
        ids = [
            stat_id(hass, entry, "esme", k) for k in ("import_energy", "export_energy")
        ]
        written = paired - HOUR  # the hour now ending is compiled later
        electricity = [await hourly(hass, i, first - HOUR, written) for i in ids]
        assert len(electricity[0]) > HISTORY_DAYS * 24
        sim.pair_gas(announce=announced)
        sent.clear()
        found = (
            paired + dt.timedelta(minutes=10) if announced else START + RECHECK_INTERVAL
        )
        settled = found + dt.timedelta(minutes=20)  # a compile after the reload
        await advance(hass, freezer, settled)
        assert entry.state is ConfigEntryState.LOADED
        assert entry.runtime_data.link.has_gas  # reloaded by itself
        second_importer = importer(entry)
        assert second_importer is not first_importer
        assert second_importer.progress.state == "done"
        # What the GPF holds, in one page; a short page costs one more request,
        # answered "no intervals" (nothing older than the pairing)
        gas = windows(sent, HUB_NWK, 0)
        assert len(gas) == (1 if announced else 2)
        backfilled = hours(paired, settled.replace(minute=0))
        assert len(backfilled) == (0 if announced else 4)
        for key in ("volume", "energy"):
            rows = await hourly(hass, stat_id(hass, entry, "gpf", key), first, settled)
            assert [int(row["start"]) for row in rows] == backfilled, key

        end = settled + 3 * HOUR
        await advance(hass, freezer, end)
        assert second_importer.progress.state == "done"
        assert sim.gsme_wakeups == 0

    # Gas: every whole hour since the pairing, equal to the registers; none before
    for (role, key), register in registers(sim).items():
        if role != "gpf":
            continue
        rows = await hourly(hass, stat_id(hass, entry, role, key), first - HOUR, end)
        assert [int(row["start"]) for row in rows] == hours(
            paired, end.replace(minute=0)
        )
        for row in rows:
            stop = int(row["start"]) + 3600
            assert round(row["state"] * 1000) == round(register(stop) * 1000), key
    # later gas requests only fill the hours as they complete
    later = windows(sent, HUB_NWK, 0)[len(gas) :]
    assert later
    assert all(start >= gas[0][1] for start, _ in later)
    # Electricity: after the pairing only the hours that completed, each
    # half-hour asked once (no re-import); the hours before are as they were.
    for channel, (statistic_id, before) in enumerate(
        zip(ids, electricity, strict=True)
    ):
        asked = sorted(windows(sent, ESME_NWK, channel))
        assert asked[0][0] >= paired - HOUR
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(asked))
        assert await hourly(hass, statistic_id, first - HOUR, written) == before
    assert not [
        r for r in caplog.records if r.levelno >= logging.WARNING and "smets" in r.name
    ]
