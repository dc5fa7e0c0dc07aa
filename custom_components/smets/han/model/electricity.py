"""An electricity meter's (ESME) Metering attributes as one reading.

Energy in kWh and power in W (negative demand = exporting); an ESME's missing
UnitOfMeasure counts as its ZCL default, kWh; a kvar/kvarh unit fills the
reactive fields instead of the active ones.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from .metering import (
    MeteringAttr,
    MeteringDeviceType,
    MeterStatus,
    SupplyStatus,
    UnitOfMeasure,
    _DisplayHints,
    _in,
    _scaling,
    _tier_number,
    _tiers,
    decode_meter_status,
)
from .scaling import NumberFormatting, _display_digits, decode_formatting
from .values import _enum

#: Metering attributes :func:`decode_electricity` reads (tiers 1-4 only; add
#: ``0x0100 + 2 * (n - 1)`` / ``+ 1`` for more).
ELECTRICITY_ATTRIBUTES: tuple[int, ...] = (
    *(0x0000, 0x0001, 0x0014, 0x0020),
    *range(0x0100, 0x0108),
    *(0x0200, 0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0x0305, 0x0306),
    *range(0x0400, 0x0405),
)


_KW_TO_W = Decimal(1000)


@dataclass(frozen=True, slots=True)
class ElectricityReading(_DisplayHints):
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
    """Decode an ESME's Metering attributes (see the model's rules)."""
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
