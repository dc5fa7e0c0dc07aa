"""Tests of the config flow."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.smets.const import (
    CONF_CONNECTION,
    CONF_PROFILE,
    CONF_SEED,
    CONNECTION_SIMULATOR,
    DOMAIN,
)


async def test_simulator_flow(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["radio", "simulator"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "simulator"}
    )
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PROFILE: "smets1", CONF_SEED: 7}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_CONNECTION: CONNECTION_SIMULATOR,
        CONF_PROFILE: "smets1",
        CONF_SEED: 7,
    }
    assert result["result"].unique_id == "simulator-smets1-7"

    # The same simulated HAN twice aborts.
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "simulator"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PROFILE: "smets1", CONF_SEED: 7}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_radio_flow_says_not_yet(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "radio"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "radio_not_supported_yet"
