"""Open the HAN an entry describes: the built-in simulator, or a radio."""

from __future__ import annotations

import time
from typing import Any, Final

from homeassistant.util import dt as dt_util

from .const import (
    CONF_BAUDRATE,
    CONF_CONNECTION,
    CONF_DEVICE_PATH,
    CONF_NETWORK,
    CONF_PREPAYMENT,
    CONF_PROFILE,
    CONF_SEED,
    CONF_SOLAR,
    CONF_TIERS,
    CONNECTION_SIMULATOR,
    PROFILE_SMETS2,
)
from .han.ezsp import HanNetwork, open_radio
from .han.link import HanLink
from .han.radio import DEFAULT_BAUDRATE
from .han.simulator import HanSimulator, SimClock

# Seconds a meter has to answer one request. A real ESME answers within a
# second or two; the simulator at once.
REQUEST_TIMEOUT: Final = 5.0


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


def radio_baudrate(data: dict[str, Any]) -> int:
    """Return the serial speed of a radio entry (entries store the default)."""
    return int(data.get(CONF_BAUDRATE, DEFAULT_BAUDRATE))


async def open_link(data: dict[str, Any]) -> tuple[HanLink, HanSimulator | None]:
    """Open the HAN and discover its meters; HanError when that fails.

    A radio entry resumes the network it joined in the config flow (no new
    pairing); a ``RadioError`` says the radio is gone or the hub did not take
    it back.
    """
    if data.get(CONF_CONNECTION) != CONNECTION_SIMULATOR:
        app = await open_radio(
            str(data[CONF_DEVICE_PATH]),
            HanNetwork.from_dict(data[CONF_NETWORK]),
            baudrate=radio_baudrate(data),
        )
        # HanLink.open shuts the radio down again when discovery fails.
        link = await HanLink.open(app, request_timeout=REQUEST_TIMEOUT, clock=time.time)
        return link, None
    simulator = make_simulator(data)
    app = await simulator.start()
    link = await HanLink.open(
        app, request_timeout=REQUEST_TIMEOUT, clock=simulator.clock.time
    )
    return link, simulator
