"""The gas flow rate: only where the gas proxy publishes one (InstantaneousDemand)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import STATE_UNKNOWN, UnitOfVolumeFlowRate
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.smets.const import CONF_GAS_FLOW
from custom_components.smets.han.simulator import HanSimulator

from .conftest import simulator_data, simulator_of

FLOW = "sensor.gas_meter_flow_rate"


@pytest.fixture
def entry_data() -> dict[str, Any]:
    """A gas proxy that publishes the gas flow rate."""
    return simulator_data(**{CONF_GAS_FLOW: True})


def expected_flow(sim: HanSimulator) -> Decimal:
    """The simulator's flow: the last completed half-hour's litres, per hour, in m³/h."""
    index = int(sim.clock.time()) // 1800 - 1
    return Decimal(sim.gas.litres(index) * 2) / 1000


async def next_gas_cycle(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.tick(dt.timedelta(minutes=30))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_flow_rate_is_the_gpf_instantaneous_demand(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
) -> None:
    sim = simulator_of(init_integration)
    state = hass.states.get(FLOW)
    assert state is not None
    assert Decimal(state.state) == expected_flow(sim)
    assert state.attributes["device_class"] == SensorDeviceClass.VOLUME_FLOW_RATE
    assert state.attributes["state_class"] == SensorStateClass.MEASUREMENT
    assert (
        state.attributes["unit_of_measurement"]
        == UnitOfVolumeFlowRate.CUBIC_METERS_PER_HOUR
    )
    entry = entity_registry.async_get(FLOW)
    assert entry is not None
    assert entry.unique_id.endswith("_gpf_flow_rate")
    # it follows the next half-hour's gas, every digit
    flows = {state.state}
    for _ in range(4):
        await next_gas_cycle(hass, freezer)
        state = hass.states.get(FLOW)
        assert state is not None
        assert Decimal(state.state) == expected_flow(sim)
        flows.add(state.state)
    assert len(flows) > 1


async def test_flow_rate_not_available_is_unknown(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The int24 "invalid" sentinel (0x800000) is unknown, never a number."""
    sim = simulator_of(init_integration)
    metering = sim.hub.endpoints[2].clusters[0x0702]
    metering.attributes[0x0400] = lambda _: -0x800000
    await next_gas_cycle(hass, freezer)
    state = hass.states.get(FLOW)
    assert state is not None
    assert state.state == STATE_UNKNOWN


@pytest.mark.parametrize("entry_data", [simulator_data()])
async def test_no_flow_rate_where_the_gpf_publishes_none(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    assert hass.states.get("sensor.gas_meter_energy") is not None
    assert hass.states.get(FLOW) is None
