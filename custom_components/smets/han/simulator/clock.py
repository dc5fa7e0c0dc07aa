"""The simulator's clock: simulated time moves only when a test says so."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["DEFAULT_START", "SimClock"]

DEFAULT_START = datetime(2025, 1, 15, 12, 0, 0, tzinfo=UTC)
"""Where a simulation starts unless told otherwise (a winter weekday, noon)."""


class SimClock:
    """A clock the tests control: nothing moves it but :meth:`advance`.

    Time is kept as integer Unix seconds so the meters' arithmetic stays exact.
    Listeners registered with :meth:`on_advance` are called, in order, with the
    old and the new time after every advance (the simulator uses that to run
    what was scheduled in between).
    """

    def __init__(self, start: datetime | float | None = None) -> None:
        """Start at ``start`` (an aware datetime or Unix seconds)."""
        if start is None:
            start = DEFAULT_START
        if isinstance(start, datetime):
            if start.tzinfo is None:
                msg = "the simulator clock needs an aware datetime"
                raise ValueError(msg)
            start = start.timestamp()
        self._now = int(start)
        self._listeners: list[Callable[[int, int], None]] = []

    def time(self) -> int:
        """Now, in Unix seconds."""
        return self._now

    def now(self) -> datetime:
        """Now, as an aware UTC datetime."""
        return datetime.fromtimestamp(self._now, UTC)

    def on_advance(self, listener: Callable[[int, int], None]) -> Callable[[], None]:
        """Call ``listener(old, new)`` after each advance; return an unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def advance(self, seconds: float) -> int:
        """Move time forward by whole seconds (never back); return the new time."""
        step = int(seconds)
        if step < 0:
            msg = "the simulator clock never goes back"
            raise ValueError(msg)
        old, self._now = self._now, self._now + step
        for listener in list(self._listeners):
            listener(old, self._now)
        return self._now
