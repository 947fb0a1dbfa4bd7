"""The auditors' view of the event store itself (SPEC §9): ``events(…)``, the global feed of
stored events with keyset cursors on their position, and ``asOf`` on the single-record
queries, which rebuilds a record from its events as it stood at a position or an instant.
The application decides (``application/timeline.py``, ``domain/access.py``); this module
translates."""

from __future__ import annotations

import base64
import binascii
import datetime
import re
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from ..application.timeline import AsOf, EventFilter
from ..domain.access import Action, Principal
from ..domain.errors import InvalidInput
from .context import Info, parse_id
from .errors import AsOfUnsupported
from .history import (
    CAUSATION_ID,
    CORRELATION_ID,
    DATA,
    ON_BEHALF_OF,
    PERSONAL,
    RECORDED_AT,
    Actor,
    HistoryEntry,
)
from .relay import PageInfo

DEFAULT_PAGE = 20
MAX_PAGE = 100
_CURSOR = re.compile(r"event:([0-9]{1,19})")


@strawberry.input(name="AsOfInput", description=(
    "A moment in the past: right after the event at global `position` (the feed's "
    "`Event.position`), or at instant `time` (events recorded at or before it). Exactly one "
    "of the two. The record is rebuilt from the event store, not from the views."))
class AsOfInput:
    position: int | None = strawberry.field(
        default=None, description="A global position: the state right after that event.")
    time: datetime.datetime | None = strawberry.field(
        default=None, description="An instant with its UTC offset: the state then.")

    def moment(self) -> AsOf:
        return AsOf(position=self.position, time=self.time)


# The asOf argument of mooc, learner, enrollment, certificate and programSubmission.
AsOfArg = Annotated[AsOfInput | None, strawberry.argument(
    description="Time travel: the record as it stood at this position or instant, rebuilt "
                "from the event store with the same visibility rules; null if it did not "
                "exist yet. Its relations and history answer as of the same moment. "
                "Omitted: as it is now.")]

# The moment an object was read as of, kept on it so that its relations answer as of the
# same moment (``None``: read from today's views).
Moment = strawberry.Private[AsOf | None]


def moment(as_of: AsOfInput | None) -> AsOf | None:
    return None if as_of is None else as_of.moment()


async def record(info: Info, table: str, key: str, at: AsOf | None) -> dict[str, Any] | None:
    """Row ``key`` of ``table``: from its view, or, at moment ``at``, as it stood then
    (read together with the request's other reads of that table at that moment)."""
    if at is None:
        return await info.context.get(table, key)
    return await info.context.loaders.as_of(table, at).load(key)


async def records(info: Info, table: str, keys: list[str], at: AsOf
                  ) -> list[dict[str, Any]]:
    """Rows ``keys`` of ``table`` as they stood at ``at``, in order; those that did not
    exist then are left out."""
    docs = await info.context.loaders.as_of(table, at).load_many(keys)
    return [doc for doc in docs if doc is not None]


def refuse_as_of(at: AsOf | None, field: str) -> None:
    """A careful auditor never wants today's figure on a record of then: refuse it."""
    if at is not None:
        raise AsOfUnsupported(f"{field} is kept for today only and cannot be answered as of a "
                      "moment: ask it without asOf, or leave it out.", field=field)


@strawberry.type(description="One stored event, as the auditors' feed shows it.")
class Event:
    position: int = strawberry.field(
        description="Its place in the global order (the store's notification id); the "
                    "number `asOf: {position}` takes.")
    aggregate_type: str = strawberry.field(
        description="The aggregate's class name, as in events/ (Certificate, Enrollment…).")
    aggregate_id: strawberry.ID = strawberry.field(
        description="The aggregate's id (a UUID): a Learner's or Enrollment's id, or the id a "
                    "code or number derives to; filter the feed by it with aggregateId.")
    version: int = strawberry.field(description="Its version within its aggregate (1: created).")
    type: str = strawberry.field(description="The event's name, e.g. Revoked.")
    schema_version: int = strawberry.field(
        description="The version of its schema in the event catalog "
                    "(events/<aggregateType>/<type>.v<N>.json).")
    recorded_at: datetime.datetime = strawberry.field(description=RECORDED_AT)
    actor: Actor = strawberry.field(description="Who caused it.")
    on_behalf_of: str | None = strawberry.field(description=ON_BEHALF_OF)
    correlation_id: str | None = strawberry.field(description=CORRELATION_ID)
    causation_id: str | None = strawberry.field(description=CAUSATION_ID)
    data: JSON = strawberry.field(description=DATA)
    personal: JSON | None = strawberry.field(description=PERSONAL)
    log_index: int | None = strawberry.field(
        description="Its leaf index in the audit log (check it with logInclusionProof); null "
                    "until the log has it.")

    @classmethod
    def from_doc(cls, doc: dict[str, Any], principal: Principal | None,
                 log_index: int | None) -> Event:
        """The event as ``principal`` may see it: its history entry (the personal part and
        on-behalf-of as ``domain.access`` allows) with its place in the log."""
        entry = HistoryEntry.from_doc(doc, principal)
        return cls(
            position=doc["position"], aggregate_type=doc["aggregateType"],
            aggregate_id=strawberry.ID(doc["aggregateId"]), schema_version=doc["schemaVersion"],
            log_index=log_index, **{name: getattr(entry, name) for name in _ENTRY_FIELDS})


