"""What a join did, step by step: for whoever tries a real Comms Hub first.

A join that fails on real hardware must say why. :class:`JoinTranscript` keeps
each step of :func:`~.ezsp.join_han` (the EZSP statuses, the hub's answers, the
seconds since the join started), is stored with the config entry and shown in
diagnostics and in the config flow's error text. It holds no secret: steps are
written by the join itself with addresses, statuses and timings only, and
:meth:`JoinTranscript.note` refuses bytes (a key or a code would be bytes).

This module must never import Home Assistant.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import re
import time
from typing import Any, Final

__all__ = ["MAX_ENTRIES", "JoinTranscript"]

MAX_ENTRIES: Final = 200
"""A transcript keeps the first entries up to this many (a join has about 30)."""

type Detail = str | int | float | bool | None

_EUI64: Final = re.compile(r"\b(?:[0-9a-fA-F]{2}:){6}([0-9a-fA-F]{2}:[0-9a-fA-F]{2})\b")
_ADDRESS_KEYS: Final = frozenset({"eui64", "hub_ieee", "extended_pan_id"})
"""Details that are an address by name (diagnostics redacts them by key); in
any other text an EUI64 keeps only its last two bytes."""


def _short_eui64(match: re.Match[str]) -> str:
    return "**:**:**:**:**:**:" + match.group(1)


class JoinTranscript:
    """The steps of one join, in order, with the seconds since it started."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        """Start the transcript now (``clock``: seconds, monotonic)."""
        self._clock = clock
        self._start = clock()
        self.entries: list[dict[str, Detail]] = []

    def note(self, step: str, **details: Detail) -> None:
        """Add a step; details are plain values (bytes are refused: no secrets)."""
        for key, value in details.items():
            plain: object = value
            if not isinstance(plain, str | int | float | bool | None):
                msg = f"a transcript detail is a plain value, not {type(plain).__name__} ({key})"
                raise TypeError(msg)
        if len(self.entries) >= MAX_ENTRIES:
            return
        entry: dict[str, Detail] = {
            "t": round(self._clock() - self._start, 2),
            "step": step,
        }
        for key, value in details.items():
            entry[key] = (
                _EUI64.sub(_short_eui64, value)
                if isinstance(value, str) and key not in _ADDRESS_KEYS
                else value
            )
        self.entries.append(entry)

    def as_list(self) -> list[dict[str, Detail]]:
        """Return the entries as JSON-safe dicts (a copy)."""
        return [dict(entry) for entry in self.entries]

    @staticmethod
    def line(entry: Mapping[str, Any]) -> str:
        """One entry as a line of text: ``+12.3 s join_network: status=0x90``."""
        details = ", ".join(
            f"{key}={value}" for key, value in entry.items() if key not in {"t", "step"}
        )
        text = f"+{float(entry.get('t', 0.0)):.1f} s {entry.get('step', '?')}"
        return f"{text}: {details}" if details else text

    def text(self, last: int = 8) -> str:
        """Return the last ``last`` entries, one a line (for an error message)."""
        return "\n".join(self.line(entry) for entry in self.entries[-last:])
