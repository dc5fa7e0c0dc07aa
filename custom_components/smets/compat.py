"""Differences between the Home Assistant releases this integration supports."""

from __future__ import annotations

# Home Assistant 2026.10 validates schemas with probatio, the successor of
# voluptuous with the same API; 2026.3 has only voluptuous.
try:
    import probatio as vol
except ImportError:  # pragma: no cover - only on the older releases
    import voluptuous as vol  # type: ignore[no-redef]

__all__ = ["vol"]
