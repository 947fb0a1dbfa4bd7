"""Relay-style connections (``first``/``after``, ``totalCount``) over the read-model tables.

Cursors are opaque (base64 of the offset in the view's order); the order is the view's key
order, or the column a list names.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

import strawberry

from ..domain.errors import InvalidInput
from .context import Info

T = TypeVar("T")

DEFAULT_PAGE = 20
MAX_PAGE = 100
MAX_OFFSET = 2**31 - 1  # like GraphQL's Int; the stores' integers end at 2**63 - 1
_OFFSET = re.compile(r"offset:([0-9]{1,10})")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int

    @strawberry.field(description="The nodes of the edges, for clients that need no cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


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


async def paginate(
    info: Info,
    table: str,
    to_node: Callable[[dict[str, Any]], T],
    *,
    where: Mapping[str, Any] | None = None,
    search: str | None = None,
    order_by: str | None = None,
    first: int | None = None,
    after: str | None = None,
) -> Connection[T]:
    size = DEFAULT_PAGE if first is None else first
    if not 0 <= size <= MAX_PAGE:
        raise InvalidInput(f"first must be from 0 to {MAX_PAGE}; got {size}.", field="first")
    start = decode_cursor(after) + 1 if after else 0
    service = info.context.service
    filters = {k: v for k, v in (where or {}).items() if v is not None}
    docs = await info.context.call(service.find, table, filters, search=search,
                                   order_by=order_by, limit=size + 1, offset=start)
    total = await info.context.call(service.count, table, filters, search=search)
    edges = [Edge(cursor=encode_cursor(start + i), node=to_node(doc))
             for i, doc in enumerate(docs[:size])]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(docs) > size,
            has_previous_page=start > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )
