"""Constants of the SMETS HAN integration."""

from __future__ import annotations

from enum import StrEnum
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
CONF_BAUDRATE: Final = "baudrate"
CONF_FLOW_CONTROL: Final = "flow_control"
"""The radio's serial flow control: "hardware" (RTS/CTS) or None (XON/XOFF,
bellows' default). Entries from before it was stored have none."""
CONF_RADIO_EUI64: Final = "radio_eui64"
CONF_NETWORK: Final = "network"
"""The joined HAN (``HanNetwork.as_dict()``): what a restart needs to rejoin."""
CONF_JOIN_TRANSCRIPT: Final = "join_transcript"
"""The pairing join's steps (``JoinTranscript.as_list()``: no secrets), for diagnostics."""
CONF_USB_ID: Final = "usb_id"
"""The USB identity of a discovered stick (vid:pid, serial, maker, product)."""
CONF_INSTALL_CODE: Final = "install_code"
"""Only a config flow field: the install code is never stored in the entry."""
CONF_HUB_ID: Final = "hub_id"
"""Only a config flow field: the Comms Hub's ID printed on it (optional), the
extended PAN id of the one network to join."""

DEFAULT_SEED: Final = 1
CONF_TIERS: Final = "tiers"
CONF_PREPAYMENT: Final = "prepayment"
CONF_GAS_PREPAYMENT: Final = "gas_prepayment"
CONF_GAS_FLOW: Final = "gas_flow"
CONF_SOLAR: Final = "solar"

# Options
CONF_ESME_INTERVAL: Final = "esme_interval"
CONF_GAS_INTERVAL: Final = "gas_interval"
CONF_TARIFF_INTERVAL: Final = "tariff_interval"
CONF_CO2_FACTOR: Final = "co2_factor"
CONF_GAS_CV_OVERRIDE: Final = "gas_calorific_value"
CONF_LOW_CREDIT_LEVEL: Final = "low_credit_level"
CONF_BILLING_DAY: Final = "billing_day"

# The meters' own rhythm (ESME in seconds) and the bounds the options allow: the HAN's
# airtime is shared with the In-Home Display and the supplier's traffic.
DEFAULT_ESME_INTERVAL: Final = 10
MIN_ESME_INTERVAL: Final = 10
MAX_ESME_INTERVAL: Final = 300
# gas and tariff in minutes
DEFAULT_GAS_INTERVAL: Final = 30
MIN_GAS_INTERVAL: Final = 15
MAX_GAS_INTERVAL: Final = 120
DEFAULT_TARIFF_INTERVAL: Final = 5
MIN_TARIFF_INTERVAL: Final = 1
MAX_TARIFF_INTERVAL: Final = 60

# The day of the month a billing period starts on (at local midnight). Days
# 29-31 are not offered: February lacks them.
DEFAULT_BILLING_DAY: Final = 1
MIN_BILLING_DAY: Final = 1
MAX_BILLING_DAY: Final = 28

# kg CO2 per kWh: the UK government's 2024 greenhouse gas conversion factor
# for grid electricity (generation, kg CO2e/kWh).
DEFAULT_CO2_FACTOR: Final = 0.20705


class MeterRole(StrEnum):
    """The part a device plays on the HAN (the HAN library's names for them).

    A role, not a meter, is in every unique id: a replaced meter's entities
    carry on. A member equals its string, so either may key a mapping.
    """

    HUB = "chf"
    """The Comms Hub (CHF)."""
    ESME = "esme"
    """The electricity meter."""
    GAS = "gpf"
    """The gas meter, read through the hub's GPF mirror."""


ROLE_HUB: Final = MeterRole.HUB
ROLE_ESME: Final = MeterRole.ESME
ROLE_GAS: Final = MeterRole.GAS
CONF_ESTIMATE_HISTORY_COST: Final = "estimate_history_cost"
"""Price imported half-hours whose tier is not known with a blended estimate."""
DEFAULT_ESTIMATE_HISTORY_COST: Final = True

# Prices from other entities (options): a rate sensor of another integration
# (a dynamic tariff), and the export rate as a number or an entity.
CONF_ELECTRICITY_PRICE_ENTITY: Final = "electricity_price_entity"
"""An entity whose state is the electricity unit price (GBP/kWh or p/kWh)."""
CONF_GAS_PRICE_ENTITY: Final = "gas_price_entity"
"""An entity whose state is the gas unit price (GBP/kWh or p/kWh)."""
CONF_EXPORT_RATE: Final = "export_rate"
"""The export rate as a number, in pence per kWh (p/kWh)."""
CONF_EXPORT_RATE_ENTITY: Final = "export_rate_entity"
"""An entity whose state is the export rate (GBP/kWh or p/kWh); before the number."""
