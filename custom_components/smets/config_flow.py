"""Config flow: how is the meter's HAN reached, a radio or the simulator."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)

from .compat import vol
from .const import (
    CONF_CONNECTION,
    CONF_PROFILE,
    CONF_SEED,
    CONNECTION_SIMULATOR,
    DEFAULT_SEED,
    DOMAIN,
    PROFILE_SMETS1,
    PROFILE_SMETS2,
)

SIMULATOR_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_PROFILE, default=PROFILE_SMETS2): SelectSelector(
            SelectSelectorConfig(
                options=[PROFILE_SMETS2, PROFILE_SMETS1],
                mode=SelectSelectorMode.LIST,
                translation_key=CONF_PROFILE,
            )
        ),
        vol.Required(CONF_SEED, default=DEFAULT_SEED): NumberSelector(
            NumberSelectorConfig(min=0, max=65535, step=1, mode=NumberSelectorMode.BOX)
        ),
    }
)


class SmetsConfigFlow(ConfigFlow, domain=DOMAIN):
    """Pair the integration with a GB smart meter's HAN."""

    VERSION = 1

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask how the HAN is reached."""
        return self.async_show_menu(step_id="user", menu_options=["radio", "simulator"])

    async def async_step_radio(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Join through a Zigbee radio: not available yet, and said so plainly."""
        return self.async_abort(reason="radio_not_supported_yet")

    async def async_step_simulator(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Set up the built-in simulated meter."""
        if user_input is None:
            return self.async_show_form(
                step_id="simulator", data_schema=SIMULATOR_SCHEMA
            )
        profile = user_input[CONF_PROFILE]
        seed = int(user_input[CONF_SEED])
        await self.async_set_unique_id(f"simulator-{profile}-{seed}")
        self._abort_if_unique_id_configured()
        return self.async_create_entry(
            title=f"Simulated {profile.upper()} meter",
            data={
                CONF_CONNECTION: CONNECTION_SIMULATOR,
                CONF_PROFILE: profile,
                CONF_SEED: seed,
            },
        )
