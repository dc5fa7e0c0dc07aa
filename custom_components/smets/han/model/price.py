"""The Price cluster (0x0700): the tariff's attributes and PublishPrice.

Unit prices and the standing charge are money with the price trailing digit
(the top nibble of PriceTrailingDigit 0x0617 or of PublishPrice's
``price_trailing_digit_and_price_tier``). ConversionFactor (0x0302) and
CalorificValue (0x0304) are uint32 with their own trailing digits (0x0303 /
0x0306); CalorificValueUnit (0x0305) missing counts as MJ/m3.
"""

from collections.abc import Mapping
from dataclasses import dataclass
import datetime as dt
from decimal import Decimal
from enum import IntEnum

from .metering import _MAX_TIERS, UnitOfMeasure, _tier_number
from .scaling import _major, currency_code, money, trailing_digits
from .values import _as_int, _as_str, _as_time, _bitmap, _end, _enum, _field, valid_uint


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


#: Price attributes :func:`decode_price` reads (tiers 1-4 only).
PRICE_ATTRIBUTES: tuple[int, ...] = (
    *range(0x0004),
    *range(0x0300, 0x0307),
    *(0x0410, 0x0420, 0x0430, 0x0440, 0x0610, 0x0615, 0x0616, 0x0617),
)


class CalorificValueUnit(IntEnum):
    """Price CalorificValueUnit (0x0305)."""

    MJ_PER_M3 = 0x01
    MJ_PER_KG = 0x02


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
