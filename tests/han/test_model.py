"""Tests for the pure decoding in han/model/: every rule and sentinel."""

from collections.abc import Callable, Mapping
import datetime as dt
from decimal import Decimal
import struct

import pytest

from custom_components.smets.han import model as m
from custom_components.smets.han.alerts import AlertCategory, AlertSeverity
from custom_components.smets.han.model import (
    ZCL_EPOCH,
    CalorificValueUnit,
    MessageImportance,
    MeteringDeviceType as DevType,
    ProfileIntervalPeriod as Period,
    ProfileStatus,
    SupplyStatus,
    TopUpReason,
    TopUpResultCode,
    UnitOfMeasure as U,
)

UTC = dt.UTC
#: 2024-01-01T00:00:00Z as ZCL UTCTime.
T2024 = 757382400

# ESME: 12 345.678 kWh import, 1.234 kWh export, -1.5 kW (exporting).
ESME: dict[int, object] = {
    0x0000: 12345678,
    0x0001: 1234,
    0x0014: 2,
    0x0020: 2,
    0x0100: 8000000,
    0x0102: 4345678,
    0x0200: 0x00,
    0x0300: 0x00,
    0x0301: 1,
    0x0302: 1000,
    0x0303: 0x2B,  # 5 left, 3 right
    0x0304: 0x2B,
    0x0305: 0x2B,
    0x0306: 0x00,
    0x0400: -1500,
    0x0401: 7250,
    0x0403: 9100,
}
# GPF mirror of the gas meter: 1234.567 m3, 0.25 m3/h.
GPF: dict[int, object] = {
    0x0000: 1234567,
    0x0300: 0x01,
    0x0301: 1,
    0x0302: 1000,
    0x0306: 0x80,
    0x0400: 250,
    0x0401: 2100,
    0x0403: 3300,
    0x0312: 0x00,
    0x0C00: 1234,
    0x0C01: 23456,
    0x0C03: 34567,
}
# Price cluster on the GPF: CF 1.02264, CV 39.5 MJ/m3.
GAS_PRICE = {
    0x0302: 1022640,
    0x0303: 0x60,
    0x0304: 39500000,
    0x0305: 0x01,
    0x0306: 0x60,
}
GARBAGE: list[object] = [
    None,
    True,
    -1,
    1.5,
    float("nan"),
    "text",
    b"\xff\xfe",
    2**70,
    -(2**70),
    [],
    {},
    object(),
]


# --------------------------------------------------------------------------
# Sentinels and raw helpers
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bits", "sentinel"),
    [(8, 0xFF), (16, 0xFFFF), (24, 0xFFFFFF), (32, 0xFFFFFFFF), (48, 0xFFFFFFFFFFFF)],
)
def test_valid_uint_all_ones_is_invalid(bits: int, sentinel: int) -> None:
    assert m.valid_uint(sentinel, bits) is None
    assert m.valid_uint(sentinel - 1, bits) == sentinel - 1
    assert m.valid_uint(0, bits) == 0
    assert m.valid_uint(sentinel + 1, bits) is None
    assert m.valid_uint(-1, bits) is None


@pytest.mark.parametrize(
    ("bits", "minimum"), [(8, -0x80), (16, -0x8000), (24, -0x800000), (32, -(2**31))]
)
def test_valid_int_minimum_is_invalid(bits: int, minimum: int) -> None:
    assert m.valid_int(minimum, bits) is None
    assert m.valid_int(minimum + 1, bits) == minimum + 1
    assert m.valid_int(-minimum - 1, bits) == -minimum - 1
    assert m.valid_int(-minimum, bits) is None
    assert m.valid_int(0, bits) == 0


@pytest.mark.parametrize("raw", [True, False, 1.0, "1", b"\x01", None, Decimal(1)])
def test_only_real_ints_are_numbers(raw: object) -> None:
    assert m.valid_uint(raw, 8) is None
    assert m.valid_int(raw, 8) is None


def test_int_subclasses_are_numbers() -> None:
    class Uint24(int):
        pass

    assert m.valid_uint(Uint24(5), 24) == 5
    assert type(m.valid_uint(Uint24(5), 24)) is int


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (0, 0),
        (0x1234, 1234),
        (0x00099999, 99999),
        (0x123456789012, 123456789012),
        (0x12A4, None),
        (0xFFFFFF, None),
        (-0x12, None),
        ("0x12", None),
    ],
)
def test_bcd(raw: object, value: int | None) -> None:
    assert m.bcd_to_int(raw) == value


# --------------------------------------------------------------------------
# Time
# --------------------------------------------------------------------------


def test_zcl_epoch_and_conversion() -> None:
    assert dt.datetime(2000, 1, 1, tzinfo=UTC) == ZCL_EPOCH
    assert m.zcl_time_to_datetime(0) == ZCL_EPOCH
    assert m.zcl_time_to_datetime(T2024) == dt.datetime(2024, 1, 1, tzinfo=UTC)
    assert m.zcl_time_to_datetime(0xFFFFFFFE) == ZCL_EPOCH + dt.timedelta(
        seconds=0xFFFFFFFE
    )


@pytest.mark.parametrize("raw", [0xFFFFFFFF, -1, 2**32, None, "0", 1.0])
def test_zcl_time_invalid(raw: object) -> None:
    assert m.zcl_time_to_datetime(raw) is None


def test_datetime_to_zcl_time_round_trip() -> None:
    when = dt.datetime(2024, 1, 1, tzinfo=UTC)
    assert m.datetime_to_zcl_time(when) == T2024
    london_summer = dt.datetime(
        2024, 7, 1, 13, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))
    )
    raw = m.datetime_to_zcl_time(london_summer)
    assert m.zcl_time_to_datetime(raw) == london_summer
    assert m.datetime_to_zcl_time(when + dt.timedelta(microseconds=999)) == T2024


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (dt.datetime(2024, 1, 1), "aware"),  # noqa: DTZ001
        (dt.datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC), "outside"),
        (ZCL_EPOCH + dt.timedelta(seconds=0xFFFFFFFF), "outside"),
    ],
)
def test_datetime_to_zcl_time_refuses(when: dt.datetime, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        m.datetime_to_zcl_time(when)


# --------------------------------------------------------------------------
# Enumerations
# --------------------------------------------------------------------------


def test_unit_of_measure() -> None:
    assert m.UnitOfMeasure.from_raw(0x00) is U.KWH
    assert m.UnitOfMeasure.from_raw(0x0D) is U.KVARH
    assert m.UnitOfMeasure.from_raw(0x8C) is U.MJ_BCD
    assert U.M3_BCD.is_bcd
    assert U.M3_BCD.base is U.M3
    assert not U.M3.is_bcd
    assert U.M3.base is U.M3
    for raw in (0x0E, 0x7F, 0x8E, 0xFF, 0x100, -1, None, "kWh"):
        assert m.UnitOfMeasure.from_raw(raw) is None
    assert len(U) == 28


@pytest.mark.parametrize(
    ("raw", "device_type", "base", "mirrored"),
    [
        (0x00, DevType.ELECTRIC, DevType.ELECTRIC, False),
        (0x01, DevType.GAS, DevType.GAS, False),
        (0x02, DevType.WATER, DevType.WATER, False),
        (0x0F, DevType.ELECTRIC_PHASE_3, DevType.ELECTRIC_PHASE_3, False),
        (0x7F, DevType.MIRRORED_ELECTRIC, DevType.ELECTRIC, True),
        (0x80, DevType.MIRRORED_GAS, DevType.GAS, True),
        (0x81, DevType.MIRRORED_WATER, DevType.WATER, True),
        (0x8E, DevType.MIRRORED_ELECTRIC_PHASE_3, DevType.ELECTRIC_PHASE_3, True),
    ],
)
def test_metering_device_type(
    raw: int, device_type: DevType, base: DevType, mirrored: bool
) -> None:
    found = DevType.from_raw(raw)
    assert found is device_type
    assert found.base is base
    assert found.is_mirrored is mirrored
    assert m.base_device_type(raw) is base


@pytest.mark.parametrize("raw", [0x10, 0x7E, 0x8F, 0xFF, -1, None, "gas"])
def test_metering_device_type_unknown(raw: object) -> None:
    assert DevType.from_raw(raw) is None
    assert m.base_device_type(raw) is None


def test_profile_periods() -> None:
    minutes = [1440, 60, 30, 15, 10, 7.5, 5, 2.5, 1]
    assert [p.duration for p in Period] == [dt.timedelta(minutes=x) for x in minutes]
    assert [p.value for p in Period] == list(range(9))
    assert [s.value for s in ProfileStatus] == list(range(6))


# --------------------------------------------------------------------------
# Formatting, scaling, trailing digits, money
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "right", "left", "suppress"),
    [
        (0x2B, 3, 5, False),
        (0xFB, 3, 15, True),
        (0x07, 7, 0, False),
        (0x80, 0, 0, True),
        (0x00, 0, 0, False),
    ],
)
def test_decode_formatting(raw: int, right: int, left: int, suppress: bool) -> None:
    fmt = m.decode_formatting(raw)
    assert fmt is not None
    assert (fmt.digits_right, fmt.digits_left, fmt.suppress_leading_zeros) == (
        right,
        left,
        suppress,
    )
    assert fmt.is_set is (raw != 0)


