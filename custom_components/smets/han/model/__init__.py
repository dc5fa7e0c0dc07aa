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

One module per cluster, each with its frozen dataclasses and decoders, over
two shared ones; this package's names are the model (``model.X``):

* :mod:`.values` -- raw values: sentinels, BCD, text, enumerations, UTCTime.
* :mod:`.scaling` -- formatting hints, Multiplier / Divisor, trailing digits,
  money and currencies.
* :mod:`.metering` -- Metering (0x0702): attributes, units, device types,
  supply status, the Status bitmap, register scaling.
* :mod:`.electricity` / :mod:`.gas` -- an ESME's and a gas meter's reading
  (gas kWh with the Price cluster's calorific value and conversion factor).
* :mod:`.identity` -- Basic (0x0000): who made a meter and what it runs.
* :mod:`.price` -- Price (0x0700): the tariff's attributes and PublishPrice.
* :mod:`.prepayment` -- Prepayment (0x0705): credit, debt, top-ups, snapshots,
  the meter's own cost of consumption.
* :mod:`.events` / :mod:`.messaging` -- GBCS alerts (Events 0x0709) and
  supplier messages (Messaging 0x0703).
* :mod:`.profile_response` -- GetProfileResponse: the half-hourly history.
"""

from .electricity import (
    ELECTRICITY_ATTRIBUTES,
    ElectricityReading,
    decode_electricity,
    register_kwh,
)
from .events import (
    AlertEvent,
    make_alert_event,
    parse_publish_event,
)
from .gas import (
    GAS_ATTRIBUTES,
    GasReading,
    GasRegister,
    decode_gas,
    gas_m3_to_kwh,
    register_gas,
)
from .identity import (
    IDENTITY_BASIC_ATTRIBUTES,
    IDENTITY_METERING_ATTRIBUTES,
    BasicAttr,
    MeterIdentity,
    decode_identity,
)
from .messaging import (
    MessageImportance,
    SupplierMessage,
    parse_display_message,
)
from .metering import (
    MeteringAttr,
    MeteringDeviceType,
    MeterStatus,
    SupplyStatus,
    UnitOfMeasure,
    base_device_type,
    decode_meter_status,
)
from .prepayment import (
    COST_CONSUMPTION_ATTRIBUTES,
    COST_DAY_ATTRIBUTES,
    COST_MONTH_ATTRIBUTES,
    COST_WEEK_ATTRIBUTES,
    PREPAYMENT_ATTRIBUTES,
    CostConsumption,
    CreditStatus,
    PaymentControl,
    PrepaymentAttr,
    PrepaymentInfo,
    PrepaySnapshotEvent,
    TopUpReason,
    TopUpResult,
    TopUpResultCode,
    decode_cost_consumption,
    decode_credit_status,
    decode_payment_control,
    decode_prepayment,
    parse_prepay_snapshot,
    parse_top_up_response,
    top_up_reason_from_alert,
)
from .price import (
    PRICE_ATTRIBUTES,
    CalorificValueUnit,
    PriceAttr,
    PriceEvent,
    PriceInfo,
    decode_calorific_value,
    decode_conversion_factor,
    decode_price,
    parse_publish_price,
)
from .profile_response import (
    ProfileInterval,
    ProfileIntervalPeriod,
    ProfileResponse,
    ProfileStatus,
    parse_profile_response,
    profile_series,
)
from .scaling import (
    NumberFormatting,
    currency_code,
    decode_formatting,
    money,
    scale,
    trailing_digits,
)
from .values import (
    ZCL_EPOCH,
    bcd_to_int,
    datetime_to_zcl_time,
    valid_int,
    valid_uint,
    zcl_time_to_datetime,
)

__all__ = [
    "COST_CONSUMPTION_ATTRIBUTES",
    "COST_DAY_ATTRIBUTES",
    "COST_MONTH_ATTRIBUTES",
    "COST_WEEK_ATTRIBUTES",
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
    "CostConsumption",
    "CreditStatus",
    "ElectricityReading",
    "GasReading",
    "GasRegister",
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
    "decode_cost_consumption",
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
    "register_gas",
    "register_kwh",
    "scale",
    "top_up_reason_from_alert",
    "trailing_digits",
    "valid_int",
    "valid_uint",
    "zcl_time_to_datetime",
]
