"""The integration over a radio: paired through the config flow, set up, removed.

The radio is the emulated EZSP NCP on a pseudo-terminal with the simulated HAN
behind it; bellows, zigpy, the HAN library and Home Assistant run unmodified.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import json
import logging
from pathlib import Path
import re
import termios

from homeassistant.config_entries import SOURCE_USER, ConfigEntry, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.smets.const import CONF_DEVICE_PATH, DOMAIN
from custom_components.smets.diagnostics import async_get_config_entry_diagnostics
from custom_components.smets.han import ezsp
from custom_components.smets.han.simulator import HanSimulator, SimulatedApplication
from smets_dev.ncp import (
    DEFAULT_EUI64,
    DEFAULT_INSTALL_CODE,
    EmulatedNcp,
)

from .emulated_radio import ZBT2_LINE, line_settings, ports

IMPORT = "sensor.electricity_meter_import"
GAS = "sensor.gas_meter_volume"
FULL_EUI64 = re.compile(r"\b(?:[0-9a-f]{2}:){7}[0-9a-f]{2}\b", re.IGNORECASE)


@pytest.fixture
def fast_timeouts() -> None:
    """Real timeouts: requests cross a serial line here (overrides conftest's)."""


@pytest.fixture
def han() -> HanSimulator:
    """The meter's HAN, where the supplier registered the radio."""
    han = HanSimulator(1)
    han.register_device(DEFAULT_EUI64, DEFAULT_INSTALL_CODE)
    return han


@pytest.fixture
async def radio(
    han: HanSimulator, tmp_path: Path, ezsp_version: int
) -> AsyncGenerator[tuple[EmulatedNcp, Path]]:
    """A radio within range of ``han``, and the stable name of its port."""
    async with EmulatedNcp(han=han) as ncp:
        port = tmp_path / "ttyUSB0"
        _plug(port, ncp.path)
        yield ncp, port


def _plug(port: Path, device: str | Path) -> None:
    """Point a port's stable name at a device (the stick plugged in, or again)."""
    port.unlink(missing_ok=True)
    port.symlink_to(device)


async def _pair(hass: HomeAssistant, port: Path) -> ConfigEntry:
    """Pair the radio through the config flow; the entry is set up after it."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "radio"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DEVICE_PATH: str(port), "radio_type": "ezsp"}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    entry = result["result"]
    assert isinstance(entry, ConfigEntry)
    return entry


async def test_paired_radio_reads_the_meters(
    hass: HomeAssistant,
    radio: tuple[EmulatedNcp, Path],
    han: HanSimulator,
    snapshot: SnapshotAssertion,
) -> None:
    ncp, port = radio
    entry = await _pair(hass, port)
    assert entry.state is ConfigEntryState.LOADED
    assert not isinstance(entry.runtime_data.link.app, SimulatedApplication)
    assert float(hass.states.get(IMPORT).state) > 0
    assert float(hass.states.get(GAS).state) > 0
    assert entry.unique_id == str(han.hub.ieee)
    # Diagnostics help without naming the household's devices.
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    text = json.dumps(diagnostics)
    assert not FULL_EUI64.search(text)
    assert diagnostics["entry"]["data"]["network"]["cbke"] is True
    # The join's transcript, redacted (timings vary: left out of the snapshot)
    transcript = json.loads(json.dumps(diagnostics["entry"]["data"]["join_transcript"]))
    # The same transcript at every EZSP version, but for the version itself
    (opened,) = [step for step in transcript if step["step"] == "radio_open"]
    assert opened["ezsp_version"] == ncp.protocol_version
    assert transcript == snapshot(exclude=props("t", "seconds", "ezsp_version"))
    # A restart resumes the network: no new pairing.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert float(hass.states.get(IMPORT).state) > 0
    assert ncp.problems == []


async def test_a_meter_without_room_for_the_radio_is_asked_at_every_start(
    hass: HomeAssistant,
    radio: tuple[EmulatedNcp, Path],
    han: HanSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Joined, but the meter holds as many consumer devices as it can: the entry
    is made (the registration is spent), says why, and retries until the meter
    has room (failed before: the join was an error, the radio left on the HAN)."""
    monkeypatch.setattr(ezsp, "DISCOVERY_WINDOW", 0.5)
    ncp, port = radio
    han.partner_key_slots = 0
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "radio"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DEVICE_PATH: str(port), "radio_type": "ezsp"}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["description"] == "partner_keys_pending"
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.data["network"]["partner_keys_pending"] is True
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.error_reason_translation_key == "partner_keys_pending"
    assert "table is full" in (entry.reason or "")
    # The supplier removed a device the household no longer uses: the retry
    # gets the key, and the entry keeps that it has it
    han.partner_key_slots = 4
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.data["network"]["partner_keys_pending"] is False
    assert float(hass.states.get(IMPORT).state) > 0
    assert ncp.problems == []