@pytest.mark.parametrize("raw", [0x100, -1, None, "0x2B"])
def test_decode_formatting_invalid(raw: object) -> None:
    assert m.decode_formatting(raw) is None


@pytest.mark.parametrize(
    ("multiplier", "divisor", "value"),
    [
        (1, 1000, Decimal("12.345")),
        (None, None, Decimal(12345)),
        (0, 0, Decimal(12345)),
        (0xFFFFFF, 0xFFFFFF, Decimal(12345)),
        ("2", "10", Decimal(12345)),
        (2, 10, Decimal("2469")),
        (3, 7, Decimal(12345) * 3 / 7),
    ],
)
def test_scale_not_set_means_one(
    multiplier: object, divisor: object, value: Decimal
) -> None:
    assert m.scale(12345, multiplier, divisor) == value


def test_scale_keeps_every_digit() -> None:
    assert m.scale(12345, 1, 10000) == Decimal("1.2345")
    assert str(m.scale(12345, 1, 10000)) == "1.2345"
    assert m.scale(-12355, 1, 1000) == Decimal("-12.355")
    assert m.scale(12345, 3, 7) == Decimal(12345) * 3 / 7


def test_scale_handles_the_largest_values() -> None:
    big = m.scale(0xFFFFFFFFFFFE, 0xFFFFFE, 1)
    assert big == Decimal(0xFFFFFFFFFFFE * 0xFFFFFE)


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        (0x00, 0),
        (0x30, 3),
        (0x60, 6),
        (0xF0, 15),
        (0x06, 6),  # count in the low nibble
        (0x31, 3),  # top nibble wins
        (0x100, None),
        (-1, None),
        (None, None),
        ("0x60", None),
    ],
)
def test_trailing_digits(raw: object, digits: int | None) -> None:
    assert m.trailing_digits(raw) == digits


@pytest.mark.parametrize(
    ("raw", "trailing", "currency", "amount"),
    [
        (28360, 3, 826, Decimal("0.28360")),
        (2836, 2, 826, Decimal("0.2836")),
        (1500, 0, 826, Decimal("15.00")),
        (-523, 2, 826, Decimal("-0.0523")),
        (60120, None, 826, Decimal("601.20")),
        (100, 0, 978, Decimal("1.00")),
        (100, 0, None, Decimal("1.00")),
        (100, 0, 999, Decimal("1.00")),
        (None, 3, 826, None),
    ],
)
def test_money_is_minor_units_over_trailing_digits(
    raw: int | None, trailing: int | None, currency: int | None, amount: Decimal | None
) -> None:
    assert m.money(raw, trailing, currency) == amount


def test_money_default_is_gbp_pence() -> None:
    assert m.money(250) == Decimal("2.50")


@pytest.mark.parametrize(
    ("numeric", "code"),
    [
        (826, "GBP"),
        (978, "EUR"),
        (840, "USD"),
        (999, None),
        (None, None),
        ("826", None),
    ],
)
def test_currency_code(numeric: object, code: str | None) -> None:
    assert m.currency_code(numeric) == code


# --------------------------------------------------------------------------
# Metering status
# --------------------------------------------------------------------------


ELECTRIC_BITS = [
    "check_meter",
    "low_battery",
    "tamper_detect",
    "power_failure",
    "power_quality",
    "leak_detect",
    "service_disconnect_open",
]
GAS_BITS = {
    0: "check_meter",
    1: "low_battery",
    2: "tamper_detect",
    4: "low_pressure",
    5: "leak_detect",
    6: "service_disconnect_open",
    7: "reverse_flow",
}
ALL_FLAGS = [
    "check_meter",
    "low_battery",
    "tamper_detect",
    "power_failure",
    "power_quality",
    "leak_detect",
    "service_disconnect_open",
    "low_pressure",
    "reverse_flow",
    "pipe_empty",
]


def _set_flags(status: m.MeterStatus) -> set[str]:
    return {name for name in ALL_FLAGS if getattr(status, name) is True}


@pytest.mark.parametrize(
    "device_type",
    [DevType.ELECTRIC, DevType.MIRRORED_ELECTRIC, DevType.ELECTRIC_PHASE_1],
)
@pytest.mark.parametrize("bit", range(7))
def test_electric_status_bits(device_type: DevType, bit: int) -> None:
    status = m.decode_meter_status(1 << bit, device_type)
    assert status is not None
    assert _set_flags(status) == {ELECTRIC_BITS[bit]}
    assert status.low_pressure is None
    assert status.reverse_flow is None
    assert status.any_problem


def test_electric_status_bit7_is_reserved() -> None:
    status = m.decode_meter_status(0x80, DevType.ELECTRIC)
    assert status is not None
    assert _set_flags(status) == set()
    assert status.raw == 0x80


@pytest.mark.parametrize("device_type", [DevType.GAS, DevType.MIRRORED_GAS])
@pytest.mark.parametrize("bit", range(8))
def test_gas_status_bits(device_type: DevType, bit: int) -> None:
    status = m.decode_meter_status(1 << bit, device_type)
    assert status is not None
    assert _set_flags(status) == ({GAS_BITS[bit]} if bit in GAS_BITS else set())
    assert status.power_failure is None
    assert status.pipe_empty is None


def test_water_status_has_pipe_empty() -> None:
    status = m.decode_meter_status(0x08, DevType.MIRRORED_WATER)
    assert status is not None
    assert _set_flags(status) == {"pipe_empty"}


@pytest.mark.parametrize("device_type", [DevType.HEAT, DevType.COOLING, None])
def test_other_types_decode_only_common_bits(device_type: DevType | None) -> None:
    status = m.decode_meter_status(0xFF, device_type)
    assert status is not None
    assert _set_flags(status) == {"check_meter", "low_battery", "tamper_detect"}
    assert status.leak_detect is None


def test_status_clear_and_invalid() -> None:
    clear = m.decode_meter_status(0, DevType.ELECTRIC)
    assert clear is not None
    assert not clear.any_problem
    assert m.decode_meter_status(0x100, DevType.ELECTRIC) is None
    assert m.decode_meter_status(None, DevType.ELECTRIC) is None


# --------------------------------------------------------------------------
# Electricity
# --------------------------------------------------------------------------


def test_decode_electricity_full() -> None:
    reading = m.decode_electricity(ESME)
    assert reading.import_kwh == Decimal("12345.678")
    assert reading.export_kwh == Decimal("1.234")
    assert reading.tier_import_kwh == (8000, Decimal("4345.678"))
    assert reading.tier_export_kwh == ()
    assert reading.demand_w == -1500
    assert reading.today_import_kwh == Decimal("7.25")
    assert reading.yesterday_import_kwh == Decimal("9.1")
    assert reading.today_export_kwh is None
    assert reading.yesterday_export_kwh is None
    assert reading.reactive_import_kvarh is None
    assert reading.reactive_power_var is None
    assert reading.active_tier == 2
    assert reading.supply_status is SupplyStatus.ON
    assert reading.status is not None
    assert not reading.status.any_problem
    assert reading.unit is U.KWH
    assert reading.device_type is DevType.ELECTRIC


