"""Where one aggregate's events stand in the notification log: (version, notification id)
pairs, read with one indexed statement on the event store's own table (eventsourcing keeps the
notification id beside each stored event — SQLite's ``rowid``, PostgreSQL's
``notification_id`` — but its recorders only select it by range, not by aggregate).

Time travel (``asOf: {position}``) and the feed filtered by aggregate id ask it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from .postgres import PostgresDialect
from .sql import SqlDialect


def _as_int(value: UUID) -> int:
    return value.int


class SqlEventPositions(SqlDialect):
    id_column = "rowid"

    def __init__(self, datastore: Any, events_table: str) -> None:
        self.datastore = datastore
        self.events_table = events_table

    def originator(self, originator_id: UUID) -> Any:
        return originator_id.hex  # how eventsourcing's SQLite recorder stores a UUID

    def originator_of(self, stored: Any) -> UUID:
        return UUID(str(stored))

    def select_positions(self) -> str:
        return self.sql(f"SELECT originator_version, {self.id_column} AS position "
                        f"FROM {self.qualify(self.events_table)} WHERE originator_id = ? "
                        "ORDER BY originator_version")

    def positions(self, originator_id: UUID) -> list[tuple[int, int]]:
        """(version, notification id) of each of the aggregate's events, oldest first."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.select_positions(), [self.originator(originator_id)])
            return [(int(r["originator_version"]), int(r["position"])) for r in c.fetchall()]


    def stored_events(self, originator_ids: Sequence[UUID]) -> dict[UUID, list[StoredEvent]]:
        """Every stored event of each of several aggregates, oldest first, in one statement
        per 500 aggregates (a list of records, each with its history, reads them together)."""
        wanted = sorted(set(originator_ids), key=_as_int)  # (UUID's own < is Python code)
        found: dict[UUID, list[StoredEvent]] = {i: [] for i in wanted}
        with self.datastore.transaction(commit=False) as c:
            for asked, marks in self._chunks(wanted):
                c.execute(self.sql(
                    "SELECT originator_id, originator_version, topic, state "
                    f"FROM {self.qualify(self.events_table)} WHERE originator_id IN ({marks}) "
                    "ORDER BY originator_id, originator_version"),
                    list(asked))
                for r in c.fetchall():
                    stored = r["originator_id"]
                    originator_id = asked.get(stored) or self.originator_of(stored)
                    found[originator_id].append(StoredEvent(
                        originator_id=originator_id,
                        originator_version=int(r["originator_version"]),
                        topic=r["topic"], state=bytes(r["state"])))
        return found

    def _chunks(self, ids: Sequence[UUID]) -> Iterator[tuple[dict[Any, UUID], str]]:
        """``ids`` 500 at a time: each one's id as stored → the UUID asked for (a row's id is
        not parsed again), and the statement's placeholders for them."""
        for start in range(0, len(ids), 500):
            asked = {self.originator(i): i for i in ids[start:start + 500]}
            yield asked, ", ".join("?" * len(asked))

    def versions(self, originator_ids: Sequence[UUID]) -> dict[UUID, int]:
        """The newest version of each of several aggregates (absent: it has no events), in
        one statement per 500 aggregates — whether any of them changed, without reading them."""
        found: dict[UUID, int] = {}
        with self.datastore.transaction(commit=False) as c:
            for asked, marks in self._chunks(list(set(originator_ids))):
                c.execute(self.sql(
                    "SELECT originator_id, MAX(originator_version) AS version "
                    f"FROM {self.qualify(self.events_table)} WHERE originator_id IN ({marks}) "
                    "GROUP BY originator_id"), list(asked))
                for r in c.fetchall():
                    stored = r["originator_id"]
                    found[asked.get(stored) or self.originator_of(stored)] = int(r["version"])
        return found


class SQLiteEventPositions(SqlEventPositions):
    pass


class PostgresEventPositions(PostgresDialect, SqlEventPositions):
    id_column = "notification_id"

    def originator(self, originator_id: UUID) -> Any:
        return originator_id
