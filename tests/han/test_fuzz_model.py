"""Fuzzing every decoder of han/model/: total in fact, whatever it is given.

The module promises that odd input becomes None, never an exception and never
a made-up number. Each decoder is run on attribute maps and command fields
drawn by hypothesis: the ids and names the meters use, with values of any
type and size (integers far wider than their registers, BCD of hundreds of
digits, strings, bytes, floats, extreme datetimes). Every property of what
comes back is read too (``end_time``, ``currency_code``, ...), and every
Decimal in it must be finite.

Reproducible and bounded: the ``smets-fuzz`` profile is derandomized (the
same examples on every run and every leg), keeps no example database (nothing
is written outside the test's own folders) and runs a fixed number of
examples per decoder, so the suite costs seconds in CI.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import dataclasses
import datetime as dt
from decimal import Decimal
import importlib
import os
import pkgutil
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.smets.han import clusters as c, model

settings.register_profile(
    "smets-fuzz",
    derandomize=True,
    database=None,
    max_examples=int(os.environ.get("SMETS_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FUZZ = settings.get_profile("smets-fuzz")

# --- what a hostile peer can put in a value -------------------------------------

_WIDE = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=0, max_value=2**1600),  # 400 BCD digits and more
    st.sampled_from([0, 1, -1, 2**24 - 1, 2**32 - 1, 2**48 - 1, 2**63, 2**64 - 1]),
    st.builds(lambda n: int("9" * n, 16), st.integers(1, 420)),  # BCD 99..9
)
_TIMES = st.one_of(
    st.datetimes(timezones=st.just(dt.UTC)),
    st.datetimes(),  # naive
    st.sampled_from(
        [
            dt.datetime.max.replace(tzinfo=dt.UTC),
            dt.datetime.min.replace(tzinfo=dt.UTC),
        ]
    ),
)
VALUES: st.SearchStrategy[object] = st.one_of(
    st.none(),
    st.booleans(),
    _WIDE,
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.binary(max_size=64),
    st.text(max_size=32),
    _TIMES,
    st.lists(st.one_of(_WIDE, st.none(), st.text(max_size=4)), max_size=40),
    st.tuples(_WIDE, _WIDE),
)
"""Any value at all, as a Python object."""


def _ids(*clusters: type[Any]) -> list[int]:
    found: set[int] = set()
    for cluster in clusters:
        found.update(int(attr.id) for attr in cluster.attributes.values())
    return sorted(found)


_METERING_IDS = _ids(c.Metering)
_PRICE_IDS = _ids(c.Price)
_PREPAYMENT_IDS = _ids(c.Prepayment)
_BASIC_IDS = sorted({*model.IDENTITY_BASIC_ATTRIBUTES, 0x0000, 0x4000})


def attrs(ids: list[int]) -> st.SearchStrategy[dict[int, object]]:
    """An attribute map over ``ids`` (and a few unknown ids), any values."""
    keys = st.one_of(st.sampled_from(ids), st.integers(0, 0xFFFF))
    return st.dictionaries(keys, VALUES, max_size=48)


def _field_names() -> list[str]:
    names: set[str] = set()
    for cluster in c.HAN_CLUSTERS.values():
        for commands in (cluster.server_commands, cluster.client_commands):
            for command in commands.values():
                schema = getattr(command, "schema", None)
                for field in getattr(schema, "fields", ()):
                    names.add(field.name)
    # the aliases the parsers accept
    names.update(
        {"price_trailing_digit", "num_price_tiers_and_register_tier", "duration"}
    )
    names.update({"control", "text", "extended_control", "period", "status"})
    return sorted(names)


FIELDS = st.dictionaries(
    st.one_of(st.sampled_from(_field_names()), st.text(max_size=8)),
    VALUES,
    max_size=24,
)
"""A command's fields: the names the ZSE schemas use, any values."""

_OPTIONAL_INT = st.one_of(st.none(), _WIDE)

# --- checking what comes back -------------------------------------------------------


