"""The event store read as it is, for auditors (SPEC §9): the global feed of stored events, and
any record's state as of a position or an instant, rebuilt from its events — never from the
views — and presented by the same presenter its projection uses.

Costs (the feed): a page reads the notification log from its cursor in batches of
:data:`BATCH`. ``aggregateType`` and ``type`` become a topic filter the store applies, so only
matching events are read; ``aggregateId`` reads that aggregate's events only (two indexed
statements). ``actorRole``, ``actorName`` and ``from``/``to`` are in each event's metadata:
the store cannot filter on them, so a page scans from its cursor until it has ``first + 1``
matches or reaches the head — combine them with a topic filter (or an aggregate id), or page
on, when the log is large. Only the events on the page are decoded in full (one bulk query
for their personal parts).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from ..audit.catalog import aggregates, event_classes
from ..domain.certificates import Certificate, CertificateStatus, standing
from ..domain.errors import InvalidInput
from ..domain.keys import KeyRing, KeyWindow
from ..projections.projection import AggregateProjection, Projection
from .mapper import META, aggregate_kind, stored_state
from .service import Doc, history_entry

BATCH = 500  # notifications read per statement while a page fills


class EventPositions(Protocol):
    def positions(self, originator_id: UUID) -> list[tuple[int, int]]:
        """(version, notification id) of each of the aggregate's events, oldest first."""

    def stored_events(self, originator_ids: Sequence[UUID]) -> dict[UUID, list[StoredEvent]]:
        """Every stored event of each aggregate, oldest first, read together."""


@dataclass(frozen=True)
class EventFilter:
    """The feed's filters, ANDed; ``None``: not filtered on."""

    aggregate_type: str | None = None
    aggregate_id: UUID | None = None
    type: str | None = None
    actor_role: str | None = None
    actor_name: str | None = None
    recorded_from: datetime | None = None
    recorded_to: datetime | None = None

    def on_metadata(self) -> bool:
        return any(v is not None for v in (self.actor_role, self.actor_name,
                                           self.recorded_from, self.recorded_to))


@dataclass(frozen=True)
class AsOf:
    """A moment: right after the event at global ``position``, or at instant ``time``."""

    position: int | None = None
    time: datetime | None = None

    def __post_init__(self) -> None:
        if (self.position is None) == (self.time is None):
            raise InvalidInput("asOf takes exactly one of position and time.", field="asOf")
        if self.position is not None and self.position < 0:
            raise InvalidInput("asOf.position must be 0 or more.", field="asOf.position")
        if self.time is not None and self.time.utcoffset() is None:
            raise InvalidInput("asOf.time needs a UTC offset (e.g. 2026-09-01T00:00:00+05:00).",
                               field="asOf.time")


@dataclass(frozen=True)
class FeedPage:
    events: list[Doc]  # oldest first; each a history entry with its place in the log
    has_next: bool


def _recorded_at(state: dict[str, Any]) -> datetime:
    meta = state.get(META) or {}
    text = meta.get("recorded_at")
    if text:
        return datetime.fromisoformat(text)
    stamp = state.get("timestamp")
    return stamp if isinstance(stamp, datetime) else datetime.fromisoformat(str(stamp))


class EventCatalog:
    """Aggregate class names and event names → the topics the store records."""

    def __init__(self) -> None:
        self.by_aggregate: dict[str, list[str]] = {}
        self.by_event: dict[str, list[str]] = {}
        for aggregate in aggregates():
            for event in event_classes(aggregate):
                topic = get_topic(event)
                self.by_aggregate.setdefault(aggregate.__qualname__, []).append(topic)
                name = event.__qualname__.rpartition(".")[2]
                self.by_event.setdefault(name, []).append(topic)

    def topics(self, aggregate_type: str | None, event_type: str | None) -> list[str] | None:
        """The topics both filters allow; ``None``: no topic filter."""
        chosen: set[str] | None = None
        if aggregate_type is not None:
            if aggregate_type not in self.by_aggregate:
                known = ", ".join(sorted(self.by_aggregate))
                raise InvalidInput(f"No aggregate type {aggregate_type!r}; one of: {known}.",
                                   field="aggregateType")
            chosen = set(self.by_aggregate[aggregate_type])
        if event_type is not None:
            if event_type not in self.by_event:
                raise InvalidInput(f"No event type {event_type!r} (see events/ for the names).",
                                   field="type")
            named = set(self.by_event[event_type])
            chosen = named if chosen is None else chosen & named
        return None if chosen is None else sorted(chosen)


