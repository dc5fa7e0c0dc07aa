"""The supplier message in force: its timing and the form a restart restores.

The message itself is the pushed coordinator's (``PushedSnapshot.messages``,
written by its own methods); the supplier message sensor shows it. This
module is what that sensor needs besides: when a message starts and ends (one
for "now" starts when it arrived), its attributes, and its JSON-safe stored
form, so that a restart shows the same message, confirmed or not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import datetime as dt
from typing import Any

from homeassistant.helpers.restore_state import ExtraStoredData

from .han import model

type Arrival = tuple[int, dt.datetime]
"""When a message that starts "now" arrived: its id, the time."""


def arrived_at(
    message: model.SupplierMessage, arrival: Arrival | None
) -> dt.datetime | None:
    """When ``message`` arrived, if ``arrival`` is about it."""
    if arrival is not None and arrival[0] == message.message_id:
        return arrival[1]
    return None


def message_start(
    message: model.SupplierMessage, arrival: Arrival | None
) -> dt.datetime | None:
    """When it started: the meter's start time, or when one for "now" arrived."""
    if message.start_time is not None:
        return message.start_time
    return arrived_at(message, arrival)


def message_end(
    message: model.SupplierMessage, arrival: Arrival | None
) -> dt.datetime | None:
    """When its duration ends (None: until changed, or not known)."""
    start = message_start(message, arrival)
    if start is None or message.duration_minutes is None:
        return None
    return start + dt.timedelta(minutes=message.duration_minutes)


def message_attributes(
    message: model.SupplierMessage,
    arrival: Arrival | None,
    *,
    confirmed: bool,
    now: dt.datetime,
) -> dict[str, Any]:
    """Id, start, duration, end and importance; whether it asks for confirmation."""
    start = message_start(message, arrival)
    end = message_end(message, arrival)
    return {
        "message_id": message.message_id,
        "start": start.isoformat() if start is not None else None,
        "duration_minutes": message.duration_minutes,
        "end": end.isoformat() if end is not None else None,
        "ended": end is not None and end <= now,
        "importance": str(message.importance),
        "confirmation_required": message.confirmation_required,
        "confirmed": confirmed,
    }


def message_as_dict(
    message: model.SupplierMessage, confirmed: bool, arrived: dt.datetime | None
) -> dict[str, Any]:
    """Return a supplier message as JSON-safe data (what a restart restores)."""
    return {
        "message_id": message.message_id,
        "control": message.control,
        "start_time": (
            message.start_time.isoformat() if message.start_time is not None else None
        ),
        "starts_now": message.starts_now,
        "duration_minutes": message.duration_minutes,
        "text": message.text,
        "extended_control": message.extended_control,
        "confirmed": confirmed,
        "arrived": arrived.isoformat() if arrived is not None else None,
    }


def message_from_dict(
    data: Mapping[str, Any],
) -> tuple[model.SupplierMessage, bool, dt.datetime | None] | None:
    """Rebuild a message saved by :func:`message_as_dict` (None if damaged)."""
    try:
        control = int(data["control"]) & 0xFF
        start = data.get("start_time")
        arrived = data.get("arrived")
        duration = data.get("duration_minutes")
        extended = data.get("extended_control")
        message = model.SupplierMessage(
            message_id=int(data["message_id"]),
            control=control,
            transmission=control & 0x03,
            importance=list(model.MessageImportance)[(control >> 2) & 0x03],
            confirmation_required=bool(control & 0x80),
            enhanced_confirmation_requested=bool(control & 0x20),
            start_time=None if start is None else dt.datetime.fromisoformat(start),
            starts_now=bool(data.get("starts_now")),
            duration_minutes=None if duration is None else int(duration),
            text=str(data["text"]),
            extended_control=None if extended is None else int(extended),
        )
        when = None if arrived is None else dt.datetime.fromisoformat(arrived)
    except KeyError, TypeError, ValueError:
        return None
    return message, bool(data.get("confirmed")), when


@dataclass(frozen=True, slots=True)
class SupplierMessageStoredData(ExtraStoredData):
    """The message in force when Home Assistant stopped (restored at start)."""

    message: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        """Return the message, or None when there was none."""
        return {"message": self.message}
