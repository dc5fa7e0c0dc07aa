"""Tests for UTRN validation and masking."""

import pytest

from custom_components.smets.han.errors import HanError
from custom_components.smets.han.utrn import (
    UTRN_LENGTH,
    InvalidUTRN,
    mask_utrn,
    normalise_utrn,
    validate_utrn,
)

DIGITS = "12345678901234567890"


@pytest.mark.parametrize(
    "text",
    [
        DIGITS,
        "1234 5678 9012 3456 7890",
        "1234-5678-9012-3456-7890",
        "  1234 - 5678\t9012\n3456 7890  ",
        "1234\u20135678\u20149012\u20103456 7890",
    ],
)
def test_normalise_accepts_digits_with_separators(text: str) -> None:
    assert normalise_utrn(text) == DIGITS
    assert validate_utrn(text) == DIGITS


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("  - -  ", "empty"),
        ("1234", "only 4"),
        (DIGITS[:-1], "only 19"),
        (DIGITS + "1", "21, too many"),
        ("1234 5678 9012 3456 789O", "'O'"),
        ("1234.5678.9012.3456.7890", r"'\.'"),
        ("١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨٩٠", "only digits"),
        ("+12345678901234567890", r"'\+'"),
    ],
)
def test_normalise_refuses_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(InvalidUTRN, match=message):
        normalise_utrn(text)


def test_non_text_is_refused() -> None:
    with pytest.raises(InvalidUTRN, match="must be text, not int"):
        normalise_utrn(12345678901234567890)


def test_invalid_utrn_is_a_value_error_and_a_han_error() -> None:
    assert issubclass(InvalidUTRN, ValueError)
    assert issubclass(InvalidUTRN, HanError)
    assert UTRN_LENGTH == 20


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (DIGITS, "**** **** **** **** 7890"),
        ("1234 5678 9012 3456 0042", "**** **** **** **** 0042"),
        ("12", "**** **** **** **** ****"),
        ("", "**** **** **** **** ****"),
        ("abcd1234x", "**** **** **** **** 1234"),
    ],
)
def test_mask_shows_only_the_last_four_digits(text: str, masked: str) -> None:
    assert mask_utrn(text) == masked
    assert DIGITS[:16] not in mask_utrn(text)