def test_decode_electricity_empty_is_all_unknown() -> None:
    reading = m.decode_electricity({})
    assert reading.import_kwh is None
    assert reading.demand_w is None
    assert reading.tier_import_kwh == ()
    assert reading.status is None
    assert reading.supply_status is None
    assert reading.unit is U.KWH  # the ZCL default when not published
    assert reading.device_type is None


@pytest.mark.parametrize(
    ("attr", "raw", "field"),
    [
        (0x0000, 0xFFFFFFFFFFFF, "import_kwh"),
        (0x0001, 0xFFFFFFFFFFFF, "export_kwh"),
        (0x0400, -0x800000, "demand_w"),
        (0x0400, 0x800000, "demand_w"),
        (0x0401, 0xFFFFFF, "today_import_kwh"),
        (0x0403, 0xFFFFFF, "yesterday_import_kwh"),
        (0x0014, 0xFF, "supply_status"),
        (0x0014, 3, "supply_status"),
        (0x0020, 0, "active_tier"),
        (0x0020, 49, "active_tier"),
    ],
)
def test_electricity_sentinels_are_unknown(attr: int, raw: int, field: str) -> None:
    assert getattr(m.decode_electricity({**ESME, attr: raw}), field) is None


def test_electricity_never_zero_for_a_sentinel() -> None:
    reading = m.decode_electricity({0x0000: 0xFFFFFFFFFFFF, 0x0400: -0x800000})
    assert reading.import_kwh is None
    assert reading.demand_w is None
    zero = m.decode_electricity({0x0000: 0, 0x0400: 0})
    assert zero.import_kwh == 0.0
    assert zero.demand_w == 0.0


def test_electricity_tiers_keep_gaps_and_sentinels() -> None:
    attrs = {0x0100: 1000, 0x0104: 0xFFFFFFFFFFFF, 0x0106: 4000, 0x0101: 5, 0x015F: 7}
    reading = m.decode_electricity(attrs)
    assert reading.tier_import_kwh == (1000.0, None, None, 4000.0)
    export = reading.tier_export_kwh
    assert len(export) == 48
    assert export[0] == 5.0
    assert export[47] == 7.0
    assert export[1:47] == (None,) * 46


def test_electricity_multiplier_divisor_not_set() -> None:
    reading = m.decode_electricity({0x0000: 1234, 0x0301: 0, 0x0302: 0})
    assert reading.import_kwh == 1234.0


def test_electricity_formatting_is_a_display_hint_never_rounding() -> None:
    # SummationFormatting 0x29 says one decimal: the meter still sends 3
    # (issue #14: the Energy dashboard moved in 100 Wh steps, a small export
    # read 0.0).
    attrs = {
        0x0000: 1234567,
        0x0001: 42,
        0x0302: 1000,
        0x0303: 0x29,
        0x0400: 1234,
        0x0304: 0x29,
        0x0401: 7251,
        0x0305: 0x29,
        0x0100: 1000567,
    }
    reading = m.decode_electricity(attrs)
    assert reading.import_kwh == Decimal("1234.567")
    assert str(reading.import_kwh) == "1234.567"
    assert reading.export_kwh == Decimal("0.042")
    assert reading.tier_import_kwh == (Decimal("1000.567"),)
    assert reading.today_import_kwh == Decimal("7.251")
    # demand: 1234 / 1000 kW = 1.234 kW (one decimal would say 1200 W)
    assert reading.demand_w == Decimal(1234)
    # the formatting stays available as what it is: how many digits to show
    assert reading.summation_formatting == m.decode_formatting(0x29)
    assert reading.demand_formatting == m.decode_formatting(0x29)
    assert reading.history_formatting == m.decode_formatting(0x29)
    assert reading.summation_digits == 1
    assert reading.demand_digits == 1


def test_electricity_values_are_decimal_with_every_digit() -> None:
    # 0.1 kWh steps of a uint48 register near its top, divisor 10**7: a float
    # would lose the last digits.
    reading = m.decode_electricity({0x0000: 0xFFFFFFFFFFFE, 0x0302: 10_000_000})
    assert reading.import_kwh == Decimal("28147497.6710654")
    assert isinstance(reading.import_kwh, Decimal)
    unset = m.decode_electricity({0x0000: 5, 0x0303: 0x00})
    assert unset.summation_formatting is not None
    assert unset.summation_digits is None  # 0x00: no formatting published
    assert m.decode_electricity({0x0000: 5}).summation_digits is None


def test_gas_formatting_is_a_display_hint_never_rounding() -> None:
    attrs = {
        **GPF,
        0x0303: 0x1A,  # 3 left, 2 right
        0x0304: 0x1A,
        0x0305: 0x1A,
        0x0313: 0x09,  # alternative demand: 1 right
        0x0314: 0x09,
        0x0000: 1234567,
        0x0401: 2105,
        0x0C01: 23456,
    }
    reading = m.decode_gas(attrs, GAS_PRICE)
    assert reading.volume_m3 == Decimal("1234.567")
    assert reading.flow_m3_per_h == Decimal("0.25")
    assert reading.today_m3 == Decimal("2.105")
    assert reading.today_kwh == Decimal("23.456")
    assert reading.power_w == Decimal(1234)
    assert reading.summation_digits == 2
    assert reading.demand_digits == 2


def test_electricity_reactive_registers() -> None:
    reading = m.decode_electricity(
        {0x0000: 5000, 0x0001: 250, 0x0300: 0x0D, 0x0302: 1000, 0x0400: 1200}
    )
    assert reading.reactive_import_kvarh == 5.0
    assert reading.reactive_export_kvarh == 0.25
    assert reading.reactive_power_var == 1200.0
    assert reading.import_kwh is None
    assert reading.export_kwh is None
    assert reading.demand_w is None
    assert reading.tier_import_kwh == ()


def test_electricity_bcd_unit() -> None:
    reading = m.decode_electricity(
        {0x0000: 0x00012345, 0x0300: 0x80, 0x0302: 10, 0x0400: 0x1500, 0x0401: 0xABC}
    )
    assert reading.unit is U.KWH_BCD
    assert reading.import_kwh == 1234.5
    assert reading.demand_w == 150000.0
    assert reading.today_import_kwh is None  # not BCD


@pytest.mark.parametrize("unit", [0x01, 0x0B, 0x42])
def test_electricity_with_a_non_energy_unit_has_no_energy(unit: int) -> None:
    reading = m.decode_electricity({**ESME, 0x0300: unit})
    assert reading.import_kwh is None
    assert reading.demand_w is None
    assert reading.today_import_kwh is None
    assert reading.reactive_import_kvarh is None
    assert reading.unit is (None if unit == 0x42 else U(unit))


def test_electricity_status_uses_device_type() -> None:
    reading = m.decode_electricity({0x0200: 0x08})
    assert reading.status is not None
    assert reading.status.power_failure is True
    as_gas = m.decode_electricity({0x0200: 0x80, 0x0306: 0x01})
    assert as_gas.status is not None
    assert as_gas.status.reverse_flow is True


# --------------------------------------------------------------------------
# Gas
# --------------------------------------------------------------------------


def test_decode_gas_from_the_gpf() -> None:
    reading = m.decode_gas(GPF, GAS_PRICE)
    assert reading.volume_m3 == Decimal("1234.567")
    expected = round(1234.567 * 1.02264 * 39.5 / 3.6, 3)
    assert reading.energy_kwh is not None
    assert float(reading.energy_kwh) == pytest.approx(expected, abs=0.001)
    assert reading.energy_kwh == Decimal("13852.624")
    assert reading.flow_m3_per_h == Decimal("0.25")
    assert reading.power_w == 1234
    assert reading.today_m3 == Decimal("2.1")
    assert reading.yesterday_m3 == Decimal("3.3")
    assert reading.today_kwh == Decimal("23.456")
    assert reading.yesterday_kwh == Decimal("34.567")
    assert reading.calorific_value_mj_m3 == Decimal("39.5")
    assert reading.conversion_factor == Decimal("1.02264")
    assert reading.device_type is DevType.MIRRORED_GAS
    assert reading.unit is U.M3


