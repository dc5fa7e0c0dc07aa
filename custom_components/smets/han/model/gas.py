"""A gas meter's Metering attributes (GPF mirror or GSME) as one reading.

``kWh = m3 * conversion_factor * calorific_value(MJ/m3) / 3.6``, with the
Price cluster's conversion factor and calorific value; a gas meter's missing
UnitOfMeasure gives no volume or energy (m3 and kWh are both plausible).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .metering import (
    MeteringAttr,
    MeteringDeviceType,
    MeterStatus,
    SupplyStatus,
    UnitOfMeasure,
    _DisplayHints,
    _in,
    _scaling,
    decode_meter_status,
)
from .price import CalorificValueUnit, decode_calorific_value, decode_conversion_factor
from .scaling import NumberFormatting, decode_formatting
from .values import _enum

#: Metering attributes :func:`decode_gas` reads (GPF mirror or GSME).
GAS_ATTRIBUTES: tuple[int, ...] = (
    *(0x0000, 0x0014, 0x0200),
    *range(0x0300, 0x0307),
    *(0x0312, 0x0313, 0x0314, 0x0400, 0x0401, 0x0403, 0x0C00, 0x0C01, 0x0C03),
)


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


@dataclass(frozen=True, slots=True)
class GasReading(_DisplayHints):
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
