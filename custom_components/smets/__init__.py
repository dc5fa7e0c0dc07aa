"""SMETS HAN: GB smart meters over the ZigBee Smart Energy Home Area Network."""

from __future__ import annotations

import logging

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.typing import ConfigType

from .compat import via_device
from .connection import open_link, radio_serial_settings
from .const import (
    CONF_CONNECTION,
    CONF_DEVICE_PATH,
    CONNECTION_RADIO,
    DOMAIN,
    ROLE_ESME,
    ROLE_GAS,
    ROLE_HUB,
)
from .coordinator import MeterWatch, PushedCoordinator, build_coordinators
from .entity import device_info
from .han.catalogue import lookup
from .han.errors import HanError
from .han.ezsp import PartnerKeysPendingError, leave_han
from .han.link import HanLink
from .han.radio import RadioError
from .models import MeterInfo, SmetsConfigEntry, SmetsRuntimeData
from .price_entities import async_delete_price_issues, async_track_price_entities
from .push import async_subscribe_meters
from .services import async_setup_services
from .statistics import async_setup_history

_LOGGER = logging.getLogger(__name__)

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.SENSOR,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

LEARN_MORE_URL = "https://github.com/smets-han/smets-han#smets1-meters-and-the-dcc"


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the integration (actions are registered here)."""
    async_setup_services(hass)
    return True


async def _read_meters(hass: HomeAssistant, link: HanLink) -> dict[str, MeterInfo]:
    """Read who each meter is, and look it up in the catalogue."""
    meters: dict[str, MeterInfo] = {}
    for meter in [*link.meters, *([link.hub] if link.has_hub else [])]:
        identity = await meter.read_identity()
        device_id = meter.ieee
        if meter.role == ROLE_GAS:
            # The gas meter is mirrored by the hub's GPF (same EUI64 as the
            # hub); the device is the GSME itself, when the HAN lists it.
            device_id = link.gsme.ieee if link.gsme is not None else f"{meter.ieee}-gpf"
        meters[meter.role] = MeterInfo(
            role=meter.role,
            ieee=meter.ieee,
            device_id=device_id,
            identity=identity,
            # The first lookup reads the catalogue's data file: not in the loop.
            catalogue=await hass.async_add_executor_job(
                lookup, identity.manufacturer, identity.model
            ),
        )
    return meters


async def async_setup_entry(hass: HomeAssistant, entry: SmetsConfigEntry) -> bool:
    """Open the HAN, read the meters once and start the coordinators."""
    data = dict(entry.data)
    try:
        link = await open_link(data)
    except PartnerKeysPendingError as err:
        # On the HAN, but the meter gave no link key yet (it may hold as many
        # consumer devices as it can): keep how far the radio got, try later
        if data != dict(entry.data):
            hass.config_entries.async_update_entry(entry, data=data)
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="partner_keys_pending",
            translation_placeholders={"error": str(err)},
        ) from err
    except RadioError as err:
        # Unplugged, moved, or the hub did not take the radio back: retried
        # with a back-off (a hub that restarts explains the last one).
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="radio_unavailable",
            translation_placeholders={
                "path": str(entry.data.get(CONF_DEVICE_PATH)),
                "error": str(err) or type(err).__name__,
            },
        ) from err
    except HanError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err) or type(err).__name__},
        ) from err
    if data != dict(entry.data):
        # Opening finished what the join left pending: keep it
        hass.config_entries.async_update_entry(entry, data=data)

    try:
        meters = await _read_meters(hass, link)
        if link.has_esme:
            # The tariff says how many tier registers the meter keeps.
            await link.esme.poll_price()
        electricity, gas, tariff = build_coordinators(hass, entry, link)
        for coordinator in (electricity, gas, tariff):
            if coordinator is not None:
                await coordinator.async_config_entry_first_refresh()
    except HanError as err:
        await link.close()
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err) or type(err).__name__},
        ) from err
    except BaseException:
        await link.close()
        raise

    entry.runtime_data = SmetsRuntimeData(
        link=link,
        meters=meters,
        electricity=electricity,
        gas=gas,
        tariff=tariff,
        pushed=PushedCoordinator(hass, entry),
    )
    # Teardown is the entry's: what is registered last is undone first, so
    # the link closes after everything listening to it has stopped.
    entry.async_on_unload(link.close)
    _register_devices(hass, entry, meters)
    for unsubscribe in await async_subscribe_meters(hass, entry):
        entry.async_on_unload(unsubscribe)
    _update_migration_issues(hass, entry, meters)
    entry.runtime_data.prices = async_track_price_entities(hass, entry)
    async_setup_history(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # After the platforms: a replaced meter's entities (their ids depend on the
    # role, not the meter) have moved to the new meter's device by now.
    _remove_stale_devices(hass, entry, meters)
    if entry.runtime_data.history is not None:
        entry.runtime_data.history.async_start()
    watch = entry.runtime_data.watch = MeterWatch(hass, entry, link)
    entry.async_on_unload(watch.async_start())

    @callback
    def _radio_lost(error: BaseException | None) -> None:
        # zigpy does not reopen a lost radio: a reload does, and retries
        # (ConfigEntryNotReady) until the stick or the NCP is back
        _LOGGER.warning("The HAN radio went away (%s): reloading", error)
        hass.config_entries.async_schedule_reload(entry.entry_id)

    entry.async_on_unload(link.on_connection_lost(_radio_lost))
    entry.async_on_unload(entry.add_update_listener(_async_reload))
    return True


def _register_devices(
    hass: HomeAssistant, entry: SmetsConfigEntry, meters: dict[str, MeterInfo]
) -> None:
    """Create the devices, the hub first so the meters can hang off it."""
    registry = dr.async_get(hass)
    hub: dr.DeviceEntry | None = None
    for role in (ROLE_HUB, ROLE_ESME, ROLE_GAS):
        if role not in meters:
            continue
        extra = (
            {} if hub is None else via_device(hub, (DOMAIN, meters[ROLE_HUB].device_id))
        )
        device = registry.async_get_or_create(
            config_entry_id=entry.entry_id, **device_info(entry, meters, role), **extra
        )
        if role == ROLE_HUB:
            hub = device


def _our_ids(device: dr.DeviceEntry) -> set[str]:
    """Return the meter identifiers (EUI64s) this integration gave a device."""
    return {value for domain, value in device.identifiers if domain == DOMAIN}


def _remove_stale_devices(
    hass: HomeAssistant, entry: SmetsConfigEntry, meters: dict[str, MeterInfo]
) -> None:
    """Take this entry off the devices of meters another meter replaced.

    Called once the HAN answered and the platforms set up: an entity's unique
    id depends on its meter's role, not on the meter, so a new electricity or
    gas meter (an exchange, a new EUI64) has taken its predecessor's entities
    by now, and the old device is left with none. A meter that merely did not
    answer discovery keeps its device and entities: over the air one lost
    answer looks the same as a meter gone. The user can delete such a device
    (:func:`async_remove_config_entry_device`).
    """
    if ROLE_HUB not in meters:
        return  # the Comms Hub did not answer: too little is known of the HAN
    registry = dr.async_get(hass)
    entities = er.async_get(hass)
    on_han = {meter.device_id for meter in meters.values()}
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        ids = _our_ids(device)
        if not ids or ids & on_han:
            continue
        if er.async_entries_for_device(
            entities, device.id, include_disabled_entities=True
        ):
            continue  # not replaced: perhaps just silent this time
        _LOGGER.info(
            "Removing the device %s: another meter took its place on the HAN",
            device.name_by_user or device.name or sorted(ids)[0],
        )
        registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: SmetsConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a device whose meter is not on the HAN.

    A meter the HAN has (as found at the last setup) is refused: its device
    would come straight back. The Comms Hub is the entry itself and always
    refused. While the entry is not loaded the HAN's meters are unknown, so
    only the hub is refused (a meter still there comes back at the next setup).
    """
    ids = _our_ids(device)
    if entry.unique_id in ids:
        return False
    if entry.state is not ConfigEntryState.LOADED:
        return True
    on_han = {meter.device_id for meter in entry.runtime_data.meters.values()}
    return not ids & on_han


