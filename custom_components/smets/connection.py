"""Open the HAN an entry describes: the built-in simulator, or a radio."""

from __future__ import annotations

import time
from typing import Any, Final

from homeassistant.util import dt as dt_util

from .const import (
    CONF_BAUDRATE,
    CONF_CONNECTION,
    CONF_DEVICE_PATH,
    CONF_FLOW_CONTROL,
    CONF_GAS_FLOW,
    CONF_GAS_PREPAYMENT,
    CONF_NETWORK,
    CONF_PREPAYMENT,
    CONF_PROFILE,
    CONF_SEED,
    CONF_SOLAR,
    CONF_TIERS,
    CONNECTION_SIMULATOR,
    PROFILE_SMETS2,
)
from .han.ezsp import HanNetwork, PartnerKeysPendingError, open_radio
from .han.link import HanLink
from .han.radio import DEFAULT_BAUDRATE, SerialSettings
from .han.simulator import HanSimulator

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
        gas_prepayment=bool(data.get(CONF_GAS_PREPAYMENT, False)),
        gas_flow=bool(data.get(CONF_GAS_FLOW, False)),
        solar=bool(data.get(CONF_SOLAR, True)),
        # It follows Home Assistant's clock by itself: nobody needs to move it
        clock=lambda: dt_util.utcnow().timestamp(),
    )


def radio_serial_settings(data: dict[str, Any]) -> SerialSettings:
    """Return the serial line of a radio entry: speed and flow control.

    Entries store what the config flow chose (460800 baud with hardware flow
    control for a Connect ZBT-2); entries from before flow control was stored
    have bellows' default.
    """
    flow_control = data.get(CONF_FLOW_CONTROL)
    return SerialSettings(
        int(data.get(CONF_BAUDRATE, DEFAULT_BAUDRATE)),
        "hardware" if flow_control == "hardware" else None,
    )


async def open_link(data: dict[str, Any]) -> HanLink:
    """Open the HAN and discover its meters; HanError when that fails.

    A radio entry resumes the network it joined in the config flow (no new
    pairing); a ``RadioError`` says the radio is gone or the hub did not take
    it back. When opening changed the stored network (a key establishment the
    join left pending finished), ``data[CONF_NETWORK]`` is updated: the caller
    stores it, also when a ``PartnerKeysPendingError`` (no link key with the
    meter yet) ends the open.
    """
    if data.get(CONF_CONNECTION) != CONNECTION_SIMULATOR:
        serial = radio_serial_settings(data)
        try:
            app = await open_radio(
                str(data[CONF_DEVICE_PATH]),
                HanNetwork.from_dict(data[CONF_NETWORK]),
                baudrate=serial.baudrate,
                flow_control=serial.flow_control,
            )
        except PartnerKeysPendingError as err:
            data[CONF_NETWORK] = err.network.as_dict()
            raise
        network = getattr(app, "network", None)
        if isinstance(network, HanNetwork) and network.as_dict() != data[CONF_NETWORK]:
            data[CONF_NETWORK] = network.as_dict()
        # HanLink.open shuts the radio down again when discovery fails.
        return await HanLink.open(app, request_timeout=REQUEST_TIMEOUT, clock=time.time)
    simulator = make_simulator(data)
    app = await simulator.start()
    return await HanLink.open(
        app, request_timeout=REQUEST_TIMEOUT, clock=simulator.time
    )
