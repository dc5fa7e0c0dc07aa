"""Coordinators: one per rhythm the meters themselves keep.

The electricity meter (ESME) is read about every 10 seconds, the gas meter's
mirror in the Comms Hub (GPF) about every 30 minutes (the gas meter sleeps to
save its battery; it is never woken), the tariff and prepayment slower still.
Each update reads every attribute it needs from a cluster in one request and
hands the entities a single immutable snapshot. Attribute reports and pushed
commands (alerts, messages, price changes) update the snapshot at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field, replace
import datetime as dt
from decimal import Decimal
import logging
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .const import (
    CONF_CO2_FACTOR,
    CONF_ESME_INTERVAL,
    CONF_GAS_CV_OVERRIDE,
    CONF_GAS_INTERVAL,
    CONF_TARIFF_INTERVAL,
    DEFAULT_CO2_FACTOR,
    DEFAULT_ESME_INTERVAL,
    DEFAULT_GAS_INTERVAL,
    DEFAULT_TARIFF_INTERVAL,
    DOMAIN,
)
from .han import model
from .han.catalogue import CatalogueMatch
from .han.errors import HanCommandError, HanError
from .han.link import HanLink
from .han.meter import PREPAYMENT
from .push import PushState

if TYPE_CHECKING:
    from .statistics import HistoryImporter

_LOGGER = logging.getLogger(__name__)

# A drop of a total_increasing register to at most this fraction of its last
# value is a real reset (a meter exchange starts near zero); a smaller drop is
# a glitch (a stale or out-of-order value) and never reaches Home Assistant.
RESET_FRACTION = 0.5

# How often the HAN is asked again which meters it has (a safety net for a
# join or leave nobody announced), and how long after an announced join: the
# hub needs a moment to set a new gas meter's GPF mirror up.
RECHECK_INTERVAL = dt.timedelta(hours=6)
JOIN_SETTLE = dt.timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class MeterInfo:
    """Who a meter is: its identity as read, and its catalogue entry."""

    role: str
    ieee: str
    """The EUI64 the meter answers on (the GPF answers on the Comms Hub's)."""
    device_id: str
    """The meter's own identifier: the GSME's EUI64 for the gas meter."""
    identity: model.MeterIdentity
    catalogue: CatalogueMatch


@dataclass(frozen=True, slots=True)
class LinkQuality:
    """How well the HAN link to a device is doing."""

    lqi: int | None
    rssi: int | None
    channel: int | None
    last_seen: dt.datetime | None


@dataclass(frozen=True, slots=True)
class ElectricitySnapshot:
    """What the ESME said in one cycle (registers already guarded)."""

    reading: model.ElectricityReading
    co2_kg: float | None
    link: LinkQuality


@dataclass(frozen=True, slots=True)
class GasSnapshot:
    """What the GPF gas mirror said in one cycle (registers already guarded)."""

    reading: model.GasReading
    energy_kwh: Decimal | None
    calorific_value_mj_m3: Decimal | None
    calorific_value_source: str | None
    last_update: dt.datetime | None


@dataclass(frozen=True, slots=True)
class TariffSnapshot:
    """Prices and (when in prepayment mode) credit."""

    electricity_price: model.PriceInfo | None
    gas_price: model.PriceInfo | None
    prepayment: model.PrepaymentInfo | None
    provider_name: str | None


class RegisterGuard:
    """Keep total_increasing registers from ever stepping back by a glitch."""

    def __init__(self) -> None:
        """Start with no register seen."""
        self._last: dict[str, Decimal] = {}

    def __call__(self, key: str, value: Decimal | None) -> Decimal | None:
        """Return the value to publish for register ``key``."""
        if value is None:
            return None
        last = self._last.get(key)
        if last is None or value >= last:
            self._last[key] = value
            return value
        if value <= last * Decimal(str(RESET_FRACTION)):
            _LOGGER.warning(
                "The %s register went from %s to %s: treating it as a meter reset",
                key,
                last,
                value,
            )
            self._last[key] = value
            return value
        _LOGGER.debug(
            "Ignoring a drop of the %s register from %s to %s", key, last, value
        )
        return last


def _link_quality(link: HanLink, device: Any) -> LinkQuality:
    """Read LQI, RSSI and last-seen from zigpy's view of a device."""
    last_seen = getattr(device, "last_seen", None)
    seen: dt.datetime | None = None
    if isinstance(last_seen, int | float) and last_seen > 0:
        seen = dt_util.utc_from_timestamp(last_seen)
    elif isinstance(last_seen, dt.datetime):
        seen = last_seen
    channel = getattr(getattr(link.app.state, "network_info", None), "channel", None)
    return LinkQuality(
        lqi=getattr(device, "lqi", None),
        rssi=getattr(device, "rssi", None),
        channel=int(channel) if channel is not None else None,
        last_seen=seen,
    )


class SmetsCoordinator[T](DataUpdateCoordinator[T]):
    """A coordinator of one rhythm: a HAN error makes its entities unavailable."""

    config_entry: ConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        name: str,
        interval: dt.timedelta,
        update: Callable[[], Awaitable[T]],
    ) -> None:
        """Create a coordinator named ``name`` polling every ``interval``."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{entry.title} {name}",
            update_interval=interval,
            always_update=False,
        )
        self._update = update

    async def _async_update_data(self) -> T:
        """Fetch one snapshot; a HAN error makes the entities unavailable."""
        try:
            return await self._update()
        except HanError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err) or type(err).__name__},
            ) from err


@dataclass
class SmetsRuntimeData:
    """What a loaded config entry holds."""

    link: HanLink
    meters: dict[str, MeterInfo]
    electricity: SmetsCoordinator[ElectricitySnapshot] | None
    gas: SmetsCoordinator[GasSnapshot] | None
    tariff: SmetsCoordinator[TariffSnapshot]
    unsubscribe: list[Callable[[], None]] = field(default_factory=list)
    push: PushState = field(default_factory=PushState)
    """Alerts and messages the meters pushed (push.py)."""
    history: HistoryImporter | None = None
    """The import of the meters' half-hourly history (statistics.py)."""
    watch: MeterWatch | None = None
    """What notices a meter joining or leaving the HAN."""


