"""R10: certificate numbers are random, typable and self-checking."""

from __future__ import annotations

import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.domain.certificates import (
    CHECK_SYMBOL_MISMATCH,
    CROCKFORD,
    NUMBER_LENGTH,
    check_number,
    encode_number,
    normalize_number,
    read_number,
)
from registry.domain.errors import InvalidInput

ten_bytes = st.binary(min_size=10, max_size=10)


@given(ten_bytes)
def test_a_number_carries_all_80_random_bits_and_round_trips(raw: bytes) -> None:
    number = encode_number(raw)
    assert len(number) == NUMBER_LENGTH + 1
    value = 0
    for ch in number[:-1]:
        value = value * 32 + CROCKFORD.index(ch)
    assert value == int.from_bytes(raw, "big")
    assert normalize_number(number) == number


@given(ten_bytes)
def test_people_may_type_it_loosely(raw: bytes) -> None:
    number = encode_number(raw)
    typed = "-".join(number[i:i + 4] for i in range(0, len(number), 4)).lower()
    typed = typed.replace("0", "o").replace("1", "l")
    assert normalize_number(typed) == number


@given(ten_bytes, st.integers(min_value=0, max_value=NUMBER_LENGTH - 1), st.sampled_from(CROCKFORD))
def test_a_single_mistyped_symbol_is_caught(raw: bytes, position: int, symbol: str) -> None:
    number = encode_number(raw)
    if number[position] == symbol:
        return
    typo = number[:position] + symbol + number[position + 1:]
    assert normalize_number(typo) is None


def test_numbers_from_the_csprng_do_not_repeat() -> None:
    numbers = {encode_number(secrets.token_bytes(10)) for _ in range(10_000)}
    assert len(numbers) == 10_000


@pytest.mark.parametrize("bad", ["", "ABC", "U" * 17, "!" * 17])
def test_check_number_explains_a_bad_number(bad: str) -> None:
    with pytest.raises(InvalidInput, match="not a certificate number"):
        check_number(bad)


@given(ten_bytes, st.integers(min_value=0, max_value=NUMBER_LENGTH), st.sampled_from(CROCKFORD))
def test_a_mistyped_symbol_is_called_a_typo_of_the_check_symbol(
        raw: bytes, position: int, symbol: str) -> None:
    number = encode_number(raw)
    if number[position] == symbol:
        return
    typo = number[:position] + symbol + number[position + 1:]
    assert read_number(typo) == (None, CHECK_SYMBOL_MISMATCH)
    with pytest.raises(InvalidInput, match="check symbol"):
        check_number(typo)


@pytest.mark.parametrize(("bad", "named"), [("ABC", "has 17 symbols"), ("U" * 17, "'U'"),
                                            ("0" * 16 + "!", "'!'")])
def test_a_number_that_is_not_one_says_why(bad: str, named: str) -> None:
    number, problem = read_number(bad)
    assert number is None and problem is not None and named in str(problem)
