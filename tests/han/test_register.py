"""One register converted as the live decoding converts it (the history import's path)."""

from decimal import Decimal

import pytest

from custom_components.smets.han import model as m

from .test_model import ESME, GAS_PRICE, GPF

# What the meters publish once: how to read a register, not the register itself
ESME_FORMATTING = {k: v for k, v in ESME.items() if k in (0x0300, 0x0301, 0x0302)}
GPF_FORMATTING = {k: v for k, v in GPF.items() if k in (0x0300, 0x0301, 0x0302)}


def test_register_kwh_scales_by_multiplier_and_divisor() -> None:
    assert m.register_kwh(12345678, ESME_FORMATTING) == Decimal("12345.678")
    assert m.register_kwh(0, ESME_FORMATTING) == 0


@pytest.mark.parametrize(
    "formatting",
    [
        ESME_FORMATTING,
        {},  # no unit published: an ESME counts kWh, no scaling
        {0x0300: 0x80, 0x0301: 1, 0x0302: 100},  # BCD kWh
        {0x0300: 0x00, 0x0301: 3, 0x0302: 0},  # a divisor of 0 counts as 1
        {0x0300: 0x01, 0x0301: 1, 0x0302: 1000},  # m3: not active energy
        {0x0300: 0x03, 0x0301: 1, 0x0302: 1000},  # kVArh: not active energy
    ],
)
@pytest.mark.parametrize("raw", [0, 1234, 0x123456, 0xFFFFFFFFFFFF, -1, None, "1"])
def test_register_kwh_is_what_the_live_reading_says(
    formatting: dict[int, object], raw: object
) -> None:
    live = m.decode_electricity({**formatting, 0x0000: raw, 0x0001: raw})
    assert m.register_kwh(raw, formatting) == live.import_kwh
    assert m.register_kwh(raw, formatting) == live.export_kwh


def test_register_kwh_of_another_unit_is_none() -> None:
    assert m.register_kwh(1000, {0x0300: 0x01}) is None


def test_register_gas_volume_to_kwh_with_the_price_cluster() -> None:
    register = m.register_gas(1234567, GPF_FORMATTING, GAS_PRICE)
    assert register.volume_m3 == Decimal("1234.567")
    assert register.energy_kwh == Decimal("13852.624")
    assert register.calorific_value_mj_m3 == Decimal("39.5")
    assert register.conversion_factor == Decimal("1.02264")
    bare = m.register_gas(1234567, GPF_FORMATTING)
    assert bare.volume_m3 == Decimal("1234.567")
    assert bare.energy_kwh is None


@pytest.mark.parametrize(
    "formatting",
    [
        GPF_FORMATTING,
        {},  # no unit: a gas meter gets neither volume nor energy
        {0x0300: 0x00, 0x0301: 1, 0x0302: 1000},  # a gas meter counting kWh
        {0x0300: 0x02, 0x0301: 1, 0x0302: 1},  # ft3
        {0x0300: 0x81, 0x0301: 1, 0x0302: 1000},  # BCD m3
    ],
)
@pytest.mark.parametrize("prices", [GAS_PRICE, None, {**GAS_PRICE, 0x0305: 0x02}])
@pytest.mark.parametrize("raw", [0, 1234567, 0x123456, 0xFFFFFFFFFFFF, -5, None])
def test_register_gas_is_what_the_live_reading_says(
    formatting: dict[int, object], prices: dict[int, object] | None, raw: object
) -> None:
    live = m.decode_gas({**formatting, 0x0000: raw}, prices)
    register = m.register_gas(raw, formatting, prices)
    assert register.volume_m3 == live.volume_m3
    assert register.energy_kwh == live.energy_kwh
    assert register.conversion_factor == live.conversion_factor
    assert register.calorific_value_mj_m3 == live.calorific_value_mj_m3
