"""SQLite: the embedded default. Events, views, tracking and personal data share one file."""

from __future__ import annotations

from eventsourcing.sqlite import SQLiteTrackingRecorder

from .sql import SqlPersonalStore, SqlRegistryView


class SQLiteRegistryView(SqlRegistryView, SQLiteTrackingRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *self.create_statements()]


class SQLitePersonalStore(SqlPersonalStore):
    pass
