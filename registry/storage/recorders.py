"""eventsourcing's application recorders, with one hook: ``insert_events(…, before=f)`` runs
``f(cursor)`` first, in the events' own transaction — as eventsourcing's process recorders
write their tracking records. The registry writes there the personal parts its events refer to
(``BatchDecodingEventStore.put``): they commit with those events or not at all, in one commit
instead of two. ``PERSISTENCE_MODULE``'s factory takes them through
``APPLICATION_RECORDER_TOPIC`` (``Backend.persistence_env``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

Before = Callable[[Any], None]


class SQLiteRegistryRecorder(SQLiteApplicationRecorder):
    runs_before = True

    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], *,
                       before: Before | None = None, **kwargs: Any) -> Sequence[int] | None:
        if before is not None:
            before(c)
        return super()._insert_events(c, stored_events, **kwargs)


class PostgresRegistryRecorder(PostgresApplicationRecorder):
    @property
    def runs_before(self) -> bool:
        # With the database functions on, eventsourcing's insert skips ``_insert_events``
        # (never configured by the registry): the personal parts then go their own way.
        return not self.datastore.enable_db_functions

    def _insert_events(self, curs: Any, stored_events: Sequence[StoredEvent], *,
                       before: Before | None = None, **kwargs: Any) -> None:
        if before is not None:
            before(curs)
        super()._insert_events(curs, stored_events, **kwargs)