async def test_radio_unplugged_then_back(
    hass: HomeAssistant, radio: tuple[EmulatedNcp, Path]
) -> None:
    ncp, port = radio
    entry = await _pair(hass, port)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await ncp.unplug()
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.error_reason_translation_key == "radio_unavailable"
    assert str(port) in (entry.reason or "")
    # Plugged in again: the retry picks it up.
    _plug(port, ncp.open_pty())
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(IMPORT).state not in (STATE_UNAVAILABLE, STATE_UNKNOWN)


async def test_radio_lost_while_loaded_reloads_until_it_is_back(
    hass: HomeAssistant, radio: tuple[EmulatedNcp, Path]
) -> None:
    """zigpy never reopens a lost radio: the entry reloads, then retries."""
    ncp, port = radio
    entry = await _pair(hass, port)
    assert entry.state is ConfigEntryState.LOADED
    await ncp.unplug()  # the stick is pulled out while the entry runs
    # the serial line reports the hang-up when the kernel says so: wait for it
    async with asyncio.timeout(10):
        while entry.state is not ConfigEntryState.SETUP_RETRY:
            await asyncio.sleep(0.02)
            await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.error_reason_translation_key == "radio_unavailable"
    # Plugged in again: the retry picks it up.
    _plug(port, ncp.open_pty())
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(IMPORT).state not in (STATE_UNAVAILABLE, STATE_UNKNOWN)


async def test_remove_leaves_the_han(
    hass: HomeAssistant,
    radio: tuple[EmulatedNcp, Path],
    han: HanSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ncp, port = radio
    entry = await _pair(hass, port)
    assert ncp.ieee in han.joined
    ncp.commands.clear()
    with caplog.at_level(logging.INFO):
        await hass.config_entries.async_remove(entry.entry_id)
        await hass.async_block_till_done()
    assert "leaveNetwork" in ncp.commands
    assert ncp.ieee not in han.joined
    assert "left the HAN" in caplog.text
    assert hass.config_entries.async_entries(DOMAIN) == []


def _reset_line(ncp: EmulatedNcp) -> None:
    """Put the radio's line back to 115200 baud, no flow control (as unplugged)."""
    attrs = termios.tcgetattr(ncp._slave)
    attrs[2] &= ~termios.CRTSCTS
    attrs[0] &= ~termios.IXON
    attrs[4] = attrs[5] = termios.B115200
    termios.tcsetattr(ncp._slave, termios.TCSANOW, attrs)


async def test_a_zbt2_runs_at_460800_with_hardware_flow_control(
    hass: HomeAssistant, radio: tuple[EmulatedNcp, Path], han: HanSimulator
) -> None:
    """What the flow chose for a Connect ZBT-2 is what every later open uses."""
    ncp, port = radio
    with ports(ncp, usb_id=("303A", "4001")):
        entry = await _pair(hass, port)
    assert entry.data["baudrate"] == 460800
    assert entry.data["flow_control"] == "hardware"
    assert entry.state is ConfigEntryState.LOADED
    assert float(hass.states.get(IMPORT).state) > 0
    # A restart resumes the network on the same line settings
    assert await hass.config_entries.async_unload(entry.entry_id)
    _reset_line(ncp)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert line_settings(ncp) == ZBT2_LINE
    # and so does leaving the HAN when the entry is removed
    _reset_line(ncp)
    ncp.commands.clear()
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert "leaveNetwork" in ncp.commands
    assert line_settings(ncp) == ZBT2_LINE
    assert ncp.ieee not in han.joined
    assert ncp.problems == []


async def test_remove_with_the_radio_gone(
    hass: HomeAssistant,
    radio: tuple[EmulatedNcp, Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    ncp, port = radio
    entry = await _pair(hass, port)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await ncp.unplug()
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.config_entries.async_entries(DOMAIN) == []
    assert "could not leave the HAN" in caplog.text
    assert DEFAULT_INSTALL_CODE.hex() not in caplog.text.lower()
