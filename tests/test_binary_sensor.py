"""Binary sensors: the Metering Status bits and the Pay-As-You-Go credit flags."""

from __future__ import annotations

import datetime as dt
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.smets.const import CONF_LOW_CREDIT_LEVEL
from custom_components.smets.han.simulator import HanSimulator

from .conftest import setup_platform, simulator_data, simulator_of, snapshot_entities


@pytest.fixture
def entry_data() -> dict[str, Any]:
    """A Pay-As-You-Go meter on a 4-tier tariff."""
    return simulator_data(prepayment=True, tiers=4)


async def tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float = 10
) -> None:
    freezer.tick(dt.timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def set_status(sim: HanSimulator, value: int, *, gas: bool = False) -> None:
    """Make a meter report Metering Status ``value``."""
    device, endpoint = (sim.hub, 2) if gas else (sim.esme, 1)
    clusters = device.endpoints[endpoint].clusters
    clusters[0x0702].attributes[0x0200] = lambda _: value


def set_credit(sim: HanSimulator, pence: int) -> None:
    """Put the simulated account at ``pence`` of credit."""
    sim.account._reanchor(sim.clock.time(), pence * 1000)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    snapshot: SnapshotAssertion,
) -> None:
    await setup_platform(hass, mock_config_entry, freezer, Platform.BINARY_SENSOR)
    await snapshot_entities(hass, snapshot, mock_config_entry.entry_id)


async def test_status_bits(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    sim = simulator_of(init_integration)
    assert sim is not None
    assert hass.states.get("binary_sensor.electricity_meter_tamper").state == "off"
    set_status(sim, 0x04 | 0x08)  # tamper, power failure
    await tick(hass, freezer)
    assert hass.states.get("binary_sensor.electricity_meter_tamper").state == "on"
    assert (
        hass.states.get("binary_sensor.electricity_meter_power_failure").state == "on"
    )
    assert hass.states.get("binary_sensor.electricity_meter_leak").state == "off"
    set_status(sim, 0x02 | 0x20 | 0x80, gas=True)  # low battery, leak, reverse flow
    await tick(hass, freezer, 30 * 60)
    assert hass.states.get("binary_sensor.gas_meter_low_battery").state == "on"
    assert hass.states.get("binary_sensor.gas_meter_leak").state == "on"
    assert hass.states.get("binary_sensor.gas_meter_reverse_flow").state == "on"
    assert hass.states.get("binary_sensor.gas_meter_tamper").state == "off"
    sim.radio_loss(reported=True)
    await tick(hass, freezer)
    assert (
        hass.states.get("binary_sensor.electricity_meter_tamper").state == "unavailable"
    )


async def test_credit_flags_follow_the_meter_at_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    sim = simulator_of(init_integration)
    assert sim is not None
    low = "binary_sensor.electricity_meter_low_credit"
    available = "binary_sensor.electricity_meter_emergency_credit_available"
    assert hass.states.get(low).state == "off"
    assert hass.states.get(low).attributes["threshold"] == 5.0
    assert hass.states.get(low).attributes["threshold_source"] == "meter"
    set_credit(sim, 150)
    # the meter raises its low-credit and EC-available alerts; the flags follow
    # at once, long before the next 5-minute tariff poll
    await tick(hass, freezer)
    assert hass.states.get(low).state == "on"
    assert hass.states.get(available).state == "on"
    assert (
        hass.states.get("binary_sensor.electricity_meter_emergency_credit_in_use").state
        == "off"
    )
    assert hass.states.get("sensor.electricity_meter_credit_status").state == (
        "emergency_credit_available"
    )


async def test_own_low_credit_level(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    freezer.move_to(dt.datetime(2026, 1, 14, 12, tzinfo=dt.UTC))
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={CONF_LOW_CREDIT_LEVEL: 20}
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get("binary_sensor.electricity_meter_low_credit")
    assert state.state == "on"  # £15 is below your £20
    assert state.attributes == state.attributes | {
        "threshold": 20.0,
        "threshold_source": "options",
    }


@pytest.mark.parametrize("entry_data", [simulator_data()])
async def test_no_credit_flags_on_a_credit_meter(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    assert hass.states.get("binary_sensor.electricity_meter_low_credit") is None
    assert hass.states.get("button.electricity_meter_activate_emergency_credit") is None
    assert hass.states.get("sensor.electricity_meter_credit") is None
