"""Actions: top up a Pay-As-You-Go meter, take emergency credit, confirm a message."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import datetime as dt
from decimal import Decimal
import logging
from typing import TYPE_CHECKING, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from .compat import vol
from .const import DOMAIN, ROLE_ESME, ROLE_GAS
from .han.errors import HanCommandError, HanError, HanNotAllowed
from .han.meter import ElectricityMeter, GasMirror
from .han.model import TopUpReason
from .han.utrn import InvalidUTRN, mask_utrn, normalise_utrn
from .models import SmetsConfigEntry, in_prepayment

if TYPE_CHECKING:
    from .statistics import HistoryImporter

_LOGGER = logging.getLogger(__name__)

SERVICE_TOP_UP: Final = "top_up"
SERVICE_ACTIVATE_EMERGENCY_CREDIT: Final = "activate_emergency_credit"
SERVICE_CONFIRM_MESSAGE: Final = "confirm_message"
SERVICE_IMPORT_HISTORY: Final = "import_history"
ATTR_START: Final = "start"

ATTR_UTRN: Final = "utrn"
ATTR_FUEL: Final = "fuel"
FUEL_ELECTRICITY: Final = "electricity"
FUEL_GAS: Final = "gas"
_FUEL_ROLES: Final = {FUEL_ELECTRICITY: ROLE_ESME, FUEL_GAS: ROLE_GAS}
ATTR_MESSAGE_ID: Final = "message_id"
_UNSUP_CLUSTER_COMMAND: Final = 0x81
"""The ZCL status UNSUP_CLUSTER_COMMAND: the cluster has no such command."""

_ENTRY_SCHEMA = vol.Schema({vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string})
_FUEL_SCHEMA = _ENTRY_SCHEMA.extend(
    {vol.Optional(ATTR_FUEL, default=FUEL_ELECTRICITY): vol.In(list(_FUEL_ROLES))}
)
TOP_UP_SCHEMA = _FUEL_SCHEMA.extend({vol.Required(ATTR_UTRN): cv.string})
CONFIRM_MESSAGE_SCHEMA = _ENTRY_SCHEMA.extend(
    {vol.Optional(ATTR_MESSAGE_ID): vol.All(vol.Coerce(int), vol.Range(min=0))}
)

IMPORT_HISTORY_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_START): cv.date,
    }
)

#: Why a top-up was refused -> the translation key of the error naming it.
TOP_UP_ERRORS: Final = {
    TopUpReason.DUPLICATE: "top_up_duplicate",
    TopUpReason.NOT_AUTHENTIC: "top_up_not_authentic",
    TopUpReason.NOT_FOR_THIS_METER: "top_up_not_for_this_meter",
    TopUpReason.INVALID: "top_up_invalid",
    TopUpReason.ERROR: "top_up_error",
    TopUpReason.MAX_CREDIT_REACHED: "top_up_max_credit_reached",
    TopUpReason.VALUE_TOO_LARGE: "top_up_value_too_large",
    TopUpReason.KEYPAD_LOCK: "top_up_keypad_lock",
    TopUpReason.UNKNOWN: "top_up_unknown",
}


#: Loggers that may show a command's fields (zigpy logs each request at debug).
_REDACTED_LOGGERS: Final = ("zigpy.zcl", "zigpy.application", "zigpy.device")


class _RedactUTRN(logging.Filter):
    """Show only the last 4 digits of a UTRN in what a logger writes."""

    def __init__(self, utrn: str) -> None:
        super().__init__()
        self._utrn = utrn
        self._masked = mask_utrn(utrn)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._utrn in message:
            record.msg = message.replace(self._utrn, self._masked)
            record.args = ()
        return True


@contextmanager
def _redacting(utrn: str) -> Iterator[None]:
    """Keep the UTRN out of the logs of the libraries below while it is sent."""
    redact = _RedactUTRN(utrn)
    loggers = [logging.getLogger(name) for name in _REDACTED_LOGGERS]
    for logger in loggers:
        logger.addFilter(redact)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(redact)


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _loaded_entry(hass: HomeAssistant, call: ServiceCall) -> SmetsConfigEntry:
    """Return the loaded SMETS entry an action names."""
    entry_id: str = call.data[ATTR_CONFIG_ENTRY_ID]
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"title": entry.title},
        )
    smets_entry: SmetsConfigEntry = entry
    return smets_entry


def _prepayment_entry(
    hass: HomeAssistant, call: ServiceCall
) -> tuple[SmetsConfigEntry, str]:
    """Return the loaded entry and the role of the meter the action names.

    That meter (the ESME, or the gas meter with ``fuel: gas``) must be in
    prepayment mode.
    """
    entry = _loaded_entry(hass, call)
    role = _FUEL_ROLES[call.data.get(ATTR_FUEL, FUEL_ELECTRICITY)]
    link = entry.runtime_data.link
    data = entry.runtime_data.tariff.data
    present = link.has_gas if role == ROLE_GAS else link.has_esme
    if not present or data is None or not in_prepayment(data, role):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="gas_not_prepayment"
            if role == ROLE_GAS
            else "not_prepayment",
            translation_placeholders={"title": entry.title},
        )
    return entry, role


def _meter(entry: SmetsConfigEntry, role: str) -> ElectricityMeter | GasMirror:
    link = entry.runtime_data.link
    return link.gas if role == ROLE_GAS else link.esme


def _command_failed(err: HanError) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="command_failed",
        translation_placeholders={"error": str(err) or type(err).__name__},
    )


async def _async_top_up(call: ServiceCall) -> ServiceResponse:
    """Send a UTRN to the meter; answer with its result and the new credit."""
    hass = call.hass
    raw = call.data[ATTR_UTRN]
    masked = mask_utrn(raw)
    try:
        utrn = normalise_utrn(raw)
    except InvalidUTRN as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_utrn",
            translation_placeholders={"utrn": masked},
        ) from err
    entry, role = _prepayment_entry(hass, call)
    runtime = entry.runtime_data
    _LOGGER.debug("Sending top-up %s to the %s meter", masked, role)
    try:
        with _redacting(utrn):
            result = await _meter(entry, role).top_up(utrn)
    except HanNotAllowed as err:
        _LOGGER.info("The meter takes no top-ups from this device: %s", err)
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="top_up_not_over_han",
            translation_placeholders={"utrn": masked},
        ) from err
    except HanCommandError as err:
        if role == ROLE_GAS and err.status == _UNSUP_CLUSTER_COMMAND:
            # A gas meter that takes UTRNs only on its own keypad has no
            # ConsumerTopUp on its mirror's Prepayment cluster
            _LOGGER.info("The gas meter takes no top-ups over the HAN: %s", err)
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="gas_top_up_not_supported",
                translation_placeholders={"utrn": masked},
            ) from err
        raise _command_failed(err) from err
    except HanError as err:
        raise _command_failed(err) from err
    await runtime.tariff.async_refresh()
    if not result.accepted:
        _LOGGER.info("The meter refused top-up %s: %s", masked, result.reason)
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=TOP_UP_ERRORS.get(result.reason, "top_up_unknown"),
            translation_placeholders={"utrn": masked},
        )
    _LOGGER.info("The meter accepted top-up %s (%s)", masked, result.value)
    return {
        "accepted": True,
        "result": str(result.reason),
        "value": _money(result.value),
        "credit_remaining": _money(result.credit_remaining),
        "currency": "GBP",
        "utrn": masked,
    }


async def _async_activate_emergency_credit(call: ServiceCall) -> None:
    """Take the meter's emergency credit; a clear error when there is none."""
    entry, role = _prepayment_entry(call.hass, call)
    await async_activate_emergency_credit(entry, role)