def _update_migration_issues(
    hass: HomeAssistant, entry: SmetsConfigEntry, meters: dict[str, MeterInfo]
) -> None:
    """Raise a repair issue for a SMETS1 meter the DCC will not adopt."""
    for gone in {ROLE_HUB, ROLE_ESME, ROLE_GAS} - set(meters):
        # That meter left the HAN: so does its issue
        ir.async_delete_issue(
            hass, DOMAIN, f"smets1_not_adoptable_{entry.entry_id}_{gone}"
        )
    for role, meter in meters.items():
        issue_id = f"smets1_not_adoptable_{entry.entry_id}_{role}"
        migration = meter.catalogue.migration
        if migration is not None and migration.status == "not_on_adoption_list":
            ir.async_create_issue(
                hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                learn_more_url=LEARN_MORE_URL,
                translation_key="smets1_not_adoptable",
                translation_placeholders={
                    "meter": f"{meter.identity.manufacturer} {meter.identity.model}",
                },
            )
        else:
            ir.async_delete_issue(hass, DOMAIN, issue_id)


async def _async_reload(hass: HomeAssistant, entry: SmetsConfigEntry) -> None:
    """Reload after the options changed."""
    await hass.config_entries.async_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: SmetsConfigEntry) -> bool:
    """Unload the platforms (the link closes through ``entry.async_on_unload``)."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: SmetsConfigEntry) -> None:
    """Take a radio off the HAN, and forget the repair issues of a removed entry."""
    for role in (ROLE_HUB, ROLE_ESME, ROLE_GAS):
        ir.async_delete_issue(
            hass, DOMAIN, f"smets1_not_adoptable_{entry.entry_id}_{role}"
        )
    async_delete_price_issues(hass, entry.entry_id)
    if entry.data.get(CONF_CONNECTION) != CONNECTION_RADIO:
        return
    # The entry is unloaded by now, so the port is free. A radio that is
    # unplugged or already gone must not keep the entry: say so and go on.
    path = str(entry.data.get(CONF_DEVICE_PATH))
    serial = radio_serial_settings(dict(entry.data))
    try:
        await leave_han(
            path, baudrate=serial.baudrate, flow_control=serial.flow_control
        )
    except HanError as err:
        _LOGGER.warning(
            "The radio on %s could not leave the HAN (%s); the Comms Hub keeps "
            "it registered until your supplier removes it",
            path,
            str(err) or type(err).__name__,
        )
    else:
        _LOGGER.info("The radio on %s left the HAN", path)
