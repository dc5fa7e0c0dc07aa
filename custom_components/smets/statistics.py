"""Long-term statistics from the meters' own half-hourly profile.

On first setup the importer pages back through the 13 months of half-hours a
GB meter keeps (GetProfile: electricity import and export from the ESME, gas
volume from the Comms Hub's GPF mirror; the sleeping GSME is never woken) and
imports hourly rows into the energy sensors' own statistics. Afterwards it
fills whatever the live statistics missed (Home Assistant stopped, radio
lost, meter unreachable) with exactly the half-hours between the newest hour
it wrote and now, when the link works again.

How the rows line up with the live sensor: the recorder compiles a sensor's
sum from its latest 5-minute statistic, ``sum = state - zero``. The importer
reads that zero from the latest 5-minute statistic compiled since it started
and writes ``state`` = the register at the end of each hour (exact, from one
register read and the profile, in the meter's raw unit) and ``sum`` =
``state - zero``: the Energy dashboard sees no step where live data starts,
and writing an hour twice writes the same numbers (nothing is counted twice).
It never writes an hour the recorder has yet to compile (the ceiling is the
last 5-minute period compiled), nor an hour whose half-hours the meter did not
give. Progress is kept in a Store after every page of rows, so a cancelled
import resumes where it stopped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
import datetime as dt
from decimal import Decimal
import logging
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.recorder.models import StatisticData
from homeassistant.components.recorder.statistics import (
    async_import_statistics,
    get_last_short_term_statistics,
)
from homeassistant.components.recorder.tasks import SynchronizeTask
from homeassistant.const import (
    EVENT_RECORDER_5MIN_STATISTICS_GENERATED,
    UnitOfEnergy,
    UnitOfVolume,
)
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    HomeAssistant,
    callback,
)
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.recorder import get_instance
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import EnergyConverter, VolumeConverter

from .compat import sum_statistic_metadata
from .const import CONF_GAS_CV_OVERRIDE, DOMAIN, ROLE_ESME, ROLE_GAS
from .cost_history import SOURCES as COST_SOURCES, CostHistory
from .entity import unique_id
from .han import model, profile as history
from .han.errors import HanError
from .han.meter import METERING, PREPAYMENT, BaseMeter, PrepaymentMeter
from .models import gas_energy

if TYPE_CHECKING:
    from .models import SmetsConfigEntry

_LOGGER = logging.getLogger(__name__)

_PERIOD_COSTS: Final = (
    *model.COST_DAY_ATTRIBUTES,
    *model.COST_WEEK_ATTRIBUTES,
    *model.COST_MONTH_ATTRIBUTES,
)
"""The Historical Cost Consumption the history's cost takes (today's too, unused)."""

STORAGE_VERSION: Final = 1
STATE_IMPORTING: Final = "importing"
STATE_DONE: Final = "done"
STATE_FAILED: Final = "failed"
STATES: Final = [STATE_IMPORTING, STATE_DONE, STATE_FAILED]

CHECK_INTERVAL: Final = dt.timedelta(minutes=30)
"""How often the importer looks for half-hours the live statistics missed."""

_SHORT_TERM: Final = 300
_LINEAR_PROBE: Final = 10**9
"""A raw value large enough that the decoding's rounding is lost in it."""


COMMIT_WAIT: Final = dt.timedelta(minutes=1)
"""How long a run waits for the recorder to commit a compile before it reads."""


class _NotCompiledError(Exception):
    """The recorder has yet to compile what a run needs; run on the next compile."""


@dataclass(frozen=True, slots=True)
class Source:
    """One profile channel of one meter, and the sensors it feeds."""

    key: str
    role: str
    channel: int
    register_attr: int
    """The register the profile adds up to (CurrentSummation...)."""
    today_attr: int
    """Consumption since midnight (CurrentDayConsumption...)."""
    sensors: tuple[str, ...]


SOURCES: Final = (
    Source("import", ROLE_ESME, 0, 0x0000, 0x0401, ("import_energy",)),
    Source("export", ROLE_ESME, 1, 0x0001, 0x0402, ("export_energy",)),
    Source("gas", ROLE_GAS, 0, 0x0000, 0x0401, ("volume", "energy")),
)