def test_gas_without_price_has_volume_but_no_energy() -> None:
    reading = m.decode_gas(GPF)
    assert reading.volume_m3 == Decimal("1234.567")
    assert reading.energy_kwh is None
    assert reading.calorific_value_mj_m3 is None
    assert reading.conversion_factor is None


def test_gas_cv_in_mj_per_kg_gives_no_energy() -> None:
    reading = m.decode_gas(GPF, {**GAS_PRICE, 0x0305: 0x02})
    assert reading.energy_kwh is None
    assert reading.calorific_value_mj_m3 is None
    unknown_unit = m.decode_gas(GPF, {**GAS_PRICE, 0x0305: 0x09})
    assert unknown_unit.energy_kwh is None


def test_gas_cv_unit_missing_counts_as_mj_per_m3() -> None:
    prices = {k: v for k, v in GAS_PRICE.items() if k != 0x0305}
    assert m.decode_gas(GPF, prices).energy_kwh == Decimal("13852.624")


@pytest.mark.parametrize(
    ("unit", "raw", "volume"),
    [
        (0x02, 1000, 28.316846592),  # 1000 ft3
        (0x03, 10, 28.316846592),  # 10 ccf
        (0x0A, 1, 28.316846592),  # 1 mcf
        (0x07, 2500, 2.5),  # litres
        (0x81, 0x1234, 1234.0),  # BCD m3
    ],
)
def test_gas_volume_units(unit: int, raw: int, volume: float) -> None:
    reading = m.decode_gas({0x0000: raw, 0x0300: unit})
    assert reading.volume_m3 is not None
    assert float(reading.volume_m3) == pytest.approx(volume)


@pytest.mark.parametrize(("unit", "kwh"), [(0x00, 1000.0), (0x0C, 277.778)])
def test_gas_meter_counting_energy(unit: int, kwh: float) -> None:
    reading = m.decode_gas({0x0000: 1000, 0x0300: unit, 0x0400: 2}, GAS_PRICE)
    assert reading.volume_m3 is None
    assert reading.energy_kwh is not None
    assert float(reading.energy_kwh) == pytest.approx(kwh, abs=0.001)
    assert reading.flow_m3_per_h is None
    assert reading.power_w == (2000.0 if unit == 0 else 2000000.0)


def test_gas_alternative_unit_other_than_energy() -> None:
    reading = m.decode_gas({**GPF, 0x0312: 0x01})
    assert reading.today_kwh is None
    assert reading.power_w is None  # m3 main unit: no power either


def test_gas_alternative_unit_missing_counts_as_kwh() -> None:
    attrs = {k: v for k, v in GPF.items() if k != 0x0312}
    assert m.decode_gas(attrs).today_kwh == Decimal("23.456")


def test_gas_sentinels() -> None:
    reading = m.decode_gas(
        {
            **GPF,
            0x0000: 0xFFFFFFFFFFFF,
            0x0C01: 0xFFFFFF,
            0x0C00: -0x800000,
            0x0400: -0x800000,
        },
        {**GAS_PRICE, 0x0304: 0xFFFFFFFF},
    )
    assert reading.volume_m3 is None
    assert reading.energy_kwh is None
    assert reading.today_kwh is None
    assert reading.power_w is None
    assert reading.flow_m3_per_h is None
    assert reading.calorific_value_mj_m3 is None


def test_gas_without_unit_of_measure_is_not_guessed() -> None:
    attrs = {k: v for k, v in GPF.items() if k != 0x0300}
    reading = m.decode_gas(attrs, GAS_PRICE)
    assert reading.unit is None
    assert reading.volume_m3 is None
    assert reading.energy_kwh is None
    assert reading.flow_m3_per_h is None
    assert reading.today_kwh == Decimal("23.456")  # alternative unit is separate


def test_gas_status_defaults_to_gas_meaning() -> None:
    reading = m.decode_gas({0x0200: 0x90})
    assert reading.status is not None
    assert reading.status.reverse_flow is True
    assert reading.status.low_pressure is True
    assert reading.status.power_failure is None


@pytest.mark.parametrize(
    ("volume", "cf", "cv", "kwh"),
    [
        (1.0, 1.02264, 39.5, 11.221),
        (Decimal("100"), Decimal("1.02264"), Decimal("40"), 1136.267),
        (0, 1.02264, 39.5, 0.0),
        (None, 1.02264, 39.5, None),
        (1.0, None, 39.5, None),
        (1.0, 1.02264, None, None),
        (float("nan"), 1.0, 1.0, None),
        (float("inf"), 1.0, 1.0, None),
        (1e40, 1.0, 1.0, None),
    ],
)
def test_gas_m3_to_kwh(
    volume: float | Decimal | None,
    cf: float | Decimal | None,
    cv: float | Decimal | None,
    kwh: float | None,
) -> None:
    assert m.gas_m3_to_kwh(volume, cf, cv) == kwh


@pytest.mark.parametrize(
    ("attrs", "value"),
    [
        ({0x0302: 1022640, 0x0303: 0x60}, Decimal("1.02264")),
        ({0x0302: 1022640, 0x0303: 0x06}, Decimal("1.02264")),
        ({0x0302: 102264}, Decimal(102264)),
        ({0x0302: 102264, 0x0303: 0x100}, None),
        ({0x0302: 0xFFFFFFFF, 0x0303: 0x60}, None),
        ({0x0303: 0x60}, None),
    ],
)
def test_decode_conversion_factor(
    attrs: Mapping[int, object], value: Decimal | None
) -> None:
    assert m.decode_conversion_factor(attrs) == value


def test_decode_calorific_value() -> None:
    assert m.decode_calorific_value(GAS_PRICE) == (
        Decimal("39.5"),
        CalorificValueUnit.MJ_PER_M3,
    )
    assert m.decode_calorific_value({0x0304: 395, 0x0306: 0x10, 0x0305: 2}) == (
        Decimal("39.5"),
        CalorificValueUnit.MJ_PER_KG,
    )
    assert m.decode_calorific_value({}) == (None, CalorificValueUnit.MJ_PER_M3)


# --------------------------------------------------------------------------
# Identity
# --------------------------------------------------------------------------


def test_decode_identity() -> None:
    identity = m.decode_identity(
        {
            0x0004: "Landis+Gyr",
            0x0005: b"E470-5394\x00\x00",
            0x0006: "  20240101 ",
            0x4000: b"\xff1.2",
            0x0003: 2,
            0x0001: 7,
        },
        {0x0308: "12A3456789", 0x0307: b"1234567890123", 0x0306: 0x00},
    )
    assert identity.manufacturer == "Landis+Gyr"
    assert identity.model == "E470-5394"
    assert identity.date_code == "20240101"
    assert identity.sw_build_id == "\ufffd1.2"
    assert identity.hw_version == 2
    assert identity.application_version == 7
    assert identity.serial_number == "12A3456789"
    assert identity.site_id == "1234567890123"
    assert identity.device_type is DevType.ELECTRIC


def test_decode_identity_missing_and_odd() -> None:
    identity = m.decode_identity({0x0004: "", 0x0005: 42, 0x0003: 0x1FF})
    assert identity.manufacturer is None
    assert identity.model is None
    assert identity.hw_version is None
    assert identity.serial_number is None
    assert identity.device_type is None


# --------------------------------------------------------------------------
# Price
# --------------------------------------------------------------------------

PUBLISH_PRICE = {
    "provider_id": 0x1234,
    "rate_label": b"Day\x00",
    "issuer_event_id": 77,
    "current_time": T2024,
    "unit_of_measure": 0x00,
    "currency": 826,
    "price_trailing_digit_and_price_tier": 0x31,
    "number_of_price_tiers_and_register_tier": 0x21,
    "start_time": 0,
    "duration_in_minutes": 0xFFFF,
    "price": 28360,
    "price_ratio": 0xFF,
    "generation_price": 0xFFFFFFFF,
    "number_of_block_thresholds": 0,
    "price_control": 0x00,
}


