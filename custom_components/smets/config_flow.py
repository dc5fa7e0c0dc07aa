"""Config flow: how is the meter's HAN reached, a radio or the simulator."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any, Final, Literal

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
from homeassistant.helpers.service_info.usb import UsbServiceInfo

from .compat import vol
from .connection import open_link, radio_serial_settings
from .const import (
    CONF_BAUDRATE,
    CONF_BILLING_DAY,
    CONF_CO2_FACTOR,
    CONF_CONNECTION,
    CONF_DEVICE_PATH,
    CONF_ELECTRICITY_PRICE_ENTITY,
    CONF_ESME_INTERVAL,
    CONF_ESTIMATE_HISTORY_COST,
    CONF_EXPORT_RATE,
    CONF_EXPORT_RATE_ENTITY,
    CONF_FLOW_CONTROL,
    CONF_GAS_CV_OVERRIDE,
    CONF_GAS_FLOW,
    CONF_GAS_INTERVAL,
    CONF_GAS_PREPAYMENT,
    CONF_GAS_PRICE_ENTITY,
    CONF_HUB_ID,
    CONF_INSTALL_CODE,
    CONF_JOIN_TRANSCRIPT,
    CONF_LOW_CREDIT_LEVEL,
    CONF_NETWORK,
    CONF_PREPAYMENT,
    CONF_PROFILE,
    CONF_RADIO_EUI64,
    CONF_RADIO_TYPE,
    CONF_SEED,
    CONF_SOLAR,
    CONF_TARIFF_INTERVAL,
    CONF_TIERS,
    CONF_USB_ID,
    CONNECTION_RADIO,
    CONNECTION_SIMULATOR,
    DEFAULT_BILLING_DAY,
    DEFAULT_CO2_FACTOR,
    DEFAULT_ESME_INTERVAL,
    DEFAULT_ESTIMATE_HISTORY_COST,
    DEFAULT_GAS_INTERVAL,
    DEFAULT_TARIFF_INTERVAL,
    DOMAIN,
    MAX_BILLING_DAY,
    MAX_ESME_INTERVAL,
    MAX_GAS_INTERVAL,
    MAX_TARIFF_INTERVAL,
    MIN_BILLING_DAY,
    MIN_ESME_INTERVAL,
    MIN_GAS_INTERVAL,
    MIN_TARIFF_INTERVAL,
    PROFILE_SMETS1,
    PROFILE_SMETS2,
    RADIO_EZSP,
)
from .han.errors import HanError, HanTimeout
from .han.ezsp import (
    JOIN_TIMEOUT,
    HanNetwork,
    JoinError,
    join_han,
    leave_han,
    parse_hub_id,
    parse_install_code,
)
from .han.radio import (
    RadioInfo,
    SerialSettings,
    UnsupportedFirmwareError,
    list_serial_ports,
    probe_ezsp,
    usb_serial_settings,
)
from .han.transcript import JoinTranscript
from .models import SmetsConfigEntry
from .price_entities import unit_factor

_LOGGER = logging.getLogger(__name__)

# Where udev keeps a stable name for each USB serial adapter (it survives
# re-plugging and reboots, unlike /dev/ttyUSB0).
SERIAL_BY_ID: Final = "/dev/serial/by-id"

# ZHA's config entries keep their radio's port here.
ZHA_DOMAIN: Final = "zha"

# Home Assistant's hardware integrations for its own sticks keep, per stick,
# its port ("device") and the firmware they found on it ("firmware": "ezsp"
# for Zigbee, "spinel" for Thread ...).
HARDWARE_DOMAINS: Final = ("homeassistant_connect_zbt2", "homeassistant_sky_connect")

HOUSEHOLD_FIELDS = (
    CONF_TIERS,
    CONF_PREPAYMENT,
    CONF_GAS_PREPAYMENT,
    CONF_GAS_FLOW,
    CONF_SOLAR,
)


def _household_schema(defaults: dict[str, Any]) -> dict[Any, Any]:
    """Build the simulated household's fields: tiers, Pay-As-You-Go (each fuel), gas flow, solar."""
    return {
        vol.Required(
            CONF_TIERS, default=str(defaults.get(CONF_TIERS, 2))
        ): SelectSelector(
            SelectSelectorConfig(
                options=["1", "2", "4"],
                mode=SelectSelectorMode.LIST,
                translation_key=CONF_TIERS,
            )
        ),
        vol.Required(
            CONF_PREPAYMENT, default=bool(defaults.get(CONF_PREPAYMENT, False))
        ): BooleanSelector(),
        vol.Required(
            CONF_GAS_PREPAYMENT,
            default=bool(defaults.get(CONF_GAS_PREPAYMENT, False)),
        ): BooleanSelector(),
        vol.Required(
            CONF_GAS_FLOW, default=bool(defaults.get(CONF_GAS_FLOW, False))
        ): BooleanSelector(),
        vol.Required(
            CONF_SOLAR, default=bool(defaults.get(CONF_SOLAR, True))
        ): BooleanSelector(),
    }


