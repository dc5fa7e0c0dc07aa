"""ZigBee Smart Energy clusters that zigpy leaves bare, for GB smart meters.

zigpy declares Price, Prepayment, Messaging, Events, Device Management and Key
Establishment by id only, and its Metering cluster lacks the GetProfile
payloads before zigpy 2.4.0 and the alternative (kWh) consumption attributes a
GPF gas mirror publishes. This module defines them with the ids of the ZigBee
Smart Energy 1.4 specification, as Wireshark's dissector names them
(``shared/data/zse-ids.tsv``).

Every class here sets ``_skip_registry = True``: zigpy's global cluster
registry is shared with Home Assistant's ZHA in the same process, so these
classes are never registered; :func:`attach_clusters` installs them on one
endpoint at a time instead.

Direction in zigpy terms: ``ServerCommandDefs`` are the commands a meter (the
cluster server) receives, ``ClientCommandDefs`` the commands it sends.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final, Self, cast

import zigpy.types as t
from zigpy.zcl import Cluster
from zigpy.zcl.clusters import smartenergy as zse
from zigpy.zcl.foundation import (
    BaseCommandDefs,
    ZCLAttributeDef,
    ZCLCommandDef,
)

__all__ = [
    "HAN_CLUSTERS",
    "SE_PROFILE_ID",
    "ZCL_EPOCH",
    "CalorificValueUnit",
    "CreditStatus",
    "DeviceManagement",
    "EventLogId",
    "Events",
    "IntervalChannel",
    "KeyEstablishment",
    "KeyEstablishmentStatus",
    "KeyEstablishmentSuite",
    "Messaging",
    "Metering",
    "OriginatingDevice",
    "Prepayment",
    "Price",
    "ProfileIntervalPeriod",
    "ProfileStatus",
    "RemainingBytes",
    "TopUpResult",
    "attach_clusters",
    "command_fields",
    "zigpy_has_get_profile",
]

SE_PROFILE_ID: Final = 0x0109
"""The ZigBee Smart Energy application profile."""

ZCL_EPOCH: Final = 946_684_800
"""UTCTime counts seconds from 2000-01-01T00:00:00Z; this is that instant in Unix time."""


class RemainingBytes(bytes):
    """The rest of a ZCL payload as raw bytes (fixed-size keys, opaque payloads)."""

    def serialize(self) -> bytes:
        """Return the bytes unchanged."""
        return bytes(self)

    @classmethod
    def deserialize(cls, data: bytes) -> tuple[Self, bytes]:
        """Consume everything that is left."""
        return cls(data), b""


# --- enumerations and bitmaps ---------------------------------------------------


class OriginatingDevice(t.enum8):
    """Who started a prepayment command (ConsumerTopUp, emergency credit)."""

    Energy_Service_Interface = 0x00
    Meter = 0x01
    In_Home_Display = 0x02


class TopUpResult(t.enum8):
    """ConsumerTopUpResponse result type (ZSE 1.4, Prepayment cluster)."""

    Accepted = 0x00
    Rejected_Invalid_Top_Up = 0x01
    Rejected_Duplicate_Top_Up = 0x02
    Rejected_Error = 0x03
    Rejected_Max_Credit_Reached = 0x04
    Rejected_Keypad_Lock = 0x05
    Rejected_Top_Up_Value_Too_Large = 0x06
    Accepted_Supply_Enabled = 0x10
    Accepted_Supply_Disabled = 0x11
    Accepted_Supply_Armed = 0x12


class CreditStatus(t.bitmap8):
    """Prepayment CreditStatus (0x0003)."""

    Credit_OK = 0x01
    Low_Credit = 0x02
    Emergency_Credit_Enabled = 0x04
    Emergency_Credit_Available = 0x08
    Emergency_Credit_Selected = 0x10
    Emergency_Credit_In_Use = 0x20
    Credit_Exhausted = 0x40


class EventLogId(t.enum8):
    """Events cluster log ids."""

    All_Logs = 0x00
    Tamper_Log = 0x01
    Fault_Log = 0x02
    General_Event_Log = 0x03
    Security_Event_Log = 0x04
    Network_Event_Log = 0x05
    GBCS_General_Event_Log = 0x06
    GBCS_Security_Event_Log = 0x07


class CalorificValueUnit(t.enum8):
    """Price CalorificValueUnit (0x0305)."""

    MJ_per_m3 = 0x01
    MJ_per_kg = 0x02


class ProfileIntervalPeriod(t.enum8):
    """Metering ProfileIntervalPeriod: the length of one profile interval."""

    Daily = 0x00
    Minutes_60 = 0x01
    Minutes_30 = 0x02
    Minutes_15 = 0x03
    Minutes_10 = 0x04
    Minutes_7p5 = 0x05
    Minutes_5 = 0x06
    Minutes_2p5 = 0x07
    Minutes_1 = 0x08


class ProfileStatus(t.enum8):
    """GetProfileResponse status."""

    Success = 0x00
    Undefined_Interval_Channel = 0x01
    Interval_Channel_Not_Supported = 0x02
    Invalid_End_Time = 0x03
    More_Periods_Requested_Than_Can_Be_Returned = 0x04
    No_Intervals_Available = 0x05


class IntervalChannel(t.enum8):
    """GetProfile interval channel."""

    Consumption_Delivered = 0x00
    Consumption_Received = 0x01


class KeyEstablishmentSuite(t.bitmap16):
    """Key Establishment suites (CBKE)."""

    CBKE_ECMQV_163k1 = 0x0001
    CBKE_ECMQV_283k1 = 0x0002


class KeyEstablishmentStatus(t.enum8):
    """TerminateKeyEstablishment status."""

    Unknown_Issuer = 0x01
    Bad_Key_Confirm = 0x02
    Bad_Message = 0x03
    No_Resources = 0x04
    Unsupported_Suite = 0x05
    Invalid_Certificate = 0x06


# --- helpers to build definitions -----------------------------------------------


def _attr(attr_id: int, attr_type: Any) -> ZCLAttributeDef:
    """Return a read-only attribute definition (meters publish, they are not written)."""
    options: dict[str, Any] = {"id": attr_id, "type": attr_type, "access": "rp"}
    return ZCLAttributeDef(**options)


def _cmd(**options: Any) -> ZCLCommandDef:
    """Return a command definition (zigpy compiles the schema dict)."""
    return ZCLCommandDef(**options)


def _octets(max_len: int) -> Any:
    """Return zigpy's length-prefixed octet string type of at most ``max_len`` bytes."""
    factory: Any = t.LimitedLVBytes
    return factory(max_len)


