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
from dataclasses import replace
import datetime as dt
from decimal import Decimal
import logging
from typing import Any

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
    ROLE_ESME,
    ROLE_GAS,
)
from .han import model
from .han.errors import HanCommandError, HanError
from .han.link import HanLink
from .han.meter import PREPAYMENT
from .models import (
    ElectricitySnapshot,
    GasSnapshot,
    LinkQuality,
    PushedSnapshot,
    TariffSnapshot,
    gas_energy,
    prepayment_of,
)

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


class TariffCoordinator(SmetsCoordinator[TariffSnapshot]):
    """Prices and credit: polled slowly, and pushed by the meter in between."""

    @callback
    def async_apply_price(self, event: model.PriceEvent, role: str = ROLE_ESME) -> None:
        """Show a price ``role``'s meter published at once (unit price, tier).

        The electricity meter's also gives the next price change; the gas
        meter's (its GPF publishes one) changes the gas price only.
        """
        data: TariffSnapshot | None = self.data  # None before the first read
        if data is None:
            return
        if role == ROLE_GAS:
            if data.gas_price is not None:
                gas = replace(
                    data.gas_price,
                    current_price=event.price,
                    current_tier=event.price_tier or data.gas_price.current_tier,
                )
                self.async_set_updated_data(replace(data, gas_price=gas))
            return
        if role != ROLE_ESME or data.electricity_price is None:
            return
        price = replace(
            data.electricity_price,
            current_price=event.price,
            current_tier=event.price_tier or data.electricity_price.current_tier,
        )
        self.async_set_updated_data(
            replace(data, electricity_price=price, price_event=event)
        )

    @callback
    def async_apply_prepayment(
        self, event: model.PrepaySnapshotEvent, role: str = ROLE_ESME
    ) -> None:
        """Show a pushed credit snapshot of ``role``'s meter at once (the rest stays)."""
        data = self.data
        known = None if data is None else prepayment_of(data, role)
        if data is None or known is None:
            return
        prepayment = replace(
            known,
            credit_remaining=_or(event.credit_remaining, known.credit_remaining),
            emergency_credit_remaining=_or(
                event.emergency_credit_remaining, known.emergency_credit_remaining
            ),
            accumulated_debt=_or(event.accumulated_debt, known.accumulated_debt),
        )
        if role == ROLE_GAS:
            self.async_set_updated_data(replace(data, gas_prepayment=prepayment))
        else:
            self.async_set_updated_data(replace(data, prepayment=prepayment))


def _or[V](pushed: V | None, known: V | None) -> V | None:
    return pushed if pushed is not None else known


class PushedCoordinator(DataUpdateCoordinator[PushedSnapshot]):
    """What the meters push (alerts, supplier messages): never polled.

    The only writer of its snapshot is itself: the push handler and the
    actions call its methods, each of which hands the entities a new one.
    """

    config_entry: ConfigEntry

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Start with nothing pushed yet."""
        super().__init__(
            hass, _LOGGER, config_entry=entry, name=f"{entry.title} pushed"
        )
        self.data = PushedSnapshot()

    @callback
    def async_apply_alert(self, role: str, event: model.AlertEvent) -> None:
        """Remember the last alert of the meter in ``role``."""
        alerts = {**self.data.alerts, role: event}
        self.async_set_updated_data(replace(self.data, alerts=alerts))

    @callback
    def async_apply_message(self, role: str, message: model.SupplierMessage) -> None:
        """Show a supplier message the meter in ``role`` put in force."""
        messages = {**self.data.messages, role: message}
        self.async_set_updated_data(replace(self.data, messages=messages))

    @callback
    def async_cancel_message(self, role: str, message_id: int) -> None:
        """Take a message off, when it is the one in force."""
        current = self.data.messages.get(role)
        if current is None or current.message_id != message_id:
            return
        messages = {k: v for k, v in self.data.messages.items() if k != role}
        self.async_set_updated_data(replace(self.data, messages=messages))

    @callback
    def async_confirm_message(self, message_id: int) -> None:
        """Remember a message confirmed to the meter."""
        confirmed = self.data.confirmed | {message_id}
        self.async_set_updated_data(replace(self.data, confirmed=confirmed))

    @callback
    def async_restore_message(
        self, role: str, message: model.SupplierMessage, *, confirmed: bool
    ) -> None:
        """Put back the message in force before a restart (and its confirmation)."""
        self.async_apply_message(role, message)
        if confirmed:
            self.async_confirm_message(message.message_id)


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
    TariffCoordinator,
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
            reading = replace(reading, volume_m3=volume)
            energy = gas_energy(reading, cv_override)
            if volume is not None and (not last_volume or last_volume[-1][0] != volume):
                last_volume[:] = [(volume, dt_util.utcnow())]
            return GasSnapshot(
                reading=reading,
                energy_kwh=guard("gas_energy", energy.energy_kwh),
                calorific_value_mj_m3=energy.calorific_value_mj_m3,
                calorific_value_source=energy.source,
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
        electricity_price = prepayment = gas_price = gas_prepayment = None
        costs = gas_costs = None
        provider = price_event = None
        if link.has_esme:
            if link.esme.current_price_event() is None:
                # The price published last has ended (or none came): ask the
                # meter which price is in force, rather than trust a tier read
                # by another cycle. A meter without the command falls back to
                # its tier prices.
                with suppress(HanCommandError):
                    await link.esme.get_current_price()
            electricity_price = await link.esme.poll_price()
            price_event = link.esme.current_price_event()
            if link.esme.has_cluster(PREPAYMENT):
                prepayment = await link.esme.poll_prepayment()
                costs = await link.esme.poll_cost_consumption()
        if link.has_gas:
            gas_price = await link.gas.poll_price()
            if link.gas.has_cluster(PREPAYMENT):
                gas_prepayment = await link.gas.poll_prepayment()
                gas_costs = await link.gas.poll_cost_consumption()
        if link.has_hub:
            provider = await link.hub.read_provider_name()
        if link.unbound:
            # A meter that would not bind the CAD pushes it nothing: ask for
            # its last message and its event log instead (the price above)
            with suppress(HanCommandError):
                await link.poll_unbound()
        return TariffSnapshot(
            electricity_price,
            gas_price,
            prepayment,
            provider,
            gas_prepayment,
            price_event,
            costs,
            gas_costs,
        )

    tariff = TariffCoordinator(
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
