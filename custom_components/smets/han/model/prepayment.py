"""The Prepayment cluster (0x0705): credit, debt, top-ups, snapshots, cost consumption.

Amounts use the digits right of the point of the prepayment formatting
attribute (0x0500), else the price trailing digit the caller passes, else 0.
A top-up's result code is refined by the GBCS alert the meter raises with a
refusal.
"""

from collections.abc import Mapping
from dataclasses import dataclass
import datetime as dt
from decimal import Decimal
from enum import IntEnum, StrEnum
import struct

from .scaling import _CURRENCIES, currency_code, decode_formatting, money
from .values import _as_int, _as_time, _bitmap, _enum, _field, _int32ish, valid_uint


class PrepaymentAttr(IntEnum):
    """Prepayment cluster (0x0705) attributes the decoders read."""

    PAYMENT_CONTROL_CONFIGURATION = 0x0000
    CREDIT_REMAINING = 0x0001
    EMERGENCY_CREDIT_REMAINING = 0x0002
    CREDIT_STATUS = 0x0003
    CREDIT_REMAINING_TIMESTAMP = 0x0004
    ACCUMULATED_DEBT = 0x0005
    OVERALL_DEBT_CAP = 0x0006
    EMERGENCY_CREDIT_LIMIT = 0x0010
    EMERGENCY_CREDIT_THRESHOLD = 0x0011
    TOTAL_CREDIT_ADDED = 0x0020
    MAX_CREDIT_LIMIT = 0x0021
    LOW_CREDIT_WARNING = 0x0031
    CUT_OFF_VALUE = 0x0040
    ALARM_STATUS = 0x0400
    HISTORICAL_COST_CONSUMPTION_FORMATTING = 0x0500
    CURRENCY_SCALING_FACTOR = 0x0502
    CURRENCY = 0x0503


#: Prepayment attributes :func:`decode_prepayment` reads.
PREPAYMENT_ATTRIBUTES: tuple[int, ...] = tuple(PrepaymentAttr)


class TopUpResultCode(IntEnum):
    """Prepayment ConsumerTopUpResponse result_type."""

    ACCEPTED = 0x00
    REJECTED_INVALID_TOP_UP = 0x01
    REJECTED_DUPLICATE_TOP_UP = 0x02
    REJECTED_ERROR = 0x03
    REJECTED_MAX_CREDIT_REACHED = 0x04
    REJECTED_KEYPAD_LOCK = 0x05
    REJECTED_TOP_UP_VALUE_TOO_LARGE = 0x06
    ACCEPTED_SUPPLY_ENABLED = 0x10
    ACCEPTED_SUPPLY_DISABLED = 0x11
    ACCEPTED_SUPPLY_ARMED = 0x12

    @property
    def accepted(self) -> bool:
        """The meter took the credit."""
        return self in _ACCEPTED_CODES


_ACCEPTED_CODES = frozenset(
    {
        TopUpResultCode.ACCEPTED,
        TopUpResultCode.ACCEPTED_SUPPLY_ENABLED,
        TopUpResultCode.ACCEPTED_SUPPLY_DISABLED,
        TopUpResultCode.ACCEPTED_SUPPLY_ARMED,
    }
)


class TopUpReason(StrEnum):
    """Why a top-up was accepted or refused: a stable key to translate.

    From the ZSE result code, refined by the GBCS alert the meter raises with a
    refusal (see :func:`top_up_reason_from_alert`).
    """

    ACCEPTED = "accepted"
    ACCEPTED_SUPPLY_ENABLED = "accepted_supply_enabled"
    ACCEPTED_SUPPLY_DISABLED = "accepted_supply_disabled"
    ACCEPTED_SUPPLY_ARMED = "accepted_supply_armed"
    INVALID = "invalid"
    DUPLICATE = "duplicate"
    ERROR = "error"
    MAX_CREDIT_REACHED = "max_credit_reached"
    KEYPAD_LOCK = "keypad_lock"
    VALUE_TOO_LARGE = "value_too_large"
    NOT_AUTHENTIC = "not_authentic"
    NOT_FOR_THIS_METER = "not_for_this_meter"
    UNKNOWN = "unknown"


