"""Plain leaves completed inline (registry/api/execution.py) answer exactly as graphql-core's
general path does — data, errors, their paths and null propagation — for any document and any
values, including the ones that make a field fail."""

from __future__ import annotations

import enum
from typing import Any

import strawberry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from registry.api.execution import LeanLeavesExecutionContext


@strawberry.enum
class Colour(enum.Enum):
    RED = "RED"
    GREEN = "GREEN"


@strawberry.type
class Item:
    id: strawberry.ID
    count: int
    maybe: int | None
    ratio: float
    label: str | None
    flag: bool
    colour: Colour
    maybe_colour: Colour | None

    @strawberry.field
    def shout(self, times: int = 1) -> str:
        return (self.label or "") * times

    @strawberry.field
    def child(self) -> Item | None:
        return Item(id=strawberry.ID(f"{self.id}c"), count=self.count + 1, maybe=None,
                    ratio=self.ratio, label=None, flag=not self.flag, colour=self.colour,
                    maybe_colour=None)

    @strawberry.field
    async def later(self) -> int:
        return self.count


ITEMS: list[Item] = []


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return ITEMS

    @strawberry.field
    def first(self) -> Item:
        return ITEMS[0]


LEAN = strawberry.Schema(query=Query, execution_context_class=LeanLeavesExecutionContext)
PLAIN = strawberry.Schema(query=Query, execution_context_class=StrawberryGraphQLCoreExecutionContext)

FIELDS = ["id", "count", "maybe", "ratio", "label", "flag", "colour", "maybeColour",
          "shout", "shout(times: 2)", "child { id count maybe label flag }", "later",
          "__typename"]


def answer(schema: strawberry.Schema, document: str) -> dict[str, Any]:
    import asyncio

    result = asyncio.run(schema.execute(document))
    return {"data": result.data,
            "errors": sorted((e.message, tuple(e.path or ()), str(e.locations))
                             for e in result.errors or [])}


# values a field may hold, the bad ones included: None for a non-null field, an Int beyond
# 32 bits, a string where an Int belongs, something that is no enum member
counts = st.one_of(st.integers(-2**31, 2**31 - 1), st.just(2**40), st.none(), st.just("7"))
colours = st.one_of(st.sampled_from(list(Colour)), st.none(), st.just("BLUE"))
items = st.builds(
    Item, id=st.one_of(st.text(max_size=5), st.integers(0, 99)).map(strawberry.ID),
    count=counts, maybe=counts, ratio=st.one_of(st.floats(allow_nan=False), st.none()),
    label=st.one_of(st.text(max_size=8), st.none(), st.integers(0, 9)),
    flag=st.one_of(st.booleans(), st.none()), colour=colours, maybe_colour=colours)
selections = st.lists(
    st.tuples(st.sampled_from(FIELDS), st.one_of(st.none(), st.sampled_from(["a", "b"])),
              st.sampled_from(["", " @include(if: true)", " @skip(if: true)"])),
    min_size=1, max_size=8)


def document(root: str, chosen: list[tuple[str, str | None, str]]) -> str:
    parts = []
    for field, alias, directive in chosen:
        name, _, rest = field.partition(" ")
        parts.append(f"{alias + ': ' if alias and '(' not in name else ''}{name}{directive}"
                     f"{' ' + rest if rest else ''}")
    return "{ " + root + " { " + " ".join(parts) + " ...on Item { count } } }"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.lists(items, min_size=1, max_size=4), chosen=selections,
       root=st.sampled_from(["items", "first"]))
def test_lean_leaves_answer_exactly_as_graphql_core_does(
        values: list[Item], chosen: list[tuple[str, str | None, str]], root: str) -> None:
    ITEMS[:] = values
    text = document(root, chosen)
    lean, plain = answer(LEAN, text), answer(PLAIN, text)
    if "2 fields" in str(plain) or "conflict" in str(plain).lower():
        return  # an alias clash the validator refuses alike
    assert lean == plain, text


def test_a_null_in_a_non_null_leaf_nulls_its_parent_with_graphql_cores_error() -> None:
    ITEMS[:] = [Item(id=strawberry.ID("1"), count=None, maybe=1, ratio=1.0,  # type: ignore[arg-type]
                     label="x", flag=True, colour=Colour.RED, maybe_colour=None)]
    lean = answer(LEAN, "{ items { id count maybe } }")
    assert lean == answer(PLAIN, "{ items { id count maybe } }")
    assert lean["data"] is None
    assert lean["errors"][0][1] == ("items", 0, "count")


def test_the_registry_schema_runs_with_lean_leaves() -> None:
    from registry.api.schema import schema

    assert schema.execution_context_class is LeanLeavesExecutionContext