def test_parse_publish_price() -> None:
    event = m.parse_publish_price(PUBLISH_PRICE)
    assert event is not None
    assert event.provider_id == 0x1234
    assert event.rate_label == "Day"
    assert event.issuer_event_id == 77
    assert event.current_time == dt.datetime(2024, 1, 1, tzinfo=UTC)
    assert event.unit is U.KWH
    assert event.currency == 826
    assert event.currency_code == "GBP"
    assert event.price_trailing_digit == 3
    assert event.price_tier == 1
    assert event.number_of_price_tiers == 2
    assert event.register_tier == 1
    assert event.starts_now
    assert event.start_time is None
    assert event.duration_minutes is None
    assert event.end_time is None
    assert event.price_raw == 28360
    assert event.price == Decimal("0.2836")
    assert event.price_ratio is None
    assert event.generation_price is None
    assert event.number_of_block_thresholds == 0
    assert event.price_control == 0


def test_publish_price_with_start_and_duration() -> None:
    event = m.parse_publish_price(
        {
            **PUBLISH_PRICE,
            "start_time": T2024,
            "duration_in_minutes": 30,
            "generation_price": 5500,
            "price_trailing_digit_and_price_tier": 0x42,
        }
    )
    assert event is not None
    assert not event.starts_now
    assert event.start_time == dt.datetime(2024, 1, 1, tzinfo=UTC)
    assert event.end_time == dt.datetime(2024, 1, 1, 0, 30, tzinfo=UTC)
    assert event.price == Decimal("0.02836")
    assert event.generation_price == Decimal("0.0055")
    assert event.price_tier == 2


def test_publish_price_field_aliases_and_datetimes() -> None:
    start = dt.datetime(2024, 5, 1, 7, tzinfo=UTC)
    event = m.parse_publish_price(
        {
            "price": 1000,
            "price_trailing_digit": 0x20,
            "num_price_tiers_and_register_tier": 0x42,
            "duration": 60,
            "start_time": start,
            "current_time": dt.datetime(2024, 5, 1),  # noqa: DTZ001 naive: refused
        }
    )
    assert event is not None
    assert event.number_of_price_tiers == 4
    assert event.register_tier == 2
    assert event.start_time == start
    assert event.current_time is None
    assert event.duration_minutes == 60
    assert event.price == Decimal("0.1")


@pytest.mark.parametrize(
    "change",
    [
        {"price": 0xFFFFFFFF},
        {"price": None},
        {"price": "28360"},
        {"price_trailing_digit_and_price_tier": 0x100},
        {"price_trailing_digit_and_price_tier": None},
    ],
)
def test_publish_price_invalid(change: dict[str, object]) -> None:
    assert m.parse_publish_price({**PUBLISH_PRICE, **change}) is None


PRICE_ATTRS: dict[int, object] = {
    0x0000: "Day",
    0x0001: b"Night\x00",
    0x0002: "",
    0x0410: 28360,
    0x0420: 14000,
    0x0301: 60120,
    0x0300: 0x00,
    0x0610: "Economy 7",
    0x0615: 0x00,
    0x0616: 826,
    0x0617: 0x30,
}


def test_decode_price_with_publish_price() -> None:
    event = m.parse_publish_price(
        {**PUBLISH_PRICE, "price_trailing_digit_and_price_tier": 0x32, "price": 14000}
    )
    info = m.decode_price(PRICE_ATTRS, event)
    assert info.tier_labels == ((1, "Day"), (2, "Night"))
    assert info.tier_prices == ((1, Decimal("0.2836")), (2, Decimal("0.14")))
    assert info.current_price == Decimal("0.14")
    assert info.current_tier == 2
    assert info.current_tier_label == "Night"
    assert info.tier_label(3) is None
    assert info.standing_charge_per_day == Decimal("0.6012")
    assert info.commodity_type == 0
    assert info.currency == 826
    assert info.currency_code == "GBP"
    assert info.price_trailing_digit == 3
    assert info.unit is U.KWH
    assert info.tariff_label == "Economy 7"


def test_decode_price_current_from_active_tier() -> None:
    info = m.decode_price(PRICE_ATTRS, active_tier=2)
    assert (info.current_tier, info.current_price) == (2, Decimal("0.14"))
    no_such_tier = m.decode_price(PRICE_ATTRS, active_tier=5)
    assert no_such_tier.current_price is None
    assert no_such_tier.current_tier is None


def test_decode_price_single_tier_is_current() -> None:
    info = m.decode_price({0x0410: 2500, 0x0617: 0x20})
    assert (info.current_tier, info.current_price) == (1, Decimal("0.25"))
    assert m.decode_price(PRICE_ATTRS).current_price is None  # two tiers: no guess


def test_decode_price_high_tiers_use_price_tier_attributes() -> None:
    info = m.decode_price({0x04F0: 1500, 0x050F: 1600, 0x052F: 4800, 0x0617: 0x00})
    assert info.tier_prices == (
        (15, Decimal("15.00")),
        (16, Decimal("16.00")),
        (48, Decimal("48.00")),
    )


def test_decode_price_falls_back_to_publish_price() -> None:
    event = m.parse_publish_price(
        {**PUBLISH_PRICE, "currency": 978, "unit_of_measure": 1}
    )
    info = m.decode_price({0x0301: 5000}, event)
    assert info.price_trailing_digit == 3
    assert info.standing_charge_per_day == Decimal("0.05")
    assert info.currency == 978
    assert info.currency_code == "EUR"
    assert info.unit is U.M3


def test_decode_price_sentinels_and_defaults() -> None:
    info = m.decode_price({0x0301: 0xFFFFFFFF, 0x0410: 0xFFFFFFFF, 0x0617: 0x1234})
    assert info.standing_charge_per_day is None
    assert info.tier_prices == ()
    assert info.price_trailing_digit is None
    empty = m.decode_price({})
    assert empty.currency is None
    assert empty.unit is None
    assert empty.current_price is None
    assert empty.calorific_value is None
    assert empty.calorific_value_unit is None
    default_digits = m.decode_price({0x0301: 5000})
    assert default_digits.standing_charge_per_day == Decimal("50.00")


def test_decode_price_gas_fields() -> None:
    info = m.decode_price(GAS_PRICE)
    assert info.conversion_factor == Decimal("1.02264")
    assert info.calorific_value == Decimal("39.5")
    assert info.calorific_value_unit is CalorificValueUnit.MJ_PER_M3


# --------------------------------------------------------------------------
# Prepayment
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bit", "field"),
    [
        (0x01, "credit_ok"),
        (0x02, "low_credit"),
        (0x04, "emergency_credit_enabled"),
        (0x08, "emergency_credit_available"),
        (0x10, "emergency_credit_selected"),
        (0x20, "emergency_credit_in_use"),
        (0x40, "emergency_credit_exhausted"),
    ],
)
def test_credit_status_bits(bit: int, field: str) -> None:
    status = m.decode_credit_status(bit)
    assert status is not None
    flags = {
        name
        for name in (
            "credit_ok",
            "low_credit",
            "emergency_credit_enabled",
            "emergency_credit_available",
            "emergency_credit_selected",
            "emergency_credit_in_use",
            "emergency_credit_exhausted",
        )
        if getattr(status, name)
    }
    assert flags == {field}


@pytest.mark.parametrize(
    ("bit", "field"),
    [
        (0x0001, "disconnection_enabled"),
        (0x0002, "prepayment_enabled"),
        (0x0004, "credit_management_enabled"),
        (0x0010, "credit_display_enabled"),
        (0x0040, "account_base"),
        (0x0080, "contactor_fitted"),
    ],
)
def test_payment_control_bits(bit: int, field: str) -> None:
    control = m.decode_payment_control(bit)
    assert control is not None
    flags = {
        name
        for name in (
            "disconnection_enabled",
            "prepayment_enabled",
            "credit_management_enabled",
            "credit_display_enabled",
            "account_base",
            "contactor_fitted",
        )
        if getattr(control, name)
    }
    assert flags == {field}


def test_bitmaps_invalid() -> None:
    assert m.decode_credit_status(0x100) is None
    assert m.decode_credit_status(None) is None
    assert m.decode_payment_control(0x10000) is None


PREPAY: dict[int, object] = {
    0x0000: 0x0003,
    0x0001: 1523,
    0x0002: 500,
    0x0003: 0x01,
    0x0004: T2024,
    0x0005: 2000,
    0x0006: 10000,
    0x0010: 1000,
    0x0011: 200,
    0x0020: 123456,
    0x0021: 25000,
    0x0031: 300,
    0x0040: -100,
    0x0400: 0x0001,
    0x0500: 0x02,
    0x0503: 826,
}


