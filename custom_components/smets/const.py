"""Constants of the SMETS HAN integration."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "smets"

# Config entry data
CONF_CONNECTION: Final = "connection"
CONNECTION_SIMULATOR: Final = "simulator"
CONNECTION_RADIO: Final = "radio"
CONF_PROFILE: Final = "profile"
PROFILE_SMETS2: Final = "smets2"
PROFILE_SMETS1: Final = "smets1"
CONF_SEED: Final = "seed"
CONF_DEVICE_PATH: Final = "device_path"
CONF_RADIO_TYPE: Final = "radio_type"
RADIO_EZSP: Final = "ezsp"

DEFAULT_SEED: Final = 1
