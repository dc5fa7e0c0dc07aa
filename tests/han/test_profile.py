"""The pure half-hour -> hour arithmetic of the history import."""

from __future__ import annotations

import datetime as dt

from custom_components.smets.han import profile as history
from custom_components.smets.han.profile import HourReading


def test_walk_back_and_forward_agree() -> None:
    intervals = {t: 10 + t // 1800 % 7 for t in range(0, 10 * 3600, 1800)}
    back = history.walk_back(intervals, 10 * 3600, 10_000, 0)
    assert back.at == 0
    assert len(back.readings) == 10
    assert back.readings[-1] == HourReading(9 * 3600, 10_000)
    forward = history.walk_forward(intervals, 0, back.register, 10 * 3600)
    assert forward.readings == back.readings
    assert forward.register == 10_000


def test_walks_stop_at_a_hole() -> None:
    intervals: dict[int, int | None] = dict.fromkeys(range(0, 6 * 3600, 1800), 5)
    intervals[3 * 3600 + 1800] = None
    back = history.walk_back(intervals, 6 * 3600, 100, 0)
    assert [r.start for r in back.readings] == [4 * 3600, 5 * 3600]
    assert (back.at, back.register) == (4 * 3600, 80)
    forward = history.walk_forward(intervals, 0, 0, 6 * 3600)
    assert forward.at == 3 * 3600
    # the floor and the ceiling are hour boundaries the walks never pass
    assert history.walk_back(intervals, 2 * 3600, 20, 1800).at == 3600


def test_register_at() -> None:
    intervals: dict[int, int | None] = {0: 1, 1800: 2, 3600: 4}
    assert history.register_at(5400, 0, 100, intervals) == 107
    assert history.register_at(0, 5400, 107, intervals) == 100
    assert history.register_at(7200, 0, 100, intervals) is None


def test_paging_arithmetic() -> None:
    assert history.pages_needed(19_008, 24) == 792
    assert history.pages_needed(25, 24) == 2
    assert history.pages_needed(0, 24) == 0
    assert history.chunks_back(10, 0, 4) == [(6, 10), (2, 6), (0, 2)]
    now = int(dt.datetime(2026, 1, 14, 12, 40, tzinfo=dt.UTC).timestamp())
    assert history.history_floor(now) == history.half_hour_floor(now) - 396 * 86_400
    assert history.hour_floor(now) % 3600 == 0
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert history.intervals_by_start([(when, 3)]) == {int(when.timestamp()): 3}
