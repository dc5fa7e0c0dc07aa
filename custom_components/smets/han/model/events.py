"""GBCS alerts a meter raises: the Events cluster's (0x0709) PublishEvent."""

from collections.abc import Mapping
from dataclasses import dataclass
import datetime as dt

from custom_components.smets.han.alerts import AlertCategory, AlertSeverity, alert_info

from .values import _as_bytes, _as_time, _bitmap


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """A GBCS alert a meter raised (ZSE Events PublishEvent, or a GBCS alert).

    ``source`` says which device raised it (e.g. ``esme``, ``gsme``, ``chf``),
    as the caller knows it.
    """

    code: int
    name: str
    category: AlertCategory
    severity: AlertSeverity
    known: bool
    trigger_types: tuple[str, ...]
    time: dt.datetime | None
    source: str | None
    log_id: int | None = None
    control: int | None = None
    data: bytes = b""


def make_alert_event(
    code: int,
    *,
    time: object = None,
    source: str | None = None,
    log_id: int | None = None,
    control: int | None = None,
    data: bytes = b"",
) -> AlertEvent:
    """Build the :class:`AlertEvent` for a code, named and classified by alerts.py.

    ``time`` may be an aware datetime or a ZCL UTCTime number.
    """
    info = alert_info(code)
    return AlertEvent(
        code=info.code,
        name=info.name,
        category=info.category,
        severity=info.severity,
        known=info.known,
        trigger_types=info.trigger_types,
        time=_as_time(time),
        source=source,
        log_id=log_id,
        control=control,
        data=data,
    )


def parse_publish_event(
    fields: Mapping[str, object], *, source: str | None = None
) -> AlertEvent | None:
    """Decode PublishEvent (Events cluster 0x0709, server -> client 0x00).

    Fields: log_id (enum8), event_id (uint16: the GBCS alert code),
    event_time (UTCTime), event_control (map8), event_data (octet string).
    None if event_id is not a uint16.
    """
    code = _bitmap(fields.get("event_id"), 16)
    if code is None:
        return None
    return make_alert_event(
        code,
        time=fields.get("event_time"),
        source=source,
        log_id=_bitmap(fields.get("log_id"), 8),
        control=_bitmap(fields.get("event_control"), 8),
        data=_as_bytes(fields.get("event_data")),
    )
