"""Asking a running HAN again which meters it has, over the emulated EZSP radio.

The radio's ``survey`` runs ZDO over the air (a Match_Desc broadcast, then
IEEE_addr) through bellows and the emulated NCP to the simulated HAN, whose
hub answers for its sleeping gas meter: what it finds must be what the
simulator holds, and ``HanLink.rediscover`` must see a meter come and go.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from custom_components.smets.han import ezsp
from custom_components.smets.han.errors import HanError
from custom_components.smets.han.ezsp import EzspHanApplication, join_han, open_radio
from custom_components.smets.han.link import HanLink
from custom_components.smets.han.simulator import HanSimulator
from smets_dev.ncp import (
    DEFAULT_EUI64,
    DEFAULT_INSTALL_CODE,
    EmulatedNcp,
)

TIMEOUT = 20.0
REQUEST_TIMEOUT = 2.0


@pytest.fixture
def han() -> HanSimulator:
    """A HAN whose hub has this radio registered (join window open)."""
    sim = HanSimulator(seed=12)
    sim.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
    return sim


@pytest.fixture
async def link(han: HanSimulator) -> AsyncIterator[HanLink]:
    """The radio joined, resumed and its meters discovered."""
    async with EmulatedNcp(han=han) as ncp:
        network = await join_han(ncp.path, timeout=TIMEOUT)
        app = await open_radio(ncp.path, network)
        link = await HanLink.open(
            app, request_timeout=REQUEST_TIMEOUT, clock=han.clock.time
        )
        try:
            yield link
        finally:
            await link.close()
        assert ncp.problems == []


async def test_survey_over_the_air_matches_the_han(
    link: HanLink, han: HanSimulator
) -> None:
    app = link.app
    assert isinstance(app, EzspHanApplication)
    devices = dict(app.devices)
    han.zdo_requests.clear()
    assert await app.survey() == han.metering_endpoints()
    # The broadcast finds the hub's GPF and the ESME (a router); the neighbour
    # table (two pages) names no router left to ask; the hub is asked about its
    # sleeping child, the GSME; then each answer's EUI64
    assert (
        han.zdo_requests
        == [
            "IEEE_addr_req",
            "Match_Desc_req",
            "Mgmt_Lqi_req",
            "Mgmt_Lqi_req",
            "Match_Desc_req",
        ]
        + ["IEEE_addr_req"] * 3
    )
    assert app.devices == devices  # nothing added or replaced
    assert han.gsme_wakeups == 0  # the hub answered for the sleeping GSME
    assert not await link.rediscover()
    # the link still works after asking
    assert (await link.esme.poll()).import_kwh is not None


async def test_rediscover_over_the_air_sees_meters_come_and_go(
    link: HanLink, han: HanSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    han.meter_exchange("electricity", new_eui64=True, announce=False)
    assert await link.rediscover()
    assert (str(han.esme.ieee), 1) in await link.survey()
    # A HAN without gas: the hub has no Metering endpoint left, so it stays
    # silent and the survey waits out its window (shortened here).
    monkeypatch.setattr(ezsp, "DISCOVERY_WINDOW", 0.2)
    han.unpair_gas()
    assert await link.survey() == {(str(han.esme.ieee), 1)}
    han.pair_gas(announce=False)
    assert len(await link.survey()) == 3
    assert han.gsme_wakeups == 0


async def test_a_silent_han_is_an_error_not_an_empty_one(
    link: HanLink, han: HanSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ezsp, "REQUEST_TIMEOUT", 0.2)
    han.radio_loss()
    with pytest.raises(HanError):
        await link.rediscover()
    han.radio_return()
    assert not await link.rediscover()
