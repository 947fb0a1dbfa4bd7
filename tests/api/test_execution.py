"""The lean execution (registry/api/execution.py: leaves inline, objects without the type
dispatch, resolvers called directly) answers exactly as strawberry and graphql-core's general
path do — data, errors, their paths and null propagation — for any document and any values,
including the ones that make a field fail."""

from __future__ import annotations

import enum
from typing import Any, cast

import pytest
import strawberry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from registry.api.execution import LeanExecutionContext, LeanSchema


@strawberry.enum
class Colour(enum.Enum):
    RED = "RED"
    GREEN = "GREEN"


@strawberry.interface
class Thing:
    id: strawberry.ID


@strawberry.type
class Item(Thing):  # an interface's implementation: its type has an is_type_of
    count: int
    maybe: int | None
    ratio: float
    label: str | None
    flag: bool
    colour: Colour
    maybe_colour: Colour | None

    def _kid(self) -> Item:
        return Item(id=strawberry.ID(f"{self.id}c"), count=self.count, maybe=None,
                    ratio=self.ratio, label=None, flag=not self.flag, colour=self.colour,
                    maybe_colour=None)

    @strawberry.field
    def shout(self, times: int = 1) -> str:
        return (self.label or "") * times

    @strawberry.field
    def child(self) -> Item | None:
        return None if self.flag is False else self._kid()

    @strawberry.field
    def must(self) -> Item:  # null when flag is null: the non-null error, propagated
        return None if self.flag is None else self._kid()  # type: ignore[return-value]

    @strawberry.field
    def boom(self, info: strawberry.Info) -> Item | None:  # fails, naming the path it saw
        if isinstance(self.count, int) and self.count < 0:
            raise ValueError(f"boom at {info.path.as_list()} in {info.parent_type.name}")
        return self._kid()

    named: Item | None = strawberry.field(  # a resolver taking root
        resolver=lambda root: root._kid() if root.label else None)

    @strawberry.field
    def kids(self) -> list[Item | None]:
        return [self._kid(), None] if self.flag else [self._kid()]

    @strawberry.field
    def strict_kids(self) -> list[Item]:  # a null item in a list of non-null items
        return [self._kid(), None] if self.flag is False else [self._kid()]  # type: ignore[list-item]

    @strawberry.field
    async def later(self) -> int:
        return self.count

    @strawberry.field
    async def later_kid(self) -> Item | None:
        return None if self.flag is False else self._kid()

    @strawberry.field
    def thing(self) -> Thing:  # an interface: graphql-core resolves its type
        return self._kid()

    @strawberry.field
    def not_an_item(self) -> Item | None:  # is_type_of answers False: graphql-core's error
        return cast(Item, "an item" if self.flag else None)


ITEMS: list[Item] = []


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return ITEMS

    @strawberry.field
    def first(self) -> Item:
        return ITEMS[0]


LEAN = LeanSchema(query=Query)
PLAIN = strawberry.Schema(query=Query, execution_context_class=StrawberryGraphQLCoreExecutionContext)

FIELDS = ["id", "count", "maybe", "ratio", "label", "flag", "colour", "maybeColour",
          "shout", "shout(times: 2)", "child { id count maybe label flag }", "later",
          "__typename", "must { id count }", "boom { id label }", "named { id flag }",
          "kids { id count }", "strictKids { id }", "laterKid { id colour }",
          "thing { id ...on Item { flag } }", "notAnItem { id }",
          "child { must { id } kids { count } }"]


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


RELATIONS = [field for field in FIELDS if "{" in field]
EVERY_CASE = [Item(id=strawberry.ID(f"{flag}{count}{label}"), count=count, maybe=None,  # type: ignore[arg-type]
                   ratio=0.5, label=label, flag=flag, colour=Colour.GREEN,  # type: ignore[arg-type]
                   maybe_colour=None)
              for flag in (True, False, None) for count in (1, -1, None) for label in ("x", None)]


@pytest.mark.parametrize("field", RELATIONS)
@pytest.mark.parametrize("root", ["items", "first"])
def test_each_relation_answers_as_graphql_core_for_every_case(field: str, root: str) -> None:
    """Each relation under each value that makes it answer, answer null or fail (the property
    test above draws them too, but rarely all)."""
    for case in ([EVERY_CASE] if root == "items" else [[item] for item in EVERY_CASE]):
        ITEMS[:] = case
        text = "{ " + root + " { id " + field + " } }"
        assert answer(LEAN, text) == answer(PLAIN, text), (text, case[0])


def test_a_null_in_a_non_null_leaf_nulls_its_parent_with_graphql_cores_error() -> None:
    ITEMS[:] = [Item(id=strawberry.ID("1"), count=None, maybe=1, ratio=1.0,  # type: ignore[arg-type]
                     label="x", flag=True, colour=Colour.RED, maybe_colour=None)]
    lean = answer(LEAN, "{ items { id count maybe } }")
    assert lean == answer(PLAIN, "{ items { id count maybe } }")
    assert lean["data"] is None
    assert lean["errors"][0][1] == ("items", 0, "count")


def test_the_lean_schema_calls_resolvers_directly_and_leaves_the_others_to_strawberry() -> None:
    lean = LEAN._schema.type_map["Item"].fields  # type: ignore[attr-defined]
    plain = PLAIN._schema.type_map["Item"].fields  # type: ignore[attr-defined]
    direct = {name for name in lean if lean[name].resolve is not plain[name].resolve
              and lean[name].resolve.__name__ == "resolve"}
    # resolvers without arguments; not shout (an argument), not the plain attributes
    assert direct == {"child", "must", "boom", "named", "kids", "strictKids", "later",
                      "laterKid", "thing", "notAnItem"}


def test_a_schema_with_exception_handlers_keeps_strawberrys_resolvers() -> None:
    from strawberry.schema.exception_handlers import ExceptionHandler

    class Handler(ExceptionHandler[ValueError, Item]):
        def handle(self, exception: ValueError, **kwargs: Any) -> Item | None:
            return None

    schema = LeanSchema(query=Query, exception_handlers=[Handler()])
    fields = schema._schema.type_map["Item"].fields  # type: ignore[attr-defined]
    assert fields["child"].resolve.__name__ == "_resolver"  # strawberry's own
    assert LEAN._schema.type_map["Item"].fields["child"].resolve.__name__ == "resolve"  # type: ignore[attr-defined]


def test_a_schema_extension_hooking_resolve_sees_every_field() -> None:
    from strawberry.extensions import SchemaExtension

    seen: list[str] = []

    class Spy(SchemaExtension):
        def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
            seen.append(info.field_name)
            return _next(root, info, *args, **kwargs)

    spied = LeanSchema(query=Query, extensions=[Spy])
    ITEMS[:] = [Item(id=strawberry.ID("1"), count=1, maybe=1, ratio=1.0, label="x", flag=True,
                     colour=Colour.RED, maybe_colour=None)]
    assert answer(spied, "{ first { id child { id } } }") == answer(
        PLAIN, "{ first { id child { id } } }")
    assert seen == ["first", "id", "child", "id"]


def test_the_registry_schema_runs_lean() -> None:
    from registry.api.schema import schema

    assert isinstance(schema, LeanSchema)
    assert schema.execution_context_class is LeanExecutionContext
