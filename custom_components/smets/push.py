"""What the meters push: alerts, supplier messages, prices and credit snapshots.

Each meter's pushed events, and the Comms Hub's own alerts (a device joined or
left the HAN, its device log changed ...), reach
:func:`async_subscribe_meters`'s handler at once (no polling): an alert
becomes the ``smets_alert`` bus event (the device triggers listen to it) and a
dispatcher signal (the event entities); a supplier message a ``smets_message``
bus event and a signal (the message sensor); a PublishPrice or a prepayment
snapshot updates the tariff at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import datetime as dt
import logging
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .const import DOMAIN, ROLE_ESME, ROLE_GAS, ROLE_HUB
from .han import model
from .han.alerts import AlertCategory
from .han.errors import HanError
from .han.meter import HanEvent, MessageCancelled

if TYPE_CHECKING:
    from .models import SmetsConfigEntry

_LOGGER = logging.getLogger(__name__)

EVENT_ALERT: Final = f"{DOMAIN}_alert"
EVENT_MESSAGE: Final = f"{DOMAIN}_message"

METER_NAMES: Final[dict[str, str]] = {
    ROLE_ESME: "electricity",
    ROLE_GAS: "gas",
    ROLE_HUB: "hub",
}

#: Trigger types of the Comms Hub's own HAN housekeeping, by the GBCS codes
#: they cover (on top of those :mod:`.han.alerts` gives every alert).
HUB_TRIGGER_CODES: Final[Mapping[str, frozenset[int]]] = {
    "device_left": frozenset({0x8F4B}),  # device unjoining succeeded
    "device_log_changed": frozenset({0x8F12}),  # CHF device log changed
}


def alert_trigger_types(event: model.AlertEvent) -> tuple[str, ...]:
    """Every device trigger type an alert fires (its headline ones first)."""
    extra = tuple(
        key for key, codes in HUB_TRIGGER_CODES.items() if event.code in codes
    )
    return (*extra, *event.trigger_types)


PRICE_RETRY: Final = dt.timedelta(minutes=5)


def signal(entry_id: str, kind: str) -> str:
    """Return the dispatcher signal of one kind of pushed event of an entry."""
    return f"{DOMAIN}_{entry_id}_{kind}"


SIGNAL_ALERT: Final = "alert"
SIGNAL_MESSAGE: Final = "message"


def alert_event_data(
    event: model.AlertEvent, role: str, device_id: str | None, entry_id: str
) -> dict[str, Any]:
    """Return the data of a ``smets_alert`` bus event."""
    return {
        "config_entry_id": entry_id,
        "device_id": device_id,
        "meter": METER_NAMES.get(role, role),
        "code": event.code,
        "code_hex": f"0x{event.code:04X}",
        "name": event.name,
        "category": str(event.category),
        "severity": str(event.severity),
        "known": event.known,
        "trigger_types": list(alert_trigger_types(event)),
        "time": event.time.isoformat() if event.time is not None else None,
    }


def message_event_data(
    message: model.SupplierMessage, role: str, device_id: str | None, entry_id: str
) -> dict[str, Any]:
    """Return the data of a ``smets_message`` bus event."""
    return {
        "config_entry_id": entry_id,
        "device_id": device_id,
        "meter": METER_NAMES.get(role, role),
        "message_id": message.message_id,
        "text": message.text,
        "importance": str(message.importance),
        "confirmation_required": message.confirmation_required,
        "start": (
            message.start_time.isoformat() if message.start_time is not None else None
        ),
        "duration_minutes": message.duration_minutes,
    }


def meter_device_id(
    hass: HomeAssistant, entry: SmetsConfigEntry, role: str
) -> str | None:
    """Return the device registry id of the meter in ``role``."""
    meter = entry.runtime_data.meters.get(role)
    if meter is None:
        return None
    wanted = (DOMAIN, meter.device_id)
    for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id):
        if wanted in device.identifiers:
            return device.id
    return None


class _PriceTracker:
    """Keep the PublishPrice in force fresh: ask again when it ends."""

    def __init__(self, hass: HomeAssistant, entry: SmetsConfigEntry) -> None:
        self.hass = hass
        self.entry = entry
        self._cancel: CALLBACK_TYPE | None = None

    def stop(self) -> None:
        if self._cancel is not None:
            self._cancel()
            self._cancel = None

    def schedule(self, event: model.PriceEvent | None) -> None:
        """Ask for the price again when ``event`` ends (or in a while on failure)."""
        self.stop()
        when = event.end_time if event is not None else None
        now = dt_util.utcnow()
        if when is None or when <= now:
            when = now + PRICE_RETRY
        self._cancel = async_track_point_in_utc_time(self.hass, self._refresh, when)

    async def _refresh(self, _now: dt.datetime) -> None:
        self._cancel = None
        await self.fetch()

    async def fetch(self) -> None:
        """GetCurrentPrice from the ESME; tell the entities."""
        runtime = self.entry.runtime_data
        event: model.PriceEvent | None = None
        try:
            event = await runtime.link.esme.get_current_price()
        except HanError as err:
            _LOGGER.debug("The meter did not publish its price: %s", err)
        self.schedule(event)
        if event is not None:
            self.price_changed(event)

    @callback
    def price_changed(self, event: model.PriceEvent) -> None:
        """Show the electricity price in force at once (unit price, tier, next change)."""
        self.entry.runtime_data.tariff.async_apply_price(event, ROLE_ESME)


async def async_subscribe_meters(
    hass: HomeAssistant, entry: SmetsConfigEntry
) -> list[Callable[[], None]]:
    """Listen to every meter's pushed events; return the unsubscribes."""
    runtime = entry.runtime_data
    link = runtime.link
    prices = _PriceTracker(hass, entry)

    def refresh_for(role: str, category: AlertCategory) -> None:
        if role == ROLE_HUB:
            return  # a meter joining is MeterWatch's (coordinator.py) to notice
        coordinator: Any = runtime.tariff
        if category is not AlertCategory.CREDIT:
            coordinator = runtime.electricity if role == ROLE_ESME else runtime.gas
        if coordinator is not None:
            entry.async_create_task(
                hass, coordinator.async_request_refresh(), f"{DOMAIN} refresh"
            )

    def handler(role: str) -> Callable[[HanEvent], None]:
        @callback
        def on_event(event: HanEvent) -> None:
            if isinstance(event, model.AlertEvent):
                runtime.pushed.async_apply_alert(role, event)
                data = alert_event_data(
                    event, role, meter_device_id(hass, entry, role), entry.entry_id
                )
                hass.bus.async_fire(EVENT_ALERT, data)
                async_dispatcher_send(
                    hass, signal(entry.entry_id, SIGNAL_ALERT), role, event
                )
                refresh_for(role, event.category)
            elif isinstance(event, model.SupplierMessage):
                runtime.pushed.async_apply_message(role, event)
                hass.bus.async_fire(
                    EVENT_MESSAGE,
                    message_event_data(
                        event, role, meter_device_id(hass, entry, role), entry.entry_id
                    ),
                )
            elif isinstance(event, MessageCancelled):
                runtime.pushed.async_cancel_message(role, event.message_id)
            elif isinstance(event, model.PriceEvent):
                if role == ROLE_ESME:
                    # the electricity price in force is asked for again when it ends
                    prices.schedule(event)
                runtime.tariff.async_apply_price(event, role)
            elif isinstance(event, model.PrepaySnapshotEvent):
                runtime.tariff.async_apply_prepayment(event, role)

        return on_event

    unsubscribes: list[Callable[[], None]] = [prices.stop]
    if link.has_esme:
        unsubscribes.append(link.esme.subscribe(handler(ROLE_ESME)))
        await prices.fetch()
    if link.has_gas:
        unsubscribes.append(link.gas.subscribe(handler(ROLE_GAS)))
    if link.has_hub:
        # The hub's alerts only: it publishes no message, price or credit
        unsubscribes.append(link.hub.subscribe(handler(ROLE_HUB)))
    return unsubscribes
