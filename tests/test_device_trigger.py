"""Device triggers, attached in an automation and fired by a simulated alert."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import automation
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_get_device_automations,
)

from custom_components.smets.const import DOMAIN
from custom_components.smets.coordinator import JOIN_SETTLE
from custom_components.smets.push import meter_device_id

from .conftest import simulator_of


def _device(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    entry: MockConfigEntry,
    role: str,
) -> dr.DeviceEntry:
    device_id = meter_device_id(hass, entry, role)
    assert device_id is not None
    device = device_registry.async_get(device_id)
    assert device is not None
    return device


async def test_get_triggers(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    esme = _device(hass, device_registry, init_integration, "esme")
    triggers = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, esme.id
    )
    types = {t["type"] for t in triggers if t["domain"] == DOMAIN}
    assert {
        "tamper_detected",
        "supply_interrupted",
        "low_credit",
        "reverse_current",
    } <= (types)
    assert "low_battery" not in types
    gas = _device(hass, device_registry, init_integration, "gpf")
    triggers = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, gas.id
    )
    types = {t["type"] for t in triggers if t["domain"] == DOMAIN}
    assert {"tamper_detected", "low_battery", "reverse_gas_flow"} <= types
    assert "reverse_current" not in types
    assert not {"device_left", "device_log_changed"} & types
    hub = _device(hass, device_registry, init_integration, "chf")
    triggers = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, hub.id
    )
    assert [t["type"] for t in triggers if t["domain"] == DOMAIN] == [
        "device_joined",
        "device_join_failed",
        "device_left",
        "device_log_changed",
        "comms_alert",
        "other_alert",
    ]


async def test_get_triggers_of_an_unloaded_meter(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    esme = _device(hass, device_registry, init_integration, "esme")
    hub = _device(hass, device_registry, init_integration, "chf")
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    triggers = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, esme.id
    )
    types = {t["type"] for t in triggers if t["domain"] == DOMAIN}
    assert {"low_battery", "reverse_current"} <= types
    assert "device_log_changed" not in types
    # the hub is known by its EUI64 (the entry's id) even while unloaded
    triggers = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, hub.id
    )
    types = {t["type"] for t in triggers if t["domain"] == DOMAIN}
    assert "device_log_changed" in types
    assert "reverse_current" not in types


@pytest.mark.parametrize(
    ("trigger_type", "code", "fuel", "role"),
    [
        ("tamper_detected", 0x8F3F, "electricity", "esme"),
        ("supply_interrupted", 0x8F57, "electricity", "esme"),
        ("low_battery", 0x8F1F, "gas", "gpf"),
        ("other_alert", 0x1234, "electricity", "esme"),
        ("device_join_failed", 0x8F48, "hub", "chf"),
        ("device_left", 0x8F4B, "hub", "chf"),
        ("device_log_changed", 0x8F12, "hub", "chf"),
        ("comms_alert", 0x8F12, "hub", "chf"),  # 0x8F49 fires it too: see below
        ("other_alert", 0x8F43, "hub", "chf"),
    ],
)
async def test_trigger_fires(  # noqa: PLR0917 - fixtures and parameters
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    service_calls: list[ServiceCall],
    trigger_type: str,
    code: int,
    fuel: str,
    role: str,
) -> None:
    device = _device(hass, device_registry, init_integration, role)
    # the same trigger on another device does not fire
    other = _device(
        hass, device_registry, init_integration, "gpf" if role == "esme" else "esme"
    )
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: [
                {
                    "trigger": {
                        "platform": "device",
                        "domain": DOMAIN,
                        "device_id": device_id,
                        "type": trigger_type,
                    },
                    "action": {
                        "service": "test.automation",
                        "data_template": {
                            "device": device_id,
                            "description": "{{ trigger.description }}",
                            "code": "{{ trigger.event.data.code_hex }}",
                        },
                    },
                }
                for device_id in (device.id, other.id)
            ]
        },
    )
    sim = simulator_of(init_integration)
    assert sim is not None
    await sim.send_alert(code, fuel=fuel)  # type: ignore[arg-type]
    await hass.async_block_till_done()
    assert len(service_calls) == 1
    assert service_calls[0].data["device"] == device.id
    assert service_calls[0].data["code"] == f"0x{code:04X}"
    assert trigger_type in service_calls[0].data["description"]
    # an alert the trigger does not cover does not fire it
    uncovered = 0x8F43 if trigger_type == "comms_alert" else 0x8F49
    await sim.send_alert(uncovered, fuel=fuel)  # type: ignore[arg-type]
    await hass.async_block_till_done()
    assert len(service_calls) == 1


async def test_hub_device_joined_trigger_and_meter_recheck(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    service_calls: list[ServiceCall],
    freezer: FrozenDateTimeFactory,
) -> None:
    """The hub's "device joined HAN" fires its trigger and still re-checks the meters."""
    hub = _device(hass, device_registry, init_integration, "chf")
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "trigger": {
                    "platform": "device",
                    "domain": DOMAIN,
                    "device_id": hub.id,
                    "type": "device_joined",
                },
                "action": {
                    "service": "test.automation",
                    "data_template": {
                        "meter": "{{ trigger.event.data.meter }}",
                        "code": "{{ trigger.event.data.code_hex }}",
                        "description": "{{ trigger.description }}",
                    },
                },
            }
        },
    )
    watch = init_integration.runtime_data.watch
    assert watch is not None
    sim = simulator_of(init_integration)
    assert sim is not None
    await sim.send_alert(0x8183, fuel="hub")
    await hass.async_block_till_done()
    assert [call.data for call in service_calls] == [
        {
            "meter": "hub",
            "code": "0x8183",
            "description": "Device joined SMHAN (device_joined)",
        }
    ]
    # the join alert still makes the HAN be asked which meters it has
    assert watch.checks == 0
    now = dt_util.utcnow() + JOIN_SETTLE
    freezer.move_to(now)
    async_fire_time_changed(hass, now)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert watch.checks == 1
    assert init_integration.state is ConfigEntryState.LOADED  # nothing changed
