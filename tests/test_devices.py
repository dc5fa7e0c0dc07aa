"""Meters that join or leave the HAN: dynamic devices and stale devices.

The simulated HAN here outlives the entry, as a real one outlives Home
Assistant: the same ``HanSimulator`` is behind every setup of the entry (a
reload builds a new zigpy application and link on it). A gas meter paired
later, a meter exchanged for one with another EUI64, a gas meter taken off:
the devices and entities follow without the user reloading anything.
"""

from __future__ import annotations

from collections.abc import Generator
import datetime as dt
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.smets.const import (
    CONF_PREPAYMENT,
    CONF_PROFILE,
    CONF_SEED,
    CONF_SOLAR,
    CONF_TIERS,
    DOMAIN,
)
from custom_components.smets.coordinator import JOIN_SETTLE, RECHECK_INTERVAL
from custom_components.smets.han.simulator import HanSimulator

from .conftest import START, ha_time

IMPORT = "sensor.electricity_meter_import"
GAS = "sensor.gas_meter_volume"


class LastingHan:
    """The entry's simulated HAN, built at the first setup and kept after it."""

    def __init__(self, *, gas: bool) -> None:
        self.gas = gas
        self.sim: HanSimulator | None = None
        self.starts = 0

    def __call__(self, data: dict[str, Any]) -> HanSimulator:
        if self.sim is None:
            self.sim = HanSimulator(
                int(data[CONF_SEED]),
                profile=data[CONF_PROFILE],
                tiers=int(data[CONF_TIERS]),
                prepayment=bool(data[CONF_PREPAYMENT]),
                solar=bool(data[CONF_SOLAR]),
                clock=ha_time,
                gas=self.gas,
            )
        self.starts += 1
        return self.sim


@pytest.fixture
def gas_at_start() -> bool:
    """Whether the gas meter is paired when the entry is first set up."""
    return True


@pytest.fixture
def lasting_han(gas_at_start: bool) -> Generator[LastingHan]:
    """Every setup of the entry opens the same simulated HAN."""
    han = LastingHan(gas=gas_at_start)
    with patch("custom_components.smets.connection.make_simulator", han):
        yield han


@pytest.fixture
async def entry(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    lasting_han: LastingHan,
) -> MockConfigEntry:
    """The entry, set up on the lasting HAN at START."""
    freezer.move_to(START)
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert lasting_han.starts == 1
    return mock_config_entry


def _han(lasting_han: LastingHan) -> HanSimulator:
    assert lasting_han.sim is not None
    return lasting_han.sim


async def _tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: dt.timedelta
) -> None:
    """Move time on; let the coordinators, checks and reloads it starts finish."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def _devices(
    device_registry: dr.DeviceRegistry, entry: MockConfigEntry
) -> dict[str, dr.DeviceEntry]:
    """The entry's devices by meter identifier."""
    return {
        value: device
        for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id)
        for domain, value in device.identifiers
        if domain == DOMAIN
    }


def _entities(
    entity_registry: er.EntityRegistry, entry: MockConfigEntry
) -> dict[str, str]:
    """The entry's entities: unique id -> entity id."""
    return {
        entity.unique_id: entity.entity_id
        for entity in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    }


# --- dynamic devices ---------------------------------------------------------------


@pytest.mark.parametrize("gas_at_start", [False])
async def test_gas_meter_paired_later_appears_by_itself(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    lasting_han: LastingHan,
    freezer: FrozenDateTimeFactory,
) -> None:
    device_registry = dr.async_get(hass)
    entity_registry = er.async_get(hass)
    han = _han(lasting_han)
    assert not entry.runtime_data.link.has_gas
    assert set(_devices(device_registry, entry)) == {
        str(han.hub.ieee),
        str(han.esme.ieee),
    }
    assert hass.states.get(GAS) is None
    before = _entities(entity_registry, entry)
    import_state = float(hass.states.get(IMPORT).state)
    first_link = entry.runtime_data.link

    han.pair_gas()  # the hub raises "device joined HAN" (0x8183)
    await _tick(hass, freezer, dt.timedelta(seconds=10))  # the alert arrives
    assert entry.runtime_data.link is first_link  # the hub needs a moment
    await _tick(hass, freezer, JOIN_SETTLE)

    assert entry.state is ConfigEntryState.LOADED
    assert lasting_han.starts == 2  # one reload, by itself
    assert entry.runtime_data.link is not first_link
    assert entry.runtime_data.link.has_gas
    devices = _devices(device_registry, entry)
    gas = devices[str(han.gsme.ieee)]
    assert gas.via_device_id == devices[str(han.hub.ieee)].id
    assert gas.model == "G470-672"
    assert float(hass.states.get(GAS).state) > 0
    after = _entities(entity_registry, entry)
    # every entity there before keeps its id; the gas meter's are new
    assert {uid: after[uid] for uid in before} == before
    assert any("_gpf_" in uid for uid in set(after) - set(before))
    assert entity_registry.async_get(GAS).device_id == gas.id
    assert float(hass.states.get(IMPORT).state) >= import_state


@pytest.mark.parametrize("gas_at_start", [False])
async def test_periodic_check_is_the_safety_net(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    lasting_han: LastingHan,
    freezer: FrozenDateTimeFactory,
) -> None:
    han = _han(lasting_han)
    watch = entry.runtime_data.watch
    assert watch is not None
    # Nothing changed: the check asks, and nothing reloads
    await _tick(hass, freezer, RECHECK_INTERVAL)
    assert watch.checks == 1
    assert lasting_han.starts == 1

    han.pair_gas(announce=False)  # nobody says so
    await _tick(hass, freezer, JOIN_SETTLE)
    assert lasting_han.starts == 1
    await _tick(hass, freezer, RECHECK_INTERVAL)
    assert lasting_han.starts == 2
    assert entry.runtime_data.link.has_gas
    assert hass.states.get(GAS) is not None


