"""Raw ZCL values: sentinels, binary-coded decimal, text, enumerations, UTCTime.

The bottom of the model: every decoder reads its numbers, strings and times
through these, so odd input becomes None here, never an exception. An all-ones
unsigned value and the minimum signed value mean "invalid / not available";
ZCL UTCTime counts seconds from 2000-01-01T00:00:00Z, 0xFFFFFFFF invalid.

Names with a leading underscore are shared by the model's own modules only.
"""

from collections.abc import Mapping
import datetime as dt
from enum import IntEnum


def _as_int(raw: object) -> int | None:
    """Return an int (zigpy's int subclasses included), never a bool."""
    if isinstance(raw, bool) or not isinstance(raw, int):
        return None
    return int(raw)


def valid_uint(raw: object, bits: int) -> int | None:
    """Return an unsigned ``bits``-wide value; None if not one or all-ones."""
    value = _as_int(raw)
    if value is None or not 0 <= value < (1 << bits) - 1:
        return None
    return value


def valid_int(raw: object, bits: int) -> int | None:
    """Return a signed ``bits``-wide value; None if not one or the minimum."""
    value = _as_int(raw)
    limit = 1 << (bits - 1)
    if value is None or not -limit < value < limit:
        return None
    return value


def _bitmap(raw: object, bits: int) -> int | None:
    """Return a bitmap / enum value: any ``bits``-wide unsigned number."""
    value = _as_int(raw)
    if value is None or not 0 <= value < (1 << bits):
        return None
    return value


def _int32ish(raw: object) -> int | None:
    """Return a signed 32-bit amount, also when a peer sent it as uint32.

    Values 0x80000001..0xFFFFFFFE are read as two's complement; the int32
    minimum and 0xFFFFFFFF are invalid.
    """
    value = _as_int(raw)
    if value is not None and 0x7FFFFFFF < value < 0xFFFFFFFF:
        value -= 1 << 32
    return valid_int(value, 32)


def bcd_to_int(raw: object, bits: int | None = None) -> int | None:
    """Decode a binary-coded decimal number (each nibble a digit); None if not BCD.

    With ``bits``, the width of the register it came from, a value wider than
    that register (more than ``bits // 4`` digits) is None too: a uint48
    register holds 12 digits, not the 16 of a uint64 or 400 of a forged one.
    """
    value = _as_int(raw)
    if value is None or value < 0 or (bits is not None and value >> bits):
        return None
    result = 0
    factor = 1
    while value:
        digit = value & 0x0F
        if digit > 9:
            return None
        result += digit * factor
        factor *= 10
        value >>= 4
    return result


def _as_str(raw: object) -> str | None:
    """Text from a ZCL string (str or bytes), trimmed; None if empty or not text."""
    if isinstance(raw, bytes | bytearray):
        text = bytes(raw).decode("utf-8", errors="replace")
    elif isinstance(raw, str):
        text = raw
    else:
        return None
    text = text.replace("\x00", "").strip()
    return text or None


def _as_bytes(raw: object) -> bytes:
    if isinstance(raw, bytes | bytearray):
        return bytes(raw)
    if isinstance(raw, str):
        return raw.encode("utf-8")
    return b""


def _field(fields: Mapping[str, object], *names: str) -> object:
    """Return the first of ``names`` present in ``fields`` (None if none is)."""
    for name in names:
        if name in fields:
            return fields[name]
    return None


#: Time zero of ZCL UTCTime.
ZCL_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def zcl_time_to_datetime(raw: object) -> dt.datetime | None:
    """ZCL UTCTime (seconds since 2000-01-01 UTC) -> aware datetime; None if invalid."""
    seconds = valid_uint(raw, 32)
    if seconds is None:
        return None
    return ZCL_EPOCH + dt.timedelta(seconds=seconds)


def datetime_to_zcl_time(when: dt.datetime) -> int:
    """Aware datetime -> ZCL UTCTime; raise ValueError if naive or out of range."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("a ZCL time needs an aware datetime (with a time zone)")
    seconds = int((when - ZCL_EPOCH) // dt.timedelta(seconds=1))
    if not 0 <= seconds < 0xFFFFFFFF:
        raise ValueError(f"{when.isoformat()} is outside the ZCL UTCTime range")
    return seconds


def _end(start: dt.datetime | None, minutes: int | None) -> dt.datetime | None:
    """``start + minutes``; None without either, or past the last datetime."""
    if start is None or minutes is None:
        return None
    try:
        return start + dt.timedelta(minutes=minutes)
    except OverflowError:
        return None


def _as_time(raw: object) -> dt.datetime | None:
    """Return a datetime from ZCL UTCTime or an aware datetime."""
    if isinstance(raw, dt.datetime):
        return raw if raw.tzinfo is not None else None
    return zcl_time_to_datetime(raw)


def _enum[E: IntEnum](cls: type[E], raw: object) -> E | None:
    value = _bitmap(raw, 16)
    if value is None:
        return None
    try:
        return cls(value)
    except ValueError:
        return None