def _override(defs: type, name: str, definition: ZCLCommandDef) -> None:
    """Define a command zigpy declares empty (before zigpy compiles the class)."""
    setattr(defs, name, definition)


def _extend(defs: type, new: Mapping[str, ZCLAttributeDef]) -> None:
    """Add generated definitions to a definitions class before zigpy compiles it."""
    members: Iterable[ZCLAttributeDef] = cast("Any", defs)
    existing = {attr.id for attr in members}
    for name, definition in new.items():
        if definition.id in existing or hasattr(defs, name):
            continue
        setattr(defs, name, definition)


def _has_fields(command: ZCLCommandDef | None) -> bool:
    """Whether a zigpy command definition carries a real payload schema."""
    if command is None or command.schema is None:
        return False
    fields = getattr(command.schema, "fields", None)
    return bool(fields)


# --- Price 0x0700 ------------------------------------------------------------------

_PRICE_TIER_LABELS = {
    f"tier{n}_price_label": _attr(n - 1, _octets(12)) for n in range(1, 49)
}
_PRICE_BLOCK_THRESHOLDS = {
    f"block{n}_threshold": _attr(0x0100 + n - 1, t.uint48_t) for n in range(1, 16)
}
_PRICE_TIER_PRICES = {
    f"tier{n}_block1_price": _attr(0x0400 + 0x10 * n, t.uint32_t) for n in range(1, 16)
}