class Timeline:
    def __init__(self, app: Any, projections: Sequence[Projection],
                 positions: EventPositions) -> None:
        self.app = app
        self.positions = positions
        self.catalog = EventCatalog()
        self.by_table: dict[str, AggregateProjection] = {
            table.name: projection for projection in projections
            if isinstance(projection, AggregateProjection) for table in projection.tables}

    # -- the feed ----------------------------------------------------------------------------

    def feed(self, where: EventFilter, after: int, limit: int) -> FeedPage:
        """The events after position ``after`` that ``where`` admits, at most ``limit``."""
        topics = self.catalog.topics(where.aggregate_type, where.type)
        if topics == []:  # both given, and no event type of that aggregate has that name
            return FeedPage([], False)
        if where.aggregate_id is not None:
            found = self._of_aggregate(where.aggregate_id, after, topics)
            matched = [(p, s, st) for p, s, st in found if self._admits(where, st)]
        else:
            matched = self._scan(where, after, limit + 1, topics)
        return FeedPage(self._entries(matched[:limit]), len(matched) > limit)

    def entries(self, notifications: Sequence[Any]) -> list[Doc]:
        """Stored notifications as the feed shows them (the live feed's events), decoded in
        one pass (one bulk query for their personal parts)."""
        return self._entries([(int(n.id), n, stored_state(self.app.mapper, n.state))
                              for n in notifications])

    def _entries(self, page: Sequence[tuple[int, Any, dict[str, Any]]]) -> list[Doc]:
        decoded = self.app.mapper.to_domain_events([stored for _, stored, _ in page])
        events = []
        for (position, stored, state), event in zip(page, decoded, strict=True):
            entry = history_entry(event)
            entry.update(position=position, aggregateType=aggregate_kind(type(event)),
                         aggregateId=str(stored.originator_id),
                         schemaVersion=int(state.get("class_version", 1)))
            events.append(entry)
        return events

    def _scan(self, where: EventFilter, after: int, wanted: int, topics: list[str] | None
              ) -> list[tuple[int, Any, dict[str, Any]]]:
        matched: list[tuple[int, Any, dict[str, Any]]] = []
        cursor = after
        while len(matched) < wanted:
            batch = self.app.recorder.select_notifications(
                start=cursor, limit=BATCH, topics=topics or (), inclusive_of_start=False)
            for notification in batch:
                state = stored_state(self.app.mapper, notification.state)
                if self._admits(where, state):
                    matched.append((notification.id, notification, state))
                    if len(matched) == wanted:
                        break
            if len(batch) < BATCH:
                break
            cursor = batch[-1].id
        return matched

    def _of_aggregate(self, aggregate_id: UUID, after: int, topics: list[str] | None
                      ) -> list[tuple[int, Any, dict[str, Any]]]:
        at = {version: position for version, position in self.positions.positions(aggregate_id)
              if position > after}
        if not at:
            return []
        stored = self.app.recorder.select_events(aggregate_id, gt=min(at) - 1)
        return [(at[s.originator_version], s, stored_state(self.app.mapper, s.state))
                for s in stored if s.originator_version in at
                and (topics is None or s.topic in topics)]

    @staticmethod
    def _admits(where: EventFilter, state: dict[str, Any]) -> bool:
        if not where.on_metadata():
            return True
        meta = state.get(META) or {}
        if where.actor_role is not None and meta.get("actor_role") != where.actor_role:
            return False
        if where.actor_name is not None and meta.get("actor_name") != where.actor_name:
            return False
        if where.recorded_from is not None or where.recorded_to is not None:
            recorded = _recorded_at(state)
            if where.recorded_from is not None and recorded < where.recorded_from:
                return False
            if where.recorded_to is not None and recorded > where.recorded_to:
                return False
        return True

    # -- time travel -------------------------------------------------------------------------

    def version_at(self, aggregate_id: UUID, at: AsOf) -> int:
        """The aggregate's version at that moment (0: it did not exist yet)."""
        return self.versions_at([aggregate_id], at)[aggregate_id]

    def versions_at(self, aggregate_ids: Sequence[UUID], at: AsOf) -> dict[UUID, int]:
        """Each aggregate's version at that moment (0: it did not exist yet): by position,
        one indexed statement per aggregate; by time, their events read together."""
        if at.position is not None:
            return {i: self._version(i, at, ()) for i in aggregate_ids}
        stored = self.positions.stored_events(aggregate_ids)
        return {i: self._version(i, at, stored[i]) for i in aggregate_ids}

    def _version(self, aggregate_id: UUID, at: AsOf, stored: Sequence[StoredEvent]) -> int:
        """The version at ``at``: by position from the store's positions, by time from
        ``stored`` (the aggregate's events, oldest first: the last recorded by then)."""
        if at.position is not None:
            versions = [v for v, p in self.positions.positions(aggregate_id) if p <= at.position]
            return max(versions, default=0)
        assert at.time is not None
        version = 0
        for event in stored:
            if _recorded_at(stored_state(self.app.mapper, event.state)) > at.time:
                break
            version = event.originator_version
        return version

    def state_at(self, aggregate_id: UUID, at: AsOf) -> Aggregate | None:
        """The aggregate folded from its events up to that moment; ``None`` before it existed."""
        return self.states_at([aggregate_id], at)[aggregate_id]

    def states_at(self, aggregate_ids: Sequence[UUID], at: AsOf
                  ) -> dict[UUID, Aggregate | None]:
        """Each aggregate folded from its events up to that moment (``None``: it did not
        exist yet); their events read in one statement, decoded in one pass."""
        stored = self.positions.stored_events(aggregate_ids)
        versions = {i: self._version(i, at, events) for i, events in stored.items()}
        kept = {i: [e for e in events if e.originator_version <= versions[i]]
                for i, events in stored.items()}
        decoded = iter(self.app.mapper.to_domain_events(
            [event for events in kept.values() for event in events]))
        states: dict[UUID, Aggregate | None] = {}
        for i, events in kept.items():
            state: Aggregate | None = None
            for _ in events:
                state = next(decoded).mutate(state)
            states[i] = state
        return {i: states.get(i) for i in aggregate_ids}

    def present(self, table: str, key: str, at: AsOf) -> Doc | None:
        """Row ``key`` of ``table`` as its projection would have written it at that moment
        (a certificate's status judged with the key ring as it was then)."""
        return self.present_many(table, [key], at)[key]

    def present_many(self, table: str, keys: Sequence[str], at: AsOf) -> dict[str, Doc | None]:
        """``present`` for several rows of one table, their aggregates read together (and the
        key ring once, for certificates)."""
        projection = self.by_table[table]
        locate = type(projection).locate.get(table)
        ids = {key: locate(key) if locate else None for key in keys}
        states = self.states_at(sorted({i for i in ids.values() if i is not None}), at)
        docs: dict[str, Doc | None] = {}
        ring: Mapping[str, KeyWindow] | None = None  # the signing keys then, read once
        for key, aggregate_id in ids.items():
            aggregate = states[aggregate_id] if aggregate_id is not None else None
            doc = None if aggregate is None else next(
                (dict(row.doc) for row in projection.present(aggregate)
                 if row.table == table and row.key == key), None)
            if doc is not None and isinstance(aggregate, Certificate):
                if ring is None:
                    found = self.state_at(KeyRing.create_id(), at)
                    ring = found.keys if isinstance(found, KeyRing) else {}
                doc = _standing(doc, ring)
            docs[key] = doc
        return docs


def _standing(doc: Doc, keys: Mapping[str, KeyWindow]) -> Doc:
    """A certificate's row with its status judged by the signing keys of the same moment."""
    key = keys.get(doc.get("kid", ""))
    status, reason = standing(CertificateStatus(doc["status"]), doc.get("revocationReason"),
                              key, date.fromisoformat(doc["issuedOn"]))
    if status.value == doc["status"]:
        return doc
    return {**doc, "status": status.value, "revocationReason": reason}
