"""The Metering cluster (0x0702): attributes, units, device types and status.

What the electricity and gas readings share: the attribute ids, UnitOfMeasure
(bit 7 set: the values are BCD), MeteringDeviceType (mirrored = base + 127),
SupplyStatus, the Status bitmap per device type, and the scaling of a raw
register by Multiplier and Divisor into a unit.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext
from enum import IntEnum

from .scaling import _PRECISION, NumberFormatting, _display_digits, scale
from .values import _bitmap, bcd_to_int, valid_int, valid_uint


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


class _DisplayHints:
    """The display hints a Metering reading carries, as digits to show.

    A reading declares its ``*_formatting`` fields itself (last, with their
    defaults: its constructor is its own); this adds what they mean. The
    digits are those right of the point an In-Home Display shows (None: no
    hint), in the meter's unit (kW for an electricity meter's demand).
    """

    __slots__ = ()

    summation_formatting: NumberFormatting | None
    demand_formatting: NumberFormatting | None

    @property
    def summation_digits(self) -> int | None:
        """Digits right of the point the meter shows its registers with."""
        return _display_digits(self.summation_formatting)

    @property
    def demand_digits(self) -> int | None:
        """Digits right of the point the meter shows its demand with."""
        return _display_digits(self.demand_formatting)


_MAX_TIERS = 48


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