class Price(zse.Price):
    """Price cluster (0x0700): tariff, tier labels, standing charge, gas factors."""

    _skip_registry = True

    class AttributeDefs(zse.Price.AttributeDefs):
        """Price attributes used by GB meters."""

        start_of_block_period = _attr(0x0200, t.UTCTime)
        block_period_duration = _attr(0x0201, t.uint24_t)
        threshold_multiplier = _attr(0x0202, t.uint24_t)
        threshold_divisor = _attr(0x0203, t.uint24_t)
        commodity_type = _attr(0x0300, zse.MeteringDeviceType)
        standing_charge = _attr(0x0301, t.uint32_t)
        conversion_factor = _attr(0x0302, t.uint32_t)
        conversion_factor_trailing_digit = _attr(0x0303, t.bitmap8)
        calorific_value = _attr(0x0304, t.uint32_t)
        calorific_value_unit = _attr(0x0305, CalorificValueUnit)
        calorific_value_trailing_digit = _attr(0x0306, t.bitmap8)
        no_tier_block1_price = _attr(0x0400, t.uint32_t)
        tariff_label = _attr(0x0610, _octets(24))
        number_of_price_tiers_in_use = _attr(0x0611, t.uint8_t)
        number_of_block_thresholds_in_use = _attr(0x0612, t.uint8_t)
        tier_block_mode = _attr(0x0613, t.enum8)
        unit_of_measure = _attr(0x0615, zse.MeteringUnitofMeasure)
        currency = _attr(0x0616, t.uint16_t)
        price_trailing_digit = _attr(0x0617, t.bitmap8)
        tariff_resolution_period = _attr(0x0619, t.enum8)
        co2 = _attr(0x0620, t.uint32_t)
        co2_unit = _attr(0x0621, t.enum8)
        co2_trailing_digit = _attr(0x0622, t.bitmap8)

    _extend(AttributeDefs, _PRICE_TIER_LABELS)
    _extend(AttributeDefs, _PRICE_BLOCK_THRESHOLDS)
    _extend(AttributeDefs, _PRICE_TIER_PRICES)

    class ServerCommandDefs(BaseCommandDefs):
        """Commands the meter receives."""

        get_current_price: Final = _cmd(id=0x00, schema={"command_options": t.bitmap8})

    class ClientCommandDefs(BaseCommandDefs):
        """Commands the meter sends."""

        # ZSE 1.4 D.4.2.4.1; the fields after `price` were added over 1.x
        # releases and are optional on the air.
        publish_price: Final = _cmd(
            id=0x00,
            schema={
                "provider_id": t.uint32_t,
                "rate_label": _octets(12),
                "issuer_event_id": t.uint32_t,
                "current_time": t.UTCTime,
                "unit_of_measure": zse.MeteringUnitofMeasure,
                "currency": t.uint16_t,
                "price_trailing_digit_and_price_tier": t.uint8_t,
                "number_of_price_tiers_and_register_tier": t.uint8_t,
                "start_time": t.UTCTime,
                "duration_in_minutes": t.uint16_t,
                "price": t.uint32_t,
                "price_ratio?": t.uint8_t,
                "generation_price?": t.uint32_t,
                "generation_price_ratio?": t.uint8_t,
                "alternate_cost_delivered?": t.uint32_t,
                "alternate_cost_unit?": t.enum8,
                "alternate_cost_trailing_digit?": t.uint8_t,
                "number_of_block_thresholds?": t.uint8_t,
                "price_control?": t.bitmap8,
                "number_of_generation_tiers?": t.uint8_t,
                "generation_tier?": t.enum8,
                "extended_number_of_price_tiers?": t.uint8_t,
                "extended_price_tier?": t.enum8,
                "extended_register_tier?": t.enum8,
            },
        )