def _check(result: object, seen: set[int] | None = None) -> None:
    """Every Decimal is finite; every property and nested value can be read."""
    seen = set() if seen is None else seen
    if id(result) in seen:
        return
    seen.add(id(result))
    if isinstance(result, Decimal):
        assert result.is_finite(), result
        return
    if isinstance(result, float):
        return  # gas_m3_to_kwh and profile values: plain floats
    if isinstance(result, list | tuple):
        for item in result:
            _check(item, seen)
        return
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        for field in dataclasses.fields(result):
            _check(getattr(result, field.name), seen)
        for name in dir(type(result)):
            if isinstance(getattr(type(result), name, None), property):
                _check(getattr(result, name), seen)
        if isinstance(result, model.PriceInfo):
            for tier in (None, -1, 0, 1, 48, 2**70):
                _check(result.tier_label(tier), seen)
        if isinstance(result, model.ProfileResponse):
            _check(model.profile_series(result, include_invalid=True), seen)


# --- the decoders ---------------------------------------------------------------------

type Decoder = Callable[[st.DataObject], object]


def _raw(function: Callable[[object], object]) -> Decoder:
    return lambda data: function(data.draw(VALUES))


DECODERS: dict[str, Decoder] = {
    "decode_electricity": lambda d: model.decode_electricity(
        d.draw(attrs(_METERING_IDS))
    ),
    "decode_gas": lambda d: model.decode_gas(
        d.draw(attrs(_METERING_IDS)), d.draw(st.none() | attrs(_PRICE_IDS))
    ),
    "decode_identity": lambda d: model.decode_identity(
        d.draw(attrs(_BASIC_IDS)), d.draw(st.none() | attrs(_METERING_IDS))
    ),
    "decode_price": lambda d: model.decode_price(
        d.draw(attrs(_PRICE_IDS)),
        model.parse_publish_price(d.draw(FIELDS)),
        active_tier=d.draw(_OPTIONAL_INT),
    ),
    "decode_prepayment": lambda d: model.decode_prepayment(
        d.draw(attrs(_PREPAYMENT_IDS)), price_trailing_digit=d.draw(_OPTIONAL_INT)
    ),
    "decode_cost_consumption": lambda d: model.decode_cost_consumption(
        d.draw(attrs(_PREPAYMENT_IDS)), price_trailing_digit=d.draw(_OPTIONAL_INT)
    ),
    "decode_conversion_factor": lambda d: model.decode_conversion_factor(
        d.draw(attrs(_PRICE_IDS))
    ),
    "decode_calorific_value": lambda d: model.decode_calorific_value(
        d.draw(attrs(_PRICE_IDS))
    ),
    "decode_credit_status": _raw(model.decode_credit_status),
    "decode_payment_control": _raw(model.decode_payment_control),
    "decode_formatting": _raw(model.decode_formatting),
    "decode_meter_status": lambda d: model.decode_meter_status(
        d.draw(VALUES), model.MeteringDeviceType.from_raw(d.draw(VALUES))
    ),
    "parse_publish_price": lambda d: model.parse_publish_price(d.draw(FIELDS)),
    "parse_display_message": lambda d: model.parse_display_message(d.draw(FIELDS)),
    "parse_publish_event": lambda d: model.parse_publish_event(
        d.draw(FIELDS), source=d.draw(st.none() | st.text(max_size=4))
    ),
    "parse_prepay_snapshot": lambda d: model.parse_prepay_snapshot(
        d.draw(FIELDS), trailing=d.draw(_OPTIONAL_INT), currency=d.draw(_OPTIONAL_INT)
    ),
    "parse_top_up_response": lambda d: model.parse_top_up_response(
        d.draw(FIELDS),
        trailing=d.draw(_OPTIONAL_INT),
        currency=d.draw(_OPTIONAL_INT),
        alert_code=d.draw(_OPTIONAL_INT),
    ),
    "parse_profile_response": lambda d: model.parse_profile_response(d.draw(FIELDS)),
    "profile_series": lambda d: [
        model.profile_series(
            response,
            multiplier=d.draw(VALUES),
            divisor=d.draw(VALUES),
            include_invalid=d.draw(st.booleans()),
        )
        for response in [
            model.ProfileResponse(
                end_time=d.draw(_TIMES.filter(lambda t: t.tzinfo is not None)),
                status=model.ProfileStatus.SUCCESS,
                status_raw=0,
                period=d.draw(st.sampled_from(model.ProfileIntervalPeriod)),
                number_of_periods_delivered=None,
                intervals=tuple(d.draw(st.lists(st.none() | _WIDE, max_size=30))),
            )
        ]
    ],
    "bcd_to_int": lambda d: model.bcd_to_int(
        d.draw(VALUES), d.draw(st.none() | st.sampled_from([8, 24, 48]))
    ),
    "valid_uint": lambda d: model.valid_uint(
        d.draw(VALUES), d.draw(st.sampled_from([8, 16, 24, 32, 48]))
    ),
    "valid_int": lambda d: model.valid_int(
        d.draw(VALUES), d.draw(st.sampled_from([8, 16, 24, 32]))
    ),
    "zcl_time_to_datetime": _raw(model.zcl_time_to_datetime),
    "trailing_digits": _raw(model.trailing_digits),
    "currency_code": _raw(model.currency_code),
    "base_device_type": _raw(model.base_device_type),
    "top_up_reason_from_alert": _raw(model.top_up_reason_from_alert),
    "scale": lambda d: model.scale(
        d.draw(st.integers(0, 2**48 - 1)), d.draw(VALUES), d.draw(VALUES)
    ),
    "money": lambda d: model.money(
        d.draw(st.none() | st.integers(-(2**31), 2**48)),
        d.draw(st.none() | st.integers(0, 15)),
        d.draw(_OPTIONAL_INT),
    ),
    "gas_m3_to_kwh": lambda d: model.gas_m3_to_kwh(
        *(
            d.draw(
                st.none()
                | st.floats(allow_nan=True, allow_infinity=True)
                | st.decimals(allow_nan=False, allow_infinity=True)
            )
            for _ in range(3)
        )
    ),
}
"""Every decoder of han/model/, each drawing its own hostile input."""