async def test_announced_join_with_nothing_new_does_not_reload(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    lasting_han: LastingHan,
    freezer: FrozenDateTimeFactory,
) -> None:
    han = _han(lasting_han)
    await han.send_alert(0x8183, fuel="hub")  # e.g. an In-Home Display joined
    await han.send_alert(0x8F49)  # twice: one check
    await _tick(hass, freezer, JOIN_SETTLE)
    watch = entry.runtime_data.watch
    assert watch is not None
    assert watch.checks == 1
    assert lasting_han.starts == 1
    assert entry.state is ConfigEntryState.LOADED


async def test_a_silent_han_reloads_and_removes_nothing(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    lasting_han: LastingHan,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
) -> None:
    han = _han(lasting_han)
    devices = _devices(device_registry, entry)
    han.radio_loss(reported=True)
    await _tick(hass, freezer, RECHECK_INTERVAL)
    watch = entry.runtime_data.watch
    assert watch is not None
    assert watch.checks == 1
    assert lasting_han.starts == 1
    assert _devices(device_registry, entry) == devices


# --- stale devices -----------------------------------------------------------------


async def test_meter_exchange_replaces_the_device_keeps_the_entities(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    lasting_han: LastingHan,
    freezer: FrozenDateTimeFactory,
) -> None:
    device_registry = dr.async_get(hass)
    entity_registry = er.async_get(hass)
    han = _han(lasting_han)
    old_esme = str(han.esme.ieee)
    old_device = _devices(device_registry, entry)[old_esme]
    before = _entities(entity_registry, entry)

    han.meter_exchange("electricity", new_eui64=True)  # the hub announces it
    await _tick(hass, freezer, dt.timedelta(seconds=10))
    await _tick(hass, freezer, JOIN_SETTLE)

    assert lasting_han.starts == 2
    devices = _devices(device_registry, entry)
    assert old_esme not in devices
    assert device_registry.async_get(old_device.id) is None
    assert set(devices) == {str(han.hub.ieee), str(han.esme.ieee), str(han.gsme.ieee)}
    assert _entities(entity_registry, entry) == before
    assert entity_registry.async_get(IMPORT).device_id == devices[str(han.esme.ieee)].id
    assert hass.states.get(IMPORT) is not None


async def test_gas_meter_gone_keeps_its_device_until_the_user_deletes_it(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    lasting_han: LastingHan,
    device_registry: dr.DeviceRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """A meter that does not answer discovery may only be silent: kept.

    Over the air one lost answer looks like a meter gone, and deleting the
    device would lose the user's names, areas and automations on it. Nothing
    took its place, so it stays until the user deletes it (allowed: it is not
    on the HAN now), or until it answers again.
    """
    entity_registry = er.async_get(hass)
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    han = _han(lasting_han)
    gsme = str(han.gsme.ieee)
    han.unpair_gas()
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    devices = _devices(device_registry, entry)
    assert set(devices) == {str(han.hub.ieee), str(han.esme.ieee), gsme}
    assert entity_registry.async_get(GAS) is not None
    assert hass.states.get(IMPORT) is not None

    assert await _remove(client, devices[gsme].id, entry.entry_id)
    assert set(_devices(device_registry, entry)) == {
        str(han.hub.ieee),
        str(han.esme.ieee),
    }
    assert entity_registry.async_get(GAS) is None
    assert not any("_gpf_" in uid for uid in _entities(entity_registry, entry))


async def test_unreachable_han_at_setup_removes_nothing(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    lasting_han: LastingHan,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    han = _han(lasting_han)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    old_esme = str(han.esme.ieee)
    han.meter_exchange("electricity", new_eui64=True, announce=False)
    devices = _devices(device_registry, entry)
    entities = _entities(entity_registry, entry)
    han.radio_loss(reported=True)  # every request fails at once: discovery fails
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert _devices(device_registry, entry) == devices
    assert _entities(entity_registry, entry) == entities

    han.radio_return()
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert old_esme not in _devices(device_registry, entry)
    assert _entities(entity_registry, entry) == entities


async def _remove(client: Any, device_id: str, entry_id: str) -> bool:
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry_id,
            "device_id": device_id,
        }
    )
    response = await client.receive_json()
    return bool(response["success"])


async def test_user_deletes_only_a_device_not_on_the_han(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    lasting_han: LastingHan,
    device_registry: dr.DeviceRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    han = _han(lasting_han)
    devices = _devices(device_registry, entry)
    # a meter the HAN has: refused (it would come straight back)
    for meter in (han.hub, han.esme, han.gsme):
        assert not await _remove(client, devices[str(meter.ieee)].id, entry.entry_id)
    assert _devices(device_registry, entry) == devices
    # a device whose meter is not on the HAN (left from an earlier meter)
    gone = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, "00:11:22:33:44:55:66:77")},
    )
    assert await _remove(client, gone.id, entry.entry_id)
    assert device_registry.async_get(gone.id) is None
    assert _devices(device_registry, entry) == devices

    # While the entry is not loaded the HAN's meters are unknown: a meter may
    # go (it comes back at the next setup if it is there), the hub may not.
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert not await _remove(client, devices[str(han.hub.ieee)].id, entry.entry_id)
    assert await _remove(client, devices[str(han.gsme.ieee)].id, entry.entry_id)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert str(han.gsme.ieee) in _devices(device_registry, entry)
