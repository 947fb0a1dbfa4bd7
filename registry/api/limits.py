"""Limits on a GraphQL document, checked before any resolver runs (SPEC §10).

A document is refused with ``QUERY_TOO_COMPLEX`` when it has more lexical tokens than
``max_query_tokens`` (the parser stops there), or when one of its operations is deeper than
``max_query_depth``, has more aliased fields than ``max_aliases``, more fragment spreads than
``max_fragment_spreads`` or costs more than ``max_query_cost``.

**Cost.** Every field counts 1, once per use. A list field counts its selection once per item
it may return: a connection (a field with ``first``/``last``/``limit``) counts the selection of
its ``edges``/``nodes`` that many times (a literal, capped at ``MAX_PAGE``; ``MAX_PAGE`` for a
variable; the argument's default, else ``DEFAULT_PAGE``, when absent); any other list of
objects counts ``DEFAULT_PAGE`` items. Depth, aliases and spreads count a fragment as if it were
written out where it is spread. Introspection (``__schema``, ``__type``: its size is the
schema's, not the data's) counts each field once and adds no depth; its nesting is bounded by
graphql-core's ``MaxIntrospectionDepthRule``.

**Linear time.** Each fragment is measured once, in an order where the fragments it spreads are
measured first (an explicit stack, so neither a long chain nor a cycle can recurse or loop);
a spread then adds the fragment's memoised numbers. The rule runs first and aborts the whole
validation when a limit is exceeded, so graphql-core's own rules (some quadratic in the worst
case) only ever see documents within the limits. Parsing and validation run in the thread pool
behind LRU caches (strawberry's bound): a large document never blocks the event loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, cast

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    get_named_type,
    get_nullable_type,
    is_list_type,
    parse,
)
from graphql.language.parser import MAX_NESTING_DEPTH
from graphql.type.definition import GraphQLInterfaceType, GraphQLObjectType
from graphql.validation import MaxIntrospectionDepthRule
from graphql.validation.validate import ValidationAbortedError
from starlette.concurrency import run_in_threadpool
from strawberry.schema.schema import validate_document as validate_with_strawberrys_rules
from strawberry.types import ExecutionContext

from ..config import Settings
from .errors import QueryTooComplex
from .relay import DEFAULT_PAGE, MAX_PAGE

SIZE_ARGUMENTS = ("first", "last", "limit")
META_FIELDS = ("__schema", "__type")
CEILING = 10**12  # numbers saturate here: a doubling chain of fragments stays a small int
INTROSPECTION_LISTS = 3  # graphql-core's MaxIntrospectionDepthRule
# extensions.details.limit → how the message names it
LIMIT_NAMES = {
    "cost": "cost", "depth": "depth", "aliases": "number of aliases",
    "fragmentSpreads": "number of fragment spreads (counted where each is spread)",
    "tokens": "number of tokens", "nesting": "nesting",
    "introspectionDepth": "introspection depth (nested lists)",
}


@dataclass(frozen=True)
class Limits:
    cost: int = 10_000
    depth: int = 12
    aliases: int = 30
    fragment_spreads: int = 100
    tokens: int = 2_000

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(cost=settings.max_query_cost, depth=settings.max_query_depth,
                   aliases=settings.max_aliases, fragment_spreads=settings.max_fragment_spreads,
                   tokens=settings.max_query_tokens)


@dataclass
class Tally:
    """What a selection set costs: ``paged`` is the part inside a connection's edges/nodes,
    counted once per item by the connection field."""

    flat: int = 0
    paged: int = 0
    depth: int = 0
    aliases: int = 0
    spreads: int = 0

    def add(self, other: Tally, depth_offset: int = 0) -> None:
        self.flat = min(self.flat + other.flat, CEILING)
        self.paged = min(self.paged + other.paged, CEILING)
        self.depth = max(self.depth, other.depth + depth_offset)
        self.aliases = min(self.aliases + other.aliases, CEILING)
        self.spreads = min(self.spreads + other.spreads, CEILING)


ZERO = Tally()


def refusal(limit: str, value: int | None, maximum: int, advice: str,
            nodes: Any = None) -> GraphQLError:
    """``limit``: a key of ``LIMIT_NAMES``; ``value`` None: only known to be over ``maximum``
    (the parser stopped there)."""
    known = value is not None and value < CEILING
    shown = f"{value:,}" if known else f"more than {maximum if value is None else CEILING:,}"
    details: dict[str, Any] = {"limit": limit, "maximum": maximum}
    if known:
        details["value"] = value
    error = QueryTooComplex(
        f"The query is too complex: its {LIMIT_NAMES[limit]} is {shown}, over the maximum of {maximum:,}. "
        f"{advice}", **details)
    return GraphQLError(error.message, nodes, original_error=error)


class Measure:
    """One pass over a document: each fragment once, then each operation."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self.schema = schema
        self.fragments: dict[str, FragmentDefinitionNode] = {}
        for definition in document.definitions:
            if isinstance(definition, FragmentDefinitionNode):
                self.fragments.setdefault(definition.name.value, definition)
        self.measured: dict[str, Tally] = {}
        for name in self._dependencies_first():
            fragment = self.fragments[name]
            self.measured[name] = self.selection_set(
                fragment.selection_set, self.schema.get_type(fragment.type_condition.name.value))
        self.operations = [
            (definition, self.selection_set(
                definition.selection_set,
                schema.get_root_type(definition.operation)))
            for definition in document.definitions
            if isinstance(definition, OperationDefinitionNode)
        ]

    def _dependencies_first(self) -> list[str]:
        """The fragments, each after those it spreads; a spread closing a cycle is skipped
        (graphql-core's NoFragmentCycles rule reports it)."""
        spreads = {name: list(spread_names(f.selection_set))
                   for name, f in self.fragments.items()}
        order: list[str] = []
        done: set[str] = set()
        for root in spreads:
            if root in done:
                continue
            path = [(root, iter(spreads[root]))]
            on_path = {root}
            while path:
                name, pending = path[-1]
                for spread in pending:
                    if spread in spreads and spread not in done and spread not in on_path:
                        path.append((spread, iter(spreads[spread])))
                        on_path.add(spread)
                        break
                else:
                    path.pop()
                    on_path.discard(name)
                    done.add(name)
                    order.append(name)
        return order

    def selection_set(self, node: SelectionSetNode, parent: Any, meta: bool = False) -> Tally:
        tally = Tally()
        connection = is_connection(parent)
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                tally.add(self.field(selection, parent, connection, meta))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                tally.add(self.selection_set(selection.selection_set, inner, meta))
            elif isinstance(selection, FragmentSpreadNode):
                tally.add(self.measured.get(selection.name.value, ZERO))
                tally.spreads = min(tally.spreads + 1, CEILING)
        return tally

    def field(self, node: FieldNode, parent: Any, on_connection: bool, meta: bool) -> Tally:
        name = node.name.value
        meta = meta or name in META_FIELDS or getattr(parent, "name", "").startswith("__")
        definition = fields_of(parent).get(name)
        aliases = 1 if node.alias and node.alias.value != name else 0
        if node.selection_set is None:
            return Tally(flat=1, aliases=aliases, depth=0 if meta else 1)
        # An unknown field is refused by graphql-core's rules, but only after this one:
        # what it selects counts too.
        kind = get_nullable_type(definition.type) if definition else None
        inner = self.selection_set(node.selection_set, get_named_type(kind), meta)
        listed = is_list_type(kind) and not meta
        items, page = 1, page_size(node, definition) if definition else None
        if listed and not on_connection:  # a connection's edges/nodes count by its page
            items, page = DEFAULT_PAGE if page is None else page, None
        page = DEFAULT_PAGE if page is None else page
        cost = min(1 + items * (inner.flat + page * inner.paged), CEILING)
        paged = on_connection and listed  # edges/nodes: the field once, its items per page
        return Tally(flat=1 if paged else cost, paged=cost - 1 if paged else 0,
                     depth=inner.depth + (0 if meta else 1),
                     aliases=min(inner.aliases + aliases, CEILING), spreads=inner.spreads)