def test_every_decoder_is_fuzzed() -> None:
    """A decoder added to han/model/ (decode_* / parse_*) must be added here."""
    decoders = {
        name
        for name in model.__all__
        if name.startswith(("decode_", "parse_")) and callable(getattr(model, name))
    }
    assert decoders <= set(DECODERS)


def test_every_decoder_of_every_model_module_is_the_models() -> None:
    """A decoder in any module of han/model/ is in the package's ``__all__`` too."""
    for info in pkgutil.iter_modules(model.__path__):
        module = importlib.import_module(f"{model.__name__}.{info.name}")
        for name, value in vars(module).items():
            if name.startswith(("decode_", "parse_")) and callable(value):
                assert name in model.__all__, f"{info.name}.{name}"
                assert getattr(model, name) is value, f"{info.name}.{name}"


@pytest.mark.parametrize("name", sorted(DECODERS))
@FUZZ
@given(data=st.data())
def test_decoders_are_total(name: str, data: st.DataObject) -> None:
    _check(DECODERS[name](data))


@FUZZ
@given(attrs=attrs(_METERING_IDS), unit=st.sampled_from(list(range(0x80, 0x8E))))
def test_bcd_registers_never_exceed_their_width(
    attrs: Mapping[int, object], unit: int
) -> None:
    """In BCD, a uint48 register is at most 999999999999 units: never more."""
    reading = model.decode_electricity({**attrs, 0x0300: unit, 0x0301: 1, 0x0302: 1})
    for value in (reading.import_kwh, reading.export_kwh, *reading.tier_import_kwh):
        assert value is None or abs(value) < 10**12
    gas = model.decode_gas({**attrs, 0x0300: unit, 0x0301: 1, 0x0302: 1})
    assert gas.volume_m3 is None or gas.volume_m3 < 10**12 * 29