# --- Metering 0x0702 extras -------------------------------------------------------

_ZIGPY_GET_PROFILE: Final = _has_fields(
    getattr(zse.Metering.ServerCommandDefs, "get_profile", None)
) and _has_fields(getattr(zse.Metering.ClientCommandDefs, "get_profile_response", None))


def zigpy_has_get_profile() -> bool:
    """Whether the installed zigpy's Metering defines the GetProfile payloads."""
    return _ZIGPY_GET_PROFILE


_ALT_DAY = (
    (0x0C01, "current_day_alternative_consumption_delivered"),
    (0x0C02, "current_day_alternative_consumption_received"),
    (0x0C03, "previous_day_alternative_consumption_delivered"),
    (0x0C04, "previous_day_alternative_consumption_received"),
)
_METERING_EXTRAS: dict[str, ZCLAttributeDef] = {
    "alternative_instantaneous_demand": _attr(0x0C00, t.int24s),
    **{name: _attr(attr_id, t.uint24_t) for attr_id, name in _ALT_DAY},
    "current_alternative_partial_profile_interval_start_time_delivered": _attr(
        0x0C05, t.UTCTime
    ),
    "current_alternative_partial_profile_interval_start_time_received": _attr(
        0x0C06, t.UTCTime
    ),
    "current_alternative_partial_profile_interval_value_delivered": _attr(
        0x0C07, t.uint24_t
    ),
    "current_alternative_partial_profile_interval_value_received": _attr(
        0x0C08, t.uint24_t
    ),
    "current_day_alternative_max_demand": _attr(0x0C0D, t.int24s),
    "previous_day_alternative_max_demand": _attr(0x0C0E, t.int24s),
    "current_month_alternative_max_demand": _attr(0x0C0F, t.int24s),
    "current_year_alternative_max_demand": _attr(0x0C10, t.int24s),
    # Previous days 2..8 (delivered, received), uint24
    **{
        f"previous_day{n}_alternative_consumption_{way}": _attr(
            0x0C20 + 2 * (n - 2) + k, t.uint24_t
        )
        for n in range(2, 9)
        for k, way in enumerate(("delivered", "received"))
    },
    "current_week_alternative_consumption_delivered": _attr(0x0C30, t.uint32_t),
    "current_week_alternative_consumption_received": _attr(0x0C31, t.uint32_t),
    "previous_week_alternative_consumption_delivered": _attr(0x0C32, t.uint32_t),
    "previous_week_alternative_consumption_received": _attr(0x0C33, t.uint32_t),
    "current_month_alternative_consumption_delivered": _attr(0x0C40, t.uint32_t),
    "current_month_alternative_consumption_received": _attr(0x0C41, t.uint32_t),
    "previous_month_alternative_consumption_delivered": _attr(0x0C42, t.uint32_t),
    "previous_month_alternative_consumption_received": _attr(0x0C43, t.uint32_t),
    # The ESME's own historical consumption, which zigpy stops short of
    **{
        f"previous_day{n}_consumption_{way}": _attr(
            0x0420 + 2 * (n - 2) + k, t.uint24_t
        )
        for n in range(2, 9)
        for k, way in enumerate(("delivered", "received"))
    },
    "current_week_consumption_delivered": _attr(0x0430, t.uint32_t),
    "current_week_consumption_received": _attr(0x0431, t.uint32_t),
    "previous_week_consumption_delivered": _attr(0x0432, t.uint32_t),
    "previous_week_consumption_received": _attr(0x0433, t.uint32_t),
    "current_month_consumption_delivered": _attr(0x0440, t.uint32_t),
    "current_month_consumption_received": _attr(0x0441, t.uint32_t),
    "previous_month_consumption_delivered": _attr(0x0442, t.uint32_t),
    "previous_month_consumption_received": _attr(0x0443, t.uint32_t),
}

