"""Config flow: how is the meter's HAN reached, a radio or the simulator."""

from __future__ import annotations

import logging
from typing import Any, Literal

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)

from .compat import vol
from .connection import open_link
from .const import (
    CONF_CO2_FACTOR,
    CONF_CONNECTION,
    CONF_DEVICE_PATH,
    CONF_ESME_INTERVAL,
    CONF_GAS_CV_OVERRIDE,
    CONF_GAS_INTERVAL,
    CONF_LOW_CREDIT_LEVEL,
    CONF_PREPAYMENT,
    CONF_PROFILE,
    CONF_RADIO_TYPE,
    CONF_SEED,
    CONF_SOLAR,
    CONF_TARIFF_INTERVAL,
    CONF_TIERS,
    CONNECTION_RADIO,
    CONNECTION_SIMULATOR,
    DEFAULT_CO2_FACTOR,
    DEFAULT_ESME_INTERVAL,
    DEFAULT_GAS_INTERVAL,
    DEFAULT_TARIFF_INTERVAL,
    DOMAIN,
    MAX_ESME_INTERVAL,
    MAX_GAS_INTERVAL,
    MAX_TARIFF_INTERVAL,
    MIN_ESME_INTERVAL,
    MIN_GAS_INTERVAL,
    MIN_TARIFF_INTERVAL,
    PROFILE_SMETS1,
    PROFILE_SMETS2,
    RADIO_EZSP,
)
from .han.errors import HanError
from .han.radio import RadioInfo, list_serial_ports, probe_ezsp

_LOGGER = logging.getLogger(__name__)

HOUSEHOLD_FIELDS = (CONF_TIERS, CONF_PREPAYMENT, CONF_SOLAR)


def _household_schema(defaults: dict[str, Any]) -> dict[Any, Any]:
    """Build the simulated household's fields: tariff tiers, Pay-As-You-Go, solar."""
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
            CONF_SOLAR, default=bool(defaults.get(CONF_SOLAR, True))
        ): BooleanSelector(),
    }


def _household(user_input: dict[str, Any]) -> dict[str, Any]:
    return {
        CONF_TIERS: int(user_input[CONF_TIERS]),
        CONF_PREPAYMENT: bool(user_input[CONF_PREPAYMENT]),
        CONF_SOLAR: bool(user_input[CONF_SOLAR]),
    }


async def _simulated_hub(data: dict[str, Any]) -> str:
    """Start the simulated HAN once (test before configure); return the hub's EUI64."""
    link, _simulator = await open_link(data)
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

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> SmetsOptionsFlow:
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

    async def async_step_radio(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the radio's serial port and check that an EZSP radio answers."""
        errors: dict[str, str] = {}
        if user_input is not None:
            path = str(user_input[CONF_DEVICE_PATH])
            try:
                self._radio = await probe_ezsp(path)
            except HanError:
                _LOGGER.debug("No EZSP radio on %s", path, exc_info=True)
                errors["base"] = "cannot_connect"
            else:
                self._device_path = path
                return await self.async_step_pair()
        return self.async_show_form(
            step_id="radio", data_schema=await self._port_schema(), errors=errors
        )

    async def async_step_pair(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show what the supplier must register on the Comms Hub."""
        assert self._radio is not None
        if user_input is not None:
            # Joining the hub's network and key establishment are not in
            # this version: say so rather than pretend.
            return self.async_abort(
                reason="join_not_supported_yet",
                description_placeholders={"eui64": self._radio.eui64},
            )
        return self.async_show_form(
            step_id="pair",
            description_placeholders={
                "eui64": self._radio.eui64,
                "install_code": self._radio.install_code or "-",
                "certificate": "yes" if self._radio.has_certificate else "no",
            },
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
            path = str(user_input[CONF_DEVICE_PATH])
            try:
                radio = await probe_ezsp(path)
            except HanError:
                errors["base"] = "cannot_connect"
            else:
                if radio.eui64 != entry.data.get("radio_eui64", radio.eui64):
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
    minimum: float, maximum: float, step: float | Literal["any"], unit: str
) -> NumberSelector:
    """Return a number box with bounds, step and unit (the options' fields)."""
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum,
            max=maximum,
            step=step,
            unit_of_measurement=unit,
            mode=NumberSelectorMode.BOX,
        )
    )


class SmetsOptionsFlow(OptionsFlow):
    """Update intervals, CO2 factor and a gas calorific-value fallback."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the options."""
        if user_input is not None:
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
            }
        )
        return self.async_show_form(step_id="init", data_schema=schema)
