"""The actions: top up, emergency credit, confirm a supplier message."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.smets.const import DOMAIN
from custom_components.smets.han.simulator import HanSimulator, SimClock
from custom_components.smets.han.simulator.meters import TopUpOutcome

from .conftest import START, call_action as call, simulator_data, simulator_of

CREDIT = "sensor.electricity_meter_credit"


@pytest.fixture
def entry_data() -> dict[str, Any]:
    """A Pay-As-You-Go meter."""
    return simulator_data(prepayment=True)


def simulator(entry: MockConfigEntry) -> HanSimulator:
    sim = simulator_of(entry)
    assert sim is not None
    return sim


async def test_top_up(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sim = simulator(init_integration)
    utrn = sim.issue_utrn(1000)
    assert hass.states.get(CREDIT).state == "15.00000"
    with caplog.at_level(logging.DEBUG):
        response = await call(hass, "top_up", init_integration, utrn=utrn)
    assert response == {
        "accepted": True,
        "result": "accepted",
        "value": 10.0,
        "credit_remaining": 25.0,
        "currency": "GBP",
        "utrn": f"**** **** **** **** {utrn[-4:]}",
    }
    assert float(hass.states.get(CREDIT).state) == 25.0
    assert (
        float(hass.states.get("sensor.electricity_meter_total_credit_added").state)
        == 10
    )
    assert utrn not in caplog.text
    assert utrn[-4:] in caplog.text

    # the same UTRN again: a duplicate, named as such
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "top_up", init_integration, utrn=utrn)
    assert err.value.translation_key == "top_up_duplicate"
    assert utrn not in caplog.text


@pytest.mark.parametrize(
    ("utrn", "key"),
    [
        ("1234", "invalid_utrn"),
        ("1234 5678 9012 3456 789X", "invalid_utrn"),
        ("12345678901234567890", "top_up_not_authentic"),
    ],
)
async def test_top_up_refused(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    utrn: str,
    key: str,
) -> None:
    sim = simulator(init_integration)
    before = sim.requests
    with caplog.at_level(logging.DEBUG), pytest.raises(ServiceValidationError) as err:
        await call(hass, "top_up", init_integration, utrn=utrn)
    assert err.value.translation_key == key
    if key == "invalid_utrn":
        assert sim.requests == before  # nothing was sent
    assert utrn not in caplog.text


async def test_top_up_refused_to_a_consumer_device(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    # In GB entering a UTRN over the HAN is the PPMID's role: the meter says no
    sim = simulator(init_integration)
    sim.consumer_top_up = False
    credit = sim.account.credit(sim.clock.time())
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "top_up", init_integration, utrn=sim.issue_utrn(500))
    assert err.value.translation_key == "top_up_not_over_han"
    assert sim.account.credit(sim.clock.time()) == credit


async def test_top_up_for_another_meter(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    other = HanSimulator(2, prepayment=True, clock=SimClock(START))
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "top_up", init_integration, utrn=other.issue_utrn(500))
    assert err.value.translation_key == "top_up_not_authentic"


@pytest.mark.parametrize(
    ("outcome", "key"),
    [
        (TopUpOutcome(0x01, 0, alert=0x8F64), "top_up_not_for_this_meter"),
        (TopUpOutcome(0x01, 0), "top_up_invalid"),
        (TopUpOutcome(0x03, 0), "top_up_error"),
        (TopUpOutcome(0x04, 0), "top_up_max_credit_reached"),
        (TopUpOutcome(0x05, 0), "top_up_keypad_lock"),
        (TopUpOutcome(0x06, 0), "top_up_value_too_large"),
        (TopUpOutcome(0x07, 0), "top_up_unknown"),
    ],
)
async def test_every_refusal_is_named(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    outcome: TopUpOutcome,
    key: str,
) -> None:
    sim = simulator(init_integration)
    utrn = sim.issue_utrn(1000)
    with (
        patch.object(sim.account, "top_up", return_value=outcome),
        pytest.raises(ServiceValidationError) as err,
    ):
        await call(hass, "top_up", init_integration, utrn=utrn)
    assert err.value.translation_key == key
    assert err.value.translation_placeholders == {
        "utrn": f"**** **** **** **** {utrn[-4:]}"
    }


async def test_real_refusals(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    sim = simulator(init_integration)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "top_up", init_integration, utrn=sim.issue_utrn(30_000))
    assert err.value.translation_key == "top_up_value_too_large"
    await call(hass, "top_up", init_integration, utrn=sim.issue_utrn(25_000))
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "top_up", init_integration, utrn=sim.issue_utrn(25_000))
    assert err.value.translation_key == "top_up_max_credit_reached"


async def test_meter_not_answering(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    sim = simulator(init_integration)
    sim.radio_loss(reported=True)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "top_up", init_integration, utrn=sim.issue_utrn(100))
    assert err.value.translation_key == "command_failed"
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "activate_emergency_credit", init_integration)
    assert err.value.translation_key == "command_failed"
    await sim.send_message("Hello", confirm=True)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "confirm_message", init_integration, message_id=1)
    assert err.value.translation_key == "command_failed"


async def test_entry_checks(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "activate_emergency_credit",
            {"config_entry_id": "nope"},
            blocking=True,
        )
    assert err.value.translation_key == "entry_not_found"
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "activate_emergency_credit", init_integration)
    assert err.value.translation_key == "entry_not_loaded"


@pytest.mark.parametrize("entry_data", [simulator_data()])
async def test_not_prepayment(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "top_up", init_integration, utrn="1" * 20)
    assert err.value.translation_key == "not_prepayment"


async def test_emergency_credit(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    sim = simulator(init_integration)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "activate_emergency_credit", init_integration)
    assert err.value.translation_key == "emergency_credit_not_available"
    sim.account._reanchor(sim.clock.time(), 150_000)
    freezer.tick(dt.timedelta(seconds=10))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    await call(hass, "activate_emergency_credit", init_integration)
    assert hass.states.get("sensor.electricity_meter_credit_status").state == (
        "emergency_credit_selected"
    )


async def test_confirm_message(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    sim = simulator(init_integration)
    sensor = "sensor.electricity_meter_supplier_message"
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "confirm_message", init_integration)
    assert err.value.translation_key == "no_message_to_confirm"
    await sim.send_message("No confirmation needed")
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError):
        await call(hass, "confirm_message", init_integration)
    message_id = await sim.send_message("Please call us", confirm=True)
    await hass.async_block_till_done()
    assert hass.states.get(sensor).attributes["confirmation_required"] is True
    assert hass.states.get(sensor).attributes["confirmed"] is False
    before = sim.requests
    await call(hass, "confirm_message", init_integration)
    assert sim.requests == before + 1
    assert hass.states.get(sensor).attributes["confirmed"] is True
    assert hass.states.get(sensor).attributes["message_id"] == message_id
    await call(hass, "confirm_message", init_integration, message_id=message_id)