def test_decode_prepayment_full() -> None:
    info = m.decode_prepayment(PREPAY)
    assert info.prepayment_mode is True
    assert info.payment_control is not None
    assert info.payment_control.disconnection_enabled
    assert info.credit_remaining == Decimal("0.1523")
    assert info.emergency_credit_remaining == Decimal("0.05")
    assert info.credit_status is not None
    assert info.credit_status.credit_ok
    assert info.credit_remaining_time == dt.datetime(2024, 1, 1, tzinfo=UTC)
    assert info.accumulated_debt == Decimal("0.2")
    assert info.overall_debt_cap == Decimal(1)
    assert info.emergency_credit_limit == Decimal("0.1")
    assert info.emergency_credit_threshold == Decimal("0.02")
    assert info.total_credit_added == Decimal("12.3456")
    assert info.max_credit_limit == Decimal("2.5")
    assert info.low_credit_warning_level == Decimal("0.03")
    assert info.cut_off_value == Decimal("-0.01")
    assert info.alarm_status == 1
    assert info.currency == 826
    assert info.currency_code == "GBP"
    assert info.trailing_digits == 2


def test_decode_cost_consumption_every_period_and_digit() -> None:
    """Today, 8 days back, 5 weeks and 13 months back; money as the credit is."""
    attrs: dict[int, object] = {0x0500: 0x2B, 0x0503: 826}
    for n, attr in enumerate(m.COST_DAY_ATTRIBUTES):
        attrs[attr] = 123_457 + n  # 123.457p: three digits right of the point
    for n, attr in enumerate(m.COST_WEEK_ATTRIBUTES):
        attrs[attr] = 7_000_001 + n
    for n, attr in enumerate(m.COST_MONTH_ATTRIBUTES):
        attrs[attr] = 2**48 - 2 - n  # the largest valid uint48s
    costs = m.decode_cost_consumption(attrs)
    assert m.COST_DAY_ATTRIBUTES[:2] == (0x051C, 0x051E)
    assert m.COST_DAY_ATTRIBUTES[-1] == 0x052C
    assert m.COST_WEEK_ATTRIBUTES == (0x0530, 0x0532, 0x0534, 0x0536, 0x0538, 0x053A)
    assert m.COST_MONTH_ATTRIBUTES[-1] == 0x055A
    assert costs.today == Decimal("1.23457")
    assert costs.yesterday == Decimal("1.23458")
    assert costs.day(8) == Decimal("1.23465")
    assert costs.this_week == Decimal("70.00001")
    assert costs.weeks[5] == Decimal("70.00006")
    assert costs.this_month == Decimal("2814749767.10654")
    assert costs.months[13] == Decimal("2814749767.10641")
    assert costs.currency_code == "GBP"
    assert costs.trailing_digits == 3


def test_cost_consumption_scale_and_gaps() -> None:
    """No formatting: the price trailing digit; a missing attribute is None."""
    costs = m.decode_cost_consumption({0x051C: 2450}, price_trailing_digit=1)
    assert costs.today == Decimal("2.45")
    assert costs.yesterday is None
    assert costs.this_month is None
    assert m.decode_cost_consumption({0x051C: 2450}).today == Decimal("24.5")
    assert m.decode_cost_consumption({}).currency is None


def test_prepayment_scale_without_formatting() -> None:
    attrs = {k: v for k, v in PREPAY.items() if k != 0x0500}
    assert m.decode_prepayment(attrs).credit_remaining == Decimal("15.23")
    assert m.decode_prepayment(attrs, price_trailing_digit=1).credit_remaining == (
        Decimal("1.523")
    )
    # The formatting attribute wins over the price trailing digit.
    assert m.decode_prepayment(PREPAY, price_trailing_digit=5).trailing_digits == 2


@pytest.mark.parametrize(
    ("raw", "amount"),
    [
        (-(2**31), None),
        (0xFFFFFFFF, None),
        (0x80000000, None),
        (0xFFFFFFF6, Decimal("-0.001")),  # -10 sent as uint32
        (-10, Decimal("-0.001")),
        (2**31 - 1, Decimal("214748.3647")),
        (2**32, None),
        ("10", None),
    ],
)
def test_prepayment_signed_amounts(raw: object, amount: Decimal | None) -> None:
    assert m.decode_prepayment({**PREPAY, 0x0001: raw}).credit_remaining == amount


def test_prepayment_unsigned_sentinels() -> None:
    info = m.decode_prepayment(
        {**PREPAY, 0x0010: 0xFFFFFFFF, 0x0020: 0xFFFFFFFFFFFF, 0x0031: -5}
    )
    assert info.emergency_credit_limit is None
    assert info.total_credit_added is None
    assert info.low_credit_warning_level is None


def test_prepayment_currency_attribute() -> None:
    # ZSE: 0x0502 is CurrencyScalingFactor (a small enum), 0x0503 Currency.
    attrs = {k: v for k, v in PREPAY.items() if k != 0x0503}
    assert m.decode_prepayment({**attrs, 0x0502: 826}).currency == 826
    assert m.decode_prepayment({**attrs, 0x0502: 0x04}).currency is None
    assert m.decode_prepayment({**PREPAY, 0x0502: 0x04}).currency == 826


def test_prepayment_empty() -> None:
    info = m.decode_prepayment({})
    assert info.prepayment_mode is None
    assert info.credit_remaining is None
    assert info.currency_code is None
    assert info.trailing_digits == 0


# --------------------------------------------------------------------------
# Top-up results
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "accepted", "reason"),
    [
        (0x00, True, TopUpReason.ACCEPTED),
        (0x01, False, TopUpReason.INVALID),
        (0x02, False, TopUpReason.DUPLICATE),
        (0x03, False, TopUpReason.ERROR),
        (0x04, False, TopUpReason.MAX_CREDIT_REACHED),
        (0x05, False, TopUpReason.KEYPAD_LOCK),
        (0x06, False, TopUpReason.VALUE_TOO_LARGE),
        (0x10, True, TopUpReason.ACCEPTED_SUPPLY_ENABLED),
        (0x11, True, TopUpReason.ACCEPTED_SUPPLY_DISABLED),
        (0x12, True, TopUpReason.ACCEPTED_SUPPLY_ARMED),
        (0x07, False, TopUpReason.UNKNOWN),
        (0xFF, False, TopUpReason.UNKNOWN),
    ],
)
def test_top_up_result_codes(code: int, accepted: bool, reason: TopUpReason) -> None:
    result = m.parse_top_up_response(
        {
            "result_type": code,
            "top_up_value": 2000,
            "source_of_top_up": 2,
            "credit_remaining": 2523,
        }
    )
    assert result is not None
    assert result.accepted is accepted
    assert result.reason is reason
    assert result.result_raw == code
    assert result.result_code == (
        TopUpResultCode(code) if reason is not TopUpReason.UNKNOWN else None
    )
    assert result.value == Decimal("20.00")
    assert result.source == 2
    assert result.credit_remaining == Decimal("25.23")
    assert result.currency == 826


@pytest.mark.parametrize(
    ("alert", "reason"),
    [
        (0x8F63, TopUpReason.NOT_AUTHENTIC),
        (0x8F64, TopUpReason.NOT_FOR_THIS_METER),
        (0x8F51, TopUpReason.DUPLICATE),
        (0x8F5B, TopUpReason.VALUE_TOO_LARGE),
        (0x8F47, TopUpReason.MAX_CREDIT_REACHED),
        (0x81C4, TopUpReason.KEYPAD_LOCK),
        (0x81C5, TopUpReason.KEYPAD_LOCK),
    ],
)
def test_refusal_reason_from_the_gbcs_alert(alert: int, reason: TopUpReason) -> None:
    assert m.top_up_reason_from_alert(alert) is reason
    result = m.parse_top_up_response({"result_type": 0x01}, alert_code=alert)
    assert result is not None
    assert result.reason is reason
    assert not result.accepted
    assert result.result_code is TopUpResultCode.REJECTED_INVALID_TOP_UP