_GET_PROFILE_SCHEMA: Final = {
    "interval_channel": IntervalChannel,
    "end_time": t.UTCTime,
    "number_of_periods": t.uint8_t,
}
_GET_PROFILE_RESPONSE_SCHEMA: Final = {
    "end_time": t.UTCTime,
    "status": ProfileStatus,
    "profile_interval_period": ProfileIntervalPeriod,
    "number_of_periods_delivered": t.uint8_t,
    "intervals": t.List[t.uint24_t],
}


class Metering(zse.Metering):
    """zigpy's Metering plus what GB meters use and older zigpy lacks.

    GetProfile / GetProfileResponse are defined here only when the installed
    zigpy leaves them empty (before 2.4.0); otherwise zigpy's own definitions
    are inherited. Read their fields with :func:`command_fields`, which is
    positional and so independent of zigpy's field names.
    """

    _skip_registry = True

    class AttributeDefs(zse.Metering.AttributeDefs):
        """zigpy's Metering attributes plus the alternative consumption set."""

    _extend(AttributeDefs, _METERING_EXTRAS)

    class ServerCommandDefs(zse.Metering.ServerCommandDefs):
        """Commands the meter receives."""

    class ClientCommandDefs(zse.Metering.ClientCommandDefs):
        """Commands the meter sends."""

    if not _ZIGPY_GET_PROFILE:
        _override(
            ServerCommandDefs,
            "get_profile",
            _cmd(id=0x00, schema=dict(_GET_PROFILE_SCHEMA)),
        )
        _override(
            ClientCommandDefs,
            "get_profile_response",
            _cmd(id=0x00, schema=dict(_GET_PROFILE_RESPONSE_SCHEMA)),
        )


# --- Prepayment 0x0705 -------------------------------------------------------------

_TOP_UP_LOG = {
    name: definition
    for n in range(1, 6)
    for name, definition in (
        (f"top_up_date_time{n}", _attr(0x0100 + 0x10 * (n - 1), t.UTCTime)),
        (f"top_up_amount{n}", _attr(0x0101 + 0x10 * (n - 1), t.int32s)),
        (f"originating_device{n}", _attr(0x0102 + 0x10 * (n - 1), OriginatingDevice)),
        (f"top_up_code{n}", _attr(0x0103 + 0x10 * (n - 1), _octets(25))),
    )
}


def _cost_set(period: str, first: int, previous: int) -> dict[str, ZCLAttributeDef]:
    """One period's Historical Cost Consumption attributes (delivered and received).

    ``current_<period>`` at ``first``, ``previous_<period>`` after it, then
    ``previous_<period>_2..`` (two ids a period: delivered, received), as
    Wireshark's ZSE tables number them.
    """
    names = [f"current_{period}", f"previous_{period}"]
    names += [f"previous_{period}_{n}" for n in range(2, previous + 1)]
    attrs: dict[str, ZCLAttributeDef] = {}
    for index, name in enumerate(names):
        attrs[f"{name}_cost_consumption_delivered"] = _attr(
            first + 2 * index, t.uint48_t
        )
        attrs[f"{name}_cost_consumption_received"] = _attr(
            first + 2 * index + 1, t.uint48_t
        )
    return attrs


#: The Historical Cost Consumption set (ZSE 1.4, GBCS): today and 8 days back,
#: this week and 5 back, this month and 13 back.
_COST_CONSUMPTION = {
    **_cost_set("day", 0x051C, 8),
    **_cost_set("week", 0x0530, 5),
    **_cost_set("month", 0x0540, 13),
}


