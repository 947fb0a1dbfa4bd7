"""Relay connections over the read-model tables: ``first``/``after`` and ``last``/``before``
(at most 100), keyset cursors, ``orderBy`` with a direction, ``totalCount`` counted only when
selected.

A keyset cursor is opaque: the list's order (field and direction), and the order value and key
of its row. The next page starts strictly after that row in that order, so rows written between
two requests are neither skipped nor repeated (an offset would shift). In-memory lists (a
learner's own certificates) keep offset cursors of their own (``encode_cursor``).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from strawberry.types.nodes import FragmentSpread, InlineFragment

from ..domain.errors import InvalidInput
from .context import Info

T = TypeVar("T")

DEFAULT_PAGE = 20
MAX_PAGE = 100
MAX_OFFSET = 2**31 - 1  # like GraphQL's Int; the stores' integers end at 2**63 - 1
_OFFSET = re.compile(r"offset:([0-9]{1,10})")


# The pagination arguments every list takes (README "Lists, dashboards and histories").
First = Annotated[int | None, strawberry.argument(
    description=f"Forwards: at most this many (0–{MAX_PAGE}; default {DEFAULT_PAGE}). Not "
    "with last (INVALID_INPUT).")]
After = Annotated[str | None, strawberry.argument(
    description="Forwards: start right after this cursor (a previous page's "
    "pageInfo.endCursor). One that is not this list's (or made in another orderBy) is "
    "INVALID_INPUT.")]
Last = Annotated[int | None, strawberry.argument(
    description=f"Backwards: at most this many, the last ones before `before` (0–{MAX_PAGE}). "
    "Not with first (INVALID_INPUT).")]
Before = Annotated[str | None, strawberry.argument(
    description="Backwards: end right before this cursor (a previous page's "
    "pageInfo.startCursor).")]


@strawberry.type(description="Where a page lies in its list (Relay). Cursors are keyset "
                             "cursors: rows written between two requests are neither skipped "
                             "nor repeated.")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="Going forwards (first/after): more rows follow this page.")
    has_previous_page: bool = strawberry.field(
        description="Going backwards (last/before): more rows precede this page; going "
        "forwards from a cursor: rows precede it.")
    start_cursor: str | None = strawberry.field(
        description="The first edge's cursor (pass it as before for the previous page); null "
        "on an empty page.")
    end_cursor: str | None = strawberry.field(
        description="The last edge's cursor (pass it as after for the next page); null on an "
        "empty page.")


@strawberry.type(description="One row of a page with its cursor.")
class Edge(Generic[T]):
    node: T = strawberry.field(description="The row itself.")
    # The cursor is made only when asked for: a page read as `nodes` makes none.
    cursor_of: strawberry.Private[Callable[[], str]]

    @strawberry.field(description="Opaque: pass it as after or before to page from this row.")
    def cursor(self) -> str:
        return self.cursor_of()


@strawberry.type(description="A page of a list (a Relay connection): edges with cursors, or "
                             "just nodes; totalCount is counted only when selected.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The page's rows with their cursors, "
                                                         "in the list's order.")
    page_info: PageInfo = strawberry.field(description="Cursors and whether more pages exist.")
    # How many rows the filters match: counted only when the client selects totalCount.
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many match the filters (counted only when asked).")
    async def total_count(self) -> int:
        return await self.count()

    @strawberry.field(description="The nodes of the edges, for clients that need no cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def known_count(n: int) -> Callable[[], Awaitable[int]]:
    async def count() -> int:
        return n

    return count


@dataclass(frozen=True)
class Order:
    """A list's order as the API names it (``field``, e.g. ``ISSUED_ON``) and the view column
    that holds it (``None``: the key); ties are broken by the key, so the order is total."""

    field: str
    column: str | None = None
    descending: bool = False

    @property
    def direction(self) -> str:
        return "DESC" if self.descending else "ASC"


def keyset_cursor(order: Order, value: Any, key: str) -> str:
    text = json.dumps([order.field, order.direction, value, key], ensure_ascii=False,
                      separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def keyset_position(cursor: str, order: Order, argument: str) -> tuple[Any, str]:
    """The (order value, key) a cursor of :func:`keyset_cursor` holds; ``INVALID_INPUT`` for
    anything else — a cursor made for another order included."""
    shown = cursor if len(cursor) <= 40 else f"{cursor[:40]}…"
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        found = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode())
    except (ValueError, UnicodeError, binascii.Error):
        found = None
    if not (isinstance(found, list) and len(found) == 4 and isinstance(found[3], str)
            and isinstance(found[2], (str, int, float, type(None)))):
        raise InvalidInput(f"{shown!r} is not a cursor of this list.", field=argument)
    if found[:2] != [order.field, order.direction]:
        raise InvalidInput(
            f"{shown!r} is a cursor of this list in another order ({found[0]} {found[1]}); "
            f"use it with that orderBy, or start again without {argument}.", field=argument)
    return found[2], found[3]


def page_size(first: int | None, last: int | None) -> tuple[int, bool]:
    """(how many, from the end?) — ``first`` or ``last``, each from 0 to MAX_PAGE."""
    if first is not None and last is not None:
        raise InvalidInput("Give first or last, not both.", field="last")
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= MAX_PAGE:
            raise InvalidInput(f"{name} must be from 0 to {MAX_PAGE}; got {value}.",
                               field=name)
    if last is not None:
        return last, True
    return (DEFAULT_PAGE if first is None else first), False


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    """The offset in a cursor of :func:`encode_cursor`; ``INVALID_INPUT`` for anything else,
    an offset past :data:`MAX_OFFSET` included."""
    try:
        match = _OFFSET.fullmatch(base64.urlsafe_b64decode(cursor.encode("ascii")).decode())
    except (ValueError, UnicodeError, binascii.Error):
        match = None
    if match is None or int(match[1]) > MAX_OFFSET:
        shown = cursor if len(cursor) <= 40 else f"{cursor[:40]}…"
        raise InvalidInput(f"{shown!r} is not a cursor of this list.", field="after")
    return int(match[1])


async def first_page(info: Info, table: str, by: str, value: str,
                     to_node: Callable[[dict[str, Any]], T], *,
                     where: Mapping[str, Any] | None = None,
                     first: int | None = None) -> Connection[T]:
    """The first page (by key) of the rows of ``table`` whose ``by`` column is ``value`` —
    what :func:`paginate` answers with ``where={by: value, …}`` and no cursor — read together
    with the request's other first pages of the same list (one statement for a page of
    parents, ``Context.loaders``)."""
    order = Order("KEY")
    size, _ = page_size(first, None)
    filters = {k: v for k, v in (where or {}).items() if v is not None}
    loaders = info.context.loaders
    found = await loaders.first_page(table, by, filters, size + 1).load(value)
    rows = found[:size]
    edges = [Edge(node=to_node(doc), cursor_of=partial(keyset_cursor, order, order_value, key))
             for doc, order_value, key in rows]

    async def count() -> int:
        return await loaders.count(table, by, filters).load(value)

    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(found) > size, has_previous_page=False,
                           start_cursor=edges[0].cursor_of() if edges else None,
                           end_cursor=edges[-1].cursor_of() if edges else None),
        count=count,
    )


def related(info: Info, prefetch: Mapping[str, tuple[str, str]]) -> list[tuple[str, str]]:
    """The (table, key) of each relation in ``prefetch`` whose field the connection's nodes
    select (``nodes { f }`` or ``edges { node { f } }``, through fragments too)."""
    if not prefetch:
        return []
    names: set[str] = set()

    def walk(selections: Any, depth: int) -> None:
        for s in selections:
            if isinstance(s, (FragmentSpread, InlineFragment)):
                walk(s.selections, depth)
            elif depth == 0 and s.name in ("nodes", "edges"):
                walk(s.selections, 1 if s.name == "nodes" else 2)
            elif depth == 2 and s.name == "node":
                walk(s.selections, 1)
            elif depth == 1:
                names.add(s.name)

    for selected in info.selected_fields:
        walk(selected.selections, 0)
    return [relation for name, relation in prefetch.items() if name in names]


async def paginate(
    info: Info,
    table: str,
    to_node: Callable[[dict[str, Any]], T],
    *,
    where: Mapping[str, Any] | None = None,
    ranges: Mapping[str, tuple[Any, Any]] | None = None,
    search: str | None = None,
    order: Order | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    prefetch: Mapping[str, tuple[str, str]] | None = None,
) -> Connection[T]:
    """A keyset page of a view: ``first`` after the cursor ``after``, or ``last`` before
    ``before``, in ``order``. ``prefetch``: node field → (table, document key) of a relation
    read with the page when the query selects that field, so that its resolvers answer
    without awaiting (``Context.ready``)."""
    order = order or Order("KEY")
    size, backwards = page_size(first, last)
    start = keyset_position(after, order, "after") if after else None
    end = keyset_position(before, order, "before") if before else None
    service = info.context.service
    filters = {k: v for k, v in (where or {}).items() if v is not None}
    spans = {k: v for k, v in (ranges or {}).items() if v != (None, None)}
    query = {"ranges": spans, "search": search, "order_by": order.column,
             "descending": order.descending}
    wanted = related(info, prefetch or {})

    def read() -> tuple[list[tuple[dict[str, Any], Any, str]], dict[str, dict[str, Any]]]:
        """The page, and the rows its nodes' selected relations need — one thread hop,
        one connection."""
        with service.together():
            page = service.page(table, filters, after=start, before=end, limit=size + 1,
                                backwards=backwards, **query)
            return page, {other: service.get_many(other, sorted({d[column] for d, _, _ in page
                                                                 if d.get(column)}))
                          for other, column in wanted}

    found, fetched = await info.context.call(read)
    info.context.prefetched(fetched)
    more = len(found) > size
    rows = (found[1:] if backwards else found[:size]) if more else found
    edges = [Edge(node=to_node(doc), cursor_of=partial(keyset_cursor, order, value, doc_key))
             for doc, value, doc_key in rows]
    # Is there anything on the other side of where this page started? One row tells.
    beyond = False
    if edges and (start if not backwards else end) is not None:
        first_row, last_row = rows[0], rows[-1]
        edge = (first_row[1], first_row[2]) if not backwards else (last_row[1], last_row[2])
        other = await info.context.call(
            service.page, table, filters, limit=1, backwards=not backwards,
            before=edge if not backwards else None, after=edge if backwards else None,
            **query)
        beyond = bool(other)

    async def count() -> int:
        return await info.context.call(service.count, table, filters, search=search,
                                       ranges=spans)

    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=more if not backwards else beyond,
            has_previous_page=beyond if not backwards else more,
            start_cursor=edges[0].cursor_of() if edges else None,
            end_cursor=edges[-1].cursor_of() if edges else None,
        ),
        count=count,
    )