def fields_of(parent: Any) -> dict[str, Any]:
    if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
        return cast(dict[str, Any], parent.fields)
    return {}


def is_connection(parent: Any) -> bool:
    fields = fields_of(parent)
    return "pageInfo" in fields and "edges" in fields


def page_size(node: FieldNode, definition: Any) -> int | None:
    """The items a list or connection field may return, from its first/last/limit."""
    sizes = []
    for argument in node.arguments or ():
        if argument.name.value in SIZE_ARGUMENTS:
            value = argument.value
            sizes.append(int(value.value) if isinstance(value, IntValueNode) else MAX_PAGE)
    if not sizes:
        defaults = [definition.args[name].default_value for name in SIZE_ARGUMENTS
                    if name in definition.args]
        if not defaults:
            return None
        sizes = [d if isinstance(d, int) else DEFAULT_PAGE for d in defaults]
    return max(0, min(max(sizes), MAX_PAGE))


def spread_names(node: SelectionSetNode) -> Iterator[str]:
    stack = [node]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                yield selection.name.value
            elif isinstance(selection, (FieldNode, InlineFragmentNode)) and selection.selection_set:
                stack.append(selection.selection_set)


def check(schema: GraphQLSchema, document: DocumentNode, limits: Limits) -> GraphQLError | None:
    """The first limit an operation of ``document`` exceeds, as a refusal; else ``None``."""
    for _operation, tally in Measure(schema, document).operations:
        cost = min(tally.flat + tally.paged, CEILING)
        if tally.depth > limits.depth:
            return refusal("depth", tally.depth, limits.depth,
                           "Nest fewer fields inside each other.")
        if tally.aliases > limits.aliases:
            return refusal("aliases", tally.aliases, limits.aliases,
                           "Send fewer aliased fields, or several requests.")
        if tally.spreads > limits.fragment_spreads:
            return refusal("fragmentSpreads",
                           tally.spreads, limits.fragment_spreads,
                           "Spread fewer fragments, or write the fields out.")
        if cost > limits.cost:
            return refusal(
                "cost", cost, limits.cost,
                f"Each field counts 1, and a list counts its fields once per item (first/last, "
                f"at most {MAX_PAGE}; {DEFAULT_PAGE} when not given): ask for fewer fields or "
                f"smaller pages.")
    return None