def test_alert_does_not_change_an_acceptance_or_unrelated_alert() -> None:
    accepted = m.parse_top_up_response({"result_type": 0x00}, alert_code=0x8F63)
    assert accepted is not None
    assert accepted.reason is TopUpReason.ACCEPTED
    refused = m.parse_top_up_response({"result_type": 0x01})
    assert refused is not None
    assert refused.with_alert(0x81BB) is refused
    assert refused.with_alert("0x8F63") is refused
    assert m.top_up_reason_from_alert(None) is None
    assert m.top_up_reason_from_alert(0x8F57) is None


def test_top_up_response_aliases_scale_and_invalid() -> None:
    result = m.parse_top_up_response(
        {
            "result": 0x00,
            "value": 0xFFFFFFF6,
            "source": 1,
            "credit_remaining": -(2**31),
        },
        trailing=1,
    )
    assert result is not None
    assert result.value == Decimal("-0.010")
    assert result.credit_remaining is None
    assert m.parse_top_up_response({"result_type": 0x100}) is None
    assert m.parse_top_up_response({}) is None


# --------------------------------------------------------------------------
# Prepay snapshots
# --------------------------------------------------------------------------

SNAPSHOT_PAYLOAD = struct.pack("<iIIIii", 1500, 100, 200, 0xFFFFFFFF, 250, -75)


def test_prepay_snapshot_from_bytes() -> None:
    event = m.parse_prepay_snapshot(
        {
            "snapshot_id": 9,
            "snapshot_time": T2024,
            "total_snapshots_found": 1,
            "command_index": 0,
            "total_number_of_commands": 1,
            "snapshot_cause": 0x00040000,
            "snapshot_payload_type": 0,
            "snapshot_payload": SNAPSHOT_PAYLOAD,
        }
    )
    assert event is not None
    assert event.snapshot_id == 9
    assert event.snapshot_time == dt.datetime(2024, 1, 1, tzinfo=UTC)
    assert event.cause == 0x00040000
    assert event.payload_type == 0
    assert event.accumulated_debt == Decimal("15.00")
    assert event.type1_debt_remaining == Decimal("1.00")
    assert event.type2_debt_remaining == Decimal("2.00")
    assert event.type3_debt_remaining is None
    assert event.emergency_credit_remaining == Decimal("2.50")
    assert event.credit_remaining == Decimal("-0.75")
    assert event.currency == 826


def test_prepay_snapshot_from_mapping_and_odd_payloads() -> None:
    mapped = m.parse_prepay_snapshot(
        {
            "snapshot_id": 1,
            "snapshot_payload_type": 0,
            "snapshot_payload": {"credit_remaining": 1234, "accumulated_debt": None},
        },
        trailing=2,
    )
    assert mapped is not None
    assert mapped.credit_remaining == Decimal("0.1234")
    assert mapped.accumulated_debt is None
    short = m.parse_prepay_snapshot(
        {"snapshot_id": 1, "snapshot_payload_type": 0, "snapshot_payload": b"\x01\x02"}
    )
    assert short is not None
    assert short.credit_remaining is None
    other_type = m.parse_prepay_snapshot(
        {
            "snapshot_id": 1,
            "snapshot_payload_type": 0xFF,
            "snapshot_payload": SNAPSHOT_PAYLOAD,
        }
    )
    assert other_type is not None
    assert other_type.credit_remaining is None
    text_payload = m.parse_prepay_snapshot(
        {"snapshot_id": 1, "snapshot_payload_type": 0, "snapshot_payload": "x" * 24}
    )
    assert text_payload is not None
    assert text_payload.credit_remaining is None
    assert m.parse_prepay_snapshot({"snapshot_id": -1}) is None


# --------------------------------------------------------------------------
# Alerts
# --------------------------------------------------------------------------


def test_parse_publish_event() -> None:
    event = m.parse_publish_event(
        {
            "log_id": 1,
            "event_id": 0x81BB,
            "event_time": T2024,
            "event_control": 0x01,
            "event_data": b"\x01\x02",
        },
        source="esme",
    )
    assert event is not None
    assert event.code == 0x81BB
    assert event.name == "Reverse Current"
    assert event.category is AlertCategory.TAMPER
    assert event.severity is AlertSeverity.CRITICAL
    assert event.known
    assert "reverse_current" in event.trigger_types
    assert event.time == dt.datetime(2024, 1, 1, tzinfo=UTC)
    assert event.source == "esme"
    assert event.log_id == 1
    assert event.control == 1
    assert event.data == b"\x01\x02"


def test_publish_event_unknown_and_invalid() -> None:
    event = m.parse_publish_event(
        {"event_id": 0x0042, "event_time": 0xFFFFFFFF, "event_data": "ab"}
    )
    assert event is not None
    assert event.name == "unknown (0x0042)"
    assert not event.known
    assert event.time is None
    assert event.data == b"ab"
    assert event.source is None
    no_data = m.parse_publish_event({"event_id": 0x81BB, "event_data": 5})
    assert no_data is not None
    assert no_data.data == b""
    assert m.parse_publish_event({"event_id": 0x10000}) is None
    assert m.parse_publish_event({}) is None


def test_make_alert_event() -> None:
    when = dt.datetime(2024, 3, 1, tzinfo=UTC)
    event = m.make_alert_event(0x8F57, time=when, source="esme")
    assert event.name == "Supply interrupted"
    assert event.severity is AlertSeverity.CRITICAL
    assert event.time == when
    assert event.data == b""


# --------------------------------------------------------------------------
# Supplier messages
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("control", "importance", "confirm", "enhanced", "transmission"),
    [
        (0x00, MessageImportance.LOW, False, False, 0),
        (0x04, MessageImportance.MEDIUM, False, False, 0),
        (0x08, MessageImportance.HIGH, False, False, 0),
        (0x0C, MessageImportance.CRITICAL, False, False, 0),
        (0x80, MessageImportance.LOW, True, False, 0),
        (0x20, MessageImportance.LOW, False, True, 0),
        (0x8E, MessageImportance.CRITICAL, True, False, 2),
        (0x01, MessageImportance.LOW, False, False, 1),
    ],
)
def test_message_control(
    control: int,
    importance: MessageImportance,
    confirm: bool,
    enhanced: bool,
    transmission: int,
) -> None:
    message = m.parse_display_message(
        {"message_id": 1, "message_control": control, "message": "Hi"}
    )
    assert message is not None
    assert message.importance is importance
    assert message.confirmation_required is confirm
    assert message.enhanced_confirmation_requested is enhanced
    assert message.transmission == transmission
    assert message.control == control


def test_parse_display_message() -> None:
    message = m.parse_display_message(
        {
            "message_id": 0xFFFFFFFF,
            "message_control": 0x88,
            "start_time": T2024,
            "duration_in_minutes": 90,
            "message": b"Your tariff changes on 1 May\x00",
            "extended_message_control": 0x01,
        }
    )
    assert message is not None
    assert message.message_id == 0xFFFFFFFF
    assert message.text == "Your tariff changes on 1 May"
    assert message.start_time == dt.datetime(2024, 1, 1, tzinfo=UTC)
    assert not message.starts_now
    assert message.duration_minutes == 90
    assert message.end_time == dt.datetime(2024, 1, 1, 1, 30, tzinfo=UTC)
    assert message.extended_control == 1


def test_display_message_now_until_changed_and_aliases() -> None:
    message = m.parse_display_message(
        {
            "message_id": 5,
            "control": 0x0C,
            "start_time": 0,
            "duration": 0xFFFF,
            "text": "x",
        }
    )
    assert message is not None
    assert message.starts_now
    assert message.start_time is None
    assert message.duration_minutes is None
    assert message.end_time is None
    assert message.importance is MessageImportance.CRITICAL
    assert message.text == "x"


def test_display_message_invalid() -> None:
    assert m.parse_display_message({"message": "no id"}) is None
    bare = m.parse_display_message({"message_id": 1})
    assert bare is not None
    assert bare.text == ""
    assert bare.control == 0
    assert bare.extended_control is None


# --------------------------------------------------------------------------
# Profiles
# --------------------------------------------------------------------------

END = T2024 + 12 * 3600  # 2024-01-01T12:00Z


