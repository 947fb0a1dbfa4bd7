"""What a projection is: a name, a version, the event types it handles, its own tables — and
how it turns a batch of events into rows.

The engine (``engine.py``) folds each event once into the state of its aggregate (a cache of
aggregates kept current event by event, never reloaded from history per event) and hands each
projection, per batch, the final state of every aggregate the batch touched. A projection then
writes rows: an :class:`AggregateProjection` presents each touched aggregate as the rows of its
tables; a projection may also read and write its own tables to keep values that span aggregates
(``statistics.py``).
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol
from uuid import UUID

from eventsourcing.domain import Aggregate

from .tables import ViewTable


@dataclass(frozen=True)
class Row:
    """One read-model document and the values of its table's hidden columns."""

    table: str
    key: str
    doc: Mapping[str, Any]
    columns: Mapping[str, Any] = field(default_factory=dict)


def aggregate_name(event_class: type) -> str:
    """``Certificate.Issued`` → ``Certificate``."""
    return event_class.__qualname__.rpartition(".")[0] or event_class.__qualname__


class Writes(Protocol):
    """What a projection may do inside its batch's transaction (its own tables only)."""

    def upsert(self, rows: Sequence[Row]) -> None: ...

    def add(self, table: str, column: str, deltas: Mapping[str, tuple[Mapping[str, Any], int]]
            ) -> None: ...


@dataclass(frozen=True)
class Batch:
    """Events after the projection's position, in order (``(notification id, event)``), the
    final state of each aggregate they touched, and the batch's last position."""

    events: Sequence[tuple[int, Any]]
    states: Mapping[UUID, Aggregate]
    last: int
    # For a projection that ``summarises``: each touched aggregate's summary just before
    # this batch (``summary(None)`` for one it created).
    before: Mapping[UUID, Any] = field(default_factory=dict)


class Projection(ABC):
    name: ClassVar[str]
    version: ClassVar[int]
    tables: ClassVar[tuple[ViewTable, ...]]
    aggregates: ClassVar[tuple[type[Aggregate], ...]]  # whose events it handles

    summarises: ClassVar[bool] = False

    def summary(self, state: Aggregate | None) -> Any:
        """What this projection needs to know of an aggregate's state before a batch changes
        it (``summarises`` projections: the engine keeps it for them as it folds)."""
        return None

    def handles(self, event_class: type) -> bool:
        """Whether this projection handles ``event_class``'s events (worked out once per
        class: the engine asks for every notification and every build)."""
        known: dict[type, bool] = self.__dict__.setdefault("_handles", {})
        found = known.get(event_class)
        if found is None:
            names = {a.__name__ for a in self.aggregates}
            found = known[event_class] = aggregate_name(event_class) in names
        return found

    @abstractmethod
    def apply(self, batch: Batch, writes: Writes) -> None: ...

    def touched(self, batch: Batch) -> list[Aggregate]:
        """The final states of the aggregates of this projection's types the batch touched,
        in the order first touched."""
        seen: dict[UUID, Aggregate] = {}
        for _, event in batch.events:
            if event.originator_id not in seen and self.handles(type(event)):
                state = batch.states.get(event.originator_id)
                if state is not None:
                    seen[event.originator_id] = state
        return list(seen.values())

    def describe(self) -> str:
        return f"{self.name} v{self.version}"

    def fingerprint(self) -> str:
        """The version and the tables' shape: a build whose tables were made with another
        one (a column added without a version bump, say) is rebuilt, never written to as if
        it had the columns the code expects."""
        shape = [[t.name, [[f.column, f.kind, f.index] for f in t.fields]] for t in self.tables]
        text = json.dumps([self.version, shape], separators=(",", ":"))
        return f"v{self.version}:{hashlib.sha256(text.encode()).hexdigest()[:16]}"


class AggregateProjection(Projection):
    """Rows = a presentation of the aggregate's current state (``presenters.py``): each
    touched aggregate is presented once per batch, whatever number of its events it holds."""

    # table → (key → the id of the aggregate that writes that row), to answer a write whose
    # views are behind straight from the aggregate (SPEC §2: read your writes)
    locate: ClassVar[Mapping[str, Callable[[str], UUID | None]]] = {}

    @abstractmethod
    def present(self, aggregate: Any) -> list[Row]: ...

    def apply(self, batch: Batch, writes: Writes) -> None:
        rows: list[Row] = []
        for aggregate in self.touched(batch):
            rows.extend(self.present(aggregate))
        writes.upsert(rows)