class Prepayment(zse.Prepayment):
    """Prepayment cluster (0x0705): credit, emergency credit, debt, top-ups."""

    _skip_registry = True

    class AttributeDefs(zse.Prepayment.AttributeDefs):
        """Prepayment attributes (HAN-NOTES)."""

        payment_control_configuration = _attr(0x0000, t.bitmap16)
        credit_remaining = _attr(0x0001, t.int32s)
        emergency_credit_remaining = _attr(0x0002, t.int32s)
        credit_status = _attr(0x0003, CreditStatus)
        credit_remaining_timestamp = _attr(0x0004, t.UTCTime)
        accumulated_debt = _attr(0x0005, t.int32s)
        overall_debt_cap = _attr(0x0006, t.int32s)
        emergency_credit_limit_allowance = _attr(0x0010, t.uint32_t)
        emergency_credit_threshold = _attr(0x0011, t.uint32_t)
        total_credit_added = _attr(0x0020, t.uint48_t)
        max_credit_limit = _attr(0x0021, t.uint32_t)
        max_credit_per_top_up = _attr(0x0022, t.uint32_t)
        friendly_credit_warning = _attr(0x0030, t.uint8_t)
        low_credit_warning = _attr(0x0031, t.uint32_t)
        ihd_low_credit_warning = _attr(0x0032, t.uint32_t)
        interrupt_suspend_time = _attr(0x0033, t.uint8_t)
        cut_off_value = _attr(0x0040, t.int32s)
        token_carrier_id = _attr(0x0080, _octets(20))
        prepayment_alarm_status = _attr(0x0400, t.bitmap16)
        prepay_generic_alarm_mask = _attr(0x0401, t.bitmap16)
        prepay_switch_alarm_mask = _attr(0x0402, t.bitmap16)
        prepay_event_alarm_mask = _attr(0x0403, t.bitmap16)
        historical_cost_consumption_formatting = _attr(0x0500, t.bitmap8)
        consumption_unit_of_measurement = _attr(0x0501, zse.MeteringUnitofMeasure)
        currency_scaling_factor = _attr(0x0502, t.enum8)
        currency = _attr(0x0503, t.uint16_t)

    _extend(AttributeDefs, _TOP_UP_LOG)
    _extend(AttributeDefs, _COST_CONSUMPTION)

    class ServerCommandDefs(BaseCommandDefs):
        """Commands the meter receives."""

        select_available_emergency_credit: Final = _cmd(
            id=0x00,
            schema={
                "command_issue_date_time": t.UTCTime,
                "originating_device": OriginatingDevice,
            },
        )
        consumer_top_up: Final = _cmd(
            id=0x04,
            schema={
                "originating_device": OriginatingDevice,
                "top_up_code": _octets(25),
            },
        )
        get_prepay_snapshot: Final = _cmd(
            id=0x07,
            schema={
                "earliest_start_time": t.UTCTime,
                "latest_end_time": t.UTCTime,
                "snapshot_offset": t.uint8_t,
                "snapshot_cause": t.bitmap32,
            },
        )

    class ClientCommandDefs(BaseCommandDefs):
        """Commands the meter sends."""

        publish_prepay_snapshot: Final = _cmd(
            id=0x01,
            schema={
                "snapshot_id": t.uint32_t,
                "snapshot_time": t.UTCTime,
                "total_snapshots_found": t.uint8_t,
                "command_index": t.uint8_t,
                "total_number_of_commands": t.uint8_t,
                "snapshot_cause": t.bitmap32,
                "snapshot_payload_type": t.enum8,
                "snapshot_payload": RemainingBytes,
            },
        )
        consumer_top_up_response: Final = _cmd(
            id=0x03,
            schema={
                "result_type": TopUpResult,
                "top_up_value": t.int32s,
                "source_of_top_up": OriginatingDevice,
                "credit_remaining": t.int32s,
            },
        )


class DebtCreditStatus(t.Struct):
    """PublishPrepaySnapshot payload type 0: debt and credit status."""

    accumulated_debt: t.int32s
    type1_debt_remaining: t.uint32_t
    type2_debt_remaining: t.uint32_t
    type3_debt_remaining: t.uint32_t
    emergency_credit_remaining: t.int32s
    credit_remaining: t.int32s