async def async_activate_emergency_credit(
    entry: SmetsConfigEntry, role: str = ROLE_ESME
) -> None:
    """Select emergency credit on ``role``'s meter (the action and the button)."""
    runtime = entry.runtime_data
    try:
        taken = await _meter(entry, role).select_emergency_credit()
    except HanError as err:
        raise _command_failed(err) from err
    await runtime.tariff.async_refresh()
    if not taken:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="emergency_credit_not_available",
        )


async def _async_confirm_message(call: ServiceCall) -> None:
    """Tell the meter the supplier's message was seen."""
    entry = _loaded_entry(call.hass, call)
    runtime = entry.runtime_data
    message = runtime.pushed.data.messages.get(ROLE_ESME)
    message_id: int | None = call.data.get(ATTR_MESSAGE_ID)
    if message_id is None and message is not None and message.confirmation_required:
        message_id = message.message_id
    if message_id is None or not runtime.link.has_esme:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="no_message_to_confirm"
        )
    try:
        await runtime.link.esme.confirm_message(message_id)
    except HanError as err:
        raise _command_failed(err) from err
    runtime.pushed.async_confirm_message(message_id)


async def _async_import_history(call: ServiceCall) -> None:
    """Import (again) the meters' half-hourly history into the statistics."""
    hass = call.hass
    entry_id: str = call.data[ATTR_CONFIG_ENTRY_ID]
    entry = hass.config_entries.async_get_entry(entry_id)
    if (
        entry is None
        or entry.domain != DOMAIN
        or entry.state is not ConfigEntryState.LOADED
    ):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="history_entry_not_loaded",
            translation_placeholders={"entry_id": entry_id},
        )
    importer: HistoryImporter | None = entry.runtime_data.history
    if importer is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="history_no_recorder"
        )
    start: dt.date | None = call.data.get(ATTR_START)
    if start is not None and start > dt_util.now().date():
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="history_start_in_future",
            translation_placeholders={"start": start.isoformat()},
        )
    await importer.async_reimport(start)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions (once, for every entry)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_TOP_UP,
        _async_top_up,
        schema=TOP_UP_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_ACTIVATE_EMERGENCY_CREDIT,
        _async_activate_emergency_credit,
        schema=_FUEL_SCHEMA,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_CONFIRM_MESSAGE,
        _async_confirm_message,
        schema=CONFIRM_MESSAGE_SCHEMA,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_IMPORT_HISTORY,
        _async_import_history,
        schema=IMPORT_HISTORY_SCHEMA,
    )