_ENTRY_FIELDS = ("version", "type", "recorded_at", "actor", "on_behalf_of", "correlation_id",
                 "causation_id", "data", "personal")


@strawberry.type(description="One event of a page of the feed, with its cursor.")
class EventEdge:
    cursor: str = strawberry.field(description="Opaque: pass it as after for the events "
                                               "after this one.")
    node: Event = strawberry.field(description="The event.")


@strawberry.type(description="A page of the event feed, oldest first (auditor and admin).")
class EventConnection:
    edges: list[EventEdge] = strawberry.field(description="The page's events with cursors.")
    nodes: list[Event] = strawberry.field(description="The page's events, for clients that need "
                                                      "no cursors.")
    page_info: PageInfo = strawberry.field(
        description="hasNextPage and endCursor for the next page; hasPreviousPage: the page "
                    "started after a cursor.")


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"event:{position}".encode()).decode("ascii")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    match = _CURSOR.fullmatch(text)
    if match is None:
        raise InvalidInput("This is not a cursor of the event feed: pass an endCursor it "
                           "returned.", field="after")
    return int(match.group(1))


def _instant(value: datetime.datetime | None, name: str) -> datetime.datetime | None:
    if value is not None and value.utcoffset() is None:
        raise InvalidInput(f"{name} needs a UTC offset (e.g. 2026-09-01T00:00:00+05:00).",
                           field=name)
    return value


@strawberry.type
class TimelineQuery:
    @strawberry.field(description=(
        "Every stored event in global order, filters ANDed (auditor and admin). "
        "`aggregateType` and `type` are read through the store's topic filter and "
        "`aggregateId` through the aggregate's own events; `actorRole`, `actorName`, `from` "
        "and `to` are checked event by event from the cursor on, so alone on a large log "
        "they cost a scan. Cursors are keyset cursors on `position`: events stored between "
        "two pages are neither skipped nor repeated. Other roles: FORBIDDEN."))
    async def events(
        self, info: Info,
        aggregate_type: Annotated[str | None, strawberry.argument(
            description="The aggregate's class name, as in events/: Certificate, Mooc, "
                        "Enrollment, Learner…")] = None,
        aggregate_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="One aggregate's events (its Event.aggregateId).")] = None,
        type: Annotated[str | None, strawberry.argument(
            description="The event's name, e.g. Revoked.")] = None,
        actor_role: Annotated[str | None, strawberry.argument(
            description="The role of the token that caused it, e.g. inet (exact).")] = None,
        actor_name: Annotated[str | None, strawberry.argument(
            description="The name of the token that caused it (exact).")] = None,
        from_: Annotated[datetime.datetime | None, strawberry.argument(
            name="from", description="Recorded at or after this instant (inclusive; with "
                                     "its UTC offset, else INVALID_INPUT).")] = None,
        to: Annotated[datetime.datetime | None, strawberry.argument(
            description="Recorded at or before this instant (inclusive; with its UTC "
                        "offset).")] = None,
        first: Annotated[int | None, strawberry.argument(
            description=f"Page size, at most {MAX_PAGE} (default {DEFAULT_PAGE}).")] = None,
        after: Annotated[str | None, strawberry.argument(
            description="The endCursor of the previous page; one that is not the feed's is "
                        "INVALID_INPUT.")] = None,
    ) -> EventConnection:
        principal = info.context.require(Action.READ_EVENTS)
        size = DEFAULT_PAGE if first is None else first
        if not 0 <= size <= MAX_PAGE:
            raise InvalidInput(f"first must be from 0 to {MAX_PAGE}; got {size}.",
                               field="first")
        start = decode_cursor(after) if after is not None else 0
        where = EventFilter(
            aggregate_type=aggregate_type,
            aggregate_id=parse_id(aggregate_id, "aggregate") if aggregate_id else None,
            type=type, actor_role=actor_role, actor_name=actor_name,
            recorded_from=_instant(from_, "from"), recorded_to=_instant(to, "to"))
        page = await info.context.call(info.context.service.events, where, start, size)
        audit = info.context.audit
        positions = [doc["position"] for doc in page.events]
        logged: dict[int, int] = {}
        if audit is not None and positions:
            logged = await info.context.call(audit.leaf_indexes, positions)
        nodes = [Event.from_doc(doc, principal, logged.get(doc["position"]))
                 for doc in page.events]
        edges = [EventEdge(cursor=encode_cursor(node.position), node=node) for node in nodes]
        return EventConnection(
            edges=edges, nodes=nodes,
            page_info=PageInfo(has_next_page=page.has_next, has_previous_page=start > 0,
                               start_cursor=edges[0].cursor if edges else None,
                               end_cursor=edges[-1].cursor if edges else None))