_UNITS: Final = {
    "import_energy": (UnitOfEnergy.KILO_WATT_HOUR, EnergyConverter.UNIT_CLASS),
    "export_energy": (UnitOfEnergy.KILO_WATT_HOUR, EnergyConverter.UNIT_CLASS),
    "volume": (UnitOfVolume.CUBIC_METERS, VolumeConverter.UNIT_CLASS),
    "energy": (UnitOfEnergy.KILO_WATT_HOUR, EnergyConverter.UNIT_CLASS),
}


@dataclass(slots=True)
class Target:
    """A statistic the importer writes: its id, its conversion and its zero."""

    statistic_id: str
    key: str
    convert: Callable[[int], float | None]
    zero: float = 0.0


@dataclass(slots=True)
class HistoryProgress:
    """What the progress sensor shows."""

    state: str = STATE_IMPORTING
    intervals: int = 0
    oldest: dt.datetime | None = None
    listeners: list[CALLBACK_TYPE] = field(default_factory=list)

    @callback
    def async_update(self) -> None:
        """Tell the listeners (the sensor) something changed."""
        for listener in list(self.listeners):
            listener()


class HistoryImporter:
    """Backfills and gap-fills one config entry's energy statistics."""

    def __init__(self, hass: HomeAssistant, entry: SmetsConfigEntry) -> None:
        """Prepare; nothing runs until :meth:`async_start`."""
        self.hass = hass
        self.entry = entry
        self.progress = HistoryProgress()
        self.requests = 0
        """GetProfile requests this importer sent."""
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}.history"
        )
        self._data: dict[str, Any] | None = None
        self._started = dt_util.utcnow().timestamp()
        self._compiled_at = 0.0
        self._waiting = False
        """A run is waiting for the recorder's next 5-minute compile."""
        self._after_compile = False
        """The next run follows a compile: let the recorder commit it first."""
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._link_ok: dict[str, bool] = {}
        self.cost = CostHistory(hass, entry)
        """The cost statistics of the half-hours read (cost_history.py)."""

    # --- scheduling ------------------------------------------------------------

    @callback
    def async_start(self) -> None:
        """Start the first run in the background, and watch for gaps."""
        entry = self.entry
        entry.async_on_unload(
            self.hass.bus.async_listen(
                EVENT_RECORDER_5MIN_STATISTICS_GENERATED, self._on_compiled
            )
        )
        entry.async_on_unload(
            async_track_time_interval(
                self.hass, self._on_interval, CHECK_INTERVAL, name="smets history"
            )
        )
        runtime = entry.runtime_data
        for name, coordinator in (("esme", runtime.electricity), ("gas", runtime.gas)):
            if coordinator is None:
                continue
            self._link_ok[name] = coordinator.last_update_success
            entry.async_on_unload(
                coordinator.async_add_listener(self._link_watcher(name, coordinator))
            )
        self.async_schedule()

    def _link_watcher(self, name: str, coordinator: Any) -> CALLBACK_TYPE:
        @callback
        def changed() -> None:
            ok = bool(coordinator.last_update_success)
            returned = ok and not self._link_ok.get(name, True)
            self._link_ok[name] = ok
            if returned:
                _LOGGER.debug("The %s link is back: filling the gap", name)
                self.async_schedule()

        return changed

    @callback
    def _on_compiled(self, _event: Event) -> None:
        self._compiled_at = dt_util.utcnow().timestamp()
        # a run waits for this compile, or the cost walk for a half-hour over now
        if self._waiting or self.cost.waiting:
            self._waiting = False
            self._after_compile = True
            self.async_schedule()

    @callback
    def _on_interval(self, _now: dt.datetime) -> None:
        self.async_schedule()

    @callback
    def async_schedule(self) -> None:
        """Run (again) in the background; one run at a time."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = self.entry.async_create_background_task(
            self.hass, self._async_run(), f"{DOMAIN} history {self.entry.title}"
        )

    async def async_reimport(self, start: dt.date | None) -> None:
        """Import again from ``start`` (default: as far back as the meter holds)."""
        data = await self._async_data()
        floor = None
        if start is not None:
            floor = int(dt_util.start_of_local_day(start).timestamp())
        await self.cost.async_reset()
        for state in data["sources"].values():
            state["oldest"] = state["newest"]
            state["oldest_register"] = state["newest_register"]
            state["floor"] = floor
            state["complete"] = False
        await self._store.async_save(data)
        self.async_schedule()

    # --- the run ----------------------------------------------------------------

    async def _async_data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = await self._store.async_load() or {
                "sources": {},
                "intervals": 0,
                "oldest": None,
            }
            oldest = self._data.get("oldest")
            self.progress.intervals = int(self._data.get("intervals", 0))
            self.progress.oldest = (
                dt_util.utc_from_timestamp(oldest) if oldest is not None else None
            )
        return self._data

    async def _async_committed(self) -> None:
        """Wait until the recorder has committed what it is doing now.

        It fires the "5-minute statistics generated" event before it commits
        the compile: a read straight away may not see it yet, and the run would
        wait for the next compile, five minutes later. The recorder runs its
        tasks one by one, so a task queued now runs after that commit.
        """
        future: asyncio.Future[None] = self.hass.loop.create_future()
        get_instance(self.hass).queue_task(SynchronizeTask(future))
        try:
            async with asyncio.timeout(COMMIT_WAIT.total_seconds()):
                await future
        except TimeoutError:
            # a stuck recorder: read anyway; at worst the run waits a compile
            _LOGGER.debug("The recorder did not get to our task in %s", COMMIT_WAIT)

    async def _async_run(self) -> None:
        if self._after_compile:
            self._after_compile = False
            await self._async_committed()
        while True:
            self._again = False
            self.progress.state = STATE_IMPORTING
            self.progress.async_update()
            failing = SOURCES[0]
            try:
                await get_instance(self.hass).async_db_ready
                data = await self._async_data()
                for source in SOURCES:
                    failing = source
                    await self._async_sync(source, data)
            except _NotCompiledError:
                # No task lingers meanwhile: the next compile starts the run again.
                self._waiting = True
                return
            except HanError as err:
                # The live sensors may not have noticed (they had not polled):
                # their next successful poll counts as the link coming back.
                name = "esme" if failing.role == ROLE_ESME else "gas"
                if name in self._link_ok:
                    self._link_ok[name] = False
                _LOGGER.info(
                    "Reading the meters' history stopped (%s); it resumes when the"
                    " link works again",
                    err or type(err).__name__,
                )
                self.progress.state = STATE_FAILED
                self.progress.async_update()
                return
            self.progress.state = STATE_DONE
            self.progress.async_update()
            if not self._again:
                return

    def _meter(self, source: Source) -> BaseMeter | None:
        link = self.entry.runtime_data.link
        if source.role == ROLE_ESME:
            return link.esme if link.has_esme else None
        return link.gas if link.has_gas else None

    async def _async_targets(self, source: Source, meter: BaseMeter) -> list[Target]:
        """Return the statistics a source feeds: enabled sensors with a number to start from."""
        registry = er.async_get(self.hass)
        static = await meter.metering_static()
        targets: list[Target] = []
        for key in source.sensors:
            entity_id = registry.async_get_entity_id(
                "sensor", DOMAIN, unique_id(self.entry, source.role, key)
            )
            state = self.hass.states.get(entity_id) if entity_id else None
            if entity_id is None or state is None:
                continue
            try:
                float(state.state)
            except ValueError:
                continue
            targets.append(Target(entity_id, key, self._converter(key, static)))
        return targets

    def _converter(
        self, key: str, static: dict[int, object]
    ) -> Callable[[int], float | None]:
        """Raw register -> the sensor's value, decoded exactly as the live one is."""
        if key in ("import_energy", "export_energy"):
            return lambda raw: _float(model.register_kwh(raw, static))
        link = self.entry.runtime_data.link
        override = self.entry.options.get(CONF_GAS_CV_OVERRIDE)

        def gas(raw: int) -> float | None:
            register = model.register_gas(raw, static, link.gas.price_attributes)
            if key == "volume":
                return _float(register.volume_m3)
            return _float(gas_energy(register, override).energy_kwh)

        return gas

    async def _async_zeros(self, targets: list[Target]) -> int:
        """Read each target's zero from the live statistics; return the ceiling.

        Needs a 5-minute statistic compiled for every target since this
        importer started (so the live chain, and whatever the recorder compiled
        for the hours before, are settled), and the compile that closes the
        hour before now: a run that starts just after an hour boundary (the
        link came back at 20:00:05) fills a gap in one go up to the hour that
        just ended. Otherwise raises :class:`_NotCompiledError` and the run starts
        again on the next compile. The ceiling is the hour boundary no later
        than the end of the newest compiled period.
        """
        ceiling: int | None = None
        since = self._started - _SHORT_TERM
        hour = history.hour_floor(int(dt_util.utcnow().timestamp()))
        for target in targets:
            rows = await get_instance(self.hass).async_add_executor_job(
                get_last_short_term_statistics,
                self.hass,
                1,
                target.statistic_id,
                False,
                {"state", "sum"},
            )
            row = rows.get(target.statistic_id, [None])[0]
            if (
                row is None
                or row["start"] < since
                or row.get("state") is None
                or row.get("sum") is None
            ):
                raise _NotCompiledError
            # the recorder has compiled every hour before this boundary
            end = history.hour_floor(
                int(max(row["start"] + _SHORT_TERM, self._compiled_at))
            )
            if end < hour:
                raise _NotCompiledError
            target.zero = float(row["state"] or 0) - float(row["sum"] or 0)
            ceiling = end if ceiling is None else min(ceiling, end)
        assert ceiling is not None
        return ceiling

    async def _async_fetch(
        self, meter: BaseMeter, source: Source, start: int, end: int
    ) -> dict[int, int | None]:
        """Fetch the raw half-hours in ``[start, end)`` in the fewest GetProfile requests.

        Pages newest first, one GetProfile response at a time, so the count of
        requests is exact even while the live sensors poll the same meter.
        """
        if end <= start:
            return {}
        max_periods = await meter.max_periods()
        page = max_periods * history.HALF_HOUR
        intervals: dict[int, int | None] = {}
        for page_start, page_end in history.chunks_back(end, start, page):
            wanted = -(-(page_end - page_start) // history.HALF_HOUR)
            before = meter.requests.by_cluster[METERING]
            try:
                profile = await meter.get_profile_raw(
                    dt_util.utc_from_timestamp(page_start),
                    dt_util.utc_from_timestamp(page_end),
                    channel=source.channel,
                )
            except BaseException:
                self.requests += 1
                raise
            # A short page costs the meter one more (empty) response.
            sent = meter.requests.by_cluster[METERING] - before
            self.requests += 1 if len(profile) >= wanted else min(max(sent, 1), 2)
            intervals |= history.intervals_by_start(profile)
            if len(profile) < wanted:
                break  # the meter holds nothing older
        _LOGGER.debug(
            "GetProfile %s [%s, %s): %d half-hours",
            source.key,
            dt_util.utc_from_timestamp(start),
            dt_util.utc_from_timestamp(end),
            len(intervals),
        )
        await self._async_cost(meter, source, intervals)
        return intervals

    async def _async_sync(self, source: Source, data: dict[str, Any]) -> None:
        meter = self._meter(source)
        if meter is None:
            return
        targets = await self._async_targets(source, meter)
        if not targets:
            return
        ceiling = await self._async_zeros(targets)
        max_periods = await meter.max_periods()
        chunk = history.CHUNK_PAGES * max_periods * history.HALF_HOUR
        state: dict[str, Any] | None = data["sources"].get(source.key)
        if state is None:
            state = await self._async_anchor(source, meter, ceiling, chunk)
            if state is None:
                return
            data["sources"][source.key] = state
        elif state["newest"] < ceiling:
            await self._async_forward(source, meter, state, targets, ceiling)
        await self._async_backward(source, meter, state, targets, chunk)
        wanted = await self.cost.async_wanted(
            source.key, int(dt_util.utcnow().timestamp())
        )
        if wanted is not None:
            # the half-hours the cost walk waits for, after the last whole hour
            await self._async_fetch(meter, source, *wanted)
            self.cost.flush()

    async def _async_anchor(
        self, source: Source, meter: BaseMeter, ceiling: int, chunk: int
    ) -> dict[str, Any] | None:
        """Work out the register at ``ceiling`` from one register read and the profile.

        The register and the consumption since midnight come from one Read
        Attributes request, so ``register - today`` is the register at
        midnight exactly; the profile carries it to the ceiling.
        """
        values = await meter.read(METERING, [source.register_attr, source.today_attr])
        now = int(dt_util.utcnow().timestamp())
        register = values.get(source.register_attr)
        today = values.get(source.today_attr)
        if not isinstance(register, int):
            return None
        floor = history.history_floor(now)
        first_start = max(floor, ceiling - chunk)
        intervals = await self._async_fetch(meter, source, first_start, ceiling)
        anchors: list[tuple[int, int]] = []
        if isinstance(today, int) and today <= register:
            anchors.append((now - now % history.DAY, register - today))
        # The register now is the register at the last half-hour boundary plus
        # what the current half-hour has counted so far (exact for the GPF).
        anchors.append((history.half_hour_floor(now), register))
        at_ceiling: int | None = None
        for when, value in anchors:
            if when > ceiling and not all(
                start in intervals for start in range(ceiling, when, history.HALF_HOUR)
            ):
                intervals |= await self._async_fetch(meter, source, ceiling, when)
            at_ceiling = history.register_at(ceiling, when, value, intervals)
            if at_ceiling is not None:
                break
        if at_ceiling is None:
            return None
        return {
            "newest": ceiling,
            "newest_register": at_ceiling,
            "oldest": ceiling,
            "oldest_register": at_ceiling,
            "floor": None,
            "complete": False,
            "_prefetched": [first_start, ceiling],
            "_intervals": intervals,
        }

    async def _async_forward(
        self,
        source: Source,
        meter: BaseMeter,
        state: dict[str, Any],
        targets: list[Target],
        ceiling: int,
    ) -> None:
        """Fill from the newest hour written to the ceiling: exactly the missing half-hours."""
        start = int(state["newest"])
        intervals = await self._async_fetch(meter, source, start, ceiling)
        walk = history.walk_forward(
            intervals, start, int(state["newest_register"]), ceiling
        )
        await self._async_write(targets, walk.readings)
        if source.key in COST_SOURCES:
            await self.cost.async_fill(source.key, start, walk.at)
            self.cost.flush()
        state["newest"], state["newest_register"] = walk.at, walk.register
        if walk.at < ceiling and any(when > walk.at for when in intervals):
            # A hole the meter will never fill (an invalid half-hour, a meter
            # exchange): start again from the ceiling and walk back to it.
            anchored = await self._async_anchor(
                source, meter, ceiling, ceiling - walk.at
            )
            if anchored is not None:
                back = history.walk_back(
                    anchored["_intervals"],
                    ceiling,
                    anchored["newest_register"],
                    walk.at,
                )
                await self._async_write(targets, back.readings)
                state["newest"] = ceiling
                state["newest_register"] = anchored["newest_register"]
        await self._async_save()

    async def _async_backward(
        self,
        source: Source,
        meter: BaseMeter,
        state: dict[str, Any],
        targets: list[Target],
        chunk: int,
    ) -> None:
        """Page back from the oldest hour written to as far as the meter holds."""
        prefetched = state.pop("_prefetched", None)
        intervals: dict[int, int | None] = state.pop("_intervals", {})
        if state["complete"]:
            await self._async_cost_done(source)  # read to the end before a restart
            return
        now = int(dt_util.utcnow().timestamp())
        floor = history.history_floor(now)
        if state.get("floor") is not None:
            floor = max(floor, int(state["floor"]))
        for start, end in history.chunks_back(int(state["oldest"]), floor, chunk):
            if prefetched is None or [start, end] != prefetched:
                intervals = await self._async_fetch(meter, source, start, end)
            prefetched = None
            walk = history.walk_back(
                intervals, end, int(state["oldest_register"]), start
            )
            await self._async_write(targets, walk.readings)
            state["oldest"], state["oldest_register"] = walk.at, walk.register
            if walk.at > start:
                break  # the meter holds nothing older (or an invalid half-hour)
            await self._async_save()
        state["complete"] = True
        await self._async_save()
        await self._async_cost_done(source)

    async def _async_cost_done(self, source: Source) -> None:
        """Nothing older is coming: the cost walk waits for no more pages."""
        if source.key in COST_SOURCES:
            await self.cost.async_done(source.key)
            self.cost.flush()

    async def _async_write(
        self, targets: list[Target], readings: list[history.HourReading]
    ) -> None:
        """Import hourly rows for every target; count them and note the oldest."""
        self.cost.flush()
        if not readings:
            return
        for target in targets:
            unit, unit_class = _UNITS[target.key]
            rows: list[StatisticData] = []
            for reading in readings:
                value = target.convert(reading.register)
                if value is None:
                    continue
                rows.append(
                    StatisticData(
                        start=dt_util.utc_from_timestamp(reading.start),
                        state=value,
                        sum=value - target.zero,
                    )
                )
            if rows:
                async_import_statistics(
                    self.hass,
                    sum_statistic_metadata(target.statistic_id, unit, unit_class),
                    rows,
                )
        data = await self._async_data()
        data["intervals"] = int(data["intervals"]) + 2 * len(readings)
        oldest = readings[0].start
        if data["oldest"] is None or oldest < data["oldest"]:
            data["oldest"] = oldest
        self.progress.intervals = data["intervals"]
        self.progress.oldest = dt_util.utc_from_timestamp(data["oldest"])
        self.progress.async_update()
        # let the recorder and the event loop breathe between pages
        await asyncio.sleep(0)

    async def _async_cost(
        self, meter: BaseMeter, source: Source, intervals: dict[int, int | None]
    ) -> None:
        """Hand the half-hours read to the cost statistics, in kWh."""
        if source.key not in COST_SOURCES:
            return
        convert = self._converter(
            "import_energy" if source.key == "import" else "energy",
            await meter.metering_static(),
        )
        # The decoding is linear: its factor from a large raw value, so that a
        # half-hour's kWh is not rounded to the register's last digit.
        big, nothing = convert(_LINEAR_PROBE), convert(0)
        if big is None or nothing is None:
            return
        factor = (Decimal(str(big)) - Decimal(str(nothing))) / _LINEAR_PROBE

        def kwh(raw: int) -> Decimal:
            return raw * factor

        await self._async_meter_costs(meter, source)
        await self.cost.async_half_hours(source.key, intervals, kwh)

    async def _async_meter_costs(self, meter: BaseMeter, source: Source) -> None:
        """Read what the meter says its past days, weeks and months cost (once a day).

        Where its Prepayment cluster has them (Historical Cost Consumption);
        a meter without them answers UNSUPPORTED once and is not asked again,
        and one that does not answer leaves the history at today's prices.
        """
        if not isinstance(meter, PrepaymentMeter) or not meter.has_cluster(PREPAYMENT):
            return
        if self.cost.meter_costs_read(source.key) == dt_util.now().date():
            return
        try:
            costs = await meter.poll_cost_consumption(_PERIOD_COSTS)
        except HanError as err:
            _LOGGER.debug("The meter's period costs could not be read: %s", err)
            self.cost.note_meter_costs(source.key, None)
            return
        self.cost.note_meter_costs(source.key, costs)

    async def _async_save(self) -> None:
        data = await self._async_data()
        await self._store.async_save(
            {
                **data,
                "sources": {
                    key: {k: v for k, v in state.items() if not k.startswith("_")}
                    for key, state in data["sources"].items()
                },
            }
        )


@callback
def async_setup_history(hass: HomeAssistant, entry: SmetsConfigEntry) -> None:
    """Create the entry's importer (when the recorder runs); start it later."""
    if "recorder" in hass.config.components:
        entry.runtime_data.history = HistoryImporter(hass, entry)


def _float(value: Decimal | None) -> float | None:
    """Return a decoded value as the recorder's statistics take it (a float)."""
    return None if value is None else float(value)