_REASON_BY_CODE = {
    TopUpResultCode.ACCEPTED: TopUpReason.ACCEPTED,
    TopUpResultCode.REJECTED_INVALID_TOP_UP: TopUpReason.INVALID,
    TopUpResultCode.REJECTED_DUPLICATE_TOP_UP: TopUpReason.DUPLICATE,
    TopUpResultCode.REJECTED_ERROR: TopUpReason.ERROR,
    TopUpResultCode.REJECTED_MAX_CREDIT_REACHED: TopUpReason.MAX_CREDIT_REACHED,
    TopUpResultCode.REJECTED_KEYPAD_LOCK: TopUpReason.KEYPAD_LOCK,
    TopUpResultCode.REJECTED_TOP_UP_VALUE_TOO_LARGE: TopUpReason.VALUE_TOO_LARGE,
    TopUpResultCode.ACCEPTED_SUPPLY_ENABLED: TopUpReason.ACCEPTED_SUPPLY_ENABLED,
    TopUpResultCode.ACCEPTED_SUPPLY_DISABLED: TopUpReason.ACCEPTED_SUPPLY_DISABLED,
    TopUpResultCode.ACCEPTED_SUPPLY_ARMED: TopUpReason.ACCEPTED_SUPPLY_ARMED,
}

#: GBCS alert raised with a refused UTRN -> the reason it names.
_REASON_BY_ALERT = {
    0x8F63: TopUpReason.NOT_AUTHENTIC,  # UTRN not Authentic
    0x8F64: TopUpReason.NOT_FOR_THIS_METER,  # UTRN not for this Device
    0x8F51: TopUpReason.DUPLICATE,  # Duplicate UTRN entered
    0x8F5B: TopUpReason.VALUE_TOO_LARGE,  # UTRN exceeds Maximum Credit Threshold
    0x8F47: TopUpReason.MAX_CREDIT_REACHED,  # would exceed Maximum Meter Balance
    0x81C4: TopUpReason.KEYPAD_LOCK,  # UTRN Manual Entry Suspended
    0x81C5: TopUpReason.KEYPAD_LOCK,  # UTRN rejected as locked out
}


