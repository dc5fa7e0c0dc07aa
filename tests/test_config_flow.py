"""The config flow: every path, every error recovers, duplicates abort."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smets.const import (
    CONF_CO2_FACTOR,
    CONF_CONNECTION,
    CONF_DEVICE_PATH,
    CONF_ESME_INTERVAL,
    CONF_GAS_CV_OVERRIDE,
    CONF_GAS_INTERVAL,
    CONF_PREPAYMENT,
    CONF_PROFILE,
    CONF_RADIO_TYPE,
    CONF_SEED,
    CONF_SOLAR,
    CONF_TARIFF_INTERVAL,
    CONF_TIERS,
    CONNECTION_RADIO,
    CONNECTION_SIMULATOR,
    DOMAIN,
)
from custom_components.smets.han.errors import HanTimeout
from custom_components.smets.han.radio import RadioInfo, SerialPort
from custom_components.smets.han.simulator import HanSimulator

from .conftest import hub_ieee, simulator_data

SIMULATOR_INPUT = {
    CONF_PROFILE: "smets1",
    CONF_SEED: 7,
    CONF_TIERS: "4",
    CONF_PREPAYMENT: True,
    CONF_SOLAR: False,
}
RADIO = RadioInfo(
    eui64="00:0d:6f:00:0a:bc:de:f0",
    install_code="83FE D340 7A93 9723 A5C6 39B2 6916 D505 C3B5",
    has_certificate=True,
    firmware="13",
)


@pytest.fixture
def probe() -> Generator[AsyncMock]:
    """Stand in for the serial port: the one thing that cannot run here."""
    with (
        patch(
            "custom_components.smets.config_flow.probe_ezsp",
            AsyncMock(return_value=RADIO),
        ) as probe,
        patch(
            "custom_components.smets.config_flow.list_serial_ports",
            return_value=[SerialPort("/dev/ttyUSB0", "Silicon Labs CP2102N")],
        ),
    ):
        yield probe


async def _start(hass: HomeAssistant, step: str) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["radio", "simulator"]
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": step}
    )


async def test_simulator_creates_entry(hass: HomeAssistant) -> None:
    result = await _start(hass, "simulator")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "simulator"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], SIMULATOR_INPUT
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Simulated SMETS1 meter (seed 7)"
    assert result["data"] == {
        CONF_CONNECTION: CONNECTION_SIMULATOR,
        CONF_PROFILE: "smets1",
        CONF_SEED: 7,
        CONF_TIERS: 4,
        CONF_PREPAYMENT: True,
        CONF_SOLAR: False,
    }
    # Unique per Comms Hub: the simulated hub's EUI64.
    assert result["result"].unique_id == hub_ieee(7)


async def test_simulator_suggests_a_free_seed(hass: HomeAssistant) -> None:
    MockConfigEntry(
        domain=DOMAIN, data=simulator_data(seed=1), unique_id=hub_ieee(1)
    ).add_to_hass(hass)
    result = await _start(hass, "simulator")
    schema = result["data_schema"].schema
    seed = next(key for key in schema if key == CONF_SEED)
    assert seed.default() == 2


async def test_simulator_same_han_twice_aborts(hass: HomeAssistant) -> None:
    MockConfigEntry(
        domain=DOMAIN, data=simulator_data(seed=7), unique_id=hub_ieee(7)
    ).add_to_hass(hass)
    result = await _start(hass, "simulator")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], SIMULATOR_INPUT
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_simulator_error_recovers(hass: HomeAssistant) -> None:
    real_start = HanSimulator.start
    calls = 0

    async def failing_start(self: HanSimulator) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            self.radio_loss()  # nothing answers: discovery times out
        return await real_start(self)

    with (
        patch(
            "custom_components.smets.han.simulator.HanSimulator.start", failing_start
        ),
        patch("custom_components.smets.connection.REQUEST_TIMEOUT", 0.01),
    ):
        result = await _start(hass, "simulator")
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], SIMULATOR_INPUT
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"base": "cannot_connect"}
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], SIMULATOR_INPUT
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_radio_path_is_honest(hass: HomeAssistant, probe: AsyncMock) -> None:
    probe.side_effect = [HanTimeout("no radio"), RADIO]
    result = await _start(hass, "radio")
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "radio"
    user_input = {CONF_DEVICE_PATH: "/dev/ttyUSB0", CONF_RADIO_TYPE: "ezsp"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    # The pairing step shows what the supplier must register.
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "pair"
    assert result["description_placeholders"] == {
        "eui64": RADIO.eui64,
        "install_code": RADIO.install_code,
        "certificate": "yes",
    }
    probe.assert_awaited_with("/dev/ttyUSB0")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "join_not_supported_yet"


async def test_radio_without_install_code(
    hass: HomeAssistant, probe: AsyncMock
) -> None:
    probe.return_value = RadioInfo("00:0d:6f:00:00:00:00:01", None, False, None)
    result = await _start(hass, "radio")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DEVICE_PATH: "/dev/ttyACM0", CONF_RADIO_TYPE: "ezsp"}
    )
    assert result["description_placeholders"]["install_code"] == "-"
    assert result["description_placeholders"]["certificate"] == "no"


async def test_reconfigure_simulator(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(domain=DOMAIN, data=simulator_data(), unique_id=hub_ieee(1))
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    with patch("custom_components.smets.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_TIERS: "4", CONF_PREPAYMENT: True, CONF_SOLAR: False},
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_TIERS] == 4
    assert entry.data[CONF_PREPAYMENT] is True
    assert entry.data[CONF_SEED] == 1


async def test_reconfigure_radio(hass: HomeAssistant, probe: AsyncMock) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={
            CONF_CONNECTION: CONNECTION_RADIO,
            CONF_DEVICE_PATH: "/dev/ttyUSB0",
            "radio_eui64": RADIO.eui64,
        },
        unique_id="00:11:22:33:44:55:66:77",
    )
    entry.add_to_hass(hass)
    probe.side_effect = [HanTimeout("gone"), RADIO]
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure_radio"
    user_input = {CONF_DEVICE_PATH: "/dev/ttyUSB1", CONF_RADIO_TYPE: "ezsp"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert result["errors"] == {"base": "cannot_connect"}
    with patch("custom_components.smets.async_setup_entry", return_value=True):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], user_input
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_DEVICE_PATH] == "/dev/ttyUSB1"


async def test_reconfigure_radio_refuses_another_radio(
    hass: HomeAssistant, probe: AsyncMock
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={
            CONF_CONNECTION: CONNECTION_RADIO,
            CONF_DEVICE_PATH: "/dev/ttyUSB0",
            "radio_eui64": "00:0d:6f:ff:ff:ff:ff:ff",
        },
        unique_id="00:11:22:33:44:55:66:77",
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DEVICE_PATH: "/dev/ttyUSB1", CONF_RADIO_TYPE: "ezsp"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "different_radio"


async def test_options(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(domain=DOMAIN, data=simulator_data(), unique_id=hub_ieee(1))
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    options = {
        CONF_ESME_INTERVAL: 30,
        CONF_GAS_INTERVAL: 60,
        CONF_TARIFF_INTERVAL: 10,
        CONF_CO2_FACTOR: 0.15,
        CONF_GAS_CV_OVERRIDE: 39.2,
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], options
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == options