# --- Messaging 0x0703 --------------------------------------------------------------

_DISPLAY_MESSAGE: Final = {
    "message_id": t.uint32_t,
    "message_control": t.bitmap8,
    "start_time": t.UTCTime,
    "duration_in_minutes": t.uint16_t,
    "message": t.CharacterString,
    "extended_message_control?": t.bitmap8,
}


class Messaging(zse.Messaging):
    """Messaging cluster (0x0703): supplier messages shown on an IHD."""

    _skip_registry = True

    class ServerCommandDefs(BaseCommandDefs):
        """Commands the meter receives."""

        get_last_message: Final = _cmd(id=0x00, schema={})
        message_confirmation: Final = _cmd(
            id=0x01,
            schema={
                "message_id": t.uint32_t,
                "confirmation_time": t.UTCTime,
                "message_confirmation_control?": t.bitmap8,
                "message_response?": _octets(20),
            },
        )
        get_message_cancellation: Final = _cmd(
            id=0x02, schema={"earliest_implementation_time": t.UTCTime}
        )

    class ClientCommandDefs(BaseCommandDefs):
        """Commands the meter sends."""

        display_message: Final = _cmd(id=0x00, schema=dict(_DISPLAY_MESSAGE))
        cancel_message: Final = _cmd(
            id=0x01, schema={"message_id": t.uint32_t, "message_control": t.bitmap8}
        )
        display_protected_message: Final = _cmd(id=0x02, schema=dict(_DISPLAY_MESSAGE))
        cancel_all_messages: Final = _cmd(
            id=0x03, schema={"implementation_date_time": t.UTCTime}
        )


# --- Events 0x0709 -----------------------------------------------------------------


class EventLogEntry(t.Struct):
    """One event in a PublishEventLog payload."""

    log_id: EventLogId
    event_id: t.uint16_t
    event_time: t.UTCTime
    event_data: t.LVBytes


class Events(zse.Events):
    """Events cluster (0x0709): GBCS alerts and event logs."""

    _skip_registry = True

    class ServerCommandDefs(BaseCommandDefs):
        """Commands the meter receives."""

        get_event_log: Final = _cmd(
            id=0x00,
            schema={
                "event_control_log_id": t.uint8_t,
                "event_id": t.uint16_t,
                "start_time": t.UTCTime,
                "end_time": t.UTCTime,
                "number_of_events": t.uint8_t,
                "event_offset": t.uint16_t,
            },
        )
        clear_event_log_request: Final = _cmd(id=0x01, schema={"log_id": EventLogId})

    class ClientCommandDefs(BaseCommandDefs):
        """Commands the meter sends."""

        publish_event: Final = _cmd(
            id=0x00,
            schema={
                "log_id": EventLogId,
                "event_id": t.uint16_t,
                "event_time": t.UTCTime,
                "event_control": t.bitmap8,
                "event_data": t.LVBytes,
            },
        )
        publish_event_log: Final = _cmd(
            id=0x01,
            schema={
                "total_number_of_matching_events": t.uint16_t,
                "command_index": t.uint8_t,
                "total_commands": t.uint8_t,
                "number_of_events_log_payload_control": t.uint8_t,
                "log_payload": t.List[EventLogEntry],
            },
        )
        clear_event_log_response: Final = _cmd(
            id=0x02, schema={"cleared_event_logs": t.bitmap8}
        )


# --- Device Management 0x0708 ------------------------------------------------------


class DeviceManagement(zse.DeviceManagement):
    """Device Management cluster (0x0708): the supplier (provider) identity."""

    _skip_registry = True

    class AttributeDefs(zse.DeviceManagement.AttributeDefs):
        """Supplier control attributes."""

        provider_id = _attr(0x0100, t.uint32_t)
        provider_name = _attr(0x0101, _octets(16))
        provider_contact_details = _attr(0x0102, _octets(19))
        proposed_provider_id = _attr(0x0110, t.uint32_t)
        proposed_provider_name = _attr(0x0111, _octets(16))
        proposed_provider_change_date_time = _attr(0x0112, t.UTCTime)


