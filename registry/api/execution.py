"""GraphQL execution with plain leaves completed inline.

graphql-core executes every field the same way: a ``Path``, an ``info`` object (strawberry's
carries sixteen members), the field's resolver — for a strawberry field without a resolver a
wrapper around ``getattr`` — then ``complete_value``'s type dispatch down to the scalar's
``coerce_output_value``. For a page of 100 enrolments that is 500 leaf fields whose value is an
attribute of the object: about 4 µs each, most of the page's execution.

:class:`LeanLeavesExecutionContext` completes such a field directly: the attribute (through the
field's own default resolver), then the leaf type's ``coerce_output_value`` — exactly what
graphql-core would have computed, without the machinery around it. A field qualifies only if
everything that could make the general path differ is absent: strawberry marks it basic (no
resolver, no field extensions, no permission classes: its graphql-core resolver is strawberry's
``_get_basic_result``), its type is a scalar or enum (nullable or not, never a list), its node
has no arguments, and no schema extension hooks ``resolve`` (graphql-core middleware). Any value
the direct path cannot complete as graphql-core would — ``None`` for a non-null field, an
awaitable, a coercion that fails or gives nothing — goes the general way instead, so errors,
their ``path`` and null propagation are graphql-core's own. Results keep the document's order.

Tested by running documents both ways and comparing the whole answers
(``tests/api/test_execution.py``); measured in ``bench/read_api.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, NamedTuple, cast

from graphql import (
    GraphQLEnumType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

__all__ = ["LeanLeavesExecutionContext"]

_STRAWBERRY_FIELD = "strawberry-definition"


class _Leaf(NamedTuple):
    resolve: Any  # the strawberry field's default resolver: (source, name) -> value
    name: str  # the attribute
    coerce: Any  # the leaf type's coerce_output_value
    nullable: bool


_PLANS: dict[tuple[int, str, str], _Leaf | None] = {}


def _plan(schema: Any, parent_type: GraphQLObjectType, field_name: str) -> _Leaf | None:
    key = (id(schema), parent_type.name, field_name)
    try:
        return _PLANS[key]
    except KeyError:
        pass
    leaf = None
    field_def = parent_type.fields.get(field_name)
    if field_def is not None and not field_def.args:
        field = (field_def.extensions or {}).get(_STRAWBERRY_FIELD)
        resolver = field_def.resolve
        kind = field_def.type
        nullable = not isinstance(kind, GraphQLNonNull)
        if not nullable:
            kind = kind.of_type
        if (field is not None and getattr(field, "is_basic_field", False)
                and getattr(resolver, "__name__", "") == "_get_basic_result"
                and isinstance(kind, (GraphQLScalarType, GraphQLEnumType))):
            leaf = _Leaf(field.default_resolver, field.python_name, kind.coerce_output_value,
                         nullable)
    _PLANS[key] = leaf
    return leaf


class LeanLeavesExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, with plain leaf fields completed inline (see the
    module's docstring)."""

    def execute_fields(self, parent_type: GraphQLObjectType, source_value: Any,
                       path: Any, grouped_field_set: Any, position_context: Any) -> Any:
        middleware = self.middleware_manager
        if middleware is not None and middleware.middlewares:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set,
                                          position_context)
        done: dict[str, Any] = {}
        rest: dict[str, Any] = {}
        schema, is_awaitable = self.schema, self.is_awaitable
        for response_name, details in grouped_field_set.items():
            node = details[0].node
            leaf = None if node.arguments else _plan(schema, parent_type, node.name.value)
            if leaf is not None:
                value = leaf.resolve(source_value, leaf.name)
                if value is None:
                    if leaf.nullable:
                        done[response_name] = None
                        continue
                elif not is_awaitable(value):
                    try:
                        coerced = leaf.coerce(value)
                    except Exception:  # noqa: BLE001 - graphql-core's path reports it
                        coerced = None
                    if coerced is not None and coerced is not Undefined:
                        done[response_name] = coerced
                        continue
            rest[response_name] = details
        if not rest:
            return done
        others = super().execute_fields(parent_type, source_value, path, rest,
                                        position_context)
        if is_awaitable(others):
            return self._merged(grouped_field_set, done, cast(Awaitable[dict[str, Any]], others))
        return _in_order(grouped_field_set, done, cast(dict[str, Any], others))

    @staticmethod
    async def _merged(grouped_field_set: Any, done: dict[str, Any],
                      others: Awaitable[dict[str, Any]]) -> dict[str, Any]:
        return _in_order(grouped_field_set, done, await others)


def _in_order(grouped_field_set: Any, done: dict[str, Any], others: dict[str, Any]
              ) -> dict[str, Any]:
    """The fields' results in the document's order (``others`` may lack a field graphql-core
    skipped: one the type does not have)."""
    if not done:
        return others
    results = {}
    for name in grouped_field_set:
        if name in done:
            results[name] = done[name]
        elif name in others:
            results[name] = others[name]
    return results
