"""A Pay-As-You-Go gas meter: its credit entities, top-up and emergency credit."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.smets.const import (
    CONF_GAS_PREPAYMENT,
    CONF_LOW_CREDIT_LEVEL,
)
from custom_components.smets.han.simulator import HanSimulator

from .conftest import (
    call_action as call,
    setup_platform,
    simulator_data,
    simulator_of,
    snapshot_entities,
)

CREDIT = "sensor.gas_meter_credit"
STATUS = "sensor.gas_meter_credit_status"
LOW = "binary_sensor.gas_meter_low_credit"
AVAILABLE = "binary_sensor.gas_meter_emergency_credit_available"
IN_USE = "binary_sensor.gas_meter_emergency_credit_in_use"
BUTTON = "button.gas_meter_activate_emergency_credit"


@pytest.fixture
def entry_data() -> dict[str, Any]:
    """A credit electricity meter beside a Pay-As-You-Go gas meter."""
    return simulator_data(**{CONF_GAS_PREPAYMENT: True})


def simulator(entry: MockConfigEntry) -> HanSimulator:
    sim = simulator_of(entry)
    assert sim is not None
    return sim


async def tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float = 10
) -> None:
    freezer.tick(dt.timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def set_gas_credit(sim: HanSimulator, pence: int) -> None:
    """Put the simulated gas account at ``pence`` of credit."""
    account = sim.prepayment_account("gas")
    account._reanchor(sim.clock.time(), pence * 1000)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    "platform", [Platform.SENSOR, Platform.BINARY_SENSOR, Platform.BUTTON]
)
async def test_entities(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    await setup_platform(hass, mock_config_entry, freezer, platform)
    await snapshot_entities(hass, snapshot, mock_config_entry.entry_id)


async def test_only_the_gas_meter_is_on_prepayment(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    registry = er.async_get(hass)
    credit = registry.async_get(CREDIT)
    assert credit is not None
    assert credit.unique_id.endswith("_gpf_credit_remaining")
    assert hass.states.get(CREDIT).state == "15.00000"
    assert hass.states.get(STATUS).state == "credit_ok"
    assert hass.states.get(LOW).state == "off"
    assert hass.states.get(BUTTON) is not None
    # the electricity meter is a credit meter: none of its own
    assert hass.states.get("sensor.electricity_meter_credit") is None
    assert hass.states.get("binary_sensor.electricity_meter_low_credit") is None
    assert hass.states.get("button.electricity_meter_activate_emergency_credit") is None


@pytest.mark.parametrize("entry_data", [simulator_data(prepayment=True)])
async def test_no_gas_credit_entities_on_a_credit_gas_meter(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    assert hass.states.get("sensor.electricity_meter_credit") is not None
    for entity_id in (CREDIT, STATUS, LOW, AVAILABLE, IN_USE, BUTTON):
        assert hass.states.get(entity_id) is None, entity_id


async def test_top_up_gas(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    sim = simulator(init_integration)
    utrn = sim.issue_utrn(1000, "gas")
    response = await call(hass, "top_up", init_integration, utrn=utrn, fuel="gas")
    assert response["accepted"] is True
    assert response["value"] == 10.0
    assert float(hass.states.get(CREDIT).state) == 25.0
    # the same UTRN again: the gas meter names it a duplicate, credit unchanged
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "top_up", init_integration, utrn=utrn, fuel="gas")
    assert err.value.translation_key == "top_up_duplicate"
    assert float(hass.states.get(CREDIT).state) == 25.0


async def test_top_up_gas_with_an_invalid_utrn(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    sim = simulator(init_integration)
    # not 20 digits: refused before anything is sent
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "top_up", init_integration, utrn="1234", fuel="gas")
    assert err.value.translation_key == "invalid_utrn"
    # an electricity UTRN: signed with the ESME's key, not authentic to the gas meter
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass, "top_up", init_integration, utrn=sim.issue_utrn(500), fuel="gas"
        )
    assert err.value.translation_key == "top_up_not_authentic"
    assert hass.states.get(CREDIT).state == "15.00000"


async def test_electricity_actions_on_a_credit_electricity_meter(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    sim = simulator(init_integration)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "top_up", init_integration, utrn=sim.issue_utrn(500, "gas"))
    assert err.value.translation_key == "not_prepayment"


@pytest.mark.parametrize("entry_data", [simulator_data(prepayment=True)])
async def test_gas_actions_on_a_credit_gas_meter(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    for service, data in (
        ("top_up", {"utrn": "1" * 20}),
        ("activate_emergency_credit", {}),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, service, init_integration, fuel="gas", **data)
        assert err.value.translation_key == "gas_not_prepayment"


async def test_gas_meter_without_top_up_over_the_han(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    # A gas meter that takes UTRNs only on its own keypad: its mirror's
    # Prepayment cluster has no ConsumerTopUp
    keypad_only = functools.partial(HanSimulator, gas_utrn=False)
    with patch("custom_components.smets.connection.HanSimulator", keypad_only):
        await setup_platform(hass, mock_config_entry, freezer, Platform.SENSOR)
    sim = simulator(mock_config_entry)
    assert not sim.prepayment_account("gas").accepts_utrn
    assert hass.states.get(CREDIT).state == "15.00000"
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            "top_up",
            mock_config_entry,
            utrn=sim.issue_utrn(500, "gas"),
            fuel="gas",
        )
    assert err.value.translation_key == "gas_top_up_not_supported"
    assert hass.states.get(CREDIT).state == "15.00000"


async def test_low_credit_and_emergency_credit(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    sim = simulator(init_integration)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "button", "press", {"entity_id": BUTTON}, blocking=True
        )
    assert err.value.translation_key == "emergency_credit_not_available"
    set_gas_credit(sim, 150)
    await sim.send_prepay_snapshot("gas")
    await tick(hass, freezer, 5 * 60)
    assert float(hass.states.get(CREDIT).state) < 1.5
    assert hass.states.get(LOW).state == "on"
    assert hass.states.get(AVAILABLE).state == "on"
    assert hass.states.get(IN_USE).state == "off"
    assert hass.states.get(STATUS).state == "emergency_credit_available"
    await hass.services.async_call(
        "button", "press", {"entity_id": BUTTON}, blocking=True
    )
    assert hass.states.get(STATUS).state == "emergency_credit_selected"
    # the electricity meter is untouched
    assert hass.states.get("sensor.electricity_meter_credit_status") is None


async def test_pushed_gas_snapshot_updates_gas_credit_at_once(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    sim = simulator(init_integration)
    set_gas_credit(sim, 1234)
    await sim.send_prepay_snapshot("gas")
    await hass.async_block_till_done()
    # no poll in between: the snapshot the hub pushed for the gas meter
    assert float(hass.states.get(CREDIT).state) == 12.34
    assert float(hass.states.get("sensor.gas_meter_emergency_credit").state) == 10


async def test_own_low_credit_level_for_gas(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={CONF_LOW_CREDIT_LEVEL: 20}
    )
    await setup_platform(hass, mock_config_entry, freezer, Platform.BINARY_SENSOR)
    state = hass.states.get(LOW)
    assert state.state == "on"  # £15 of gas credit is below your £20
    assert state.attributes["threshold"] == 20.0
    assert state.attributes["threshold_source"] == "options"
