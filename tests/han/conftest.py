"""Fixtures for the HAN library tests (no Home Assistant here).

``custom_components/smets/__init__.py`` is the Home Assistant integration; the
HAN library must not need it. The two parent packages are registered as plain
namespaces before anything imports the library, so these tests load exactly
what a user of the library would (test_standalone.py checks that).
"""

from pathlib import Path
import sys
import types

_ROOT = Path(__file__).resolve().parents[2]
for _name, _path in (
    ("custom_components", _ROOT / "custom_components"),
    ("custom_components.smets", _ROOT / "custom_components" / "smets"),
):
    if _name not in sys.modules:
        _module = types.ModuleType(_name)
        _module.__path__ = [str(_path)]
        sys.modules[_name] = _module

# --- simulator, link and meters (test_clusters/simulator/link/meter) ---------

from collections.abc import AsyncIterator

import pytest

from custom_components.smets.han.link import HanLink
from custom_components.smets.han.simulator import (
    HanSimulator,
    RadioFrame,
    SimulatedApplication,
)

FAST_TIMEOUT = 0.05
"""Real seconds a request waits in tests before it times out."""


@pytest.fixture
def frames() -> list[RadioFrame]:
    """Every frame that crossed the simulated radio, in order."""
    return []


@pytest.fixture
def sim(frames: list[RadioFrame]) -> HanSimulator:
    """A seeded SMETS2 HAN (2 tiers, credit mode, solar) observed into ``frames``."""
    return HanSimulator(seed=7, frame_observer=frames.append)


@pytest.fixture
async def sim_app(sim: HanSimulator) -> AsyncIterator[SimulatedApplication]:
    """The zigpy application running on ``sim`` (shut down afterwards)."""
    app = await sim.start()
    yield app
    await app.shutdown()


@pytest.fixture
async def link(sim: HanSimulator) -> AsyncIterator[HanLink]:
    """An open link on ``sim`` with a short request timeout."""
    app = await sim.start()
    han = await HanLink.open(app, request_timeout=FAST_TIMEOUT, clock=sim.clock.time)
    yield han
    await han.close()


# --- the radio path at every EZSP generation ------------------------------------

from custom_components.smets.han.ezsp_versions import (
    SL_STATUS_VERSION,
    supported_versions,
)
from smets_dev import ncp as _ncp

_NEWEST = max(supported_versions())
EZSP_TEST_VERSIONS = (13, _NEWEST) if _NEWEST >= SL_STATUS_VERSION else (13,)
"""The emulated radio speaks EZSP v13 (one-byte EmberStatus, the v4 frames) and
the newest version the installed bellows speaks (sl_status_t, the v14 frames),
when that bellows has the v14 frames as Silicon Labs defines them."""


@pytest.fixture(
    params=EZSP_TEST_VERSIONS, ids=lambda v: f"ezsp{v}" if v < 14 else "ezsp_newest"
)
def ezsp_version(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> int:
    """Every EmulatedNcp made in the test speaks this EZSP version."""
    version = int(request.param)
    monkeypatch.setattr(_ncp, "DEFAULT_PROTOCOL_VERSION", version)
    return version
