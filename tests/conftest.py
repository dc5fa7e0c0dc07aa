"""Fixtures for the Home Assistant side of the tests.

Every test runs the real stack: Home Assistant, the integration, the HAN
library and zigpy, on the built-in simulated HAN (nothing is mocked but a
serial port, which cannot exist here).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
import datetime as dt
from enum import StrEnum
from typing import Any
from unittest.mock import PropertyMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.smets import PLATFORMS
from custom_components.smets.const import (
    CONF_CONNECTION,
    CONF_PREPAYMENT,
    CONF_PROFILE,
    CONF_SEED,
    CONF_SOLAR,
    CONF_TIERS,
    CONNECTION_SIMULATOR,
    DOMAIN,
)
from custom_components.smets.han.ezsp_versions import supported_versions
from custom_components.smets.han.simulator import HanSimulator, SimulatedApplication
from smets_dev import ncp as ncp_module

# A winter weekday at noon: the simulated household is awake, solar exports.
START = dt.datetime(2026, 1, 14, 12, 0, 0, tzinfo=dt.UTC)


_NEWEST_EZSP = max(supported_versions())
EZSP_TEST_VERSIONS = (
    13,
    pytest.param(
        _NEWEST_EZSP,
        id="ezsp_newest",
        marks=pytest.mark.skipif(
            _NEWEST_EZSP < 14,
            reason="this bellows lacks the v14 frames (v14+ is refused on it)",
        ),
    ),
)
"""The radio tests run at EZSP v13 (EmberStatus) and at the newest version
bellows speaks (sl_status_t and the v14 frames: EmberZNet 8, the ZBT-2's)."""


@pytest.fixture(params=EZSP_TEST_VERSIONS, ids=lambda v: f"ezsp{v}")
def ezsp_version(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> int:
    """Every EmulatedNcp made in the test speaks this EZSP version."""
    version = int(request.param)
    monkeypatch.setattr(ncp_module, "DEFAULT_PROTOCOL_VERSION", version)
    return version


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """Load custom_components/ in every test.

    A test that uses the recorder gets it before Home Assistant starts, as the
    recorder fixtures require.
    """
    if "recorder_mock" in request.fixturenames:
        request.getfixturevalue("recorder_mock")
    request.getfixturevalue("enable_custom_integrations")


@pytest.fixture(autouse=True)
def fast_timeouts() -> Generator[None]:
    """Let a lost simulated radio time out in milliseconds, not seconds."""
    with patch("custom_components.smets.connection.REQUEST_TIMEOUT", 0.05):
        yield


@pytest.fixture
async def london(hass: HomeAssistant) -> None:
    """Days end at midnight in London (UTC in January): ask for it by name."""
    await hass.config.async_set_time_zone("Europe/London")


async def call_action(
    hass: HomeAssistant, service: str, entry: MockConfigEntry, **data: Any
) -> Any:
    """Call one of the integration's actions on ``entry``, blocking."""
    return await hass.services.async_call(
        DOMAIN,
        service,
        {"config_entry_id": entry.entry_id, **data},
        blocking=True,
        return_response=service == "top_up",
    )


def simulator_of(entry: MockConfigEntry) -> HanSimulator:
    """The simulated HAN behind a loaded entry (reached through its zigpy app)."""
    app = entry.runtime_data.link.app
    assert isinstance(app, SimulatedApplication)
    return app.simulator


def ha_time() -> float:
    """Home Assistant's now, in Unix seconds: the time source of a simulated HAN."""
    return dt_util.utcnow().timestamp()


def hub_ieee(seed: int) -> str:
    """The EUI64 of the simulated Comms Hub for a seed."""
    return str(HanSimulator(seed).hub.ieee)


def simulator_data(**overrides: Any) -> dict[str, Any]:
    """Config entry data of a simulated HAN."""
    data: dict[str, Any] = {
        CONF_CONNECTION: CONNECTION_SIMULATOR,
        CONF_PROFILE: "smets2",
        CONF_SEED: 1,
        CONF_TIERS: 2,
        CONF_PREPAYMENT: False,
        CONF_SOLAR: True,
    }
    data.update(overrides)
    return data


@pytest.fixture
def entry_data() -> dict[str, Any]:
    """The data of the entry under test (override in a test module)."""
    return simulator_data()


@pytest.fixture
def mock_config_entry(entry_data: dict[str, Any]) -> MockConfigEntry:
    """A config entry for a simulated HAN."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Simulated {entry_data[CONF_PROFILE].upper()} meter (seed {entry_data[CONF_SEED]})",
        data=entry_data,
        unique_id=hub_ieee(entry_data[CONF_SEED]),
        entry_id="01JSMETSTESTENTRY0000000000",
    )


@pytest.fixture
def platforms() -> list[Platform]:
    """The platforms to load (a test module overrides it to snapshot one)."""
    return list(PLATFORMS)


@pytest.fixture
async def init_integration(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    platforms: list[Platform],
) -> AsyncGenerator[MockConfigEntry]:
    """Set up the integration on the simulated HAN, at a fixed time."""
    freezer.move_to(START)
    mock_config_entry.add_to_hass(hass)
    with patch("custom_components.smets.PLATFORMS", platforms):
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
        yield mock_config_entry


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create every entity enabled, the noisy ones too (as Home Assistant core's)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield


async def setup_platform(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    *platforms: Platform,
) -> None:
    """Set the entry up at START with only ``platforms`` (for their snapshots)."""
    freezer.move_to(START)
    entry.add_to_hass(hass)
    with patch("custom_components.smets.PLATFORMS", list(platforms)):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshot with Home Assistant's serializer (registry ids and times left out)."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


async def snapshot_entities(
    hass: HomeAssistant, snapshot: SnapshotAssertion, entry_id: str
) -> None:
    """Snapshot each entity of an entry: its state and what it is registered as.

    Like ``snapshot_platform``, but with only the registry fields that mean
    the same on every Home Assistant release the legs run (the full registry
    entry differs between 2026.3 and 2026.10), so both legs share one file.
    """
    registry = er.async_get(hass)
    entries = er.async_entries_for_config_entry(registry, entry_id)
    assert entries
    for entity in sorted(entries, key=lambda e: e.entity_id):
        fields = {
            "unique_id": entity.unique_id,
            "translation_key": entity.translation_key,
            "original_name": entity.original_name,
            "device_class": entity.original_device_class,
            "entity_category": entity.entity_category,
            "disabled_by": entity.disabled_by,
            "unit_of_measurement": entity.unit_of_measurement,
        }
        plain = {k: None if v is None else str(v) for k, v in fields.items()}
        plain["capabilities"] = {
            str(key): value for key, value in (entity.capabilities or {}).items()
        }
        assert plain == snapshot(name=f"{entity.entity_id}-entry")
        state = hass.states.get(entity.entity_id)
        shown = None
        if state is not None:
            shown = {
                "state": state.state,
                "attributes": {
                    str(key): str(value) if isinstance(value, StrEnum) else value
                    for key, value in sorted(state.attributes.items())
                },
            }
        assert shown == snapshot(name=f"{entity.entity_id}-state")