@cache
def limits_rule(limits: Limits) -> type[ValidationRule]:
    """The rule for ``limits``: one class per value, so the validation cache's key is stable."""

    class QueryLimitsRule(ValidationRule):
        def enter_document(self, node: DocumentNode, *_: Any) -> None:
            error = check(self.context.schema, node, limits)
            if error is not None:
                # Stop the whole validation: the other rules never walk this document.
                raise ValidationAbortedError(error.message, original_error=error.original_error)

    return QueryLimitsRule


class IntrospectionDepth(MaxIntrospectionDepthRule):
    """graphql-core's bound on introspection nesting, refused as ``QUERY_TOO_COMPLEX``."""

    def report_error(self, error: GraphQLError) -> None:
        lists = "fields, interfaces, possibleTypes or inputFields"
        super().report_error(refusal(
            "introspectionDepth", None, INTROSPECTION_LISTS,
            f"Nest {lists} at most {INTROSPECTION_LISTS} deep.", error.nodes))


def apply_limits(context: ExecutionContext) -> None:
    """The parser's token limit and the limits rule, from the request's settings: the rule
    first, so that it aborts before the other rules walk the document; graphql-core's
    introspection bound refuses with our code (added when the schema's rules lack it)."""
    settings: Settings | None = getattr(context.context, "settings", None)
    limits = Limits.of(settings) if settings else Limits()
    context.parse_options["max_tokens"] = limits.tokens
    rules = [IntrospectionDepth if rule is MaxIntrospectionDepthRule else rule
             for rule in context.validation_rules]
    if IntrospectionDepth not in rules:
        rules.append(IntrospectionDepth)
    context.validation_rules = (limits_rule(limits), *rules)


