"""Typed snapshots of what a GB smart meter publishes, and pure decoding.

Everything here is pure: no I/O, no zigpy, no Home Assistant. Decoders take the
raw values of one cluster's attributes (a ``Mapping[int, object]`` keyed by ZSE
attribute id, as a Read Attributes answer gives them) or a command's fields (a
``Mapping[str, object]`` keyed by the snake_case field names given in each
parser's docstring) and return frozen dataclasses.

Decoding is TOTAL: odd input (a missing attribute, a wrong type, an out-of-range
number, an "invalid" sentinel) becomes ``None`` for that value, never an
exception and never a made-up number.

Rules implemented (ZigBee Smart Energy 1.x, profile 0x0109; GBCS where noted):

* Sentinels: an all-ones unsigned value (uint8 0xFF ... uint48 0xFFFFFFFFFFFF)
  and the minimum signed value (int24 -0x800000, int32 -2**31) mean "invalid /
  not available" -> ``None``. See :func:`valid_uint`, :func:`valid_int`.
* Metering values: ``value = raw * Multiplier / Divisor`` (0x0301 / 0x0302),
  a :class:`~decimal.Decimal` with every digit that gives (nothing is rounded);
  a Multiplier or Divisor that is 0, missing or invalid means "not set" and
  counts as 1. The formatting attributes (Summation 0x0303, Demand 0x0304,
  Historical Consumption 0x0305, Alternative Demand / Consumption 0x0313 /
  0x0314; bits 0-2 digits right of the point, 3-6 left, 7 suppress leading
  zeros) say how an In-Home Display shows a value, never what it is: they are
  kept beside the values as display hints (``*_formatting``, ``*_digits``),
  and a formatting byte of 0x00 publishes no hint. A meter whose
  SummationFormatting says one decimal still sends its kWh to the Wh.
  When UnitOfMeasure (0x0300) has bit 7 set the raw values are BCD.
  An ESME's missing UnitOfMeasure is taken as its ZCL default, 0x00 (kWh);
  a gas meter's is not (no volume or energy without it).
* InstantaneousDemand (0x0400) is int24 and signed: negative = exporting.
  Demand in kW is exposed in W.
* Money: :func:`money` is the one conversion used everywhere. The raw value is
  in the currency's MINOR unit (pence for GBP, ISO 4217 826) with
  ``trailing_digits`` digits after the decimal point, so
  ``amount = raw / 10**trailing_digits / 100`` in major units (pounds):

  - Price cluster unit prices (PublishPrice ``price``, TierNBlock1Price
    0x0410.., PriceTierN 0x050F..) and StandingCharge (0x0301, per day) use
    the price trailing digit: the top nibble of PublishPrice's
    ``price_trailing_digit_and_price_tier`` or of PriceTrailingDigit (0x0617).
  - Prepayment amounts (CreditRemaining 0x0001 int32 ...) use the digits right
    of the decimal point of the prepayment formatting attribute
    (HistoricalCostConsumptionFormatting 0x0500, laid out like
    SummationFormatting); without it, the price trailing digit the caller
    passes; without that, 0.
  - A trailing-digit attribute that is missing counts as its ZCL default, 0.

* Trailing-digit bitmaps (0x0303, 0x0306, 0x0617, PublishPrice): the digit
  count is the top nibble; when the top nibble is 0 and the low one is not, the
  low one is used (some implementations put it there).
* Gas: ``kWh = m3 * conversion_factor * calorific_value(MJ/m3) / 3.6``
  (:func:`gas_m3_to_kwh`); ConversionFactor 0x0302 and CalorificValue 0x0304
  are uint32 with trailing digits (0x0303 / 0x0306), e.g. 1.02264 = raw
  1022640 with 6 digits (0x60). CalorificValueUnit 0x0305: 0x01 MJ/m3,
  0x02 MJ/kg (no kWh then); missing counts as MJ/m3.
* ZCL UTC time: seconds since 2000-01-01T00:00:00Z; 0xFFFFFFFF is invalid.
* MeteringDeviceType: 0 electric, 1 gas, 2 water ... ; mirrored types are the
  base type + 127 (0x7F mirrored electric, 0x80 mirrored gas -- the GPF,
  0x81 mirrored water), as ZSE 1.2+ and zigpy define them.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from enum import IntEnum, StrEnum
import struct

from .alerts import AlertCategory, AlertSeverity, alert_info

__all__ = [
    "ELECTRICITY_ATTRIBUTES",
    "GAS_ATTRIBUTES",
    "IDENTITY_BASIC_ATTRIBUTES",
    "IDENTITY_METERING_ATTRIBUTES",
    "PREPAYMENT_ATTRIBUTES",
    "PRICE_ATTRIBUTES",
    "ZCL_EPOCH",
    "AlertEvent",
    "BasicAttr",
    "CalorificValueUnit",
    "CreditStatus",
    "ElectricityReading",
    "GasReading",
    "MessageImportance",
    "MeterIdentity",
    "MeterStatus",
    "MeteringAttr",
    "MeteringDeviceType",
    "NumberFormatting",
    "PaymentControl",
    "PrepaySnapshotEvent",
    "PrepaymentAttr",
    "PrepaymentInfo",
    "PriceAttr",
    "PriceEvent",
    "PriceInfo",
    "ProfileInterval",
    "ProfileIntervalPeriod",
    "ProfileResponse",
    "ProfileStatus",
    "SupplierMessage",
    "SupplyStatus",
    "TopUpReason",
    "TopUpResult",
    "TopUpResultCode",
    "UnitOfMeasure",
    "base_device_type",
    "bcd_to_int",
    "currency_code",
    "datetime_to_zcl_time",
    "decode_calorific_value",
    "decode_conversion_factor",
    "decode_credit_status",
    "decode_electricity",
    "decode_formatting",
    "decode_gas",
    "decode_identity",
    "decode_meter_status",
    "decode_payment_control",
    "decode_prepayment",
    "decode_price",
    "gas_m3_to_kwh",
    "make_alert_event",
    "money",
    "parse_display_message",
    "parse_prepay_snapshot",
    "parse_profile_response",
    "parse_publish_event",
    "parse_publish_price",
    "parse_top_up_response",
    "profile_series",
    "scale",
    "top_up_reason_from_alert",
    "trailing_digits",
    "valid_int",
    "valid_uint",
    "zcl_time_to_datetime",
]

# --------------------------------------------------------------------------
# Attribute ids
# --------------------------------------------------------------------------


class BasicAttr(IntEnum):
    """Basic cluster (0x0000) attributes used for identity."""

    APPLICATION_VERSION = 0x0001
    HW_VERSION = 0x0003
    MANUFACTURER_NAME = 0x0004
    MODEL_IDENTIFIER = 0x0005
    DATE_CODE = 0x0006
    SW_BUILD_ID = 0x4000


class MeteringAttr(IntEnum):
    """Metering cluster (0x0702) attributes the decoders read."""

    CURRENT_SUMMATION_DELIVERED = 0x0000
    CURRENT_SUMMATION_RECEIVED = 0x0001
    SUPPLY_STATUS = 0x0014
    ACTIVE_REGISTER_TIER_DELIVERED = 0x0020
    CURRENT_TIER1_SUMMATION_DELIVERED = 0x0100
    CURRENT_TIER1_SUMMATION_RECEIVED = 0x0101
    STATUS = 0x0200
    UNIT_OF_MEASURE = 0x0300
    MULTIPLIER = 0x0301
    DIVISOR = 0x0302
    SUMMATION_FORMATTING = 0x0303
    DEMAND_FORMATTING = 0x0304
    HISTORICAL_CONSUMPTION_FORMATTING = 0x0305
    METERING_DEVICE_TYPE = 0x0306
    SITE_ID = 0x0307
    METER_SERIAL_NUMBER = 0x0308
    ALTERNATIVE_UNIT_OF_MEASURE = 0x0312
    ALTERNATIVE_DEMAND_FORMATTING = 0x0313
    ALTERNATIVE_CONSUMPTION_FORMATTING = 0x0314
    INSTANTANEOUS_DEMAND = 0x0400
    CURRENT_DAY_CONSUMPTION_DELIVERED = 0x0401
    CURRENT_DAY_CONSUMPTION_RECEIVED = 0x0402
    PREVIOUS_DAY_CONSUMPTION_DELIVERED = 0x0403
    PREVIOUS_DAY_CONSUMPTION_RECEIVED = 0x0404
    ALTERNATIVE_INSTANTANEOUS_DEMAND = 0x0C00
    CURRENT_DAY_ALTERNATIVE_CONSUMPTION_DELIVERED = 0x0C01
    PREVIOUS_DAY_ALTERNATIVE_CONSUMPTION_DELIVERED = 0x0C03


class PriceAttr(IntEnum):
    """Price cluster (0x0700) attributes the decoders read."""

    TIER1_PRICE_LABEL = 0x0000
    TIER48_PRICE_LABEL = 0x002F
    COMMODITY_TYPE = 0x0300
    STANDING_CHARGE = 0x0301
    CONVERSION_FACTOR = 0x0302
    CONVERSION_FACTOR_TRAILING_DIGIT = 0x0303
    CALORIFIC_VALUE = 0x0304
    CALORIFIC_VALUE_UNIT = 0x0305
    CALORIFIC_VALUE_TRAILING_DIGIT = 0x0306
    TIER1_BLOCK1_PRICE = 0x0410
    PRICE_TIER16 = 0x050F
    TARIFF_LABEL = 0x0610
    UNIT_OF_MEASURE = 0x0615
    CURRENCY = 0x0616
    PRICE_TRAILING_DIGIT = 0x0617


class PrepaymentAttr(IntEnum):
    """Prepayment cluster (0x0705) attributes the decoders read."""

    PAYMENT_CONTROL_CONFIGURATION = 0x0000
    CREDIT_REMAINING = 0x0001
    EMERGENCY_CREDIT_REMAINING = 0x0002
    CREDIT_STATUS = 0x0003
    CREDIT_REMAINING_TIMESTAMP = 0x0004
    ACCUMULATED_DEBT = 0x0005
    OVERALL_DEBT_CAP = 0x0006
    EMERGENCY_CREDIT_LIMIT = 0x0010
    EMERGENCY_CREDIT_THRESHOLD = 0x0011
    TOTAL_CREDIT_ADDED = 0x0020
    MAX_CREDIT_LIMIT = 0x0021
    LOW_CREDIT_WARNING = 0x0031
    CUT_OFF_VALUE = 0x0040
    ALARM_STATUS = 0x0400
    HISTORICAL_COST_CONSUMPTION_FORMATTING = 0x0500
    CURRENCY_SCALING_FACTOR = 0x0502
    CURRENCY = 0x0503


#: Metering attributes :func:`decode_electricity` reads (tiers 1-4 only; add
#: ``0x0100 + 2 * (n - 1)`` / ``+ 1`` for more).
ELECTRICITY_ATTRIBUTES: tuple[int, ...] = (
    *(0x0000, 0x0001, 0x0014, 0x0020),
    *range(0x0100, 0x0108),
    *(0x0200, 0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0x0305, 0x0306),
    *range(0x0400, 0x0405),
)
#: Metering attributes :func:`decode_gas` reads (GPF mirror or GSME).
GAS_ATTRIBUTES: tuple[int, ...] = (
    *(0x0000, 0x0014, 0x0200),
    *range(0x0300, 0x0307),
    *(0x0312, 0x0313, 0x0314, 0x0400, 0x0401, 0x0403, 0x0C00, 0x0C01, 0x0C03),
)
#: Price attributes :func:`decode_price` reads (tiers 1-4 only).
PRICE_ATTRIBUTES: tuple[int, ...] = (
    *range(0x0004),
    *range(0x0300, 0x0307),
    *(0x0410, 0x0420, 0x0430, 0x0440, 0x0610, 0x0615, 0x0616, 0x0617),
)
#: Prepayment attributes :func:`decode_prepayment` reads.
PREPAYMENT_ATTRIBUTES: tuple[int, ...] = tuple(PrepaymentAttr)
#: Basic attributes :func:`decode_identity` reads.
IDENTITY_BASIC_ATTRIBUTES: tuple[int, ...] = tuple(BasicAttr)
#: Metering attributes :func:`decode_identity` reads.
IDENTITY_METERING_ATTRIBUTES: tuple[int, ...] = (0x0306, 0x0307, 0x0308)

# --------------------------------------------------------------------------
# Raw value helpers
# --------------------------------------------------------------------------


def _as_int(raw: object) -> int | None:
    """Return an int (zigpy's int subclasses included), never a bool."""
    if isinstance(raw, bool) or not isinstance(raw, int):
        return None
    return int(raw)


def valid_uint(raw: object, bits: int) -> int | None:
    """Return an unsigned ``bits``-wide value; None if not one or all-ones."""
    value = _as_int(raw)
    if value is None or not 0 <= value < (1 << bits) - 1:
        return None
    return value


def valid_int(raw: object, bits: int) -> int | None:
    """Return a signed ``bits``-wide value; None if not one or the minimum."""
    value = _as_int(raw)
    limit = 1 << (bits - 1)
    if value is None or not -limit < value < limit:
        return None
    return value


def _bitmap(raw: object, bits: int) -> int | None:
    """Return a bitmap / enum value: any ``bits``-wide unsigned number."""
    value = _as_int(raw)
    if value is None or not 0 <= value < (1 << bits):
        return None
    return value


def _int32ish(raw: object) -> int | None:
    """Return a signed 32-bit amount, also when a peer sent it as uint32.

    Values 0x80000001..0xFFFFFFFE are read as two's complement; the int32
    minimum and 0xFFFFFFFF are invalid.
    """
    value = _as_int(raw)
    if value is not None and 0x7FFFFFFF < value < 0xFFFFFFFF:
        value -= 1 << 32
    return valid_int(value, 32)


def bcd_to_int(raw: object, bits: int | None = None) -> int | None:
    """Decode a binary-coded decimal number (each nibble a digit); None if not BCD.

    With ``bits``, the width of the register it came from, a value wider than
    that register (more than ``bits // 4`` digits) is None too: a uint48
    register holds 12 digits, not the 16 of a uint64 or 400 of a forged one.
    """
    value = _as_int(raw)
    if value is None or value < 0 or (bits is not None and value >> bits):
        return None
    result = 0
    factor = 1
    while value:
        digit = value & 0x0F
        if digit > 9:
            return None
        result += digit * factor
        factor *= 10
        value >>= 4
    return result


def _as_str(raw: object) -> str | None:
    """Text from a ZCL string (str or bytes), trimmed; None if empty or not text."""
    if isinstance(raw, bytes | bytearray):
        text = bytes(raw).decode("utf-8", errors="replace")
    elif isinstance(raw, str):
        text = raw
    else:
        return None
    text = text.replace("\x00", "").strip()
    return text or None


def _as_bytes(raw: object) -> bytes:
    if isinstance(raw, bytes | bytearray):
        return bytes(raw)
    if isinstance(raw, str):
        return raw.encode("utf-8")
    return b""


def _field(fields: Mapping[str, object], *names: str) -> object:
    """Return the first of ``names`` present in ``fields`` (None if none is)."""
    for name in names:
        if name in fields:
            return fields[name]
    return None


# --------------------------------------------------------------------------
# Time
# --------------------------------------------------------------------------

#: Time zero of ZCL UTCTime.
ZCL_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def zcl_time_to_datetime(raw: object) -> dt.datetime | None:
    """ZCL UTCTime (seconds since 2000-01-01 UTC) -> aware datetime; None if invalid."""
    seconds = valid_uint(raw, 32)
    if seconds is None:
        return None
    return ZCL_EPOCH + dt.timedelta(seconds=seconds)


def datetime_to_zcl_time(when: dt.datetime) -> int:
    """Aware datetime -> ZCL UTCTime; raise ValueError if naive or out of range."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("a ZCL time needs an aware datetime (with a time zone)")
    seconds = int((when - ZCL_EPOCH) // dt.timedelta(seconds=1))
    if not 0 <= seconds < 0xFFFFFFFF:
        raise ValueError(f"{when.isoformat()} is outside the ZCL UTCTime range")
    return seconds


def _end(start: dt.datetime | None, minutes: int | None) -> dt.datetime | None:
    """``start + minutes``; None without either, or past the last datetime."""
    if start is None or minutes is None:
        return None
    try:
        return start + dt.timedelta(minutes=minutes)
    except OverflowError:
        return None


def _as_time(raw: object) -> dt.datetime | None:
    """Return a datetime from ZCL UTCTime or an aware datetime."""
    if isinstance(raw, dt.datetime):
        return raw if raw.tzinfo is not None else None
    return zcl_time_to_datetime(raw)


# --------------------------------------------------------------------------
# Enumerations
# --------------------------------------------------------------------------


class UnitOfMeasure(IntEnum):
    """Metering UnitOfMeasure (0x0300); +0x80 = the values are BCD."""

    KWH = 0x00
    M3 = 0x01
    FT3 = 0x02
    CCF = 0x03
    US_GAL = 0x04
    IMP_GAL = 0x05
    BTU = 0x06
    LITRES = 0x07
    KPA_GAUGE = 0x08
    KPA_ABSOLUTE = 0x09
    MCF = 0x0A
    UNITLESS = 0x0B
    MJ = 0x0C
    KVARH = 0x0D
    KWH_BCD = 0x80
    M3_BCD = 0x81
    FT3_BCD = 0x82
    CCF_BCD = 0x83
    US_GAL_BCD = 0x84
    IMP_GAL_BCD = 0x85
    BTU_BCD = 0x86
    LITRES_BCD = 0x87
    KPA_GAUGE_BCD = 0x88
    KPA_ABSOLUTE_BCD = 0x89
    MCF_BCD = 0x8A
    UNITLESS_BCD = 0x8B
    MJ_BCD = 0x8C
    KVARH_BCD = 0x8D

    @property
    def is_bcd(self) -> bool:
        """Values in this unit are binary-coded decimal."""
        return bool(self.value & 0x80)

    @property
    def base(self) -> UnitOfMeasure:
        """The unit without the BCD flag."""
        return UnitOfMeasure(self.value & 0x7F)

    @classmethod
    def from_raw(cls, raw: object) -> UnitOfMeasure | None:
        """Return the unit for a raw enum8, None if unknown."""
        value = _bitmap(raw, 8)
        return cls(value) if value in _UNIT_VALUES else None


_UNIT_VALUES = frozenset(unit.value for unit in UnitOfMeasure)


class MeteringDeviceType(IntEnum):
    """MeteringDeviceType (0x0306); mirrored = base + 127."""

    ELECTRIC = 0
    GAS = 1
    WATER = 2
    THERMAL = 3
    PRESSURE = 4
    HEAT = 5
    COOLING = 6
    EUMD = 7
    PV_GENERATION = 8
    WIND_TURBINE_GENERATION = 9
    WATER_TURBINE_GENERATION = 10
    MICRO_GENERATION = 11
    SOLAR_HOT_WATER_GENERATION = 12
    ELECTRIC_PHASE_1 = 13
    ELECTRIC_PHASE_2 = 14
    ELECTRIC_PHASE_3 = 15
    MIRRORED_ELECTRIC = 127
    MIRRORED_GAS = 128
    MIRRORED_WATER = 129
    MIRRORED_THERMAL = 130
    MIRRORED_PRESSURE = 131
    MIRRORED_HEAT = 132
    MIRRORED_COOLING = 133
    MIRRORED_EUMD = 134
    MIRRORED_PV_GENERATION = 135
    MIRRORED_WIND_TURBINE_GENERATION = 136
    MIRRORED_WATER_TURBINE_GENERATION = 137
    MIRRORED_MICRO_GENERATION = 138
    MIRRORED_SOLAR_HOT_WATER_GENERATION = 139
    MIRRORED_ELECTRIC_PHASE_1 = 140
    MIRRORED_ELECTRIC_PHASE_2 = 141
    MIRRORED_ELECTRIC_PHASE_3 = 142

    @property
    def is_mirrored(self) -> bool:
        """A mirror (e.g. the GPF's copy of the gas meter)."""
        return self.value >= 127

    @property
    def base(self) -> MeteringDeviceType:
        """The device type without mirroring."""
        return MeteringDeviceType(self.value - 127) if self.is_mirrored else self

    @classmethod
    def from_raw(cls, raw: object) -> MeteringDeviceType | None:
        """Return the device type for a raw value, None if unknown."""
        value = _bitmap(raw, 8)
        return cls(value) if value in _DEVICE_TYPE_VALUES else None


_DEVICE_TYPE_VALUES = frozenset(t.value for t in MeteringDeviceType)


def base_device_type(raw: object) -> MeteringDeviceType | None:
    """Return the un-mirrored type of a raw MeteringDeviceType (None if unknown)."""
    device_type = MeteringDeviceType.from_raw(raw)
    return device_type.base if device_type is not None else None


class SupplyStatus(IntEnum):
    """Metering SupplyStatus (0x0014)."""

    OFF = 0
    ARMED = 1
    ON = 2


def _enum[E: IntEnum](cls: type[E], raw: object) -> E | None:
    value = _bitmap(raw, 16)
    if value is None:
        return None
    try:
        return cls(value)
    except ValueError:
        return None


class CalorificValueUnit(IntEnum):
    """Price CalorificValueUnit (0x0305)."""

    MJ_PER_M3 = 0x01
    MJ_PER_KG = 0x02


class ProfileIntervalPeriod(IntEnum):
    """GetProfileResponse profile_interval_period."""

    DAILY = 0
    MINUTES_60 = 1
    MINUTES_30 = 2
    MINUTES_15 = 3
    MINUTES_10 = 4
    MINUTES_7_5 = 5
    MINUTES_5 = 6
    MINUTES_2_5 = 7
    MINUTES_1 = 8

    @property
    def duration(self) -> dt.timedelta:
        """How long one interval lasts."""
        return _PERIOD_DURATIONS[self]


_PERIOD_DURATIONS = {
    ProfileIntervalPeriod.DAILY: dt.timedelta(days=1),
    ProfileIntervalPeriod.MINUTES_60: dt.timedelta(minutes=60),
    ProfileIntervalPeriod.MINUTES_30: dt.timedelta(minutes=30),
    ProfileIntervalPeriod.MINUTES_15: dt.timedelta(minutes=15),
    ProfileIntervalPeriod.MINUTES_10: dt.timedelta(minutes=10),
    ProfileIntervalPeriod.MINUTES_7_5: dt.timedelta(minutes=7.5),
    ProfileIntervalPeriod.MINUTES_5: dt.timedelta(minutes=5),
    ProfileIntervalPeriod.MINUTES_2_5: dt.timedelta(minutes=2.5),
    ProfileIntervalPeriod.MINUTES_1: dt.timedelta(minutes=1),
}


class ProfileStatus(IntEnum):
    """GetProfileResponse status."""

    SUCCESS = 0
    UNDEFINED_INTERVAL_CHANNEL = 1
    INTERVAL_CHANNEL_NOT_SUPPORTED = 2
    INVALID_END_TIME = 3
    MORE_PERIODS_REQUESTED_THAN_CAN_BE_RETURNED = 4
    NO_INTERVALS_AVAILABLE = 5


class MessageImportance(StrEnum):
    """Messaging DisplayMessage importance (message control bits 2-3)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


_IMPORTANCE = (
    MessageImportance.LOW,
    MessageImportance.MEDIUM,
    MessageImportance.HIGH,
    MessageImportance.CRITICAL,
)


class TopUpResultCode(IntEnum):
    """Prepayment ConsumerTopUpResponse result_type."""

    ACCEPTED = 0x00
    REJECTED_INVALID_TOP_UP = 0x01
    REJECTED_DUPLICATE_TOP_UP = 0x02
    REJECTED_ERROR = 0x03
    REJECTED_MAX_CREDIT_REACHED = 0x04
    REJECTED_KEYPAD_LOCK = 0x05
    REJECTED_TOP_UP_VALUE_TOO_LARGE = 0x06
    ACCEPTED_SUPPLY_ENABLED = 0x10
    ACCEPTED_SUPPLY_DISABLED = 0x11
    ACCEPTED_SUPPLY_ARMED = 0x12

    @property
    def accepted(self) -> bool:
        """The meter took the credit."""
        return self in _ACCEPTED_CODES


_ACCEPTED_CODES = frozenset(
    {
        TopUpResultCode.ACCEPTED,
        TopUpResultCode.ACCEPTED_SUPPLY_ENABLED,
        TopUpResultCode.ACCEPTED_SUPPLY_DISABLED,
        TopUpResultCode.ACCEPTED_SUPPLY_ARMED,
    }
)


class TopUpReason(StrEnum):
    """Why a top-up was accepted or refused: a stable key to translate.

    From the ZSE result code, refined by the GBCS alert the meter raises with a
    refusal (see :func:`top_up_reason_from_alert`).
    """

    ACCEPTED = "accepted"
    ACCEPTED_SUPPLY_ENABLED = "accepted_supply_enabled"
    ACCEPTED_SUPPLY_DISABLED = "accepted_supply_disabled"
    ACCEPTED_SUPPLY_ARMED = "accepted_supply_armed"
    INVALID = "invalid"
    DUPLICATE = "duplicate"
    ERROR = "error"
    MAX_CREDIT_REACHED = "max_credit_reached"
    KEYPAD_LOCK = "keypad_lock"
    VALUE_TOO_LARGE = "value_too_large"
    NOT_AUTHENTIC = "not_authentic"
    NOT_FOR_THIS_METER = "not_for_this_meter"
    UNKNOWN = "unknown"


_REASON_BY_CODE = {
    TopUpResultCode.ACCEPTED: TopUpReason.ACCEPTED,
    TopUpResultCode.REJECTED_INVALID_TOP_UP: TopUpReason.INVALID,
    TopUpResultCode.REJECTED_DUPLICATE_TOP_UP: TopUpReason.DUPLICATE,
    TopUpResultCode.REJECTED_ERROR: TopUpReason.ERROR,
    TopUpResultCode.REJECTED_MAX_CREDIT_REACHED: TopUpReason.MAX_CREDIT_REACHED,
    TopUpResultCode.REJECTED_KEYPAD_LOCK: TopUpReason.KEYPAD_LOCK,
    TopUpResultCode.REJECTED_TOP_UP_VALUE_TOO_LARGE: TopUpReason.VALUE_TOO_LARGE,
    TopUpResultCode.ACCEPTED_SUPPLY_ENABLED: TopUpReason.ACCEPTED_SUPPLY_ENABLED,
    TopUpResultCode.ACCEPTED_SUPPLY_DISABLED: TopUpReason.ACCEPTED_SUPPLY_DISABLED,
    TopUpResultCode.ACCEPTED_SUPPLY_ARMED: TopUpReason.ACCEPTED_SUPPLY_ARMED,
}

#: GBCS alert raised with a refused UTRN -> the reason it names.
_REASON_BY_ALERT = {
    0x8F63: TopUpReason.NOT_AUTHENTIC,  # UTRN not Authentic
    0x8F64: TopUpReason.NOT_FOR_THIS_METER,  # UTRN not for this Device
    0x8F51: TopUpReason.DUPLICATE,  # Duplicate UTRN entered
    0x8F5B: TopUpReason.VALUE_TOO_LARGE,  # UTRN exceeds Maximum Credit Threshold
    0x8F47: TopUpReason.MAX_CREDIT_REACHED,  # would exceed Maximum Meter Balance
    0x81C4: TopUpReason.KEYPAD_LOCK,  # UTRN Manual Entry Suspended
    0x81C5: TopUpReason.KEYPAD_LOCK,  # UTRN rejected as locked out
}


def top_up_reason_from_alert(code: object) -> TopUpReason | None:
    """Return the refusal reason a GBCS alert names, None for other alerts.

    0x8F63 -> not_authentic, 0x8F64 -> not_for_this_meter, 0x8F51 -> duplicate,
    0x8F5B -> value_too_large, 0x8F47 -> max_credit_reached, 0x81C4 / 0x81C5 ->
    keypad_lock (manual UTRN entry suspended / locked out).
    """
    value = _as_int(code)
    return _REASON_BY_ALERT.get(value) if value is not None else None


# --------------------------------------------------------------------------
# Formatting, scaling, money
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NumberFormatting:
    """A Summation / Demand / Historical formatting bitmap (map8).

    A display hint: how many digits an In-Home Display shows on each side of
    the point. It never changes a value (see the module rules).
    """

    raw: int
    digits_right: int
    digits_left: int
    suppress_leading_zeros: bool

    @property
    def is_set(self) -> bool:
        """False for 0x00, which publishes no formatting at all."""
        return self.raw != 0

    @property
    def display_digits(self) -> int | None:
        """Digits right of the point to show; None when no formatting is set."""
        return self.digits_right if self.is_set else None


def _display_digits(formatting: NumberFormatting | None) -> int | None:
    return formatting.display_digits if formatting is not None else None


def decode_formatting(raw: object) -> NumberFormatting | None:
    """Bits 0-2 digits right of the point, 3-6 left, 7 suppress leading zeros."""
    value = _bitmap(raw, 8)
    if value is None:
        return None
    return NumberFormatting(
        raw=value,
        digits_right=value & 0x07,
        digits_left=(value >> 3) & 0x0F,
        suppress_leading_zeros=bool(value & 0x80),
    )


#: Decimal digits for scaling: a uint48 times a uint24 with 7 decimals fits.
_PRECISION = 40


def _factor(raw: object) -> Decimal:
    value = valid_uint(raw, 24)
    return Decimal(value) if value else Decimal(1)


def scale(raw: int, multiplier: object = None, divisor: object = None) -> Decimal:
    """``raw * multiplier / divisor`` with every digit it gives.

    A multiplier or divisor that is 0, None or invalid counts as 1. Nothing is
    rounded: a formatting attribute is a display hint, not a precision (with
    a power-of-ten divisor, as meters use, the result is exact; a divisor
    such as 7 gives 40 significant digits, then the caller's precision).
    """
    with localcontext(prec=_PRECISION):
        value = Decimal(raw) * _factor(multiplier) / _factor(divisor)
    return +value  # back to the caller's precision


def trailing_digits(raw: object) -> int | None:
    """Digits after the decimal point from a trailing-digit bitmap (map8).

    The top nibble per ZSE; the low nibble when the top one is 0 and the low
    one is not (some implementations put it there). None if not a map8.
    """
    value = _bitmap(raw, 8)
    if value is None:
        return None
    return (value >> 4) or (value & 0x0F)


#: ISO 4217 numeric code -> alphabetic code, minor-unit exponent.
_CURRENCIES = {826: ("GBP", 2), 978: ("EUR", 2), 840: ("USD", 2)}


def currency_code(numeric: object) -> str | None:
    """ISO 4217 alphabetic code for a numeric one (826 -> ``GBP``); None if unknown."""
    value = _as_int(numeric)
    entry = _CURRENCIES.get(value) if value is not None else None
    return entry[0] if entry is not None else None


def money(
    raw_minor: int | None, trailing: int | None = 0, currency: int | None = 826
) -> Decimal | None:
    """Major currency units from a raw amount in the minor unit.

    ``amount = raw_minor / 10**trailing / 10**minor_exponent``: for GBP (826,
    and unknown currencies) the minor unit is the penny, exponent 2. A raw
    28360 with 3 trailing digits is 28.360p = 0.2836 GBP. ``trailing`` None
    counts as 0; one that is not a nibble (0-15) gives None. The one
    conversion every money value goes through.
    """
    if raw_minor is None or (trailing is not None and not 0 <= trailing <= 0x0F):
        return None
    return _major(raw_minor, trailing, currency)


def _major(raw_minor: int, trailing: int | None, currency: int | None) -> Decimal:
    minor_exponent = _CURRENCIES.get(currency or 826, ("", 2))[1]
    return Decimal(raw_minor).scaleb(-((trailing or 0) + minor_exponent))


def _decimal_with_digits(raw: object, digits_raw: object) -> Decimal | None:
    value = valid_uint(raw, 32)
    if value is None:
        return None
    digits = trailing_digits(digits_raw) if digits_raw is not None else 0
    if digits is None:
        return None
    return Decimal(value).scaleb(-digits)


def decode_conversion_factor(price_attrs: Mapping[int, object]) -> Decimal | None:
    """Price ConversionFactor 0x0302 with its trailing digit 0x0303."""
    return _decimal_with_digits(
        price_attrs.get(PriceAttr.CONVERSION_FACTOR),
        price_attrs.get(PriceAttr.CONVERSION_FACTOR_TRAILING_DIGIT),
    )


def decode_calorific_value(
    price_attrs: Mapping[int, object],
) -> tuple[Decimal | None, CalorificValueUnit | None]:
    """Price CalorificValue 0x0304 (trailing digit 0x0306) and its unit 0x0305.

    A missing unit counts as MJ/m3; an unknown one gives (value, None).
    """
    value = _decimal_with_digits(
        price_attrs.get(PriceAttr.CALORIFIC_VALUE),
        price_attrs.get(PriceAttr.CALORIFIC_VALUE_TRAILING_DIGIT),
    )
    unit_raw = price_attrs.get(PriceAttr.CALORIFIC_VALUE_UNIT)
    unit = (
        CalorificValueUnit.MJ_PER_M3
        if unit_raw is None
        else _enum(CalorificValueUnit, unit_raw)
    )
    return value, unit


def gas_m3_to_kwh(
    volume_m3: float | Decimal | None,
    conversion_factor: float | Decimal | None,
    calorific_value_mj_m3: float | Decimal | None,
) -> float | None:
    """``m3 * conversion_factor * calorific_value / 3.6`` in kWh (3 decimals).

    None when any input is None (or not a finite number).
    """
    energy = _gas_kwh(volume_m3, conversion_factor, calorific_value_mj_m3)
    return float(energy) if energy is not None else None


def _gas_kwh(
    volume_m3: float | Decimal | None,
    conversion_factor: float | Decimal | None,
    calorific_value_mj_m3: float | Decimal | None,
) -> Decimal | None:
    if volume_m3 is None or conversion_factor is None or calorific_value_mj_m3 is None:
        return None
    try:
        energy = (
            Decimal(str(volume_m3))
            * Decimal(str(conversion_factor))
            * Decimal(str(calorific_value_mj_m3))
            / Decimal("3.6")
        )
        if not energy.is_finite():
            return None
        return energy.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None


# --------------------------------------------------------------------------
# Metering status
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeterStatus:
    """Metering Status (0x0200), decoded for the meter's device type.

    A flag the device type does not define is None. Electric: bit 0 check
    meter, 1 low battery, 2 tamper detect, 3 power failure, 4 power quality,
    5 leak detect, 6 service disconnect open. Gas: 0 check meter, 1 low
    battery, 2 tamper, 4 low pressure, 5 leak detect, 6 service disconnect,
    7 reverse flow. Water: as gas, with bit 3 pipe empty. Other types: bits
    0-2 only.
    """

    raw: int
    check_meter: bool
    low_battery: bool
    tamper_detect: bool
    power_failure: bool | None = None
    power_quality: bool | None = None
    leak_detect: bool | None = None
    service_disconnect_open: bool | None = None
    low_pressure: bool | None = None
    reverse_flow: bool | None = None
    pipe_empty: bool | None = None

    @property
    def any_problem(self) -> bool:
        """Any flag set (service disconnect included)."""
        return self.raw != 0


_ELECTRIC_TYPES = frozenset(
    {
        MeteringDeviceType.ELECTRIC,
        MeteringDeviceType.ELECTRIC_PHASE_1,
        MeteringDeviceType.ELECTRIC_PHASE_2,
        MeteringDeviceType.ELECTRIC_PHASE_3,
    }
)


def decode_meter_status(
    raw: object, device_type: MeteringDeviceType | None
) -> MeterStatus | None:
    """Decode the Status bitmap for a device type (mirrored = its base type)."""
    value = _bitmap(raw, 8)
    if value is None:
        return None

    def bit(n: int) -> bool:
        return bool(value & (1 << n))

    base = device_type.base if device_type is not None else None
    common = {"check_meter": bit(0), "low_battery": bit(1), "tamper_detect": bit(2)}
    if base in _ELECTRIC_TYPES:
        return MeterStatus(
            raw=value,
            **common,
            power_failure=bit(3),
            power_quality=bit(4),
            leak_detect=bit(5),
            service_disconnect_open=bit(6),
        )
    if base in (MeteringDeviceType.GAS, MeteringDeviceType.WATER):
        water = base is MeteringDeviceType.WATER
        return MeterStatus(
            raw=value,
            **common,
            pipe_empty=bit(3) if water else None,
            low_pressure=bit(4),
            leak_detect=bit(5),
            service_disconnect_open=bit(6),
            reverse_flow=bit(7),
        )
    return MeterStatus(raw=value, **common)


# --------------------------------------------------------------------------
# Metering snapshots
# --------------------------------------------------------------------------

_MAX_TIERS = 48
_KW_TO_W = Decimal(1000)
_VOLUME_TO_M3 = {
    UnitOfMeasure.M3: Decimal(1),
    UnitOfMeasure.FT3: Decimal("0.028316846592"),
    UnitOfMeasure.CCF: Decimal("2.8316846592"),
    UnitOfMeasure.MCF: Decimal("28.316846592"),
    UnitOfMeasure.LITRES: Decimal("0.001"),
}
_ENERGY_TO_KWH = {UnitOfMeasure.KWH: Decimal(1), UnitOfMeasure.MJ: 1 / Decimal("3.6")}
#: Demand unit of an energy UnitOfMeasure -> W: kW, or MJ/s.
_POWER_TO_W = {UnitOfMeasure.KWH: Decimal(1000), UnitOfMeasure.MJ: Decimal(1000000)}


@dataclass(frozen=True, slots=True)
class _Scaling:
    unit: UnitOfMeasure | None
    multiplier: object
    divisor: object

    @property
    def is_bcd(self) -> bool:
        return self.unit is not None and self.unit.is_bcd

    def unsigned(self, raw: object, bits: int) -> Decimal | None:
        value = bcd_to_int(raw, bits) if self.is_bcd else valid_uint(raw, bits)
        if value is None:
            return None
        return scale(value, self.multiplier, self.divisor)

    def signed(self, raw: object, bits: int) -> Decimal | None:
        value = bcd_to_int(raw, bits) if self.is_bcd else valid_int(raw, bits)
        if value is None:
            return None
        return scale(value, self.multiplier, self.divisor)


def _scaling(
    attrs: Mapping[int, object],
    unit_id: int = MeteringAttr.UNIT_OF_MEASURE,
    default: UnitOfMeasure | None = UnitOfMeasure.KWH,
) -> _Scaling:
    unit_raw = attrs.get(unit_id)
    unit = default if unit_raw is None else UnitOfMeasure.from_raw(unit_raw)
    return _Scaling(
        unit, attrs.get(MeteringAttr.MULTIPLIER), attrs.get(MeteringAttr.DIVISOR)
    )


def _in(value: Decimal | None, factor: Decimal | None) -> Decimal | None:
    if value is None or factor is None:
        return None
    if factor == 1:
        return value
    try:
        with localcontext(prec=_PRECISION):
            converted = (value * factor).normalize()
            # 1.234 kW is 1234 W, not 1234.000 W or 1.234E+3 W: no trailing
            # zeros, never an exponent.
            exponent = converted.as_tuple().exponent
            if isinstance(exponent, int) and exponent > 0:
                converted = converted.quantize(Decimal(1))
    except InvalidOperation:
        return None  # more digits than any register holds
    return converted if converted.is_finite() else None


def _tiers(
    attrs: Mapping[int, object],
    first_id: int,
    scaling: _Scaling,
    factor: Decimal | None,
) -> tuple[Decimal | None, ...]:
    present = [n for n in range(_MAX_TIERS) if first_id + 2 * n in attrs]
    if not present:
        return ()
    return tuple(
        _in(scaling.unsigned(attrs.get(first_id + 2 * n), 48), factor)
        for n in range(max(present) + 1)
    )


def _tier_number(raw: object) -> int | None:
    value = _bitmap(raw, 8)
    return value if value is not None and 1 <= value <= _MAX_TIERS else None


@dataclass(frozen=True, slots=True)
class ElectricityReading:
    """One snapshot of an electricity meter's (ESME) Metering cluster.

    Energy in kWh, power in W (negative demand = exporting), as Decimals
    with every digit the meter sent. When the
    Metering unit is kvar/kvarh (0x0D) the registers are reactive and fill the
    ``reactive_*`` fields instead of the active ones. ``tier_*`` hold tier 1,
    2, ... up to the highest tier the meter published (None for a gap).
    ``*_formatting`` are the meter's display hints (0x0303 / 0x0304 /
    0x0305); ``summation_digits`` / ``demand_digits`` / ``history_digits``
    the digits right of the point it shows (None: no hint), in the meter's
    unit (kW for demand).
    """

    import_kwh: Decimal | None
    export_kwh: Decimal | None
    tier_import_kwh: tuple[Decimal | None, ...]
    tier_export_kwh: tuple[Decimal | None, ...]
    demand_w: Decimal | None
    today_import_kwh: Decimal | None
    today_export_kwh: Decimal | None
    yesterday_import_kwh: Decimal | None
    yesterday_export_kwh: Decimal | None
    reactive_import_kvarh: Decimal | None
    reactive_export_kvarh: Decimal | None
    reactive_power_var: Decimal | None
    active_tier: int | None
    supply_status: SupplyStatus | None
    status: MeterStatus | None
    unit: UnitOfMeasure | None
    device_type: MeteringDeviceType | None
    summation_formatting: NumberFormatting | None = None
    demand_formatting: NumberFormatting | None = None
    history_formatting: NumberFormatting | None = None

    @property
    def summation_digits(self) -> int | None:
        """Digits right of the point the meter shows its registers with."""
        return _display_digits(self.summation_formatting)

    @property
    def demand_digits(self) -> int | None:
        """Digits right of the point the meter shows its demand (kW) with."""
        return _display_digits(self.demand_formatting)

    @property
    def history_digits(self) -> int | None:
        """Digits right of the point the meter shows day totals with."""
        return _display_digits(self.history_formatting)


def register_kwh(raw: object, formatting: Mapping[int, object]) -> Decimal | None:
    """Return an ESME summation register (48 bits, raw) in kWh, as decoded live.

    ``formatting`` is the meter's Metering attributes that say how to read it
    (UnitOfMeasure, Multiplier, Divisor; kWh when no unit is published); a
    register that is not active energy, or not a valid value, is None. The
    history import converts the intervals of its profile with it.
    """
    scaling = _scaling(formatting)
    base = scaling.unit.base if scaling.unit is not None else None
    active = Decimal(1) if base is UnitOfMeasure.KWH else None
    return _in(scaling.unsigned(raw, 48), active)


def decode_electricity(attrs: Mapping[int, object]) -> ElectricityReading:
    """Decode an ESME's Metering attributes (see the module rules)."""
    scaling = _scaling(attrs)
    base = scaling.unit.base if scaling.unit is not None else None
    active = Decimal(1) if base is UnitOfMeasure.KWH else None
    reactive = Decimal(1) if base is UnitOfMeasure.KVARH else None
    power = _KW_TO_W if base in (UnitOfMeasure.KWH, UnitOfMeasure.KVARH) else None
    summation_fmt = decode_formatting(attrs.get(MeteringAttr.SUMMATION_FORMATTING))
    demand_fmt = decode_formatting(attrs.get(MeteringAttr.DEMAND_FORMATTING))
    history_fmt = decode_formatting(
        attrs.get(MeteringAttr.HISTORICAL_CONSUMPTION_FORMATTING)
    )
    delivered = scaling.unsigned(
        attrs.get(MeteringAttr.CURRENT_SUMMATION_DELIVERED), 48
    )
    received = scaling.unsigned(attrs.get(MeteringAttr.CURRENT_SUMMATION_RECEIVED), 48)
    demand = scaling.signed(attrs.get(MeteringAttr.INSTANTANEOUS_DEMAND), 24)

    def day(attr: MeteringAttr) -> Decimal | None:
        return _in(scaling.unsigned(attrs.get(attr), 24), active)

    device_type = MeteringDeviceType.from_raw(
        attrs.get(MeteringAttr.METERING_DEVICE_TYPE)
    )
    return ElectricityReading(
        import_kwh=register_kwh(
            attrs.get(MeteringAttr.CURRENT_SUMMATION_DELIVERED), attrs
        ),
        export_kwh=register_kwh(
            attrs.get(MeteringAttr.CURRENT_SUMMATION_RECEIVED), attrs
        ),
        tier_import_kwh=_tiers(
            attrs,
            MeteringAttr.CURRENT_TIER1_SUMMATION_DELIVERED,
            scaling,
            active,
        ),
        tier_export_kwh=_tiers(
            attrs,
            MeteringAttr.CURRENT_TIER1_SUMMATION_RECEIVED,
            scaling,
            active,
        ),
        demand_w=_in(demand, power) if active is not None else None,
        today_import_kwh=day(MeteringAttr.CURRENT_DAY_CONSUMPTION_DELIVERED),
        today_export_kwh=day(MeteringAttr.CURRENT_DAY_CONSUMPTION_RECEIVED),
        yesterday_import_kwh=day(MeteringAttr.PREVIOUS_DAY_CONSUMPTION_DELIVERED),
        yesterday_export_kwh=day(MeteringAttr.PREVIOUS_DAY_CONSUMPTION_RECEIVED),
        reactive_import_kvarh=_in(delivered, reactive),
        reactive_export_kvarh=_in(received, reactive),
        reactive_power_var=_in(demand, power) if reactive is not None else None,
        active_tier=_tier_number(
            attrs.get(MeteringAttr.ACTIVE_REGISTER_TIER_DELIVERED)
        ),
        supply_status=_enum(SupplyStatus, attrs.get(MeteringAttr.SUPPLY_STATUS)),
        status=decode_meter_status(
            attrs.get(MeteringAttr.STATUS), device_type or MeteringDeviceType.ELECTRIC
        ),
        unit=scaling.unit,
        device_type=device_type,
        summation_formatting=summation_fmt,
        demand_formatting=demand_fmt,
        history_formatting=history_fmt,
    )


@dataclass(frozen=True, slots=True)
class GasReading:
    """One snapshot of a gas meter, read from the GPF mirror (or the GSME).

    ``energy_kwh`` is the register in kWh: directly when the meter counts
    energy, else from ``volume_m3`` with the Price cluster's calorific value
    and conversion factor. ``today_kwh`` / ``yesterday_kwh`` / ``power_w``
    come from the alternative (kWh) attributes 0x0C00.. the GPF publishes.
    Decimals with every digit the meter sent; an energy computed from the
    volume (:func:`gas_m3_to_kwh`) is to the Wh. ``*_formatting`` are the
    display hints (0x0303 / 0x0304 / 0x0305), as for electricity.
    """

    volume_m3: Decimal | None
    energy_kwh: Decimal | None
    flow_m3_per_h: Decimal | None
    power_w: Decimal | None
    today_m3: Decimal | None
    yesterday_m3: Decimal | None
    today_kwh: Decimal | None
    yesterday_kwh: Decimal | None
    calorific_value_mj_m3: Decimal | None
    conversion_factor: Decimal | None
    supply_status: SupplyStatus | None
    status: MeterStatus | None
    unit: UnitOfMeasure | None
    device_type: MeteringDeviceType | None
    summation_formatting: NumberFormatting | None = None
    demand_formatting: NumberFormatting | None = None
    history_formatting: NumberFormatting | None = None

    @property
    def summation_digits(self) -> int | None:
        """Digits right of the point the meter shows its register with."""
        return _display_digits(self.summation_formatting)

    @property
    def demand_digits(self) -> int | None:
        """Digits right of the point the meter shows its flow with."""
        return _display_digits(self.demand_formatting)


@dataclass(frozen=True, slots=True)
class GasRegister:
    """A gas summation register decoded: its volume and energy.

    With the Price cluster's conversion factor and calorific value (MJ/m³)
    the energy of a volume register was worked out with (None when unknown).
    """

    volume_m3: Decimal | None
    energy_kwh: Decimal | None
    conversion_factor: Decimal | None
    calorific_value_mj_m3: Decimal | None


def register_gas(
    raw: object,
    formatting: Mapping[int, object],
    price_attrs: Mapping[int, object] | None = None,
) -> GasRegister:
    """Return a gas summation register (48 bits, raw) in m³ and kWh, as decoded live.

    ``formatting`` is the meter's Metering attributes that say how to read it
    (UnitOfMeasure, Multiplier, Divisor: no unit, no value); a volume becomes
    kWh with the Price cluster's conversion factor and calorific value
    (``price_attrs``), an energy register is kWh as it is. The history import
    converts the intervals of its profile with it.
    """
    scaling = _scaling(formatting, default=None)
    base = scaling.unit.base if scaling.unit is not None else None
    to_m3 = _VOLUME_TO_M3.get(base) if base is not None else None
    to_kwh = _ENERGY_TO_KWH.get(base) if base is not None else None
    prices = price_attrs or {}
    conversion_factor = decode_conversion_factor(prices)
    calorific_value, cv_unit = decode_calorific_value(prices)
    cv_mj_m3 = calorific_value if cv_unit is CalorificValueUnit.MJ_PER_M3 else None
    summation = scaling.unsigned(raw, 48)
    volume_m3 = _in(summation, to_m3)
    energy_kwh = _in(summation, to_kwh)
    if energy_kwh is None:
        energy_kwh = _gas_kwh(volume_m3, conversion_factor, cv_mj_m3)
    return GasRegister(volume_m3, energy_kwh, conversion_factor, cv_mj_m3)


def decode_gas(
    metering_attrs: Mapping[int, object],
    price_attrs: Mapping[int, object] | None = None,
) -> GasReading:
    """Decode a gas meter's Metering attributes (+ Price for CV and CF).

    Volumes in ft3 / ccf / mcf / litres are converted to m3. Unlike an ESME,
    a gas meter that does not publish UnitOfMeasure gets no volume or energy
    (m3 and kWh are both plausible; neither is assumed). The alternative
    attributes (0x0C00..) count in AlternativeUnitOfMeasure (0x0312), taken
    as kWh when missing (what a GB GPF publishes there), and use the same
    Multiplier and Divisor.
    """
    attrs = metering_attrs
    scaling = _scaling(attrs, default=None)
    base = scaling.unit.base if scaling.unit is not None else None
    to_m3 = _VOLUME_TO_M3.get(base) if base is not None else None
    summation_fmt = decode_formatting(attrs.get(MeteringAttr.SUMMATION_FORMATTING))
    demand_fmt = decode_formatting(attrs.get(MeteringAttr.DEMAND_FORMATTING))
    history_fmt = decode_formatting(
        attrs.get(MeteringAttr.HISTORICAL_CONSUMPTION_FORMATTING)
    )
    register = register_gas(
        attrs.get(MeteringAttr.CURRENT_SUMMATION_DELIVERED), attrs, price_attrs
    )
    demand = scaling.signed(attrs.get(MeteringAttr.INSTANTANEOUS_DEMAND), 24)
    alt = _scaling(attrs, MeteringAttr.ALTERNATIVE_UNIT_OF_MEASURE)
    alt_base = alt.unit.base if alt.unit is not None else None
    alt_to_kwh = _ENERGY_TO_KWH.get(alt_base) if alt_base is not None else None
    alt_to_w = _POWER_TO_W.get(alt_base) if alt_base is not None else None
    to_w = _POWER_TO_W.get(base) if base is not None else None
    power_w = _in(
        alt.signed(attrs.get(MeteringAttr.ALTERNATIVE_INSTANTANEOUS_DEMAND), 24),
        alt_to_w,
    )
    if power_w is None:
        power_w = _in(demand, to_w)

    def volume_day(attr: MeteringAttr) -> Decimal | None:
        return _in(scaling.unsigned(attrs.get(attr), 24), to_m3)

    def energy_day(attr: MeteringAttr) -> Decimal | None:
        return _in(alt.unsigned(attrs.get(attr), 24), alt_to_kwh)

    device_type = MeteringDeviceType.from_raw(
        attrs.get(MeteringAttr.METERING_DEVICE_TYPE)
    )
    return GasReading(
        volume_m3=register.volume_m3,
        energy_kwh=register.energy_kwh,
        flow_m3_per_h=_in(demand, to_m3),
        power_w=power_w,
        today_m3=volume_day(MeteringAttr.CURRENT_DAY_CONSUMPTION_DELIVERED),
        yesterday_m3=volume_day(MeteringAttr.PREVIOUS_DAY_CONSUMPTION_DELIVERED),
        today_kwh=energy_day(
            MeteringAttr.CURRENT_DAY_ALTERNATIVE_CONSUMPTION_DELIVERED
        ),
        yesterday_kwh=energy_day(
            MeteringAttr.PREVIOUS_DAY_ALTERNATIVE_CONSUMPTION_DELIVERED
        ),
        calorific_value_mj_m3=register.calorific_value_mj_m3,
        conversion_factor=register.conversion_factor,
        supply_status=_enum(SupplyStatus, attrs.get(MeteringAttr.SUPPLY_STATUS)),
        status=decode_meter_status(
            attrs.get(MeteringAttr.STATUS), device_type or MeteringDeviceType.GAS
        ),
        unit=scaling.unit,
        device_type=device_type,
        summation_formatting=summation_fmt,
        demand_formatting=demand_fmt,
        history_formatting=history_fmt,
    )


@dataclass(frozen=True, slots=True)
class MeterIdentity:
    """Who made a meter and what it runs (Basic + Metering attributes)."""

    manufacturer: str | None
    model: str | None
    sw_build_id: str | None
    date_code: str | None
    hw_version: int | None
    application_version: int | None
    serial_number: str | None
    site_id: str | None
    device_type: MeteringDeviceType | None


def decode_identity(
    basic_attrs: Mapping[int, object],
    metering_attrs: Mapping[int, object] | None = None,
) -> MeterIdentity:
    """Decode a meter's identity from its Basic and Metering attributes.

    Basic 0x0004 manufacturer, 0x0005 model, 0x4000 SW build id, 0x0006 date
    code, 0x0003 HW version, 0x0001 application version; Metering 0x0308
    meter serial number, 0x0307 site id (the MPxN on a GB meter), 0x0306
    device type.
    """
    metering = metering_attrs or {}
    return MeterIdentity(
        manufacturer=_as_str(basic_attrs.get(BasicAttr.MANUFACTURER_NAME)),
        model=_as_str(basic_attrs.get(BasicAttr.MODEL_IDENTIFIER)),
        sw_build_id=_as_str(basic_attrs.get(BasicAttr.SW_BUILD_ID)),
        date_code=_as_str(basic_attrs.get(BasicAttr.DATE_CODE)),
        hw_version=_bitmap(basic_attrs.get(BasicAttr.HW_VERSION), 8),
        application_version=_bitmap(basic_attrs.get(BasicAttr.APPLICATION_VERSION), 8),
        serial_number=_as_str(metering.get(MeteringAttr.METER_SERIAL_NUMBER)),
        site_id=_as_str(metering.get(MeteringAttr.SITE_ID)),
        device_type=MeteringDeviceType.from_raw(
            metering.get(MeteringAttr.METERING_DEVICE_TYPE)
        ),
    )


# --------------------------------------------------------------------------
# Price
# --------------------------------------------------------------------------


def _tier_price_id(tier: int) -> int:
    """TierNBlock1Price (tiers 1-15) or PriceTierN (16-48)."""
    if tier <= 15:
        return PriceAttr.TIER1_BLOCK1_PRICE + 0x10 * (tier - 1)
    return PriceAttr.PRICE_TIER16 + (tier - 16)


@dataclass(frozen=True, slots=True)
class PriceEvent:
    """A PublishPrice command: the price in force from ``start_time``.

    ``price`` and ``generation_price`` are in major currency units per
    ``unit`` (e.g. GBP per kWh). ``start_time`` None with ``starts_now``
    means "now" (0 on the wire); ``duration_minutes`` None means until changed
    (0xFFFF).
    """

    provider_id: int | None
    rate_label: str | None
    issuer_event_id: int | None
    current_time: dt.datetime | None
    unit: UnitOfMeasure | None
    currency: int | None
    price_trailing_digit: int
    price_tier: int
    number_of_price_tiers: int | None
    register_tier: int | None
    start_time: dt.datetime | None
    starts_now: bool
    duration_minutes: int | None
    price_raw: int
    price: Decimal
    price_ratio: int | None
    generation_price: Decimal | None
    number_of_block_thresholds: int | None
    price_control: int | None

    @property
    def currency_code(self) -> str | None:
        """ISO 4217 alphabetic code (``GBP``)."""
        return currency_code(self.currency)

    @property
    def end_time(self) -> dt.datetime | None:
        """When the price ends, if it has a start time and a duration."""
        return _end(self.start_time, self.duration_minutes)


def parse_publish_price(fields: Mapping[str, object]) -> PriceEvent | None:
    """Decode PublishPrice (Price cluster, server -> client 0x00).

    Fields: provider_id, rate_label, issuer_event_id, current_time,
    unit_of_measure, currency, price_trailing_digit_and_price_tier (top nibble
    trailing digits, low nibble tier), number_of_price_tiers_and_register_tier
    (top nibble tiers, low nibble register tier), start_time (0 = now),
    duration_in_minutes (0xFFFF = until changed), price, price_ratio,
    generation_price (0xFFFFFFFF = not used), number_of_block_thresholds,
    price_control. None if ``price`` or the trailing-digit/tier byte is invalid.
    """
    price_raw = valid_uint(fields.get("price"), 32)
    digit_tier = _bitmap(
        _field(fields, "price_trailing_digit_and_price_tier", "price_trailing_digit"), 8
    )
    if price_raw is None or digit_tier is None:
        return None
    digits = digit_tier >> 4
    currency = _bitmap(fields.get("currency"), 16)
    tiers = _bitmap(
        _field(
            fields,
            "number_of_price_tiers_and_register_tier",
            "num_price_tiers_and_register_tier",
        ),
        8,
    )
    start_raw = fields.get("start_time")
    duration = _bitmap(_field(fields, "duration_in_minutes", "duration"), 16)
    generation = valid_uint(fields.get("generation_price"), 32)
    return PriceEvent(
        provider_id=_bitmap(fields.get("provider_id"), 32),
        rate_label=_as_str(fields.get("rate_label")),
        issuer_event_id=_bitmap(fields.get("issuer_event_id"), 32),
        current_time=_as_time(fields.get("current_time")),
        unit=UnitOfMeasure.from_raw(fields.get("unit_of_measure")),
        currency=currency,
        price_trailing_digit=digits,
        price_tier=digit_tier & 0x0F,
        number_of_price_tiers=tiers >> 4 if tiers is not None else None,
        register_tier=tiers & 0x0F if tiers is not None else None,
        start_time=None if _as_int(start_raw) == 0 else _as_time(start_raw),
        starts_now=_as_int(start_raw) == 0,
        duration_minutes=None if duration in (None, 0xFFFF) else duration,
        price_raw=price_raw,
        price=_major(price_raw, digits, currency),
        price_ratio=valid_uint(fields.get("price_ratio"), 8),
        generation_price=money(generation, digits, currency),
        number_of_block_thresholds=valid_uint(
            fields.get("number_of_block_thresholds"), 8
        ),
        price_control=_bitmap(fields.get("price_control"), 8),
    )


@dataclass(frozen=True, slots=True)
class PriceInfo:
    """The tariff a meter publishes (Price cluster attributes + PublishPrice).

    Money in major units of ``currency`` (GBP on a GB meter): unit prices per
    ``unit`` (kWh), the standing charge per day. ``tier_labels`` and
    ``tier_prices`` are (tier, value) pairs for the tiers published.
    """

    tier_labels: tuple[tuple[int, str], ...]
    tier_prices: tuple[tuple[int, Decimal], ...]
    current_price: Decimal | None
    current_tier: int | None
    standing_charge_per_day: Decimal | None
    commodity_type: int | None
    conversion_factor: Decimal | None
    calorific_value: Decimal | None
    calorific_value_unit: CalorificValueUnit | None
    currency: int | None
    price_trailing_digit: int | None
    unit: UnitOfMeasure | None
    tariff_label: str | None

    @property
    def currency_code(self) -> str | None:
        """ISO 4217 alphabetic code (``GBP``)."""
        return currency_code(self.currency)

    def tier_label(self, tier: int | None) -> str | None:
        """Return the label of a tier, if published."""
        return next((label for n, label in self.tier_labels if n == tier), None)

    @property
    def current_tier_label(self) -> str | None:
        """The label of the tier in force."""
        return self.tier_label(self.current_tier)


def decode_price(
    attrs: Mapping[int, object],
    publish: PriceEvent | None = None,
    *,
    active_tier: int | None = None,
) -> PriceInfo:
    """Decode Price cluster attributes, with the latest PublishPrice if any.

    The current price is, in order: the PublishPrice price; the price of
    ``active_tier`` (e.g. Metering 0x0020) if published; the only tier price
    if exactly one is published; else None. Trailing digits: 0x0617, else the
    PublishPrice's, else 0. Currency: 0x0616, else the PublishPrice's.
    """
    digits_raw = attrs.get(PriceAttr.PRICE_TRAILING_DIGIT)
    digits = trailing_digits(digits_raw) if digits_raw is not None else None
    if digits is None and publish is not None:
        digits = publish.price_trailing_digit
    currency = _bitmap(attrs.get(PriceAttr.CURRENCY), 16)
    if currency is None and publish is not None:
        currency = publish.currency
    labels = tuple(
        (n + 1, label)
        for n in range(_MAX_TIERS)
        if (label := _as_str(attrs.get(PriceAttr.TIER1_PRICE_LABEL + n))) is not None
    )
    prices = tuple(
        (tier, amount)
        for tier in range(1, _MAX_TIERS + 1)
        if (
            amount := money(
                valid_uint(attrs.get(_tier_price_id(tier)), 32), digits, currency
            )
        )
        is not None
    )
    current_tier = (publish.price_tier or None) if publish is not None else None
    current_price = publish.price if publish is not None else None
    if current_price is None:
        wanted = _tier_number(active_tier)
        by_tier = dict(prices)
        if wanted is not None and wanted in by_tier:
            current_tier, current_price = wanted, by_tier[wanted]
        elif len(prices) == 1:
            current_tier, current_price = prices[0]
    calorific_value, cv_unit = decode_calorific_value(attrs)
    unit_raw = attrs.get(PriceAttr.UNIT_OF_MEASURE)
    return PriceInfo(
        tier_labels=labels,
        tier_prices=prices,
        current_price=current_price,
        current_tier=current_tier,
        standing_charge_per_day=money(
            valid_uint(attrs.get(PriceAttr.STANDING_CHARGE), 32), digits, currency
        ),
        commodity_type=_bitmap(attrs.get(PriceAttr.COMMODITY_TYPE), 8),
        conversion_factor=decode_conversion_factor(attrs),
        calorific_value=calorific_value,
        calorific_value_unit=cv_unit if calorific_value is not None else None,
        currency=currency,
        price_trailing_digit=digits,
        unit=(
            UnitOfMeasure.from_raw(unit_raw)
            if unit_raw is not None
            else (publish.unit if publish is not None else None)
        ),
        tariff_label=_as_str(attrs.get(PriceAttr.TARIFF_LABEL)),
    )


# --------------------------------------------------------------------------
# Prepayment
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreditStatus:
    """Prepayment CreditStatus (0x0003) bits.

    0x01 credit OK, 0x02 low credit, 0x04 emergency credit (EC) enabled, 0x08
    EC available, 0x10 EC selected, 0x20 EC in use, 0x40 exhausted (EC
    exhausted per HAN-NOTES; ZSE names it "Credit Exhausted").
    """

    raw: int
    credit_ok: bool
    low_credit: bool
    emergency_credit_enabled: bool
    emergency_credit_available: bool
    emergency_credit_selected: bool
    emergency_credit_in_use: bool
    emergency_credit_exhausted: bool


def decode_credit_status(raw: object) -> CreditStatus | None:
    """Decode the CreditStatus bitmap."""
    value = _bitmap(raw, 8)
    if value is None:
        return None
    return CreditStatus(
        raw=value,
        credit_ok=bool(value & 0x01),
        low_credit=bool(value & 0x02),
        emergency_credit_enabled=bool(value & 0x04),
        emergency_credit_available=bool(value & 0x08),
        emergency_credit_selected=bool(value & 0x10),
        emergency_credit_in_use=bool(value & 0x20),
        emergency_credit_exhausted=bool(value & 0x40),
    )


@dataclass(frozen=True, slots=True)
class PaymentControl:
    """Prepayment PaymentControlConfiguration (0x0000, map16) bits.

    Bit 0 disconnection enabled, 1 prepayment enabled (the meter runs in
    prepayment / Pay-As-You-Go mode: what ``prepayment_mode`` uses), 2 credit
    management enabled, 4 credit display enabled, 6 account base, 7 contactor
    fitted.
    """

    raw: int
    disconnection_enabled: bool
    prepayment_enabled: bool
    credit_management_enabled: bool
    credit_display_enabled: bool
    account_base: bool
    contactor_fitted: bool


def decode_payment_control(raw: object) -> PaymentControl | None:
    """Decode the PaymentControlConfiguration bitmap."""
    value = _bitmap(raw, 16)
    if value is None:
        return None
    return PaymentControl(
        raw=value,
        disconnection_enabled=bool(value & 0x0001),
        prepayment_enabled=bool(value & 0x0002),
        credit_management_enabled=bool(value & 0x0004),
        credit_display_enabled=bool(value & 0x0010),
        account_base=bool(value & 0x0040),
        contactor_fitted=bool(value & 0x0080),
    )


@dataclass(frozen=True, slots=True)
class PrepaymentInfo:
    """A prepayment (Pay-As-You-Go) meter's credit, in major currency units."""

    payment_control: PaymentControl | None
    credit_remaining: Decimal | None
    emergency_credit_remaining: Decimal | None
    credit_status: CreditStatus | None
    credit_remaining_time: dt.datetime | None
    accumulated_debt: Decimal | None
    overall_debt_cap: Decimal | None
    emergency_credit_limit: Decimal | None
    emergency_credit_threshold: Decimal | None
    total_credit_added: Decimal | None
    max_credit_limit: Decimal | None
    low_credit_warning_level: Decimal | None
    cut_off_value: Decimal | None
    alarm_status: int | None
    currency: int | None
    trailing_digits: int

    @property
    def prepayment_mode(self) -> bool | None:
        """PaymentControlConfiguration bit 1 "Prepayment Enabled"."""
        control = self.payment_control
        return control.prepayment_enabled if control is not None else None

    @property
    def currency_code(self) -> str | None:
        """ISO 4217 alphabetic code (``GBP``)."""
        return currency_code(self.currency)


def _prepayment_currency(attrs: Mapping[int, object]) -> int | None:
    """Currency 0x0503; 0x0502 only if it holds a known ISO 4217 code.

    ZSE puts CurrencyScalingFactor (an enum 0-12) at 0x0502 and Currency at
    0x0503; some notes put Currency at 0x0502, so a currency code found there
    is accepted too.
    """
    currency = _bitmap(attrs.get(PrepaymentAttr.CURRENCY), 16)
    if currency is None:
        candidate = _bitmap(attrs.get(PrepaymentAttr.CURRENCY_SCALING_FACTOR), 16)
        currency = candidate if candidate in _CURRENCIES else None
    return currency


def decode_prepayment(
    attrs: Mapping[int, object], *, price_trailing_digit: int | None = None
) -> PrepaymentInfo:
    """Decode Prepayment cluster attributes (see :func:`money` for the scale).

    Trailing digits: the digits right of the point of 0x0500, else
    ``price_trailing_digit``, else 0.
    """
    formatting = decode_formatting(
        attrs.get(PrepaymentAttr.HISTORICAL_COST_CONSUMPTION_FORMATTING)
    )
    digits = (
        formatting.digits_right
        if formatting is not None
        else (price_trailing_digit or 0)
    )
    currency = _prepayment_currency(attrs)

    def signed(attr: PrepaymentAttr) -> Decimal | None:
        return money(_int32ish(attrs.get(attr)), digits, currency)

    def unsigned(attr: PrepaymentAttr, bits: int = 32) -> Decimal | None:
        return money(valid_uint(attrs.get(attr), bits), digits, currency)

    return PrepaymentInfo(
        payment_control=decode_payment_control(
            attrs.get(PrepaymentAttr.PAYMENT_CONTROL_CONFIGURATION)
        ),
        credit_remaining=signed(PrepaymentAttr.CREDIT_REMAINING),
        emergency_credit_remaining=signed(PrepaymentAttr.EMERGENCY_CREDIT_REMAINING),
        credit_status=decode_credit_status(attrs.get(PrepaymentAttr.CREDIT_STATUS)),
        credit_remaining_time=_as_time(
            attrs.get(PrepaymentAttr.CREDIT_REMAINING_TIMESTAMP)
        ),
        accumulated_debt=signed(PrepaymentAttr.ACCUMULATED_DEBT),
        overall_debt_cap=signed(PrepaymentAttr.OVERALL_DEBT_CAP),
        emergency_credit_limit=unsigned(PrepaymentAttr.EMERGENCY_CREDIT_LIMIT),
        emergency_credit_threshold=unsigned(PrepaymentAttr.EMERGENCY_CREDIT_THRESHOLD),
        total_credit_added=unsigned(PrepaymentAttr.TOTAL_CREDIT_ADDED, 48),
        max_credit_limit=unsigned(PrepaymentAttr.MAX_CREDIT_LIMIT),
        low_credit_warning_level=unsigned(PrepaymentAttr.LOW_CREDIT_WARNING),
        cut_off_value=signed(PrepaymentAttr.CUT_OFF_VALUE),
        alarm_status=_bitmap(attrs.get(PrepaymentAttr.ALARM_STATUS), 16),
        currency=currency,
        trailing_digits=digits,
    )


@dataclass(frozen=True, slots=True)
class TopUpResult:
    """A ConsumerTopUpResponse: what the meter did with a UTRN.

    ``reason`` is a stable key; a refusal's generic ``invalid`` is refined by
    the GBCS alert raised with it (:func:`top_up_reason_from_alert`).
    """

    result_code: TopUpResultCode | None
    result_raw: int
    accepted: bool
    reason: TopUpReason
    value: Decimal | None
    source: int | None
    credit_remaining: Decimal | None
    currency: int | None

    def with_alert(self, alert_code: object) -> TopUpResult:
        """Return a copy with the reason a GBCS alert names (refusals only)."""
        refined = top_up_reason_from_alert(alert_code)
        if self.accepted or refined is None:
            return self
        return TopUpResult(
            result_code=self.result_code,
            result_raw=self.result_raw,
            accepted=False,
            reason=refined,
            value=self.value,
            source=self.source,
            credit_remaining=self.credit_remaining,
            currency=self.currency,
        )


def parse_top_up_response(
    fields: Mapping[str, object],
    *,
    trailing: int | None = 0,
    currency: int | None = 826,
    alert_code: int | None = None,
) -> TopUpResult | None:
    """Decode ConsumerTopUpResponse (Prepayment, server -> client 0x03).

    Fields: result_type (enum8), top_up_value (int32), source_of_top_up
    (enum8), credit_remaining (int32). None if result_type is not an enum8.
    Result codes: 0x00 accepted; 0x01 rejected-invalid top up; 0x02
    rejected-duplicate; 0x03 rejected-error; 0x04 rejected-max credit reached;
    0x05 rejected-keypad lock; 0x06 rejected-top up value too large; 0x10 /
    0x11 / 0x12 accepted with supply enabled / disabled / armed; any other is
    a refusal with reason ``unknown``.
    """
    result_raw = _bitmap(_field(fields, "result_type", "result"), 8)
    if result_raw is None:
        return None
    code = _enum(TopUpResultCode, result_raw)
    result = TopUpResult(
        result_code=code,
        result_raw=result_raw,
        accepted=code is not None and code.accepted,
        reason=_REASON_BY_CODE[code] if code is not None else TopUpReason.UNKNOWN,
        value=money(
            _int32ish(_field(fields, "top_up_value", "value")), trailing, currency
        ),
        source=_bitmap(_field(fields, "source_of_top_up", "source"), 8),
        credit_remaining=money(
            _int32ish(fields.get("credit_remaining")), trailing, currency
        ),
        currency=currency,
    )
    return result.with_alert(alert_code) if alert_code is not None else result


@dataclass(frozen=True, slots=True)
class PrepaySnapshotEvent:
    """A PublishPrepaySnapshot (payload type 0, Debt/Credit status)."""

    snapshot_id: int
    snapshot_time: dt.datetime | None
    total_snapshots_found: int | None
    command_index: int | None
    total_number_of_commands: int | None
    cause: int | None
    payload_type: int | None
    accumulated_debt: Decimal | None
    type1_debt_remaining: Decimal | None
    type2_debt_remaining: Decimal | None
    type3_debt_remaining: Decimal | None
    emergency_credit_remaining: Decimal | None
    credit_remaining: Decimal | None
    currency: int | None


_DEBT_CREDIT_KEYS = (
    "accumulated_debt",
    "type1_debt_remaining",
    "type2_debt_remaining",
    "type3_debt_remaining",
    "emergency_credit_remaining",
    "credit_remaining",
)
_DEBT_CREDIT = struct.Struct("<iIIIii")


def _debt_credit_payload(payload: object) -> dict[str, object]:
    if isinstance(payload, Mapping):
        return {key: payload.get(key) for key in _DEBT_CREDIT_KEYS}
    data = bytes(payload) if isinstance(payload, bytes | bytearray) else b""
    if len(data) < _DEBT_CREDIT.size:
        return {}
    return dict(zip(_DEBT_CREDIT_KEYS, _DEBT_CREDIT.unpack_from(data), strict=True))


def parse_prepay_snapshot(
    fields: Mapping[str, object],
    *,
    trailing: int | None = 0,
    currency: int | None = 826,
) -> PrepaySnapshotEvent | None:
    """Decode PublishPrepaySnapshot (Prepayment, server -> client 0x01).

    Fields: snapshot_id, snapshot_time, total_snapshots_found, command_index,
    total_number_of_commands, snapshot_cause, snapshot_payload_type,
    snapshot_payload. Payload type 0 (Debt/Credit status) is six little-endian
    values: accumulated_debt int32, type 1-3 debt remaining uint32,
    emergency_credit_remaining int32, credit_remaining int32 -- as bytes or a
    mapping with those names. None if snapshot_id is not a uint32.
    """
    snapshot_id = _bitmap(fields.get("snapshot_id"), 32)
    if snapshot_id is None:
        return None
    payload_type = _bitmap(fields.get("snapshot_payload_type"), 8)
    payload = (
        _debt_credit_payload(fields.get("snapshot_payload"))
        if payload_type == 0
        else {}
    )

    def signed(key: str) -> Decimal | None:
        return money(_int32ish(payload.get(key)), trailing, currency)

    def unsigned(key: str) -> Decimal | None:
        return money(valid_uint(payload.get(key), 32), trailing, currency)

    return PrepaySnapshotEvent(
        snapshot_id=snapshot_id,
        snapshot_time=_as_time(fields.get("snapshot_time")),
        total_snapshots_found=_bitmap(fields.get("total_snapshots_found"), 8),
        command_index=_bitmap(fields.get("command_index"), 8),
        total_number_of_commands=_bitmap(fields.get("total_number_of_commands"), 8),
        cause=_bitmap(fields.get("snapshot_cause"), 32),
        payload_type=payload_type,
        accumulated_debt=signed("accumulated_debt"),
        type1_debt_remaining=unsigned("type1_debt_remaining"),
        type2_debt_remaining=unsigned("type2_debt_remaining"),
        type3_debt_remaining=unsigned("type3_debt_remaining"),
        emergency_credit_remaining=signed("emergency_credit_remaining"),
        credit_remaining=signed("credit_remaining"),
        currency=currency,
    )


# --------------------------------------------------------------------------
# Alerts and messages
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """A GBCS alert a meter raised (ZSE Events PublishEvent, or a GBCS alert).

    ``source`` says which device raised it (e.g. ``esme``, ``gsme``, ``chf``),
    as the caller knows it.
    """

    code: int
    name: str
    category: AlertCategory
    severity: AlertSeverity
    known: bool
    trigger_types: tuple[str, ...]
    time: dt.datetime | None
    source: str | None
    log_id: int | None = None
    control: int | None = None
    data: bytes = b""


def make_alert_event(
    code: int,
    *,
    time: object = None,
    source: str | None = None,
    log_id: int | None = None,
    control: int | None = None,
    data: bytes = b"",
) -> AlertEvent:
    """Build the :class:`AlertEvent` for a code, named and classified by alerts.py.

    ``time`` may be an aware datetime or a ZCL UTCTime number.
    """
    info = alert_info(code)
    return AlertEvent(
        code=info.code,
        name=info.name,
        category=info.category,
        severity=info.severity,
        known=info.known,
        trigger_types=info.trigger_types,
        time=_as_time(time),
        source=source,
        log_id=log_id,
        control=control,
        data=data,
    )


def parse_publish_event(
    fields: Mapping[str, object], *, source: str | None = None
) -> AlertEvent | None:
    """Decode PublishEvent (Events cluster 0x0709, server -> client 0x00).

    Fields: log_id (enum8), event_id (uint16: the GBCS alert code),
    event_time (UTCTime), event_control (map8), event_data (octet string).
    None if event_id is not a uint16.
    """
    code = _bitmap(fields.get("event_id"), 16)
    if code is None:
        return None
    return make_alert_event(
        code,
        time=fields.get("event_time"),
        source=source,
        log_id=_bitmap(fields.get("log_id"), 8),
        control=_bitmap(fields.get("event_control"), 8),
        data=_as_bytes(fields.get("event_data")),
    )


@dataclass(frozen=True, slots=True)
class SupplierMessage:
    """A DisplayMessage from the supplier (Messaging cluster 0x0703).

    Message control: bits 0-1 transmission, 2-3 importance (low, medium, high,
    critical), bit 5 enhanced confirmation requested, bit 7 confirmation
    required (answer with MessageConfirmation).
    """

    message_id: int
    control: int
    transmission: int
    importance: MessageImportance
    confirmation_required: bool
    enhanced_confirmation_requested: bool
    start_time: dt.datetime | None
    starts_now: bool
    duration_minutes: int | None
    text: str
    extended_control: int | None

    @property
    def end_time(self) -> dt.datetime | None:
        """When the message expires, if it has a start and a duration."""
        return _end(self.start_time, self.duration_minutes)


def parse_display_message(fields: Mapping[str, object]) -> SupplierMessage | None:
    """Decode DisplayMessage (Messaging, server -> client 0x00).

    Fields: message_id (uint32), message_control (map8), start_time (0 =
    now), duration_in_minutes (0xFFFF = until changed), message (string),
    extended_message_control (optional map8). None if message_id is not a
    uint32.
    """
    message_id = _bitmap(fields.get("message_id"), 32)
    if message_id is None:
        return None
    control = _bitmap(_field(fields, "message_control", "control"), 8) or 0
    start_raw = fields.get("start_time")
    duration = _bitmap(_field(fields, "duration_in_minutes", "duration"), 16)
    return SupplierMessage(
        message_id=message_id,
        control=control,
        transmission=control & 0x03,
        importance=_IMPORTANCE[(control >> 2) & 0x03],
        confirmation_required=bool(control & 0x80),
        enhanced_confirmation_requested=bool(control & 0x20),
        start_time=None if _as_int(start_raw) == 0 else _as_time(start_raw),
        starts_now=_as_int(start_raw) == 0,
        duration_minutes=None if duration in (None, 0xFFFF) else duration,
        text=_as_str(_field(fields, "message", "text")) or "",
        extended_control=_bitmap(
            _field(fields, "extended_message_control", "extended_control"), 8
        ),
    )


# --------------------------------------------------------------------------
# Profiles (half-hourly history)
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProfileResponse:
    """A GetProfileResponse: consumption per interval, NEWEST FIRST.

    ``intervals`` are the raw uint24 values (None for the 0xFFFFFFFF sentinel
    or garbage); ``end_time`` is the end of the newest interval.
    """

    end_time: dt.datetime | None
    status: ProfileStatus | None
    status_raw: int | None
    period: ProfileIntervalPeriod | None
    number_of_periods_delivered: int | None
    intervals: tuple[int | None, ...]

    @property
    def ok(self) -> bool:
        """The meter returned intervals (status success)."""
        return self.status is ProfileStatus.SUCCESS


def _intervals(raw: object) -> tuple[int | None, ...]:
    if isinstance(raw, bytes | bytearray):
        data = bytes(raw)
        return tuple(
            valid_uint(int.from_bytes(data[i : i + 3], "little"), 24)
            for i in range(0, len(data) - len(data) % 3, 3)
        )
    if isinstance(raw, Sequence) and not isinstance(raw, str):
        return tuple(valid_uint(value, 24) for value in raw)
    return ()


def parse_profile_response(fields: Mapping[str, object]) -> ProfileResponse | None:
    """Decode GetProfileResponse (Metering, server -> client 0x00).

    Fields: end_time, status, profile_interval_period,
    number_of_periods_delivered, intervals (a sequence of uint24, or the raw
    bytes, 3 a value, little-endian). None if status is not an enum8.
    """
    status_raw = _bitmap(fields.get("status"), 8)
    if status_raw is None:
        return None
    return ProfileResponse(
        end_time=_as_time(fields.get("end_time")),
        status=_enum(ProfileStatus, status_raw),
        status_raw=status_raw,
        period=_enum(
            ProfileIntervalPeriod,
            _field(fields, "profile_interval_period", "period"),
        ),
        number_of_periods_delivered=_bitmap(
            fields.get("number_of_periods_delivered"), 8
        ),
        intervals=_intervals(fields.get("intervals")),
    )


#: One profile interval: (start, value in the meter's unit; None if invalid).
type ProfileInterval = tuple[dt.datetime, float | None]


def profile_series(
    response: ProfileResponse,
    *,
    multiplier: object = None,
    divisor: object = None,
    include_invalid: bool = False,
) -> list[ProfileInterval]:
    """(interval start, value) pairs, OLDEST FIRST, scaled like the summation.

    The value is in the meter's unit (kWh for an ESME) using its Multiplier
    and Divisor, never rounded to HistoricalConsumptionFormatting (a uint24
    interval with a power-of-ten divisor is exact as a float). Interval i (0 = newest) starts at
    ``end_time - (i + 1) * period``. Invalid intervals are left out unless
    ``include_invalid`` (then their value is None). Empty when the response
    is not a success or lacks its end time or period.
    """
    if not response.ok or response.end_time is None or response.period is None:
        return []
    step = response.period.duration
    series: list[ProfileInterval] = []
    for index, raw in enumerate(response.intervals):
        if raw is None and not include_invalid:
            continue
        try:
            start = response.end_time - step * (index + 1)
        except OverflowError:
            continue  # before the first datetime there is nothing to place
        value = float(scale(raw, multiplier, divisor)) if raw is not None else None
        series.append((start, value))
    series.reverse()
    return series
