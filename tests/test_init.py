"""Setting up, unloading, retrying; unavailable and back; register glitches."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
import logging
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.smets import _update_migration_issues
from custom_components.smets.const import DOMAIN
from custom_components.smets.coordinator import RegisterGuard
from custom_components.smets.han import model
from custom_components.smets.han.catalogue import lookup
from custom_components.smets.han.simulator import HanSimulator
from custom_components.smets.models import MeterInfo

from .conftest import simulator_of

IMPORT = "sensor.electricity_meter_import"
DEMAND = "sensor.electricity_meter_demand"
GAS = "sensor.gas_meter_volume"


async def _tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Move time on and let the coordinators' background refreshes finish."""
    freezer.tick(dt.timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_load_unload(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    entry = init_integration
    assert entry.state is ConfigEntryState.LOADED
    assert float(hass.states.get(IMPORT).state) > 0
    simulator = simulator_of(entry)
    assert simulator is not None
    app = entry.runtime_data.link.app
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert simulator.app is None or simulator.app is not app


async def test_devices_hang_off_the_hub(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    meters = init_integration.runtime_data.meters
    devices = dr.async_entries_for_config_entry(
        device_registry, init_integration.entry_id
    )
    assert len(devices) == 3
    by_id = {
        identifier: device for device in devices for identifier in device.identifiers
    }
    by_key = {
        role: by_id[(DOMAIN, meter.device_id)]
        for role, meter in {
            "comms_hub": meters["chf"],
            "electricity_meter": meters["esme"],
            "gas_meter": meters["gpf"],
        }.items()
    }
    hub = by_key["comms_hub"]
    assert by_key["electricity_meter"].via_device_id == hub.id
    assert by_key["gas_meter"].via_device_id == hub.id
    assert by_key["electricity_meter"].manufacturer == "Landis & Gyr"
    assert by_key["electricity_meter"].model == "E470-5394"


async def test_setup_retries_when_the_han_is_silent(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    # Real time here: discovery must actually time out.
    real_start = HanSimulator.start

    async def silent_start(self: HanSimulator) -> object:
        self.radio_loss()
        return await real_start(self)

    mock_config_entry.add_to_hass(hass)
    with patch(
        "custom_components.smets.han.simulator.HanSimulator.start", silent_start
    ):
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_unavailable_then_back_logs_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    simulator = simulator_of(init_integration)
    assert simulator is not None
    simulator.radio_loss(reported=True)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            await _tick(hass, freezer, 10)
    assert hass.states.get(IMPORT).state == STATE_UNAVAILABLE
    assert hass.states.get(DEMAND).state == STATE_UNAVAILABLE
    lost = [
        r
        for r in caplog.records
        if "Error fetching" in r.getMessage() and "electricity" in r.getMessage()
    ]
    assert len(lost) == 1
    simulator.radio_return()
    caplog.clear()
    with caplog.at_level(logging.INFO):
        await _tick(hass, freezer, 10)
        await _tick(hass, freezer, 10)
    assert float(hass.states.get(IMPORT).state) > 0
    back = [
        r
        for r in caplog.records
        if "recovered" in r.getMessage() and "electricity" in r.getMessage()
    ]
    assert len(back) == 1


async def test_sentinel_is_unknown_not_zero(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    simulator = simulator_of(init_integration)
    assert simulator is not None
    before = float(hass.states.get(IMPORT).state)
    simulator.set_sentinel(0x0702, 0x0400)  # InstantaneousDemand
    await _tick(hass, freezer, 10)
    assert hass.states.get(DEMAND).state == STATE_UNKNOWN
    assert float(hass.states.get(IMPORT).state) >= before
    simulator.set_sentinel(0x0702, 0x0400, on=False)
    await _tick(hass, freezer, 10)
    assert hass.states.get(DEMAND).state not in (STATE_UNKNOWN, STATE_UNAVAILABLE)


async def test_register_keeps_rising_and_a_meter_exchange_resets(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    simulator = simulator_of(init_integration)
    assert simulator is not None
    values = []
    for _ in range(6):
        await _tick(hass, freezer, 600)
        values.append(float(hass.states.get(IMPORT).state))
    assert values == sorted(values)
    simulator.meter_exchange("electricity")
    await _tick(hass, freezer, 10)
    after = float(hass.states.get(IMPORT).state)
    assert after < values[-1] * 0.5
    assert "treating it as a meter reset" in caplog.text


def test_register_guard_holds_a_glitch() -> None:
    guard = RegisterGuard()
    assert guard("import", Decimal("1000.0")) == Decimal("1000.0")
    assert guard("import", None) is None
    assert guard("import", Decimal("999.5")) == 1000  # a stale value: held
    assert guard("import", Decimal("1000.2")) == Decimal("1000.2")
    assert guard("import", Decimal(3)) == 3  # a new meter: accepted as a reset
    assert guard("import", Decimal(4)) == 4


async def test_gas_reads_the_mirror_never_the_gsme(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    simulator = simulator_of(init_integration)
    assert simulator is not None
    first = float(hass.states.get(GAS).state)
    for _ in range(4):
        await _tick(hass, freezer, 30 * 60)
    assert float(hass.states.get(GAS).state) >= first
    assert simulator.gsme_wakeups == 0


async def test_smets1_not_on_adoption_list_raises_a_repair(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    entry = init_integration
    unlisted = MeterInfo(
        role="esme",
        ieee="00:11:22:33:44:55:66:77",
        device_id="00:11:22:33:44:55:66:77",
        identity=model.decode_identity(
            {0x0004: "Secure Meters", 0x0005: "Liberty 200"}
        ),
        catalogue=lookup("Secure Meters", "Liberty 200", smets_hint="SMETS1"),
    )
    assert unlisted.catalogue.migration is not None
    assert unlisted.catalogue.migration.status == "not_on_adoption_list"
    _update_migration_issues(hass, entry, {"esme": unlisted})
    issue = issue_registry.async_get_issue(
        DOMAIN, f"smets1_not_adoptable_{entry.entry_id}_esme"
    )
    assert issue is not None
    assert issue.learn_more_url is not None
    assert issue.translation_placeholders == {"meter": "Secure Meters Liberty 200"}
    # A meter on the list clears it again, and so does removing the entry.
    _update_migration_issues(hass, entry, entry.runtime_data.meters)
    assert (
        issue_registry.async_get_issue(
            DOMAIN, f"smets1_not_adoptable_{entry.entry_id}_esme"
        )
        is None
    )
    _update_migration_issues(hass, entry, {"esme": unlisted})
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert (
        issue_registry.async_get_issue(
            DOMAIN, f"smets1_not_adoptable_{entry.entry_id}_esme"
        )
        is None
    )


async def test_options_change_reloads(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    entry = init_integration
    old_link = entry.runtime_data.link
    hass.config_entries.async_update_entry(entry, options={"co2_factor": 0.1})
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.link is not old_link
