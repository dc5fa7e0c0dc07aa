"""Every sensor's state and registry entry, for SMETS2 and SMETS1 households."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_restore_state_shutdown_restart,
    mock_restore_cache_with_extra_data,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.smets.const import DOMAIN
from custom_components.smets.han.meter import MessageCancelled

from .conftest import (
    START,
    setup_platform,
    simulator_data,
    simulator_of,
    snapshot_entities,
)


@pytest.fixture
def platforms() -> list[Platform]:
    """Only the sensor platform."""
    return [Platform.SENSOR]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    "entry_data",
    [
        simulator_data(profile="smets2"),
        simulator_data(profile="smets1", seed=2, tiers=4),
    ],
    ids=["smets2", "smets1"],
)
async def test_sensors(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
    entry_data: dict[str, Any],
) -> None:
    await snapshot_entities(hass, snapshot, init_integration.entry_id)


@pytest.mark.parametrize("entry_data", [simulator_data(profile="smets1", seed=2)])
async def test_smets1_migration_status(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    state = hass.states.get("sensor.electricity_meter_dcc_migration")
    assert state is not None
    assert state.state == "smets1_eligible"
    assert state.attributes["cohort"] == "FOC"
    assert state.attributes["capability_date"] == "2020-07-26"
    assert hass.states.get("sensor.electricity_meter_smets_version").state == "smets1"


MESSAGE = "sensor.electricity_meter_supplier_message"


async def restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    when: dt.datetime,
) -> None:
    """Stop Home Assistant (saving the states to restore), start it at ``when``."""
    sim = simulator_of(entry)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    await async_mock_restore_state_shutdown_restart(hass)
    freezer.move_to(when)
    # the meter is the same one, and went on while Home Assistant was stopped
    with patch("custom_components.smets.connection.make_simulator", return_value=sim):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)


async def test_supplier_message_restored(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """The message survives a restart, confirmation and all, and ends on time."""
    entry = init_integration
    sim = simulator_of(entry)
    assert sim is not None
    message_id = await sim.send_message("Please call us", confirm=True, minutes=60)
    await hass.async_block_till_done()
    shown = hass.states.get(MESSAGE)
    end = START + dt.timedelta(hours=1)
    assert shown.attributes["end"] == end.isoformat()
    assert shown.attributes["ended"] is False

    await restart(hass, freezer, entry, START + dt.timedelta(minutes=20))
    state = hass.states.get(MESSAGE)
    assert state.state == "Please call us"
    assert state.attributes == shown.attributes
    assert state.attributes["confirmation_required"] is True
    assert state.attributes["confirmed"] is False

    # smets.confirm_message confirms the restored message at the meter
    before = sim.requests
    await hass.services.async_call(
        DOMAIN, "confirm_message", {"config_entry_id": entry.entry_id}, blocking=True
    )
    assert sim.requests == before + 1
    assert hass.states.get(MESSAGE).attributes["confirmed"] is True

    # its duration ends while Home Assistant runs: the sensor says so at once
    freezer.move_to(end)
    async_fire_time_changed(hass, end)
    await hass.async_block_till_done()
    assert hass.states.get(MESSAGE).attributes["ended"] is True

    await restart(hass, freezer, entry, START + dt.timedelta(hours=2))
    state = hass.states.get(MESSAGE)
    assert state.state == "Please call us"
    assert state.attributes["message_id"] == message_id
    assert state.attributes["start"] == START.isoformat()
    assert state.attributes["ended"] is True
    assert state.attributes["confirmed"] is True
    assert entry.runtime_data.pushed.data.confirmed == {message_id}

    # a newer message replaces it; a cancelled one is not restored
    new_id = await sim.send_message("Tariff change on 1 April")
    await hass.async_block_till_done()
    assert hass.states.get(MESSAGE).attributes["ended"] is False
    entry.runtime_data.link.esme._emit(MessageCancelled("esme", new_id))
    await hass.async_block_till_done()
    assert hass.states.get(MESSAGE).state == STATE_UNKNOWN
    await restart(hass, freezer, entry, START + dt.timedelta(hours=3))
    assert hass.states.get(MESSAGE).state == STATE_UNKNOWN


def saved_message(**changes: Any) -> dict[str, Any]:
    """A message as the sensor saves it for the next start."""
    message: dict[str, Any] = {
        "message_id": 41,
        "control": 0x88,  # high importance, confirmation required
        "start_time": None,
        "starts_now": True,
        "duration_minutes": 30,
        "text": "Your meter will be replaced on Tuesday",
        "extended_control": 0,
        "confirmed": False,
        "arrived": (START - dt.timedelta(minutes=20)).isoformat(),
    }
    return {"message": {**message, **changes}}


@pytest.mark.parametrize(
    ("saved", "ended"),
    [
        # arrived 20 minutes before the restart, for 30 minutes: still current
        (saved_message(), False),
        # its 30 minutes were over by the time Home Assistant started again
        (saved_message(arrived=(START - dt.timedelta(hours=1)).isoformat()), True),
        (
            saved_message(
                start_time=(START - dt.timedelta(days=2)).isoformat(),
                starts_now=False,
                arrived=None,
                duration_minutes=1440,
                confirmed=True,
            ),
            True,
        ),
        # until changed: never ends by itself
        (saved_message(duration_minutes=None), False),
        # nothing (or nothing usable) to restore
        ({"message": None}, None),
        (saved_message(message_id="x"), None),
    ],
    ids=["current", "ended", "ended-confirmed", "until-changed", "none", "damaged"],
)
async def test_supplier_message_restored_from_cache(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
    saved: dict[str, Any],
    ended: bool | None,
) -> None:
    last = State(MESSAGE, "Your meter will be replaced on Tuesday")
    mock_restore_cache_with_extra_data(hass, [(last, saved)])
    await setup_platform(hass, mock_config_entry, freezer, Platform.SENSOR)
    shown = hass.states.get(MESSAGE)
    if ended is None:
        assert shown.state == STATE_UNKNOWN
        assert "message_id" not in shown.attributes
        return
    message = saved["message"]
    assert shown.state == message["text"]
    assert shown.attributes["message_id"] == 41
    assert shown.attributes["importance"] == "high"
    assert shown.attributes["confirmation_required"] is True
    assert shown.attributes["confirmed"] is message["confirmed"]
    assert shown.attributes["ended"] is ended
    assert shown.attributes["start"] == (message["start_time"] or message["arrived"])
    runtime = mock_config_entry.runtime_data
    assert runtime.pushed.data.messages["esme"].message_id == 41
    assert (41 in runtime.pushed.data.confirmed) is message["confirmed"]
