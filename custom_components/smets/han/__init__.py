"""The SMETS HAN library: ZigBee Smart Energy for GB smart meters over zigpy.

Nothing in this package imports Home Assistant: it could be published on its
own, and its tests run without Home Assistant.

The front door: open a :class:`HanLink` on a zigpy application (a radio, or
the simulator in :mod:`.simulator`), then read its meters
(:class:`ElectricityMeter`, :class:`GasMirror`, :class:`CommsHub`) and
subscribe to what they push. Decoding lives in :mod:`.model`, the half-hourly
profile walk in :mod:`.profile`; every error is a :class:`HanError`.
"""

from __future__ import annotations

from . import model, profile
from .alerts import AlertCategory, AlertSeverity, alert_info
from .catalogue import CatalogueMatch, lookup
from .errors import (
    HanCommandError,
    HanError,
    HanNotFound,
    HanNotStarted,
    HanProtocolError,
    HanTimeout,
)
from .link import DiscoveredEndpoint, HanLink
from .meter import (
    AttributeReport,
    BaseMeter,
    CommsHub,
    ElectricityMeter,
    GasMirror,
    HanEvent,
    MessageCancelled,
)
from .utrn import InvalidUTRN, mask_utrn, normalise_utrn

__all__ = [
    "AlertCategory",
    "AlertSeverity",
    "AttributeReport",
    "BaseMeter",
    "CatalogueMatch",
    "CommsHub",
    "DiscoveredEndpoint",
    "ElectricityMeter",
    "GasMirror",
    "HanCommandError",
    "HanError",
    "HanEvent",
    "HanLink",
    "HanNotFound",
    "HanNotStarted",
    "HanProtocolError",
    "HanTimeout",
    "InvalidUTRN",
    "MessageCancelled",
    "alert_info",
    "lookup",
    "mask_utrn",
    "model",
    "normalise_utrn",
    "profile",
]
