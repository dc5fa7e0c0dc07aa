"""The join against the statuses a real NCP gives (docs/radio-conformance.md).

Each test sets the emulated NCP to answer as a real one does in a case the host
must handle, then runs :func:`join_han` or :func:`open_radio` through bellows.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from custom_components.smets.han.ezsp import JoinError, join_han, open_radio
from custom_components.smets.han.link import HanLink
from custom_components.smets.han.radio import RadioError
from custom_components.smets.han.simulator import HanSimulator
from smets_dev.ncp import (
    CONFIG_MAX_END_DEVICE_CHILDREN,
    DEFAULT_EUI64,
    DEFAULT_INSTALL_CODE,
    EZSP_ERROR_INVALID_ID,
    EZSP_ERROR_OUT_OF_MEMORY,
    MAC_COMMAND_TRANSMIT_FAILURE,
    EmulatedNcp,
)

pytestmark = pytest.mark.usefixtures("ezsp_version")

TIMEOUT = 20.0


@pytest.fixture
def han() -> HanSimulator:
    """A HAN whose hub has this radio registered (join window open)."""
    sim = HanSimulator(seed=11)
    sim.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
    return sim


@pytest.fixture
async def ncp(han: HanSimulator) -> AsyncIterator[EmulatedNcp]:
    """The emulated radio on a pty, with the HAN in range."""
    async with EmulatedNcp(han=han) as radio:
        yield radio


async def test_a_firmware_without_the_cbke_library_is_named(ncp: EmulatedNcp) -> None:
    ncp.cbke_library = False
    with pytest.raises(JoinError, match="CBKE library") as err:
        await join_han(ncp.path, timeout=TIMEOUT)
    assert err.value.reason == "no_certificate"
    assert "joinNetwork" not in ncp.commands


async def test_a_blank_certificate_is_not_a_missing_library(ncp: EmulatedNcp) -> None:
    ncp.has_certificate = False
    with pytest.raises(JoinError, match="no Smart Energy certificate") as err:
        await join_han(ncp.path, timeout=TIMEOUT)
    assert err.value.reason == "no_certificate"
    assert "library" not in str(err.value)


async def test_a_channel_that_fails_to_scan_does_not_end_the_scan(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    # A busy channel before the hub's (its beacon request not sent)
    assert han.channel > 11
    ncp.scan_failures = {11: MAC_COMMAND_TRANSMIT_FAILURE}
    network = await join_han(ncp.path, timeout=TIMEOUT)
    assert network.channel == han.channel
    assert ncp.problems == []


async def test_one_network_heard_from_several_routers_is_one_join(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    han.install_codes.clear()
    han.register_device(DEFAULT_EUI64, bytes(16))  # another code than the radio's
    with pytest.raises(JoinError) as err:
        await join_han(ncp.path, timeout=TIMEOUT)
    assert err.value.reason == "join_refused"
    # The hub and the ESME both beacon; the network is tried once
    assert ncp.commands.count("joinNetwork") == 1


@pytest.mark.parametrize(
    ("refuse", "words"),
    [
        ({"config_refusals": {0x0D: EZSP_ERROR_OUT_OF_MEMORY}}, "configuration"),
        ({"endpoint_refusal": EZSP_ERROR_OUT_OF_MEMORY}, "endpoint"),
    ],
)
async def test_a_radio_that_refuses_its_configuration_does_not_join(
    ncp: EmulatedNcp, refuse: dict[str, object], words: str, ezsp_version: int
) -> None:
    for name, value in refuse.items():
        setattr(ncp, name, value)
    with pytest.raises(RadioError, match=words) as err:
        await join_han(ncp.path, timeout=TIMEOUT)
    assert not isinstance(err.value, JoinError)
    # EZSP_ERROR_OUT_OF_MEMORY; at v14+ SL_STATUS_NO_MORE_RESOURCE (no EmberStatus)
    status = "EzspStatus 0x35" if ezsp_version < 14 else "sl_status_t 0x001A"
    assert status in str(err.value)
    assert "joinNetwork" not in ncp.commands


async def test_a_router_cad_takes_no_end_device_children(ncp: EmulatedNcp) -> None:
    network = await join_han(ncp.path, timeout=TIMEOUT)
    assert network.node_type == "router"
    assert ncp.config[CONFIG_MAX_END_DEVICE_CHILDREN] == 0
    ncp.config_refusals = {CONFIG_MAX_END_DEVICE_CHILDREN: EZSP_ERROR_INVALID_ID}
    app = await open_radio(ncp.path, network)  # a firmware without the setting
    await app.shutdown()


async def test_the_stack_losing_the_network_is_the_radio_lost(
    ncp: EmulatedNcp, han: HanSimulator
) -> None:
    """NETWORK_DOWN while running and no rejoin: the radio is lost (a reload resumes).

    The radio tries to rejoin first (secure, then through the Trust Centre:
    ``test_join.py::test_a_radio_that_lost_the_han_rejoins``); with the hub out
    of reach neither works, and the link says the radio is lost.
    """
    network = await join_han(ncp.path, timeout=TIMEOUT)
    app = await open_radio(ncp.path, network)
    link = await HanLink.open(app, request_timeout=2.0, clock=han.clock.time)
    lost: asyncio.Future[BaseException | None] = (
        asyncio.get_running_loop().create_future()
    )
    link.on_connection_lost(lost.set_result)
    try:
        han.in_range = False  # the hub gone (powered off, or its radio failed)
        ncp.network_down()
        async with asyncio.timeout(TIMEOUT):
            error = await lost
        assert isinstance(error, RadioError)
        assert "NETWORK_DOWN" in str(error)
        assert ncp.rejoins == [True, False]
    finally:
        await link.close()
    # The reload once the hub is back: networkInit resumes the network from
    # the radio's tokens
    han.in_range = True
    app = await open_radio(ncp.path, network)
    await app.shutdown()
