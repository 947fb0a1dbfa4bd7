"""R5: the IIN — its date of birth, century digit and check digit."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.domain.errors import InvalidInput
from registry.domain.iin import birth_date, has_valid_check_digit, is_valid_iin, validate_iin

CENTURY = {1800: "12", 1900: "34", 2000: "56"}


@st.composite
def valid_prefixes(draw: st.DrawFn) -> str:
    """Eleven digits that begin as a real IIN does: a date of birth and its century digit."""
    born = draw(st.dates(min_value=date(1800, 1, 1), max_value=date(2099, 12, 31)))
    century = draw(st.sampled_from(CENTURY[born.year // 100 * 100]))
    serial = draw(st.text(alphabet="0123456789", min_size=4, max_size=4))
    return f"{born:%y%m%d}{century}{serial}"


eleven_digits = st.text(alphabet="0123456789", min_size=11, max_size=11)


def reference_check(first: str) -> int | None:
    d = [int(c) for c in first]
    c = sum((i + 1) * d[i] for i in range(11)) % 11
    if c == 10:
        weights = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]
        c = sum(weights[i] * d[i] for i in range(11)) % 11
    return None if c == 10 else c


@given(eleven_digits)
def test_exactly_one_check_digit_makes_the_digits_check(first: str) -> None:
    expected = reference_check(first)
    valid = [digit for digit in range(10) if has_valid_check_digit(f"{first}{digit}")]
    assert valid == ([] if expected is None else [expected])


@given(valid_prefixes())
def test_a_real_date_of_birth_with_its_check_digit_is_an_iin(first: str) -> None:
    expected = reference_check(first)
    valid = [digit for digit in range(10) if is_valid_iin(f"{first}{digit}")]
    assert valid == ([] if expected is None else [expected])
    if expected is not None:
        assert validate_iin(f"{first}{expected}") == f"{first}{expected}"
        born = birth_date(first)
        assert born is not None and f"{born:%y%m%d}" == first[:6]


@pytest.mark.parametrize("iin", ["900101300007", " 900101300007 "])
def test_known_valid_iins(iin: str) -> None:
    assert validate_iin(iin) == iin.strip()
    assert birth_date(iin.strip()) == date(1990, 1, 1)


def with_check_digit(first: str) -> str:
    digit = reference_check(first)
    assert digit is not None, first
    return f"{first}{digit}"


@pytest.mark.parametrize("first", [
    "90130130000",  # month 13
    "90023030000",  # 30 February
    "01022930000",  # 29 February 1901 (not a leap year)
    "90010100000",  # century digit 0
    "90010170000",  # century digit 7
    "00000000000",  # no date at all
])
def test_an_impossible_date_of_birth_or_century_is_refused(first: str) -> None:
    iin = with_check_digit(first) if reference_check(first) is not None else f"{first}0"
    with pytest.raises(InvalidInput, match="date of birth"):
        validate_iin(iin)
    assert not is_valid_iin(iin)


def test_29_february_of_a_leap_year_is_a_date_of_birth() -> None:
    iin = with_check_digit("00022950000")
    assert birth_date(iin) == date(2000, 2, 29)
    assert validate_iin(iin) == iin


@given(valid_prefixes(), st.integers(min_value=0, max_value=9))
def test_a_changed_check_digit_is_refused(first: str, digit: int) -> None:
    iin = f"{first}{digit}"
    if reference_check(first) != digit:
        with pytest.raises(InvalidInput, match="check digit"):
            validate_iin(iin)


@pytest.mark.parametrize("bad", ["", "12345", "1234567890123", "12345678901a", "١٢٣٤٥٦٧٨٩٠١٢"])
def test_not_twelve_ascii_digits_is_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        validate_iin(bad)
