"""Fixtures for the Home Assistant side of the tests.

Every test runs the real stack: Home Assistant, the integration, the HAN
library and zigpy, on the built-in simulated HAN (nothing is mocked but a
serial port, which cannot exist here).
"""

from __future__ import annotations

from collections.abc import Generator
import datetime as dt
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

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
from custom_components.smets.han.simulator import HanSimulator

# A winter weekday at noon: the simulated household is awake, solar exports.
START = dt.datetime(2026, 1, 14, 12, 0, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom_components/ in every test."""


@pytest.fixture(autouse=True)
def fast_timeouts() -> Generator[None]:
    """Let a lost simulated radio time out in milliseconds, not seconds."""
    with patch("custom_components.smets.connection.REQUEST_TIMEOUT", 0.05):
        yield


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
async def init_integration(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> MockConfigEntry:
    """Set up the integration on the simulated HAN, at a fixed time."""
    freezer.move_to(START)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry
