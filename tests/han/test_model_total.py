"""The decoders are total in fact (issue #15, "Bad input, measured", point 5).

Each test here failed before the fix: a BCD value wider than its register was
accepted (or raised), and extreme datetimes raised OverflowError.
"""

from __future__ import annotations

import datetime as dt

import pytest

from custom_components.smets.han import model


def _bcd(digits: int) -> int:
    """A BCD number of ``digits`` ones (0x111...1)."""
    return int("1" * digits, 16)


@pytest.mark.parametrize("digits", [13, 16, 35, 40, 400])
@pytest.mark.parametrize("unit", [0x80, 0x81, 0x82, 0x83])
def test_bcd_wider_than_a_uint48_register_is_none(digits: int, unit: int) -> None:
    """A uint48 register holds 12 BCD digits: a uint64 BCD is not 1e16 kWh."""
    attrs = {0x0300: unit, 0x0000: _bcd(digits), 0x0303: 0x0B}
    assert model.decode_electricity(attrs).import_kwh is None
    assert model.decode_gas(attrs).volume_m3 is None
    assert model.decode_gas(attrs).energy_kwh is None


@pytest.mark.parametrize("digits", [7, 30, 35, 400])
def test_bcd_wider_than_an_int24_demand_is_none(digits: int) -> None:
    """A demand of 30+ BCD digits with a formatting set raised InvalidOperation."""
    attrs = {0x0300: 0x80, 0x0400: _bcd(digits), 0x0304: 0x0B, 0x0401: _bcd(digits)}
    reading = model.decode_electricity(attrs)
    assert reading.demand_w is None
    assert reading.today_import_kwh is None
    gas = model.decode_gas({**attrs, 0x0300: 0x82})
    assert gas.flow_m3_per_h is None
    assert gas.today_m3 is None


def test_bcd_that_fits_its_register_still_decodes() -> None:
    reading = model.decode_electricity(
        {0x0300: 0x80, 0x0000: 0x123456789012, 0x0400: 0x001234}
    )
    assert reading.import_kwh == 123456789012
    assert reading.demand_w == 1234000
    assert model.bcd_to_int(0x999999, 24) == 999999
    assert model.bcd_to_int(0x1000000, 24) is None
    assert model.bcd_to_int(_bcd(400)) is not None  # no register: any width


_LATEST = dt.datetime(9999, 12, 31, 23, 0, tzinfo=dt.UTC)
_EARLIEST = dt.datetime(1, 1, 1, 1, 10, tzinfo=dt.UTC)


def test_a_message_ending_after_the_last_datetime_has_no_end() -> None:
    message = model.parse_display_message(
        {"message_id": 1, "start_time": _LATEST, "duration_in_minutes": 0xFFFE}
    )
    assert message is not None
    assert message.end_time is None


def test_a_price_ending_after_the_last_datetime_has_no_end() -> None:
    price = model.parse_publish_price(
        {
            "price": 1,
            "price_trailing_digit_and_price_tier": 0,
            "start_time": _LATEST,
            "duration_in_minutes": 100,
        }
    )
    assert price is not None
    assert price.end_time is None


def test_profile_intervals_before_the_first_datetime_are_skipped() -> None:
    response = model.parse_profile_response(
        {
            "status": 0,
            "end_time": _EARLIEST,
            "profile_interval_period": 0x02,  # 30 minutes: two start in year 1
            "intervals": [5, 6, 7],
        }
    )
    assert response is not None
    start = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
    assert model.profile_series(response) == [
        (start + dt.timedelta(minutes=10), 6.0),
        (start + dt.timedelta(minutes=40), 5.0),
    ]


@pytest.mark.parametrize(
    "raw",
    [2**48 - 1, 2**48, 2**70, -1, "12", b"\x01", 1.5, None, [1], _bcd(400)],
)
def test_a_cost_consumption_that_is_not_a_uint48_is_none(raw: object) -> None:
    """All-ones (not available), wider than 48 bits, negative or not a number."""
    attrs = {0x0500: 0x2B, 0x0503: 826}
    attrs.update(dict.fromkeys(model.COST_DAY_ATTRIBUTES, raw))
    attrs.update(dict.fromkeys(model.COST_WEEK_ATTRIBUTES, raw))
    attrs.update(dict.fromkeys(model.COST_MONTH_ATTRIBUTES, raw))
    costs = model.decode_cost_consumption(attrs)
    assert set(costs.days) == set(costs.weeks) == set(costs.months) == {None}
    assert costs.today is costs.this_week is costs.this_month is None


@pytest.mark.parametrize("formatting", [0x0F, 0xFF, -1, 256, "x"])
def test_a_cost_formatting_out_of_range_never_raises(formatting: object) -> None:
    costs = model.decode_cost_consumption(
        {0x0500: formatting, 0x051C: 123, 0x0530: 2**48 - 2}
    )
    assert costs.today is None or costs.today.is_finite()
    assert costs.day(-1) is None
    assert costs.day(9) is None
