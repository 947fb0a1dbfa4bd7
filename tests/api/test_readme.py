"""The README's GraphQL examples are checked against the schema, so the docs cannot drift."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from graphql import FieldNode, OperationDefinitionNode, OperationType, parse, validate

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
    from registry.api.errors import INTERNAL, AsOfUnsupported, QueryTooComplex
    from registry.domain.errors import ALL_CODES
    from registry.web.ratelimit import RATE_LIMITED

    text = README.read_text(encoding="utf-8")
    codes = [*ALL_CODES, QueryTooComplex.code, AsOfUnsupported.code, RATE_LIMITED, INTERNAL]
    missing = [code for code in codes if f"`{code}`" not in text]
    assert not missing


def _fields(node: Any) -> Iterator[FieldNode]:
    """Every field selected in ``node``, at any depth, fragments' included."""
    for selection in getattr(getattr(node, "selection_set", None), "selections", None) or ():
        if isinstance(selection, FieldNode):
            yield selection
        yield from _fields(selection)


def _operations() -> list[OperationDefinitionNode]:
    return [d for block in BLOCKS for d in parse(block).definitions
            if isinstance(d, OperationDefinitionNode)]


def _has(op: OperationDefinitionNode, name: str, *, args: set[str] = frozenset(),
         within: str | None = None) -> bool:
    """``op`` selects field ``name`` (given at least ``args``; inside field ``within``)."""
    scopes = [op] if within is None else [f for f in _fields(op) if f.name.value == within]
    return any(f.name.value == name and args <= {a.name.value for a in f.arguments or ()}
               for scope in scopes for f in _fields(scope))


# Issue 12: at least one checked example for each screen the read API serves.
SCREENS: dict[str, Callable[[OperationDefinitionNode], bool]] = {
    "staff console: a list with filters, order and pagination":
        lambda op: any(_has(op, name, args={"orderBy"}) and
                       (_has(op, name, args={"first"}) or _has(op, name, args={"last"}))
                       for name in ("learners", "moocs", "enrollments", "certificates")),
    "staff console: the statistics dashboard": lambda op: any(
        isinstance(f, FieldNode) and f.name.value == "statistics"
        for f in op.selection_set.selections),
    "teacher: recording scores": lambda op: _has(op, "recordScore"),
    "teacher: a MOOC's enrolments": lambda op: _has(op, "enrollments", args={"moocCode"}),
    "teacher: Mooc.statistics": lambda op: _has(op, "statistics", within="mooc")
        or _has(op, "statistics", within="moocs"),
    "learner portal: me with certificates and enrollments":
        lambda op: _has(op, "certificates", within="me")
        and _has(op, "enrollments", within="me"),
    "auditor: time travel (asOf)": lambda op: any(
        "asOf" in {a.name.value for a in f.arguments or ()} for f in _fields(op)),
    "auditor: the event feed": lambda op: op.operation is OperationType.QUERY
        and _has(op, "events"),
    "a subscription": lambda op: op.operation is OperationType.SUBSCRIPTION,
}


@pytest.mark.parametrize("screen", SCREENS)
def test_every_screen_has_a_checked_example(screen: str) -> None:
    assert any(SCREENS[screen](op) for op in _operations()), f"no README example: {screen}"
