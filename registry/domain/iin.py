"""The Kazakh individual identification number (IIN, ЖСН): 12 digits, the last a check digit.

Digits 1–6 are the date of birth (YYMMDD); digit 7 gives the century (and sex): 1–2 born in
the 1800s, 3–4 in the 1900s, 5–6 in the 2000s. Check digit: the first 11 digits weighted 1…11, sum mod 11; if that gives 10, weights
3…11, 1, 2, sum mod 11; 10 again means the number is invalid (SPEC R5).
"""

from __future__ import annotations

from datetime import date

from .errors import InvalidInput

_FIRST_WEIGHTS = tuple(range(1, 12))
_SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def iin_check_digit(first_eleven: str) -> int | None:
    """The check digit for 11 digits, or ``None`` when no digit can make them valid."""
    digits = [int(c) for c in first_eleven]
    check = sum(w * d for w, d in zip(_FIRST_WEIGHTS, digits, strict=True)) % 11
    if check == 10:
        check = sum(w * d for w, d in zip(_SECOND_WEIGHTS, digits, strict=True)) % 11
    return None if check == 10 else check


_CENTURIES = {"1": 1800, "2": 1800, "3": 1900, "4": 1900, "5": 2000, "6": 2000}


def birth_date(value: str) -> date | None:
    """The date of birth an IIN encodes, or ``None`` for an impossible date or century."""
    century = _CENTURIES.get(value[6:7])
    if century is None or len(value) < 7 or not value[:6].isdigit():
        return None
    try:
        return date(century + int(value[:2]), int(value[2:4]), int(value[4:6]))
    except ValueError:
        return None


def has_valid_check_digit(value: str) -> bool:
    if len(value) != 12 or not value.isascii() or not value.isdigit():
        return False
    return iin_check_digit(value[:11]) == int(value[11])


def is_valid_iin(value: str) -> bool:
    return has_valid_check_digit(value) and birth_date(value) is not None


def validate_iin(value: str) -> str:
    """The IIN with surrounding spaces removed, or :class:`InvalidInput` saying what is wrong."""
    iin = value.strip()
    if len(iin) != 12 or not iin.isascii() or not iin.isdigit():
        raise InvalidInput(f"An IIN has exactly 12 digits; got {value!r}.", field="iin")
    if birth_date(iin) is None:
        raise InvalidInput(
            f"IIN {iin} does not begin with a date of birth (YYMMDD) and a century digit "
            "(1–6): please re-type it from the identity document.",
            field="iin",
        )
    if not has_valid_check_digit(iin):
        raise InvalidInput(
            f"IIN {iin} fails its check digit: please re-type it from the identity document.",
            field="iin",
        )
    return iin
