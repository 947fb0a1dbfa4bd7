"""SQLite: the audit log's tables live in the registry's one database file."""

from __future__ import annotations

from eventsourcing.sqlite import SQLiteTrackingRecorder

from .audit_sql import SqlAuditLogView


class SQLiteAuditLogView(SqlAuditLogView, SQLiteTrackingRecorder):
    index_type = "INTEGER"  # INTEGER PRIMARY KEY is SQLite's rowid: the leaf index costs nothing

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *self.create_audit_statements()]
