"""Formatting hints, Multiplier / Divisor scaling, trailing digits and money.

A formatting bitmap (bits 0-2 digits right of the point, 3-6 left, 7 suppress
leading zeros) says how an In-Home Display shows a value, never what it is.
:func:`money` is the one conversion every money value goes through: a raw
amount in the currency's minor unit with ``trailing`` digits after the point.
"""

from dataclasses import dataclass
from decimal import Decimal, localcontext

from .values import _as_int, _bitmap, valid_uint


@dataclass(frozen=True, slots=True)
class NumberFormatting:
    """A Summation / Demand / Historical formatting bitmap (map8).

    A display hint: how many digits an In-Home Display shows on each side of
    the point. It never changes a value (see the model's rules).
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