def top_up_reason_from_alert(code: object) -> TopUpReason | None:
    """Return the refusal reason a GBCS alert names, None for other alerts.

    0x8F63 -> not_authentic, 0x8F64 -> not_for_this_meter, 0x8F51 -> duplicate,
    0x8F5B -> value_too_large, 0x8F47 -> max_credit_reached, 0x81C4 / 0x81C5 ->
    keypad_lock (manual UTRN entry suspended / locked out).
    """
    value = _as_int(code)
    return _REASON_BY_ALERT.get(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class CreditStatus:
    """Prepayment CreditStatus (0x0003) bits.

    0x01 credit OK, 0x02 low credit, 0x04 emergency credit (EC) enabled, 0x08
    EC available, 0x10 EC selected, 0x20 EC in use, 0x40 exhausted (EC
    exhausted per HAN-NOTES; ZSE names it "Credit Exhausted").
    """

    raw: int
    credit_ok: bool
    low_credit: bool
    emergency_credit_enabled: bool
    emergency_credit_available: bool
    emergency_credit_selected: bool
    emergency_credit_in_use: bool
    emergency_credit_exhausted: bool


def decode_credit_status(raw: object) -> CreditStatus | None:
    """Decode the CreditStatus bitmap."""
    value = _bitmap(raw, 8)
    if value is None:
        return None
    return CreditStatus(
        raw=value,
        credit_ok=bool(value & 0x01),
        low_credit=bool(value & 0x02),
        emergency_credit_enabled=bool(value & 0x04),
        emergency_credit_available=bool(value & 0x08),
        emergency_credit_selected=bool(value & 0x10),
        emergency_credit_in_use=bool(value & 0x20),
        emergency_credit_exhausted=bool(value & 0x40),
    )


@dataclass(frozen=True, slots=True)
class PaymentControl:
    """Prepayment PaymentControlConfiguration (0x0000, map16) bits.

    Bit 0 disconnection enabled, 1 prepayment enabled (the meter runs in
    prepayment / Pay-As-You-Go mode: what ``prepayment_mode`` uses), 2 credit
    management enabled, 4 credit display enabled, 6 account base, 7 contactor
    fitted.
    """

    raw: int
    disconnection_enabled: bool
    prepayment_enabled: bool
    credit_management_enabled: bool
    credit_display_enabled: bool
    account_base: bool
    contactor_fitted: bool


def decode_payment_control(raw: object) -> PaymentControl | None:
    """Decode the PaymentControlConfiguration bitmap."""
    value = _bitmap(raw, 16)
    if value is None:
        return None
    return PaymentControl(
        raw=value,
        disconnection_enabled=bool(value & 0x0001),
        prepayment_enabled=bool(value & 0x0002),
        credit_management_enabled=bool(value & 0x0004),
        credit_display_enabled=bool(value & 0x0010),
        account_base=bool(value & 0x0040),
        contactor_fitted=bool(value & 0x0080),
    )


@dataclass(frozen=True, slots=True)
class PrepaymentInfo:
    """A prepayment (Pay-As-You-Go) meter's credit, in major currency units."""

    payment_control: PaymentControl | None
    credit_remaining: Decimal | None
    emergency_credit_remaining: Decimal | None
    credit_status: CreditStatus | None
    credit_remaining_time: dt.datetime | None
    accumulated_debt: Decimal | None
    overall_debt_cap: Decimal | None
    emergency_credit_limit: Decimal | None
    emergency_credit_threshold: Decimal | None
    total_credit_added: Decimal | None
    max_credit_limit: Decimal | None
    low_credit_warning_level: Decimal | None
    cut_off_value: Decimal | None
    alarm_status: int | None
    currency: int | None
    trailing_digits: int

    @property
    def prepayment_mode(self) -> bool | None:
        """PaymentControlConfiguration bit 1 "Prepayment Enabled"."""
        control = self.payment_control
        return control.prepayment_enabled if control is not None else None

    @property
    def currency_code(self) -> str | None:
        """ISO 4217 alphabetic code (``GBP``)."""
        return currency_code(self.currency)


def _prepayment_currency(attrs: Mapping[int, object]) -> int | None:
    """Currency 0x0503; 0x0502 only if it holds a known ISO 4217 code.

    ZSE puts CurrencyScalingFactor (an enum 0-12) at 0x0502 and Currency at
    0x0503; some notes put Currency at 0x0502, so a currency code found there
    is accepted too.
    """
    currency = _bitmap(attrs.get(PrepaymentAttr.CURRENCY), 16)
    if currency is None:
        candidate = _bitmap(attrs.get(PrepaymentAttr.CURRENCY_SCALING_FACTOR), 16)
        currency = candidate if candidate in _CURRENCIES else None
    return currency


def decode_prepayment(
    attrs: Mapping[int, object], *, price_trailing_digit: int | None = None
) -> PrepaymentInfo:
    """Decode Prepayment cluster attributes (see :func:`money` for the scale).

    Trailing digits: the digits right of the point of 0x0500, else
    ``price_trailing_digit``, else 0.
    """
    formatting = decode_formatting(
        attrs.get(PrepaymentAttr.HISTORICAL_COST_CONSUMPTION_FORMATTING)
    )
    digits = (
        formatting.digits_right
        if formatting is not None
        else (price_trailing_digit or 0)
    )
    currency = _prepayment_currency(attrs)

    def signed(attr: PrepaymentAttr) -> Decimal | None:
        return money(_int32ish(attrs.get(attr)), digits, currency)

    def unsigned(attr: PrepaymentAttr, bits: int = 32) -> Decimal | None:
        return money(valid_uint(attrs.get(attr), bits), digits, currency)

    return PrepaymentInfo(
        payment_control=decode_payment_control(
            attrs.get(PrepaymentAttr.PAYMENT_CONTROL_CONFIGURATION)
        ),
        credit_remaining=signed(PrepaymentAttr.CREDIT_REMAINING),
        emergency_credit_remaining=signed(PrepaymentAttr.EMERGENCY_CREDIT_REMAINING),
        credit_status=decode_credit_status(attrs.get(PrepaymentAttr.CREDIT_STATUS)),
        credit_remaining_time=_as_time(
            attrs.get(PrepaymentAttr.CREDIT_REMAINING_TIMESTAMP)
        ),
        accumulated_debt=signed(PrepaymentAttr.ACCUMULATED_DEBT),
        overall_debt_cap=signed(PrepaymentAttr.OVERALL_DEBT_CAP),
        emergency_credit_limit=unsigned(PrepaymentAttr.EMERGENCY_CREDIT_LIMIT),
        emergency_credit_threshold=unsigned(PrepaymentAttr.EMERGENCY_CREDIT_THRESHOLD),
        total_credit_added=unsigned(PrepaymentAttr.TOTAL_CREDIT_ADDED, 48),
        max_credit_limit=unsigned(PrepaymentAttr.MAX_CREDIT_LIMIT),
        low_credit_warning_level=unsigned(PrepaymentAttr.LOW_CREDIT_WARNING),
        cut_off_value=signed(PrepaymentAttr.CUT_OFF_VALUE),
        alarm_status=_bitmap(attrs.get(PrepaymentAttr.ALARM_STATUS), 16),
        currency=currency,
        trailing_digits=digits,
    )


#: Historical Cost Consumption (Prepayment 0x0705), delivered: today at
#: 0x051C and previous day N at ``0x051C + 2 * N`` (N = 1..8); this week at
#: 0x0530, previous week N at ``0x0530 + 2 * N`` (1..5); this month at 0x0540,
#: previous month N at ``0x0540 + 2 * N`` (1..13). Each a uint48 of money.
COST_DAY_ATTRIBUTES: tuple[int, ...] = tuple(0x051C + 2 * n for n in range(9))
COST_WEEK_ATTRIBUTES: tuple[int, ...] = tuple(0x0530 + 2 * n for n in range(6))
COST_MONTH_ATTRIBUTES: tuple[int, ...] = tuple(0x0540 + 2 * n for n in range(14))
#: What the regular poll reads: today, yesterday, this week, this month.
COST_CONSUMPTION_ATTRIBUTES: tuple[int, ...] = (0x051C, 0x051E, 0x0530, 0x0540)


@dataclass(frozen=True, slots=True)
class CostConsumption:
    """What the meter says its consumption cost, per day, week and month.

    The Prepayment cluster's Historical Cost Consumption set, in major
    currency units with every digit the meter sent. GBCS (10.4.2.8) has the
    GSME push "the total cost of consumption today" each half hour and the
    GPF mirror it into this set; it is the energy's cost: the standing charge
    is a separate daily charge and not in it. ``days[0]`` is today,
    ``days[n]`` n days back (None: not published or invalid); ``weeks`` and
    ``months`` the same for weeks and months.
    """

    days: tuple[Decimal | None, ...]
    weeks: tuple[Decimal | None, ...]
    months: tuple[Decimal | None, ...]
    currency: int | None
    trailing_digits: int

    @property
    def today(self) -> Decimal | None:
        """The consumption cost since midnight."""
        return self.days[0]

    @property
    def yesterday(self) -> Decimal | None:
        """The consumption cost of the day before."""
        return self.days[1]

    @property
    def this_week(self) -> Decimal | None:
        """The consumption cost of the week so far."""
        return self.weeks[0]

    @property
    def this_month(self) -> Decimal | None:
        """The consumption cost of the month so far."""
        return self.months[0]

    @property
    def currency_code(self) -> str | None:
        """ISO 4217 alphabetic code (``GBP``)."""
        return currency_code(self.currency)

    def day(self, back: int) -> Decimal | None:
        """Return the consumption cost ``back`` days ago (0 today); None if unknown."""
        return self.days[back] if 0 <= back < len(self.days) else None


def decode_cost_consumption(
    attrs: Mapping[int, object], *, price_trailing_digit: int | None = None
) -> CostConsumption:
    """Decode the Historical Cost Consumption attributes (see :func:`money`).

    Trailing digits and currency as :func:`decode_prepayment` takes them:
    the digits right of the point of HistoricalCostConsumptionFormatting
    (0x0500), which ZSE says is the format of exactly these attributes, else
    ``price_trailing_digit``, else 0; Currency 0x0503. An all-ones value
    (0xFFFFFFFFFFFF) is "not available": None.
    """
    formatting = decode_formatting(
        attrs.get(PrepaymentAttr.HISTORICAL_COST_CONSUMPTION_FORMATTING)
    )
    digits = (
        formatting.digits_right
        if formatting is not None
        else (price_trailing_digit or 0)
    )
    currency = _prepayment_currency(attrs)

    def costs(ids: tuple[int, ...]) -> tuple[Decimal | None, ...]:
        return tuple(money(valid_uint(attrs.get(a), 48), digits, currency) for a in ids)

    return CostConsumption(
        days=costs(COST_DAY_ATTRIBUTES),
        weeks=costs(COST_WEEK_ATTRIBUTES),
        months=costs(COST_MONTH_ATTRIBUTES),
        currency=currency,
        trailing_digits=digits,
    )


@dataclass(frozen=True, slots=True)
class TopUpResult:
    """A ConsumerTopUpResponse: what the meter did with a UTRN.

    ``reason`` is a stable key; a refusal's generic ``invalid`` is refined by
    the GBCS alert raised with it (:func:`top_up_reason_from_alert`).
    """

    result_code: TopUpResultCode | None
    result_raw: int
    accepted: bool
    reason: TopUpReason
    value: Decimal | None
    source: int | None
    credit_remaining: Decimal | None
    currency: int | None

    def with_alert(self, alert_code: object) -> TopUpResult:
        """Return a copy with the reason a GBCS alert names (refusals only)."""
        refined = top_up_reason_from_alert(alert_code)
        if self.accepted or refined is None:
            return self
        return TopUpResult(
            result_code=self.result_code,
            result_raw=self.result_raw,
            accepted=False,
            reason=refined,
            value=self.value,
            source=self.source,
            credit_remaining=self.credit_remaining,
            currency=self.currency,
        )


def parse_top_up_response(
    fields: Mapping[str, object],
    *,
    trailing: int | None = 0,
    currency: int | None = 826,
    alert_code: int | None = None,
) -> TopUpResult | None:
    """Decode ConsumerTopUpResponse (Prepayment, server -> client 0x03).

    Fields: result_type (enum8), top_up_value (int32), source_of_top_up
    (enum8), credit_remaining (int32). None if result_type is not an enum8.
    Result codes: 0x00 accepted; 0x01 rejected-invalid top up; 0x02
    rejected-duplicate; 0x03 rejected-error; 0x04 rejected-max credit reached;
    0x05 rejected-keypad lock; 0x06 rejected-top up value too large; 0x10 /
    0x11 / 0x12 accepted with supply enabled / disabled / armed; any other is
    a refusal with reason ``unknown``.
    """
    result_raw = _bitmap(_field(fields, "result_type", "result"), 8)
    if result_raw is None:
        return None
    code = _enum(TopUpResultCode, result_raw)
    result = TopUpResult(
        result_code=code,
        result_raw=result_raw,
        accepted=code is not None and code.accepted,
        reason=_REASON_BY_CODE[code] if code is not None else TopUpReason.UNKNOWN,
        value=money(
            _int32ish(_field(fields, "top_up_value", "value")), trailing, currency
        ),
        source=_bitmap(_field(fields, "source_of_top_up", "source"), 8),
        credit_remaining=money(
            _int32ish(fields.get("credit_remaining")), trailing, currency
        ),
        currency=currency,
    )
    return result.with_alert(alert_code) if alert_code is not None else result


@dataclass(frozen=True, slots=True)
class PrepaySnapshotEvent:
    """A PublishPrepaySnapshot (payload type 0, Debt/Credit status)."""

    snapshot_id: int
    snapshot_time: dt.datetime | None
    total_snapshots_found: int | None
    command_index: int | None
    total_number_of_commands: int | None
    cause: int | None
    payload_type: int | None
    accumulated_debt: Decimal | None
    type1_debt_remaining: Decimal | None
    type2_debt_remaining: Decimal | None
    type3_debt_remaining: Decimal | None
    emergency_credit_remaining: Decimal | None
    credit_remaining: Decimal | None
    currency: int | None


_DEBT_CREDIT_KEYS = (
    "accumulated_debt",
    "type1_debt_remaining",
    "type2_debt_remaining",
    "type3_debt_remaining",
    "emergency_credit_remaining",
    "credit_remaining",
)
_DEBT_CREDIT = struct.Struct("<iIIIii")


def _debt_credit_payload(payload: object) -> dict[str, object]:
    if isinstance(payload, Mapping):
        return {key: payload.get(key) for key in _DEBT_CREDIT_KEYS}
    data = bytes(payload) if isinstance(payload, bytes | bytearray) else b""
    if len(data) < _DEBT_CREDIT.size:
        return {}
    return dict(zip(_DEBT_CREDIT_KEYS, _DEBT_CREDIT.unpack_from(data), strict=True))


def parse_prepay_snapshot(
    fields: Mapping[str, object],
    *,
    trailing: int | None = 0,
    currency: int | None = 826,
) -> PrepaySnapshotEvent | None:
    """Decode PublishPrepaySnapshot (Prepayment, server -> client 0x01).

    Fields: snapshot_id, snapshot_time, total_snapshots_found, command_index,
    total_number_of_commands, snapshot_cause, snapshot_payload_type,
    snapshot_payload. Payload type 0 (Debt/Credit status) is six little-endian
    values: accumulated_debt int32, type 1-3 debt remaining uint32,
    emergency_credit_remaining int32, credit_remaining int32 -- as bytes or a
    mapping with those names. None if snapshot_id is not a uint32.
    """
    snapshot_id = _bitmap(fields.get("snapshot_id"), 32)
    if snapshot_id is None:
        return None
    payload_type = _bitmap(fields.get("snapshot_payload_type"), 8)
    payload = (
        _debt_credit_payload(fields.get("snapshot_payload"))
        if payload_type == 0
        else {}
    )

    def signed(key: str) -> Decimal | None:
        return money(_int32ish(payload.get(key)), trailing, currency)

    def unsigned(key: str) -> Decimal | None:
        return money(valid_uint(payload.get(key), 32), trailing, currency)

    return PrepaySnapshotEvent(
        snapshot_id=snapshot_id,
        snapshot_time=_as_time(fields.get("snapshot_time")),
        total_snapshots_found=_bitmap(fields.get("total_snapshots_found"), 8),
        command_index=_bitmap(fields.get("command_index"), 8),
        total_number_of_commands=_bitmap(fields.get("total_number_of_commands"), 8),
        cause=_bitmap(fields.get("snapshot_cause"), 32),
        payload_type=payload_type,
        accumulated_debt=signed("accumulated_debt"),
        type1_debt_remaining=unsigned("type1_debt_remaining"),
        type2_debt_remaining=unsigned("type2_debt_remaining"),
        type3_debt_remaining=unsigned("type3_debt_remaining"),
        emergency_credit_remaining=signed("emergency_credit_remaining"),
        credit_remaining=signed("credit_remaining"),
        currency=currency,
    )
