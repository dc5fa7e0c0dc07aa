"""A meter's half-hourly profile (GetProfile) as hourly register readings: pure.

A GB meter keeps about 13 months of half-hourly consumption (GetProfile). The
Energy dashboard wants, per hour, the register at the end of the hour: from
one register known exactly at an hour boundary, every other boundary follows
by adding (forward) or taking away (backward) the half-hours in between, in
the meter's raw unit (Wh, litres), so nothing is lost to rounding.

A walk stops at the first half-hour the meter did not give (or gave as
invalid): an hour is written whole or not at all, and a register is never
guessed across a hole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
import datetime as dt
from typing import Final

HALF_HOUR: Final = 1800
HOUR: Final = 3600
DAY: Final = 86_400

HISTORY_DAYS: Final = 396
"""How far back a GB meter keeps its half-hourly profile (13 months)."""

CHUNK_PAGES: Final = 14
"""GetProfile pages fetched (and imported) per step: 7 days at 24 periods a page."""

type Intervals = Mapping[int, int | None]
"""Raw interval values by the Unix second each half-hour starts."""


@dataclass(frozen=True, slots=True)
class HourReading:
    """The register (raw) at the end of the hour that starts at ``start``."""

    start: int
    register: int


@dataclass(frozen=True, slots=True)
class Walk:
    """Hour readings (oldest first), and the boundary a walk reached."""

    readings: list[HourReading]
    at: int
    register: int


def intervals_by_start(
    profile: Iterable[tuple[dt.datetime, int | None]],
) -> dict[int, int | None]:
    """Key GetProfile's ``(start, raw value)`` pairs by Unix seconds."""
    return {int(when.timestamp()): value for when, value in profile}


def hour_floor(timestamp: int) -> int:
    """Return the hour boundary at or before ``timestamp``."""
    return timestamp - timestamp % HOUR


def half_hour_floor(timestamp: int) -> int:
    """Return the half-hour boundary at or before ``timestamp``."""
    return timestamp - timestamp % HALF_HOUR


def history_floor(now: int, days: int = HISTORY_DAYS) -> int:
    """Return the oldest half-hour a meter still holds at ``now`` (``days`` rolling)."""
    return half_hour_floor(now) - days * DAY


def walk_back(intervals: Intervals, end: int, register: int, floor: int) -> Walk:
    """Walk back from hour boundary ``end`` (register there) to ``floor`` at most."""
    readings: list[HourReading] = []
    at = end
    while at - HOUR >= floor:
        first = intervals.get(at - HOUR)
        second = intervals.get(at - HALF_HOUR)
        if first is None or second is None:
            break
        readings.append(HourReading(at - HOUR, register))
        register -= first + second
        at -= HOUR
    readings.reverse()
    return Walk(readings, at, register)


def walk_forward(intervals: Intervals, start: int, register: int, ceiling: int) -> Walk:
    """Walk forward from hour boundary ``start`` (register there) to ``ceiling`` at most."""
    readings: list[HourReading] = []
    at = start
    while at + HOUR <= ceiling:
        first = intervals.get(at)
        second = intervals.get(at + HALF_HOUR)
        if first is None or second is None:
            break
        register += first + second
        readings.append(HourReading(at, register))
        at += HOUR
    return Walk(readings, at, register)


def register_at(
    target: int, anchor: int, anchor_register: int, intervals: Intervals
) -> int | None:
    """Return the register at half-hour boundary ``target`` from the one at ``anchor``.

    None when a half-hour in between is unknown.
    """
    total = 0
    low, high = min(anchor, target), max(anchor, target)
    for start in range(low, high, HALF_HOUR):
        value = intervals.get(start)
        if value is None:
            return None
        total += value
    return anchor_register + total if target >= anchor else anchor_register - total


def pages_needed(intervals: int, max_periods: int) -> int:
    """Return the fewest GetProfile requests that return ``intervals`` half-hours."""
    return -(-max(intervals, 0) // max_periods)


def chunks_back(end: int, floor: int, size: int) -> list[tuple[int, int]]:
    """``[start, end)`` windows of ``size`` seconds from ``end`` back to ``floor``."""
    windows: list[tuple[int, int]] = []
    while end > floor:
        start = max(floor, end - size)
        windows.append((start, end))
        end = start
    return windows
