"""Alerts: the smets_alert bus event and the event entity of each meter and the hub."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.smets.han.meter import MessageCancelled
from custom_components.smets.push import meter_device_id

from .conftest import setup_platform, simulator_of, snapshot_entities

ESME_ALERT = "event.electricity_meter_alert"
GAS_ALERT = "event.gas_meter_alert"
HUB_ALERT = "event.comms_hub_alert"


async def test_entities(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    snapshot: SnapshotAssertion,
) -> None:
    await setup_platform(hass, mock_config_entry, freezer, Platform.EVENT)
    await snapshot_entities(hass, snapshot, mock_config_entry.entry_id)


async def test_alert_fires_bus_event_and_entity(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
) -> None:
    events = async_capture_events(hass, "smets_alert")
    sim = simulator_of(init_integration)
    assert sim is not None
    await sim.send_alert(0x8F3F)
    await hass.async_block_till_done()
    state = hass.states.get(ESME_ALERT)
    assert state.attributes["event_type"] == "tamper"
    assert state.attributes["code"] == 0x8F3F
    assert state.attributes["code_hex"] == "0x8F3F"
    assert state.attributes["severity"] == "critical"
    assert state.attributes["meter"] == "electricity"
    assert len(events) == 1
    data = events[0].data
    assert data["device_id"] == meter_device_id(hass, init_integration, "esme")
    assert data["device_id"] is not None
    assert data["category"] == "tamper"
    assert data["severity"] == "critical"
    assert data["meter"] == "electricity"
    assert data["time"] is not None
    assert "tamper_detected" in data["trigger_types"]
    assert hass.states.get(GAS_ALERT).attributes["event_type"] is None
    assert hass.states.get(HUB_ALERT).attributes["event_type"] is None


async def test_hub_alert_fires_bus_event_and_entity(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
) -> None:
    """The Comms Hub's own alert: its device, its entity, its trigger types."""
    events = async_capture_events(hass, "smets_alert")
    sim = simulator_of(init_integration)
    assert sim is not None
    await sim.send_alert(0x8F12, fuel="hub")
    await hass.async_block_till_done()
    state = hass.states.get(HUB_ALERT)
    assert state.attributes["event_type"] == "comms"
    assert state.attributes["code_hex"] == "0x8F12"
    assert state.attributes["name"] == "CHF Device Log Changed"
    assert state.attributes["severity"] == "info"
    assert state.attributes["meter"] == "hub"
    assert len(events) == 1
    data = events[0].data
    assert data["meter"] == "hub"
    assert data["device_id"] == meter_device_id(hass, init_integration, "chf")
    assert data["device_id"] is not None
    assert data["trigger_types"] == ["device_log_changed", "comms_alert"]
    for meter in (ESME_ALERT, GAS_ALERT):
        assert hass.states.get(meter).attributes["event_type"] is None

    await sim.send_alert(0x8183, fuel="hub")
    await hass.async_block_till_done()
    assert hass.states.get(HUB_ALERT).attributes["code_hex"] == "0x8183"
    assert events[1].data["trigger_types"] == ["device_joined", "comms_alert"]
    assert init_integration.runtime_data.pushed.data.alerts["chf"].code == 0x8183


@pytest.mark.parametrize(
    ("code", "fuel", "entity_id", "event_type", "name"),
    [
        (0x8F1F, "gas", GAS_ALERT, "battery", None),
        (0x8F57, "electricity", ESME_ALERT, "supply", None),
        (0x1234, "electricity", ESME_ALERT, "other", "unknown (0x1234)"),
        (0x8F48, "hub", HUB_ALERT, "comms", None),
        (0x8F43, "hub", HUB_ALERT, "other", None),
        (0x4321, "hub", HUB_ALERT, "other", "unknown (0x4321)"),
    ],
)
async def test_alert_kinds(  # noqa: PLR0917 - fixtures and parameters
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    code: int,
    fuel: str,
    entity_id: str,
    event_type: str,
    name: str | None,
) -> None:
    events = async_capture_events(hass, "smets_alert")
    sim = simulator_of(init_integration)
    assert sim is not None
    await sim.send_alert(code, fuel=fuel)  # type: ignore[arg-type]
    await hass.async_block_till_done(wait_background_tasks=True)
    state = hass.states.get(entity_id)
    assert state.attributes["event_type"] == event_type
    assert events[0].data["code"] == code
    if name is not None:
        assert state.attributes["name"] == name
        assert events[0].data["known"] is False
        assert events[0].data["trigger_types"] == ["other_alert"]


async def test_supplier_message(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    events = async_capture_events(hass, "smets_message")
    sim = simulator_of(init_integration)
    assert sim is not None
    message_id = await sim.send_message("Your tariff changes on 1 April.")
    await hass.async_block_till_done()
    state = hass.states.get("sensor.electricity_meter_supplier_message")
    assert state.state == "Your tariff changes on 1 April."
    assert state.attributes["message_id"] == message_id
    assert state.attributes["importance"] == "low"
    assert state.attributes["duration_minutes"] == 1440
    assert state.attributes["confirmation_required"] is False
    assert events[0].data["text"] == "Your tariff changes on 1 April."
    assert events[0].data["message_id"] == message_id

    esme = init_integration.runtime_data.link.esme
    esme._emit(MessageCancelled("esme", message_id + 1))
    await hass.async_block_till_done()
    assert hass.states.get("sensor.electricity_meter_supplier_message").state != (
        "unknown"
    )
    esme._emit(MessageCancelled("esme", message_id))
    await hass.async_block_till_done()
    state = hass.states.get("sensor.electricity_meter_supplier_message")
    assert state.state == "unknown"