type SmetsConfigEntry = ConfigEntry[SmetsRuntimeData]


def _interval(
    entry: ConfigEntry, key: str, default: float, unit: float = 1
) -> dt.timedelta:
    """Return an update interval from the options (``unit`` seconds each)."""
    return dt.timedelta(seconds=float(entry.options.get(key, default)) * unit)


def build_coordinators(
    hass: HomeAssistant,
    entry: ConfigEntry,
    link: HanLink,
) -> tuple[
    SmetsCoordinator[ElectricitySnapshot] | None,
    SmetsCoordinator[GasSnapshot] | None,
    SmetsCoordinator[TariffSnapshot],
]:
    """Create the coordinators for the meters the link found."""
    guard = RegisterGuard()
    co2_factor = float(entry.options.get(CONF_CO2_FACTOR, DEFAULT_CO2_FACTOR))
    cv_override = entry.options.get(CONF_GAS_CV_OVERRIDE)

    electricity: SmetsCoordinator[ElectricitySnapshot] | None = None
    gas: SmetsCoordinator[GasSnapshot] | None = None

    if link.has_esme:
        esme = link.esme

        async def update_electricity() -> ElectricitySnapshot:
            reading = guard_electricity(guard, await esme.poll())
            co2 = None
            if reading.import_kwh is not None:
                co2 = round(float(reading.import_kwh) * co2_factor, 3)
            return ElectricitySnapshot(
                reading=reading,
                co2_kg=co2,
                link=_link_quality(link, esme.endpoint.device),
            )

        electricity = SmetsCoordinator(
            hass,
            entry,
            "electricity",
            _interval(entry, CONF_ESME_INTERVAL, DEFAULT_ESME_INTERVAL),
            update_electricity,
        )

    if link.has_gas:
        mirror = link.gas
        last_volume: list[tuple[Decimal, dt.datetime]] = []

        async def update_gas() -> GasSnapshot:
            if not mirror.price_attributes:
                await mirror.poll_price()
            reading = await mirror.poll()
            volume = guard("gas_volume", reading.volume_m3)
            cv: Decimal | None = reading.calorific_value_mj_m3
            source: str | None = "meter" if cv is not None else None
            energy = reading.energy_kwh
            if cv is None and cv_override and volume is not None:
                cv = Decimal(str(cv_override))
                source = "override"
                factor = reading.conversion_factor or Decimal("1.02264")
                kwh = model.gas_m3_to_kwh(volume, factor, cv)
                energy = None if kwh is None else Decimal(str(kwh))
            if volume is not None and (not last_volume or last_volume[-1][0] != volume):
                last_volume[:] = [(volume, dt_util.utcnow())]
            return GasSnapshot(
                reading=replace(reading, volume_m3=volume),
                energy_kwh=guard("gas_energy", energy),
                calorific_value_mj_m3=cv,
                calorific_value_source=source,
                last_update=last_volume[-1][1] if last_volume else None,
            )

        gas = SmetsCoordinator(
            hass,
            entry,
            "gas",
            _interval(entry, CONF_GAS_INTERVAL, DEFAULT_GAS_INTERVAL, 60),
            update_gas,
        )

    async def update_tariff() -> TariffSnapshot:
        electricity_price = prepayment = gas_price = None
        provider = None
        if link.has_esme:
            if link.esme.current_price_event() is None:
                # The price published last has ended (or none came): ask the
                # meter which price is in force, rather than trust a tier read
                # by another cycle. A meter without the command falls back to
                # its tier prices.
                with suppress(HanCommandError):
                    await link.esme.get_current_price()
            electricity_price = await link.esme.poll_price()
            if link.esme.has_cluster(PREPAYMENT):
                prepayment = await link.esme.poll_prepayment()
        if link.has_gas:
            gas_price = await link.gas.poll_price()
        if link.has_hub:
            provider = await link.hub.read_provider_name()
        return TariffSnapshot(electricity_price, gas_price, prepayment, provider)

    tariff = SmetsCoordinator(
        hass,
        entry,
        "tariff",
        _interval(entry, CONF_TARIFF_INTERVAL, DEFAULT_TARIFF_INTERVAL, 60),
        update_tariff,
    )
    return electricity, gas, tariff


