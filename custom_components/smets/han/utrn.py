"""UTRN: the 20-digit top-up code of a GB Pay-As-You-Go (prepayment) meter.

A UTRN (Unique Transaction Reference Number) is what a prepayment customer is
given when they buy credit; entered on the meter or an IHD / PPMID (or sent as
``ConsumerTopUp.top_up_code`` on the HAN) it adds the credit. It is printed in
groups, so spaces and dashes are accepted and removed; anything else is refused.
A UTRN is a bearer token until used: log it only through :func:`mask_utrn`.
"""

import re

from .errors import HanError

__all__ = [
    "UTRN_LENGTH",
    "InvalidUTRN",
    "mask_utrn",
    "normalise_utrn",
    "validate_utrn",
]

#: Digits in a UTRN.
UTRN_LENGTH = 20

_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]+")


class InvalidUTRN(HanError, ValueError):  # noqa: N818 (the name the API promises)
    """The text is not a 20-digit UTRN; the message says why."""


def normalise_utrn(text: object) -> str:
    """Return the 20 digits of a UTRN, separators removed.

    Spaces (any whitespace) and dashes (ASCII or typographic) may separate the
    digits. Raise :class:`InvalidUTRN` when it is empty, holds anything but
    digits and separators, or has other than 20 digits.
    """
    if not isinstance(text, str):
        raise InvalidUTRN(f"a UTRN must be text, not {type(text).__name__}")
    compact = _SEPARATORS.sub("", text)
    if not compact:
        raise InvalidUTRN("the UTRN is empty")
    bad = sorted({char for char in compact if not ("0" <= char <= "9")})
    if bad:
        shown = ", ".join(repr(char) for char in bad)
        raise InvalidUTRN(f"a UTRN holds only digits, spaces and dashes, not {shown}")
    if len(compact) < UTRN_LENGTH:
        raise InvalidUTRN(
            f"a UTRN has {UTRN_LENGTH} digits; this has only {len(compact)}"
        )
    if len(compact) > UTRN_LENGTH:
        raise InvalidUTRN(
            f"a UTRN has {UTRN_LENGTH} digits; this has {len(compact)}, too many"
        )
    return compact


#: The same function under the name the HA layer may look for.
validate_utrn = normalise_utrn


def mask_utrn(utrn: str) -> str:
    """Show only the last 4 digits: ``**** **** **** **** 1234``.

    Works on any text (separators ignored) so it is safe in error paths: an
    input with fewer than 4 digits shows none of them.
    """
    digits = [char for char in str(utrn) if "0" <= char <= "9"]
    last = "".join(digits[-4:]) if len(digits) >= 4 else "****"
    return "**** **** **** **** " + last