def parse_refusal(error: GraphQLSyntaxError, limits_tokens: int) -> GraphQLError:
    """The parser's own limits, as ``QUERY_TOO_COMPLEX``; other syntax errors as they are."""
    if error.message.startswith("Syntax Error: Document contains more than"):
        return refusal("tokens", None, limits_tokens,
                       "Send a shorter document (values can go in variables).")
    if error.message.startswith("Syntax Error: Document is nested too deeply"):
        return refusal("nesting", None, MAX_NESTING_DEPTH,
                       "Nest fewer fields or values inside each other.")
    return error


class Recent:
    """The parse and the validation of the last documents seen, answered on the event loop
    without a trip to the thread pool (two per request otherwise, a good part of a small
    query's time): a dictionary look-up, for documents of at most ``MAX_CHARS`` (a longer
    one goes to the thread pool every time, where its parse and validation are looked up in
    the LRU caches below), ``SIZE`` of them at most, the oldest forgotten first."""

    SIZE = 128  # as strawberry's own caches
    MAX_CHARS = 16_384

    def __init__(self) -> None:
        self._found: dict[Any, Any] = {}

    def get(self, key: Any) -> Any:
        return self._found.get(key)

    def keep(self, key: Any, query: str | None, value: Any) -> None:
        if query is None or len(query) > self.MAX_CHARS:
            return
        if len(self._found) >= self.SIZE:
            self._found.pop(next(iter(self._found)), None)
        self._found[key] = value


_parsed = Recent()
_validated = Recent()


# What strawberry's ParserCache and ValidationCache keep, kept here: an LRU cache of
# graphql-core's parse and of strawberry's validate_document, bounded as strawberry's are
_parse_cached = lru_cache(maxsize=Recent.SIZE)(parse)
_validate_cached = lru_cache(maxsize=Recent.SIZE)(validate_with_strawberrys_rules)


async def parse_operation(context: ExecutionContext) -> None:
    """The document, parsed in the thread pool (a long document takes a while to read, even
    when it is refused at the token limit); a recent short one is not read again
    (:class:`Recent`). The parser's limits refuse as ``QUERY_TOO_COMPLEX``."""
    tokens = context.parse_options.get("max_tokens", Limits.tokens)
    key = (context.query, tuple(sorted(context.parse_options.items())))
    document = _parsed.get(key)
    if document is None:
        try:
            document = await run_in_threadpool(_parse_cached, context.query,
                                               **context.parse_options)
        except GraphQLSyntaxError as error:
            raise parse_refusal(error, tokens) from None
        _parsed.keep(key, context.query, document)
    context.graphql_document = document


async def validate_operation(context: ExecutionContext) -> None:
    """The document validated in the thread pool; a recent short one is not validated again
    (:class:`Recent`)."""
    key = (id(context.graphql_document), tuple(context.validation_rules))
    found = _validated.get(key)
    if found is not None and found[0] is context.graphql_document:
        errors = found[1]
    else:
        errors = await run_in_threadpool(_validate_cached, context.schema._schema,
                                         context.graphql_document, context.validation_rules)
        _validated.keep(key, context.query, (context.graphql_document, errors))
    # graphql-core's own bounds (100 errors; its budget for comparing same-named fields)
    # abort with a bare "Validation aborted."; say what to do instead.
    context.pre_execution_errors = [gave_up(e) if aborted(e) else e for e in errors]


def aborted(error: GraphQLError) -> bool:
    return isinstance(error, ValidationAbortedError) and error.original_error is None


def gave_up(error: GraphQLError) -> GraphQLError:
    refusal = QueryTooComplex(
        "The query is too complex: validation stopped (too many errors, or too many "
        "same-named fields to compare). Fix the first errors, or send fewer fields.",
        limit="validation")
    return GraphQLError(refusal.message, original_error=refusal)