# --- Key Establishment 0x0800 ------------------------------------------------------

_INITIATE_KE: Final = {
    "key_establishment_suite": KeyEstablishmentSuite,
    "ephemeral_data_generate_time": t.uint8_t,
    "confirm_key_generate_time": t.uint8_t,
    "identity": RemainingBytes,
}
_TERMINATE_KE: Final = {
    "status_code": KeyEstablishmentStatus,
    "wait_time": t.uint8_t,
    "key_establishment_suite": KeyEstablishmentSuite,
}


class KeyEstablishment(zse.KeyEstablishment):
    """Key Establishment cluster (0x0800): CBKE between a device and the hub."""

    _skip_registry = True

    class AttributeDefs(zse.KeyEstablishment.AttributeDefs):
        """Key Establishment attributes."""

        key_establishment_suite = _attr(0x0000, KeyEstablishmentSuite)

    class ServerCommandDefs(BaseCommandDefs):
        """Commands the key establishment server receives."""

        initiate_key_establishment: Final = _cmd(id=0x00, schema=dict(_INITIATE_KE))
        ephemeral_data: Final = _cmd(id=0x01, schema={"ephemeral_data": RemainingBytes})
        confirm_key_data: Final = _cmd(
            id=0x02, schema={"secure_message_authentication_code": RemainingBytes}
        )
        terminate_key_establishment: Final = _cmd(id=0x03, schema=dict(_TERMINATE_KE))

    class ClientCommandDefs(BaseCommandDefs):
        """Commands the key establishment server sends."""

        initiate_key_establishment_response: Final = _cmd(
            id=0x00, schema=dict(_INITIATE_KE)
        )
        ephemeral_data_response: Final = _cmd(
            id=0x01, schema={"ephemeral_data": RemainingBytes}
        )
        confirm_key_data_response: Final = _cmd(
            id=0x02, schema={"secure_message_authentication_code": RemainingBytes}
        )
        server_terminate_key_establishment: Final = _cmd(
            id=0x03, schema=dict(_TERMINATE_KE)
        )


# --- attaching -------------------------------------------------------------------

HAN_CLUSTERS: Final[Mapping[int, type[Cluster]]] = {
    cls.cluster_id: cls
    for cls in (
        Price,
        Metering,
        Messaging,
        Prepayment,
        DeviceManagement,
        Events,
        KeyEstablishment,
    )
}
"""The cluster classes this module defines, by cluster id."""


def attach_clusters(endpoint: Any) -> list[int]:
    """Install this module's clusters on one zigpy endpoint; return the ids replaced.

    Server (input) and client (output) clusters are both replaced, keeping
    anything zigpy had already cached for them out of the picture. Clusters
    already of the right class are left alone, so this can run again.
    """
    replaced: list[int] = []
    for cluster_id, cls in HAN_CLUSTERS.items():
        current = endpoint.in_clusters.get(cluster_id)
        if current is not None and type(current) is not cls:
            endpoint.add_input_cluster(cluster_id, cls(endpoint, is_server=True))
            replaced.append(cluster_id)
        current = endpoint.out_clusters.get(cluster_id)
        if current is not None and type(current) is not cls:
            endpoint.add_output_cluster(cluster_id, cls(endpoint, is_server=False))
            replaced.append(cluster_id)
    return replaced


def command_fields(command: Any) -> tuple[Any, ...]:
    """Return the fields of a received command, in the order the ZSE frame carries them.

    Works for this module's schemas and for zigpy's own (2.4.0+ GetProfile),
    whatever names they give the fields.
    """
    as_tuple = getattr(command, "as_tuple", None)
    if as_tuple is None:
        return tuple(command)
    return tuple(as_tuple())
