"""R5: the IIN's check digit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.domain.errors import InvalidInput
from registry.domain.iin import is_valid_iin, validate_iin

eleven_digits = st.text(alphabet="0123456789", min_size=11, max_size=11)


def reference_check(first: str) -> int | None:
    d = [int(c) for c in first]
    c = sum((i + 1) * d[i] for i in range(11)) % 11
    if c == 10:
        weights = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]
        c = sum(weights[i] * d[i] for i in range(11)) % 11
    return None if c == 10 else c


@given(eleven_digits)
def test_exactly_one_check_digit_makes_an_iin_valid(first: str) -> None:
    expected = reference_check(first)
    valid = [digit for digit in range(10) if is_valid_iin(f"{first}{digit}")]
    assert valid == ([] if expected is None else [expected])


@pytest.mark.parametrize("iin", ["000000000000", "900101300007"])
def test_known_valid_iins(iin: str) -> None:
    assert validate_iin(iin) == iin


@given(eleven_digits, st.integers(min_value=0, max_value=9))
def test_a_changed_check_digit_is_refused(first: str, digit: int) -> None:
    iin = f"{first}{digit}"
    if reference_check(first) != digit:
        with pytest.raises(InvalidInput, match="check digit"):
            validate_iin(iin)


@pytest.mark.parametrize("bad", ["", "12345", "1234567890123", "12345678901a", "١٢٣٤٥٦٧٨٩٠١٢"])
def test_not_twelve_ascii_digits_is_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        validate_iin(bad)