def _household(user_input: dict[str, Any]) -> dict[str, Any]:
    return {
        CONF_TIERS: int(user_input[CONF_TIERS]),
        CONF_PREPAYMENT: bool(user_input[CONF_PREPAYMENT]),
        CONF_GAS_PREPAYMENT: bool(user_input[CONF_GAS_PREPAYMENT]),
        CONF_GAS_FLOW: bool(user_input[CONF_GAS_FLOW]),
        CONF_SOLAR: bool(user_input[CONF_SOLAR]),
    }


def serial_by_id(path: str) -> str:
    """Return the stable ``/dev/serial/by-id`` name of a port, or ``path`` (blocking)."""
    directory = Path(SERIAL_BY_ID)
    if not directory.is_dir():
        return path
    real = os.path.realpath(path)
    for link in sorted(directory.iterdir()):
        if os.path.realpath(link) == real:
            return str(link)
    return path


def port_serial_settings(path: str) -> SerialSettings:
    """Return the serial settings of the USB stick on ``path`` (blocking).

    The port list says which USB stick a port is (vid:pid), so a Connect ZBT-2
    chosen by hand is opened at the speed and flow control its firmware
    expects; any other port gets bellows' defaults.
    """
    for port in list_serial_ports():
        if port.vid and port.pid and same_port(port.path, path):
            return usb_serial_settings(port.vid, port.pid)
    return SerialSettings()


def same_port(first: str, second: str) -> bool:
    """Whether two names are the same port, through any symlinks (blocking)."""
    return first == second or os.path.realpath(first) == os.path.realpath(second)


async def _simulated_hub(data: dict[str, Any]) -> str:
    """Start the simulated HAN once (test before configure); return the hub's EUI64."""
    link = await open_link(data)
    try:
        return link.hub.ieee
    finally:
        await link.close()


