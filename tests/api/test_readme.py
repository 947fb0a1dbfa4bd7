"""The README's GraphQL examples are checked against the schema, so the docs cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from graphql import parse, validate

from registry.api.schema import schema

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCKS = re.findall(r"```graphql\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def test_the_readme_has_a_walk_through() -> None:
    assert len(BLOCKS) >= 8


@pytest.mark.parametrize("block", BLOCKS, ids=[b.split("{")[0].strip() for b in BLOCKS])
def test_every_graphql_example_is_valid(block: str) -> None:
    errors = validate(schema._schema, parse(block))
    assert not errors, errors


def test_every_error_code_is_documented() -> None:
    from registry.api.errors import INTERNAL, QueryTooComplex
    from registry.domain.errors import ALL_CODES
    from registry.web.ratelimit import RATE_LIMITED

    text = README.read_text(encoding="utf-8")
    codes = [*ALL_CODES, QueryTooComplex.code, RATE_LIMITED, INTERNAL]
    missing = [code for code in codes if f"`{code}`" not in text]
    assert not missing
