"""Half-hourly history: the Metering cluster's GetProfileResponse, decoded.

The intervals come NEWEST FIRST; :func:`profile_series` puts them in time
order, scaled like the summation (the walk into hourly registers is
:mod:`..profile`'s).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
import datetime as dt
from enum import IntEnum

from .scaling import scale
from .values import _as_time, _bitmap, _enum, _field, valid_uint


class ProfileIntervalPeriod(IntEnum):
    """GetProfileResponse profile_interval_period."""

    DAILY = 0
    MINUTES_60 = 1
    MINUTES_30 = 2
    MINUTES_15 = 3
    MINUTES_10 = 4
    MINUTES_7_5 = 5
    MINUTES_5 = 6
    MINUTES_2_5 = 7
    MINUTES_1 = 8

    @property
    def duration(self) -> dt.timedelta:
        """How long one interval lasts."""
        return _PERIOD_DURATIONS[self]


_PERIOD_DURATIONS = {
    ProfileIntervalPeriod.DAILY: dt.timedelta(days=1),
    ProfileIntervalPeriod.MINUTES_60: dt.timedelta(minutes=60),
    ProfileIntervalPeriod.MINUTES_30: dt.timedelta(minutes=30),
    ProfileIntervalPeriod.MINUTES_15: dt.timedelta(minutes=15),
    ProfileIntervalPeriod.MINUTES_10: dt.timedelta(minutes=10),
    ProfileIntervalPeriod.MINUTES_7_5: dt.timedelta(minutes=7.5),
    ProfileIntervalPeriod.MINUTES_5: dt.timedelta(minutes=5),
    ProfileIntervalPeriod.MINUTES_2_5: dt.timedelta(minutes=2.5),
    ProfileIntervalPeriod.MINUTES_1: dt.timedelta(minutes=1),
}


class ProfileStatus(IntEnum):
    """GetProfileResponse status."""

    SUCCESS = 0
    UNDEFINED_INTERVAL_CHANNEL = 1
    INTERVAL_CHANNEL_NOT_SUPPORTED = 2
    INVALID_END_TIME = 3
    MORE_PERIODS_REQUESTED_THAN_CAN_BE_RETURNED = 4
    NO_INTERVALS_AVAILABLE = 5


@dataclass(frozen=True, slots=True)
class ProfileResponse:
    """A GetProfileResponse: consumption per interval, NEWEST FIRST.

    ``intervals`` are the raw uint24 values (None for the 0xFFFFFFFF sentinel
    or garbage); ``end_time`` is the end of the newest interval.
    """

    end_time: dt.datetime | None
    status: ProfileStatus | None
    status_raw: int | None
    period: ProfileIntervalPeriod | None
    number_of_periods_delivered: int | None
    intervals: tuple[int | None, ...]

    @property
    def ok(self) -> bool:
        """The meter returned intervals (status success)."""
        return self.status is ProfileStatus.SUCCESS


def _intervals(raw: object) -> tuple[int | None, ...]:
    if isinstance(raw, bytes | bytearray):
        data = bytes(raw)
        return tuple(
            valid_uint(int.from_bytes(data[i : i + 3], "little"), 24)
            for i in range(0, len(data) - len(data) % 3, 3)
        )
    if isinstance(raw, Sequence) and not isinstance(raw, str):
        return tuple(valid_uint(value, 24) for value in raw)
    return ()


def parse_profile_response(fields: Mapping[str, object]) -> ProfileResponse | None:
    """Decode GetProfileResponse (Metering, server -> client 0x00).

    Fields: end_time, status, profile_interval_period,
    number_of_periods_delivered, intervals (a sequence of uint24, or the raw
    bytes, 3 a value, little-endian). None if status is not an enum8.
    """
    status_raw = _bitmap(fields.get("status"), 8)
    if status_raw is None:
        return None
    return ProfileResponse(
        end_time=_as_time(fields.get("end_time")),
        status=_enum(ProfileStatus, status_raw),
        status_raw=status_raw,
        period=_enum(
            ProfileIntervalPeriod,
            _field(fields, "profile_interval_period", "period"),
        ),
        number_of_periods_delivered=_bitmap(
            fields.get("number_of_periods_delivered"), 8
        ),
        intervals=_intervals(fields.get("intervals")),
    )


#: One profile interval: (start, value in the meter's unit; None if invalid).
type ProfileInterval = tuple[dt.datetime, float | None]


def profile_series(
    response: ProfileResponse,
    *,
    multiplier: object = None,
    divisor: object = None,
    include_invalid: bool = False,
) -> list[ProfileInterval]:
    """(interval start, value) pairs, OLDEST FIRST, scaled like the summation.

    The value is in the meter's unit (kWh for an ESME) using its Multiplier
    and Divisor, never rounded to HistoricalConsumptionFormatting (a uint24
    interval with a power-of-ten divisor is exact as a float). Interval i (0 = newest) starts at
    ``end_time - (i + 1) * period``. Invalid intervals are left out unless
    ``include_invalid`` (then their value is None). Empty when the response
    is not a success or lacks its end time or period.
    """
    if not response.ok or response.end_time is None or response.period is None:
        return []
    step = response.period.duration
    series: list[ProfileInterval] = []
    for index, raw in enumerate(response.intervals):
        if raw is None and not include_invalid:
            continue
        try:
            start = response.end_time - step * (index + 1)
        except OverflowError:
            continue  # before the first datetime there is nothing to place
        value = float(scale(raw, multiplier, divisor)) if raw is not None else None
        series.append((start, value))
    series.reverse()
    return series