class SmetsConfigFlow(ConfigFlow, domain=DOMAIN):
    """Pair the integration with a GB smart meter's HAN."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with no radio probed."""
        self._radio: RadioInfo | None = None
        self._device_path: str | None = None
        self._serial = SerialSettings()
        self._usb_id: str | None = None
        self._install_code: str | None = None
        self._hub_id: str | None = None
        self._join_task: asyncio.Task[HanNetwork] | None = None
        self._join_errors: dict[str, str] = {}
        self._network: HanNetwork | None = None
        self._transcript = JoinTranscript()
        self._join_log = ""

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: SmetsConfigEntry) -> SmetsOptionsFlow:
        """Return the options flow."""
        return SmetsOptionsFlow()

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask how the HAN is reached."""
        return self.async_show_menu(step_id="user", menu_options=["radio", "simulator"])

    # --- the simulator -------------------------------------------------------

    async def async_step_simulator(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Set up the built-in simulated meter."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {
                CONF_CONNECTION: CONNECTION_SIMULATOR,
                CONF_PROFILE: user_input[CONF_PROFILE],
                CONF_SEED: int(user_input[CONF_SEED]),
                **_household(user_input),
            }
            try:
                hub = await _simulated_hub(data)
            except HanError:
                _LOGGER.exception("The simulated HAN did not start")
                errors["base"] = "cannot_connect"
            else:
                await self.async_set_unique_id(hub)
                self._abort_if_unique_id_configured()
                return self.async_create_entry(
                    title=f"Simulated {data[CONF_PROFILE].upper()} meter (seed {data[CONF_SEED]})",
                    data=data,
                )
        used = {
            entry.data.get(CONF_SEED)
            for entry in self._async_current_entries(include_ignore=False)
        }
        seed = next(n for n in range(1, 65536) if n not in used)
        schema = vol.Schema(
            {
                vol.Required(CONF_PROFILE, default=PROFILE_SMETS2): SelectSelector(
                    SelectSelectorConfig(
                        options=[PROFILE_SMETS2, PROFILE_SMETS1],
                        mode=SelectSelectorMode.LIST,
                        translation_key=CONF_PROFILE,
                    )
                ),
                vol.Required(CONF_SEED, default=seed): NumberSelector(
                    NumberSelectorConfig(
                        min=0, max=65535, step=1, mode=NumberSelectorMode.BOX
                    )
                ),
                **_household_schema({}),
            }
        )
        if user_input is not None:
            schema = self.add_suggested_values_to_schema(schema, user_input)
        return self.async_show_form(
            step_id="simulator", data_schema=schema, errors=errors
        )

    # --- a radio ---------------------------------------------------------------

    async def _port_schema(self, default: str | None = None) -> vol.Schema:
        ports = await self.hass.async_add_executor_job(list_serial_ports)
        options = [
            SelectOptionDict(value=port.path, label=f"{port.path} ({port.description})")
            for port in ports
        ]
        return vol.Schema(
            {
                vol.Required(
                    CONF_DEVICE_PATH, default=default or vol.UNDEFINED
                ): SelectSelector(
                    SelectSelectorConfig(
                        options=options,
                        custom_value=True,
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                ),
                vol.Required(CONF_RADIO_TYPE, default=RADIO_EZSP): SelectSelector(
                    SelectSelectorConfig(
                        options=[RADIO_EZSP],
                        mode=SelectSelectorMode.LIST,
                        translation_key=CONF_RADIO_TYPE,
                    )
                ),
            }
        )

    async def _zha_entries_on(self, path: str) -> list[ConfigEntry]:
        """Return the ZHA config entries set up on this port."""
        candidates = [
            (entry, str(device["path"]))
            for entry in self.hass.config_entries.async_entries(
                ZHA_DOMAIN, include_ignore=False
            )
            if isinstance(device := entry.data.get("device"), dict)
            and device.get("path")
        ]
        if not candidates:
            return []
        return await self.hass.async_add_executor_job(
            lambda: [entry for entry, other in candidates if same_port(path, other)]
        )

    async def _other_firmware_on(self, path: str) -> str | None:
        """Return the stick's firmware when it is known and not Zigbee (EZSP).

        Home Assistant's hardware integration for the stick at ``path`` says
        what it found there; None when it is EZSP or unknown.
        """
        candidates = [
            (str(entry.data["device"]), str(entry.data["firmware"]))
            for domain in HARDWARE_DOMAINS
            for entry in self.hass.config_entries.async_entries(
                domain, include_ignore=False
            )
            if entry.data.get("device")
            and entry.data.get("firmware") not in (None, "ezsp")
        ]
        if not candidates:
            return None
        return await self.hass.async_add_executor_job(
            lambda: next(
                (firmware for other, firmware in candidates if same_port(path, other)),
                None,
            )
        )

    async def _probe(self, path: str) -> dict[str, str]:
        """Probe the radio on ``path``; return the form's errors (none: it answered)."""
        try:
            self._radio = await probe_ezsp(
                path, self._serial.baudrate, self._serial.flow_control
            )
        except UnsupportedFirmwareError as err:
            _LOGGER.warning("The radio on %s cannot be used: %s", path, err)
            return {"base": "unsupported_firmware"}
        except HanError as err:
            # Say why (no answer, not an EZSP radio): the form's message is generic
            _LOGGER.warning("No usable EZSP radio on %s: %s", path, err)
            return {"base": "cannot_connect"}
        self._device_path = path
        return {}

    def _radio_configured(self) -> bool:
        """Whether an entry already uses the probed radio."""
        assert self._radio is not None
        return any(
            entry.data.get(CONF_RADIO_EUI64) == self._radio.eui64
            for entry in self._async_current_entries(include_ignore=False)
        )

    async def _probe_then_pair(self, step_id: str) -> ConfigFlowResult:
        """Probe the chosen port: on to the pairing, or ``step_id``'s form again."""
        assert self._device_path is not None
        errors = await self._probe(self._device_path)
        if errors:
            return self.async_show_form(
                step_id=step_id,
                errors=errors,
                description_placeholders=self._port_placeholders(),
            )
        if self._radio_configured():
            return self.async_abort(reason="radio_already_configured")
        return await self.async_step_pair()

    def _port_placeholders(self) -> dict[str, str]:
        return {
            "path": self._device_path or "",
            **self.context.get("title_placeholders", {}),
        }

    async def async_step_radio(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the radio's serial port and check that an EZSP radio answers."""
        errors: dict[str, str] = {}
        if user_input is not None:
            path = await self.hass.async_add_executor_job(
                serial_by_id, str(user_input[CONF_DEVICE_PATH])
            )
            self._serial = await self.hass.async_add_executor_job(
                port_serial_settings, path
            )
            if await self._zha_entries_on(path):
                self._device_path = path
                return await self.async_step_in_use()
            errors = await self._probe(path)
            if not errors:
                if self._radio_configured():
                    return self.async_abort(reason="radio_already_configured")
                return await self.async_step_pair()
        schema = await self._port_schema()
        if user_input is not None:
            schema = self.add_suggested_values_to_schema(schema, user_input)
        return self.async_show_form(step_id="radio", data_schema=schema, errors=errors)

    async def async_step_in_use(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """ZHA has this port: the stick can serve only one of the two."""
        errors: dict[str, str] = {}
        if user_input is not None:
            assert self._device_path is not None
            if any(
                entry.state is ConfigEntryState.LOADED
                for entry in await self._zha_entries_on(self._device_path)
            ):
                # ZHA holds the port open: no probe could get through
                errors["base"] = "zha_still_loaded"
            else:
                return await self._probe_then_pair("in_use")
        return self.async_show_form(
            step_id="in_use",
            description_placeholders=self._port_placeholders(),
            errors=errors,
        )

    # --- USB discovery -------------------------------------------------------

    async def async_step_usb(self, discovery_info: UsbServiceInfo) -> ConfigFlowResult:
        """Offer a plugged-in USB stick, if it is an EZSP radio that can join a HAN.

        The manifest's matchers find every stick of a model; most carry no
        ZigBee Smart Energy certificate and could never join a GB meter's HAN.
        So a stick no one uses is probed first (identity and certificate only,
        nothing changes on it) and offered only when it has a certificate.
        """
        path = await self.hass.async_add_executor_job(
            serial_by_id, discovery_info.device
        )
        usb_id = (
            f"{discovery_info.vid}:{discovery_info.pid}_{discovery_info.serial_number}"
            f"_{discovery_info.manufacturer}_{discovery_info.description}"
        )
        # One flow per stick; an ignored stick stays ignored.
        await self.async_set_unique_id(usb_id)
        self._abort_if_unique_id_configured()
        for entry in self._async_current_entries(include_ignore=False):
            if entry.data.get(CONF_CONNECTION) != CONNECTION_RADIO:
                continue
            if entry.data.get(CONF_USB_ID) == usb_id:
                # The paired stick, perhaps on another port now.
                return self.async_update_reload_and_abort(
                    entry,
                    data_updates={CONF_DEVICE_PATH: path},
                    reason="already_configured",
                    reload_even_if_entry_is_unchanged=False,
                )
            entry_path = str(entry.data.get(CONF_DEVICE_PATH))
            if await self.hass.async_add_executor_job(same_port, entry_path, path):
                return self.async_abort(reason="already_configured")
        self._device_path = path
        self._usb_id = usb_id
        self._serial = usb_serial_settings(discovery_info.vid, discovery_info.pid)
        name = discovery_info.description or path
        self.context["title_placeholders"] = {"name": name}
        if await self._zha_entries_on(path):
            # ZHA's stick: not offered (a Smart Energy radio is a stick of its
            # own) and never opened; choosing the port by hand still asks
            # before taking it
            return self.async_abort(reason="zha_uses_stick")
        if firmware := await self._other_firmware_on(path):
            # Thread (OpenThread's RCP) or another firmware, which an add-on may
            # be using: opening it would disturb that, and it cannot join a HAN
            _LOGGER.debug("Not probing %s: it runs %s firmware", path, firmware)
            return self.async_abort(reason="not_zigbee_firmware")
        if errors := await self._probe(path):
            # Not an EZSP radio this integration speaks (or another program
            # holds the port): nothing to offer. By hand it can be retried.
            return self.async_abort(reason=errors["base"])
        assert self._radio is not None
        if self._radio_configured():
            return self.async_abort(reason="radio_already_configured")
        if not self._radio.has_certificate:
            _LOGGER.warning(
                "The Zigbee stick %s on %s is not offered for a smart meter: it has"
                " no ZigBee Smart Energy certificate, and a GB meter's Comms Hub runs"
                " key establishment with that certificate before it lets a device"
                " read the meters. Use a radio sold with one (docs/hardware.md,"
                " 'Which radios can join'), or the built-in simulated meter",
                name,
                path,
            )
            return self.async_abort(reason="not_smart_energy_radio")
        return await self.async_step_usb_confirm()

    async def async_step_usb_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask before opening a discovered stick."""
        if user_input is not None:
            return await self._probe_then_pair("usb_confirm")
        self._set_confirm_only()
        return self.async_show_form(
            step_id="usb_confirm", description_placeholders=self._port_placeholders()
        )

    # --- pairing ---------------------------------------------------------------

    async def async_step_pair(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show what the supplier must register; join once they have."""
        radio = self._radio
        assert radio is not None
        # Back here after a failed join: say why.
        errors, self._join_errors = self._join_errors, {}
        if user_input is not None:
            errors = {}
            code = radio.install_code
            if code is None:
                # The code printed on the radio, checked against its CRC.
                code = str(user_input.get(CONF_INSTALL_CODE, ""))
                try:
                    parse_install_code(code)
                except ValueError:
                    errors = {CONF_INSTALL_CODE: "invalid_install_code"}
            # The Comms Hub's ID printed on it (optional): only its network
            hub_id = str(user_input.get(CONF_HUB_ID) or "").strip() or None
            if hub_id is not None:
                try:
                    hub_id = parse_hub_id(hub_id)
                except ValueError:
                    errors[CONF_HUB_ID] = "invalid_hub_id"
            if not errors:
                self._install_code = code
                self._hub_id = hub_id
                return await self.async_step_join()
        fields: dict[Any, Any] = {}
        if radio.install_code is None:
            fields[vol.Required(CONF_INSTALL_CODE)] = TextSelector()
        fields[vol.Optional(CONF_HUB_ID)] = TextSelector()
        schema = vol.Schema(fields)
        if user_input is not None:
            schema = self.add_suggested_values_to_schema(schema, user_input)
        elif self._hub_id is not None:
            # Back after a failed join: the ID typed before
            schema = self.add_suggested_values_to_schema(
                schema, {CONF_HUB_ID: self._hub_id}
            )
        return self.async_show_form(
            step_id="pair",
            data_schema=schema,
            errors=errors,
            description_placeholders={
                "eui64": radio.eui64,
                "install_code": radio.install_code or "-",
                "certificate": "yes" if radio.has_certificate else "no",
                "join_log": self._join_log,
            },
        )

    async def _join(self) -> HanNetwork:
        assert self._device_path is not None
        self._transcript = JoinTranscript()
        return await join_han(
            self._device_path,
            baudrate=self._serial.baudrate,
            flow_control=self._serial.flow_control,
            install_code=self._install_code,
            hub_id=self._hub_id,
            timeout=JOIN_TIMEOUT,
            transcript=self._transcript,
        )

    async def async_step_join(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Join the hub's HAN (scan, join, key establishment): up to the join window."""
        if self._join_task is None:
            self._join_task = self.hass.async_create_task(
                self._join(), f"{DOMAIN} join", eager_start=False
            )
        if not self._join_task.done():
            return self.async_show_progress(
                step_id="join",
                progress_action="join",
                progress_task=self._join_task,
            )
        task, self._join_task = self._join_task, None
        try:
            self._network = await task
        except JoinError as err:
            _LOGGER.debug("Joining the HAN failed: %s", err.reason)
            self._join_errors = {"base": err.reason}
        except HanTimeout:
            self._join_errors = {"base": "join_timeout"}
        except HanError:
            _LOGGER.debug("The radio failed while joining", exc_info=True)
            self._join_errors = {"base": "cannot_connect"}
        except Exception:
            _LOGGER.exception("Unexpected error while joining the HAN")
            self._join_errors = {"base": "unknown"}
        else:
            self._join_log = ""
            return self.async_show_progress_done(next_step_id="joined")
        # The last steps, for whoever tries a real hub first (no secrets in them)
        self._join_log = (
            f"\n\nThe join's last steps:\n```\n{self._transcript.text()}\n```"
        )
        return self.async_show_progress_done(next_step_id="pair")

    async def async_step_joined(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Create the entry for the joined HAN (one per Comms Hub)."""
        network, radio, path = self._network, self._radio, self._device_path
        assert network is not None
        assert radio is not None
        assert path is not None
        await self.async_set_unique_id(network.hub_ieee, raise_on_progress=False)
        if self.hass.config_entries.async_entry_for_domain_unique_id(
            DOMAIN, network.hub_ieee
        ):
            # Another entry reads this hub already: do not leave this radio
            # registered on the network for nothing.
            self._network = None  # it leaves now, not again when the flow goes
            try:
                await leave_han(
                    path,
                    baudrate=self._serial.baudrate,
                    flow_control=self._serial.flow_control,
                )
            except HanError:
                _LOGGER.warning("The radio on %s could not leave the HAN again", path)
            return self.async_abort(reason="already_configured")
        data: dict[str, Any] = {
            CONF_CONNECTION: CONNECTION_RADIO,
            CONF_RADIO_TYPE: RADIO_EZSP,
            CONF_DEVICE_PATH: path,
            CONF_BAUDRATE: self._serial.baudrate,
            CONF_FLOW_CONTROL: self._serial.flow_control,
            CONF_RADIO_EUI64: radio.eui64,
            CONF_NETWORK: network.as_dict(),
            CONF_JOIN_TRANSCRIPT: self._transcript.as_list(),
        }
        if self._usb_id is not None:
            data[CONF_USB_ID] = self._usb_id
        self._network = None  # the entry keeps it: the radio stays on the HAN
        if network.partner_keys_pending:
            # Joined (the registration is spent), but the electricity meter gave
            # no link key yet: the entry keeps asking, and says so
            return self.async_create_entry(
                title="Smart meter HAN",
                data=data,
                description="partner_keys_pending",
            )
        return self.async_create_entry(title="Smart meter HAN", data=data)

    @callback
    def async_remove(self) -> None:
        """Take a radio this flow joined off the HAN when no entry kept it."""
        if self._network is None or self._device_path is None:
            return
        path, self._network = self._device_path, None
        self.hass.async_create_background_task(
            self._async_leave_unkept(path, self._serial), f"{DOMAIN} leave {path}"
        )

    @staticmethod
    async def _async_leave_unkept(path: str, serial: SerialSettings) -> None:
        try:
            await leave_han(
                path, baudrate=serial.baudrate, flow_control=serial.flow_control
            )
        except HanError as err:
            _LOGGER.warning(
                "The radio on %s joined the HAN for a set-up that was closed and"
                " could not leave it again: %s",
                path,
                err,
            )

    # --- reconfigure -------------------------------------------------------------

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the radio's port, or the simulated household."""
        entry = self._get_reconfigure_entry()
        if entry.data.get(CONF_CONNECTION) == CONNECTION_RADIO:
            return await self.async_step_reconfigure_radio(user_input)
        if user_input is not None:
            return self.async_update_reload_and_abort(
                entry, data_updates=_household(user_input)
            )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=vol.Schema(_household_schema(dict(entry.data))),
        )

    async def async_step_reconfigure_radio(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Point the entry at the radio's new port (the same radio)."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            path = await self.hass.async_add_executor_job(
                serial_by_id, str(user_input[CONF_DEVICE_PATH])
            )
            serial = radio_serial_settings(dict(entry.data))
            try:
                radio = await probe_ezsp(path, serial.baudrate, serial.flow_control)
            except HanError:
                errors["base"] = "cannot_connect"
            else:
                if radio.eui64 != entry.data.get(CONF_RADIO_EUI64, radio.eui64):
                    return self.async_abort(reason="different_radio")
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_DEVICE_PATH: path}
                )
        return self.async_show_form(
            step_id="reconfigure_radio",
            data_schema=await self._port_schema(entry.data.get(CONF_DEVICE_PATH)),
            errors=errors,
        )


def _box(
    minimum: float,
    maximum: float,
    step: float | Literal["any"],
    unit: str | None = None,
) -> NumberSelector:
    """Return a number box with bounds, step and unit (the options' fields)."""
    config = NumberSelectorConfig(
        min=minimum, max=maximum, step=step, mode=NumberSelectorMode.BOX
    )
    if unit is not None:
        config["unit_of_measurement"] = unit
    return NumberSelector(config)


PRICE_ENTITY_OPTIONS: Final = (
    CONF_ELECTRICITY_PRICE_ENTITY,
    CONF_GAS_PRICE_ENTITY,
    CONF_EXPORT_RATE_ENTITY,
)
"""The options that name an entity whose state is a price per kWh."""

_PRICE_ENTITY = EntitySelector(
    EntitySelectorConfig(domain=["sensor", "input_number", "number"])
)


class SmetsOptionsFlow(OptionsFlow):
    """Update intervals, CO2 factor, fallbacks, low-credit level, billing day, prices."""

    def _price_errors(self, user_input: dict[str, Any]) -> dict[str, str]:
        """Refuse a price entity whose state is in a unit other than GBP/kWh or p/kWh.

        An entity with no state yet (its integration not loaded) is taken.
        """
        errors: dict[str, str] = {}
        for option in PRICE_ENTITY_OPTIONS:
            entity_id = user_input.get(option)
            state = self.hass.states.get(entity_id) if entity_id else None
            if (
                state is not None
                and unit_factor(state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)) is None
            ):
                errors[option] = "price_unit"
        return errors

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the options."""
        errors: dict[str, str] = {}
        if user_input is not None:
            day = user_input.get(CONF_BILLING_DAY, DEFAULT_BILLING_DAY)
            if not float(day).is_integer():
                errors[CONF_BILLING_DAY] = "billing_day_not_whole"
            errors.update(self._price_errors(user_input))
            if not errors:
                user_input[CONF_BILLING_DAY] = int(day)
                return self.async_create_entry(data=user_input)
        options = self.config_entry.options
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_ESME_INTERVAL,
                    default=options.get(CONF_ESME_INTERVAL, DEFAULT_ESME_INTERVAL),
                ): _box(MIN_ESME_INTERVAL, MAX_ESME_INTERVAL, 1, "s"),
                vol.Required(
                    CONF_GAS_INTERVAL,
                    default=options.get(CONF_GAS_INTERVAL, DEFAULT_GAS_INTERVAL),
                ): _box(MIN_GAS_INTERVAL, MAX_GAS_INTERVAL, 1, "min"),
                vol.Required(
                    CONF_TARIFF_INTERVAL,
                    default=options.get(CONF_TARIFF_INTERVAL, DEFAULT_TARIFF_INTERVAL),
                ): _box(MIN_TARIFF_INTERVAL, MAX_TARIFF_INTERVAL, 1, "min"),
                vol.Required(
                    CONF_CO2_FACTOR,
                    default=options.get(CONF_CO2_FACTOR, DEFAULT_CO2_FACTOR),
                ): _box(0, 1, "any", "kg/kWh"),
                vol.Optional(
                    CONF_GAS_CV_OVERRIDE,
                    description={"suggested_value": options.get(CONF_GAS_CV_OVERRIDE)},
                ): _box(30, 50, 0.01, "MJ/m³"),
                vol.Optional(
                    CONF_LOW_CREDIT_LEVEL,
                    description={"suggested_value": options.get(CONF_LOW_CREDIT_LEVEL)},
                ): _box(0, 100, 0.01, "GBP"),
                vol.Required(
                    CONF_BILLING_DAY,
                    default=options.get(CONF_BILLING_DAY, DEFAULT_BILLING_DAY),
                ): _box(MIN_BILLING_DAY, MAX_BILLING_DAY, 1),
                vol.Required(
                    CONF_ESTIMATE_HISTORY_COST,
                    default=options.get(
                        CONF_ESTIMATE_HISTORY_COST, DEFAULT_ESTIMATE_HISTORY_COST
                    ),
                ): bool,
                vol.Optional(
                    CONF_ELECTRICITY_PRICE_ENTITY,
                    description={
                        "suggested_value": options.get(CONF_ELECTRICITY_PRICE_ENTITY)
                    },
                ): _PRICE_ENTITY,
                vol.Optional(
                    CONF_GAS_PRICE_ENTITY,
                    description={"suggested_value": options.get(CONF_GAS_PRICE_ENTITY)},
                ): _PRICE_ENTITY,
                vol.Optional(
                    CONF_EXPORT_RATE,
                    description={"suggested_value": options.get(CONF_EXPORT_RATE)},
                ): _box(0, 100, "any", "p/kWh"),
                vol.Optional(
                    CONF_EXPORT_RATE_ENTITY,
                    description={
                        "suggested_value": options.get(CONF_EXPORT_RATE_ENTITY)
                    },
                ): _PRICE_ENTITY,
            }
        )
        if user_input is not None:
            schema = self.add_suggested_values_to_schema(schema, user_input)
        return self.async_show_form(step_id="init", data_schema=schema, errors=errors)
