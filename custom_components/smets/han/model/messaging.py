"""Supplier messages: the Messaging cluster's (0x0703) DisplayMessage."""

from collections.abc import Mapping
from dataclasses import dataclass
import datetime as dt
from enum import StrEnum

from .values import _as_int, _as_str, _as_time, _bitmap, _end, _field


class MessageImportance(StrEnum):
    """Messaging DisplayMessage importance (message control bits 2-3)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


_IMPORTANCE = (
    MessageImportance.LOW,
    MessageImportance.MEDIUM,
    MessageImportance.HIGH,
    MessageImportance.CRITICAL,
)


@dataclass(frozen=True, slots=True)
class SupplierMessage:
    """A DisplayMessage from the supplier (Messaging cluster 0x0703).

    Message control: bits 0-1 transmission, 2-3 importance (low, medium, high,
    critical), bit 5 enhanced confirmation requested, bit 7 confirmation
    required (answer with MessageConfirmation).
    """

    message_id: int
    control: int
    transmission: int
    importance: MessageImportance
    confirmation_required: bool
    enhanced_confirmation_requested: bool
    start_time: dt.datetime | None
    starts_now: bool
    duration_minutes: int | None
    text: str
    extended_control: int | None

    @property
    def end_time(self) -> dt.datetime | None:
        """When the message expires, if it has a start and a duration."""
        return _end(self.start_time, self.duration_minutes)


def parse_display_message(fields: Mapping[str, object]) -> SupplierMessage | None:
    """Decode DisplayMessage (Messaging, server -> client 0x00).

    Fields: message_id (uint32), message_control (map8), start_time (0 =
    now), duration_in_minutes (0xFFFF = until changed), message (string),
    extended_message_control (optional map8). None if message_id is not a
    uint32.
    """
    message_id = _bitmap(fields.get("message_id"), 32)
    if message_id is None:
        return None
    control = _bitmap(_field(fields, "message_control", "control"), 8) or 0
    start_raw = fields.get("start_time")
    duration = _bitmap(_field(fields, "duration_in_minutes", "duration"), 16)
    return SupplierMessage(
        message_id=message_id,
        control=control,
        transmission=control & 0x03,
        importance=_IMPORTANCE[(control >> 2) & 0x03],
        confirmation_required=bool(control & 0x80),
        enhanced_confirmation_requested=bool(control & 0x20),
        start_time=None if _as_int(start_raw) == 0 else _as_time(start_raw),
        starts_now=_as_int(start_raw) == 0,
        duration_minutes=None if duration in (None, 0xFFFF) else duration,
        text=_as_str(_field(fields, "message", "text")) or "",
        extended_control=_bitmap(
            _field(fields, "extended_message_control", "extended_control"), 8
        ),
    )