def test_profile_series_is_chronological_and_scaled() -> None:
    response = m.parse_profile_response(
        {
            "end_time": END,
            "status": 0,
            "profile_interval_period": 2,
            "number_of_periods_delivered": 4,
            "intervals": [400, 0xFFFFFF, 250, 125],
        }
    )
    assert response is not None
    assert response.ok
    assert response.period is Period.MINUTES_30
    assert response.intervals == (400, None, 250, 125)
    series = m.profile_series(response, multiplier=1, divisor=1000)
    noon = dt.datetime(2024, 1, 1, 12, tzinfo=UTC)
    assert series == [
        (noon - dt.timedelta(hours=2), 0.125),
        (noon - dt.timedelta(hours=1, minutes=30), 0.25),
        (noon - dt.timedelta(minutes=30), 0.4),
    ]
    with_gaps = m.profile_series(response, divisor=1000, include_invalid=True)
    assert with_gaps[2] == (noon - dt.timedelta(hours=1), None)
    assert len(with_gaps) == 4


def test_profile_series_formatting_never_rounds() -> None:
    response = m.parse_profile_response(
        {"end_time": END, "status": 0, "period": 0, "intervals": [12345]}
    )
    assert response is not None
    # HistoricalConsumptionFormatting is no argument: nothing rounds a profile
    series = m.profile_series(response, divisor=1000)
    assert series == [(dt.datetime(2023, 12, 31, 12, tzinfo=UTC), 12.345)]


def test_profile_intervals_from_bytes() -> None:
    data = (
        (100).to_bytes(3, "little")
        + b"\xff\xff\xff"
        + (7).to_bytes(3, "little")
        + b"\x01"
    )
    response = m.parse_profile_response(
        {"end_time": END, "status": 0, "profile_interval_period": 1, "intervals": data}
    )
    assert response is not None
    assert response.intervals == (100, None, 7)


@pytest.mark.parametrize(
    "change",
    [
        {"status": 5},
        {"status": 9},
        {"end_time": 0xFFFFFFFF},
        {"profile_interval_period": 12},
    ],
)
def test_profile_series_empty_unless_usable(change: dict[str, object]) -> None:
    fields = {
        "end_time": END,
        "status": 0,
        "profile_interval_period": 2,
        "intervals": [1, 2],
    }
    response = m.parse_profile_response({**fields, **change})
    assert response is not None
    assert m.profile_series(response) == []


def test_profile_status_values_and_invalid() -> None:
    response = m.parse_profile_response({"status": 4, "intervals": "nope"})
    assert response is not None
    assert response.status is ProfileStatus.MORE_PERIODS_REQUESTED_THAN_CAN_BE_RETURNED
    assert not response.ok
    assert response.intervals == ()
    assert response.end_time is None
    unknown = m.parse_profile_response({"status": 9})
    assert unknown is not None
    assert unknown.status is None
    assert unknown.status_raw == 9
    assert m.parse_profile_response({"status": None}) is None
    assert m.parse_profile_response({}) is None


# --------------------------------------------------------------------------
# Totality: garbage in, None out, never an exception
# --------------------------------------------------------------------------

ATTRIBUTE_DECODERS: list[
    tuple[str, Callable[[Mapping[int, object]], object], range]
] = [
    ("electricity", m.decode_electricity, range(0x0C10)),
    ("gas", m.decode_gas, range(0x0C10)),
    ("price", m.decode_price, range(0x0620)),
    ("prepayment", m.decode_prepayment, range(0x0510)),
    ("identity", m.decode_identity, range(0x4001)),
]
COMMAND_PARSERS: list[Callable[[Mapping[str, object]], object]] = [
    m.parse_publish_price,
    m.parse_top_up_response,
    m.parse_prepay_snapshot,
    m.parse_publish_event,
    m.parse_display_message,
    m.parse_profile_response,
]
COMMAND_FIELDS = [
    "provider_id", "rate_label", "issuer_event_id", "current_time", "unit_of_measure",
    "currency", "price_trailing_digit_and_price_tier",
    "number_of_price_tiers_and_register_tier", "start_time", "duration_in_minutes",
    "price", "price_ratio", "generation_price", "number_of_block_thresholds",
    "price_control", "result_type", "top_up_value", "source_of_top_up",
    "credit_remaining", "snapshot_id", "snapshot_time", "snapshot_cause",
    "snapshot_payload_type", "snapshot_payload", "log_id", "event_id", "event_time",
    "event_control", "event_data", "message_id", "message_control", "message",
    "extended_message_control", "end_time", "status", "profile_interval_period",
    "number_of_periods_delivered", "intervals",
]  # fmt: skip


def _ids(ids: range) -> list[int]:
    """The ids a decoder might read: every id in the range that is 'interesting'."""
    return [i for i in ids if i < 0x60 or (i & 0xFF) < 0x30 or i in (0x4000,)]


@pytest.mark.parametrize("garbage", GARBAGE, ids=repr)
@pytest.mark.parametrize(
    ("name", "decoder", "ids"),
    ATTRIBUTE_DECODERS,
    ids=[d[0] for d in ATTRIBUTE_DECODERS],
)
def test_attribute_decoders_are_total(
    name: str,
    decoder: Callable[[Mapping[int, object]], object],
    ids: range,
    garbage: object,
) -> None:
    result = decoder(dict.fromkeys(_ids(ids), garbage))
    assert result is not None
    numbers = [
        value
        for value in getattr(result, "__dataclass_fields__", {})
        if isinstance(getattr(result, value), float | Decimal)
    ]
    # Garbage never turns into a number (-1 is a real int32: credit of -1p).
    if garbage != -1 or name != "prepayment":
        assert numbers == []


@pytest.mark.parametrize("garbage", GARBAGE, ids=repr)
@pytest.mark.parametrize("parser", COMMAND_PARSERS, ids=lambda p: p.__name__)
def test_command_parsers_are_total(
    parser: Callable[[Mapping[str, object]], object], garbage: object
) -> None:
    parser(dict.fromkeys(COMMAND_FIELDS, garbage))
    parser({})


def test_decoders_survive_realistic_values_of_the_wrong_cluster() -> None:
    # Feeding one cluster's attributes to another's decoder must not raise.
    for attrs in (ESME, GPF, GAS_PRICE, PRICE_ATTRS, PREPAY):
        for name, decoder, _ in ATTRIBUTE_DECODERS:
            assert decoder(attrs) is not None, name


# --------------------------------------------------------------------------
# Attribute lists for one Read Attributes request per cluster
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ids", "must_have"),
    [
        (m.ELECTRICITY_ATTRIBUTES, {0x0000, 0x0001, 0x0100, 0x0102, 0x0300, 0x0400}),
        (m.GAS_ATTRIBUTES, {0x0000, 0x0300, 0x0306, 0x0C01}),
        (m.PRICE_ATTRIBUTES, {0x0000, 0x0301, 0x0302, 0x0304, 0x0410, 0x0617}),
        (m.PREPAYMENT_ATTRIBUTES, {0x0000, 0x0001, 0x0003, 0x0500, 0x0503}),
        (m.IDENTITY_BASIC_ATTRIBUTES, {0x0004, 0x0005, 0x0006, 0x4000}),
        (m.IDENTITY_METERING_ATTRIBUTES, {0x0306, 0x0307, 0x0308}),
    ],
)
def test_attribute_lists(ids: tuple[int, ...], must_have: set[int]) -> None:
    assert len(set(ids)) == len(ids)
    assert must_have <= set(ids)
    assert all(isinstance(i, int) for i in ids)


def test_attribute_lists_cover_what_the_decoders_read() -> None:
    """Decoding only the listed ids of a full sample loses nothing."""
    samples: list[
        tuple[
            Callable[[Mapping[int, object]], object], dict[int, object], tuple[int, ...]
        ]
    ] = [
        (m.decode_electricity, ESME, m.ELECTRICITY_ATTRIBUTES),
        (m.decode_gas, GPF, m.GAS_ATTRIBUTES),
        (m.decode_price, PRICE_ATTRS, m.PRICE_ATTRIBUTES),
        (m.decode_prepayment, PREPAY, m.PREPAYMENT_ATTRIBUTES),
    ]
    for decoder, attrs, ids in samples:
        listed = {k: v for k, v in attrs.items() if k in ids}
        assert decoder(listed) == decoder(attrs), decoder.__name__