def guard_electricity(
    guard: RegisterGuard, reading: model.ElectricityReading
) -> model.ElectricityReading:
    """Apply the register guard to every total_increasing electricity register."""
    return replace(
        reading,
        import_kwh=guard("import", reading.import_kwh),
        export_kwh=guard("export", reading.export_kwh),
        tier_import_kwh=tuple(
            guard(f"import_tier_{n}", v)
            for n, v in enumerate(reading.tier_import_kwh, 1)
        ),
        tier_export_kwh=tuple(
            guard(f"export_tier_{n}", v)
            for n, v in enumerate(reading.tier_export_kwh, 1)
        ),
    )


class MeterWatch:
    """Notice a meter joining or leaving the HAN, and reload the entry then.

    The HAN's meters are found when the entry sets up. A join the HAN
    announces (the hub's "device joined" alert, a zigpy join or leave) asks
    the HAN again :data:`JOIN_SETTLE` later, and every :data:`RECHECK_INTERVAL`
    it is asked anyway. Only when its Metering endpoints differ from what the
    setup found is the entry reloaded: the new meter's device and entities
    appear (the others keep their ids, which depend on the meter's role), and
    the setup removes the device of a meter that is gone.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        link: HanLink,
    ) -> None:
        """Watch the HAN behind ``link`` for ``entry``."""
        self.hass = hass
        self.entry = entry
        self.link = link
        self.checks = 0
        """How many times the HAN was asked (diagnostic, tests)."""
        self._lock = asyncio.Lock()
        self._pending: CALLBACK_TYPE | None = None
        self._unsubscribes: list[CALLBACK_TYPE] = []
        self._reloading = False

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Start watching; return what stops it."""
        self._unsubscribes = [
            self.link.on_join(self._announced),
            async_track_time_interval(
                self.hass,
                self._periodic,
                RECHECK_INTERVAL,
                name=f"{DOMAIN} meter re-check",
            ),
        ]
        return self.async_stop

    @callback
    def async_stop(self) -> None:
        """Stop watching."""
        for unsubscribe in self._unsubscribes:
            unsubscribe()
        self._unsubscribes = []
        if self._pending is not None:
            self._pending()
            self._pending = None

    @callback
    def _announced(self) -> None:
        """Ask the HAN a little later (once) after it said a device joined or left."""
        if self._pending is None:
            self._pending = async_call_later(
                self.hass, JOIN_SETTLE, HassJob(self._settled, cancel_on_shutdown=True)
            )

    @callback
    def _settled(self, _now: dt.datetime) -> None:
        self._pending = None
        self._start_check("joined")

    @callback
    def _periodic(self, _now: dt.datetime) -> None:
        self._start_check("periodic")

    def _start_check(self, why: str) -> None:
        self.entry.async_create_background_task(
            self.hass, self.async_check(), f"{DOMAIN} meter check ({why})"
        )

    async def async_check(self) -> bool:
        """Ask the HAN which meters it has; reload the entry when they changed.

        Returns whether a reload was scheduled. A HAN that cannot be asked
        changes nothing (its meters are asked again later).
        """
        if self._lock.locked() or self._reloading:
            return False
        async with self._lock:
            self.checks += 1
            try:
                changed = await self.link.rediscover()
            except HanError as err:
                _LOGGER.debug("Could not ask the HAN which meters it has: %s", err)
                return False
            if not changed:
                return False
            _LOGGER.info(
                "A meter joined or left the HAN of %s: reloading it", self.entry.title
            )
            self._reloading = True
            self.hass.config_entries.async_schedule_reload(self.entry.entry_id)
            return True
