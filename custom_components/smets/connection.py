"""Open the HAN an entry describes: the built-in simulator, or a radio."""

from __future__ import annotations

from typing import Any, Final

from homeassistant.util import dt as dt_util

from .const import (
    CONF_CONNECTION,
    CONF_PREPAYMENT,
    CONF_PROFILE,
    CONF_SEED,
    CONF_SOLAR,
    CONF_TIERS,
    CONNECTION_SIMULATOR,
    PROFILE_SMETS2,
)
from .han.errors import HanError
from .han.link import HanLink
from .han.simulator import HanSimulator, SimClock

# Seconds a meter has to answer one request. A real ESME answers within a
# second or two; the simulator at once.
REQUEST_TIMEOUT: Final = 5.0


class RadioNotSupportedError(HanError):
    """Joining a real HAN through a radio is not available in this version."""


def make_simulator(data: dict[str, Any]) -> HanSimulator:
    """Build the simulated HAN an entry's data describes, on Home Assistant's clock."""
    return HanSimulator(
        int(data.get(CONF_SEED, 1)),
        profile=data.get(CONF_PROFILE, PROFILE_SMETS2),
        tiers=int(data.get(CONF_TIERS, 2)),
        prepayment=bool(data.get(CONF_PREPAYMENT, False)),
        solar=bool(data.get(CONF_SOLAR, True)),
        clock=SimClock(dt_util.utcnow()),
    )


async def open_link(data: dict[str, Any]) -> tuple[HanLink, HanSimulator | None]:
    """Open the HAN and discover its meters; HanError when that fails."""
    if data.get(CONF_CONNECTION) != CONNECTION_SIMULATOR:
        msg = "joining a real HAN through a radio is not available yet"
        raise RadioNotSupportedError(msg)
    simulator = make_simulator(data)
    app = await simulator.start()
    link = await HanLink.open(
        app, request_timeout=REQUEST_TIMEOUT, clock=simulator.clock.time
    )
    return link, simulator
