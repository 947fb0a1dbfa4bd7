"""GraphQL execution with the general machinery skipped where it cannot change the answer.

graphql-core executes every field the same way: a ``Path``, an ``info`` object (strawberry's
carries sixteen members), the field's resolver — for a strawberry field without a resolver a
wrapper around ``getattr``, for one with a resolver six layers (``Info`` made, arguments
converted, field extensions chained, exception handlers looked for) — then ``complete_value``'s
type dispatch down to the scalar's ``coerce_output_value`` or the object's sub-selection. For a
page of 100 enrolments with their learners that is 600 fields and 200 objects, most of the
page's execution. Three shortcuts, each taken only where the general path could not answer
differently:

* **Plain leaves inline** (:class:`LeanExecutionContext`). A field whose value is an attribute
  of the object is completed directly: the attribute (through the field's own default
  resolver), then the leaf type's ``coerce_output_value``. It qualifies only if strawberry
  marks it basic (no resolver, no field extensions, no permission classes: its graphql-core
  resolver is strawberry's ``_get_basic_result``), its type is a scalar or enum (nullable or
  not, never a list), its node has no arguments, and no schema extension hooks ``resolve``
  (graphql-core middleware). Any value the direct path cannot complete as graphql-core would —
  ``None`` for a non-null field, an awaitable, a coercion that fails or gives nothing — goes
  the general way instead, so errors, their ``path`` and null propagation are graphql-core's
  own. Results keep the document's order. Which fields of a selection qualify is worked out
  once per selection (graphql-core memoises a selection's sub-fields), not once per row.
* **Objects completed directly** (:meth:`LeanExecutionContext.complete_value`): a value that is
  not null, for an object type (nullable or not) with no ``is_type_of`` or whose ``is_type_of``
  answers ``True`` at once, goes straight to its sub-selection — the branch graphql-core's
  dispatch would reach, without the dispatch.
* **Resolvers called directly** (:func:`lean_resolvers`, run by :class:`LeanSchema`): a field
  with a resolver but no arguments, no field extensions and no exception handlers gets a
  graphql-core resolver that calls it as strawberry's wrapper would — the object as ``self``,
  ``root`` or ``parent``, an ``Info`` of the schema's ``info_class`` — without the layers that
  have nothing to do for it.

Tested by running documents both ways and comparing the whole answers
(``tests/api/test_execution.py``); measured in ``bench/read_api.py`` and
``bench/in_process.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
)
from graphql.pyutils import Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

__all__ = ["LeanExecutionContext", "LeanSchema", "lean_resolvers"]

_STRAWBERRY_FIELD = "strawberry-definition"


class _Leaf(NamedTuple):
    resolve: Any  # the strawberry field's default resolver: (source, name) -> value
    name: str  # the attribute
    coerce: Any  # the leaf type's coerce_output_value
    nullable: bool


def _leaf(parent_type: GraphQLObjectType, field_name: str) -> _Leaf | None:
    field_def = parent_type.fields.get(field_name)
    if field_def is None or field_def.args:
        return None
    field = (field_def.extensions or {}).get(_STRAWBERRY_FIELD)
    kind = field_def.type
    nullable = not isinstance(kind, GraphQLNonNull)
    if not nullable:
        kind = kind.of_type
    if (field is not None and getattr(field, "is_basic_field", False)
            and getattr(field_def.resolve, "__name__", "") == "_get_basic_result"
            and isinstance(kind, (GraphQLScalarType, GraphQLEnumType))):
        return _Leaf(field.default_resolver, field.python_name, kind.coerce_output_value,
                     nullable)
    return None


# Values no awaitable can be: their leaves need no is_awaitable check.
_PLAIN = frozenset({str, int, bool, float})

# A selection's plan: each response name with its leaf (None: the general path).
_Plan = tuple[tuple[str, Any, "_Leaf | None"], ...]


class LeanExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, with plain leaves completed inline and objects completed
    without the type dispatch (see the module's docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # id(grouped field set) -> (the set, kept alive so its id is not reused; its plan)
        self._plans: dict[int, tuple[Any, _Plan]] = {}

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> _Plan:
        known = self._plans.get(id(grouped_field_set))
        if known is not None and known[0] is grouped_field_set:
            return known[1]
        plan = tuple(
            (response_name, details,
             None if details[0].node.arguments else _leaf(parent_type, details[0].node.name.value))
            for response_name, details in grouped_field_set.items())
        self._plans[id(grouped_field_set)] = (grouped_field_set, plan)
        return plan

    def execute_fields(self, parent_type: GraphQLObjectType, source_value: Any,
                       path: Any, grouped_field_set: Any, position_context: Any) -> Any:
        # graphql-core's own loop (its awaitables gathered, or settled when a field raises),
        # with each qualifying leaf completed in place
        middleware = self.middleware_manager
        if middleware is not None and middleware.middlewares:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set,
                                          position_context)
        results: dict[str, Any] = {}
        awaitable_fields: list[str] = []
        is_awaitable = self.is_awaitable
        try:
            for response_name, details, leaf in self._plan(parent_type, grouped_field_set):
                if leaf is not None:
                    value = leaf.resolve(source_value, leaf.name)
                    if value is None:
                        if leaf.nullable:
                            results[response_name] = None
                            continue
                    elif type(value) in _PLAIN or not is_awaitable(value):
                        try:
                            coerced = leaf.coerce(value)
                        except Exception:  # noqa: BLE001 - graphql-core's path reports it
                            coerced = None
                        if coerced is not None and coerced is not Undefined:
                            results[response_name] = coerced
                            continue
                result = self.execute_field(parent_type, source_value, details,
                                            Path(path, response_name, parent_type.name),
                                            position_context)
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[name] for name in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return _gathered(results, awaitable_fields)

    def complete_value(self, return_type: Any, field_details_list: Any, info: Any, path: Any,
                       result: Any, position_context: Any) -> Any:
        kind = return_type.of_type if type(return_type) is GraphQLNonNull else return_type
        if (type(kind) is GraphQLObjectType and result is not None and result is not Undefined
                and not isinstance(result, Exception)
                and (kind.is_type_of is None or kind.is_type_of(result, info) is True)):
            # where graphql-core's dispatch would arrive (a non-null object completes to a
            # dict, never to null); with nothing deferred, straight to the sub-fields
            grouped_field_set, new_defer_usages, _ = self.collect_subfields(
                kind, field_details_list)
            if position_context is None and not new_defer_usages:
                return self.execute_fields(kind, result, path, grouped_field_set, None)
            return self.execute_collected_subfields(kind, result, path, grouped_field_set,
                                                    new_defer_usages, position_context)
        return super().complete_value(return_type, field_details_list, info, path, result,
                                      position_context)


async def _gathered(results: dict[str, Any], awaitable_fields: list[str]) -> dict[str, Any]:
    if len(awaitable_fields) == 1:
        name = awaitable_fields[0]
        results[name] = await results[name]
    else:
        awaited = await gather_with_cancel(*(results[name] for name in awaitable_fields))
        results.update(zip(awaitable_fields, awaited, strict=True))
    return results


def _direct(field_def: GraphQLField, info_class: type) -> Callable[..., Any] | None:
    """A graphql-core resolver calling the strawberry field's resolver as strawberry's own
    wrapper would, or None where that wrapper has work to do (arguments, field extensions)."""
    field = (field_def.extensions or {}).get(_STRAWBERRY_FIELD)
    resolver = getattr(field, "base_resolver", None)
    if (field is None or resolver is None or field.extensions or field.arguments
            or field_def.args
            or getattr(field_def.resolve, "__name__", "") not in ("_resolver", "_async_resolver")
            or not callable(resolver.wrapped_func)):
        return None
    func = resolver.wrapped_func
    as_self = resolver.self_parameter is not None
    as_keywords = tuple(p.name for p in (resolver.root_parameter, resolver.parent_parameter)
                        if p is not None)
    info_name = resolver.info_parameter.name if resolver.info_parameter is not None else None

    def resolve(source: Any, info: Any, **_: Any) -> Any:
        kwargs = {name: source for name in as_keywords}
        if info_name is not None:
            kwargs[info_name] = info_class(_raw_info=info, _field=field)
        return func(source, **kwargs) if as_self else func(**kwargs)

    return resolve


def lean_resolvers(schema: strawberry.Schema) -> None:
    """Give each field that qualifies (see the module's docstring) its direct resolver. A
    schema with exception handlers keeps strawberry's: they need its wrapper."""
    if getattr(schema, "exception_handlers", ()):
        return
    graphql_schema = schema._schema
    for graphql_type in graphql_schema.type_map.values():
        if (not isinstance(graphql_type, GraphQLObjectType)
                or graphql_type is graphql_schema.subscription_type
                or graphql_type.name.startswith("__")):
            continue
        for field_def in graphql_type.fields.values():
            direct = _direct(field_def, schema.config.info_class)
            if direct is not None:
                field_def.resolve = direct


class LeanSchema(strawberry.Schema):
    """A strawberry schema executed with :class:`LeanExecutionContext` and the direct
    resolvers of :func:`lean_resolvers`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("execution_context_class", LeanExecutionContext)
        super().__init__(*args, **kwargs)
        lean_resolvers(self)
