"""SQLite: the audit log's tables live in the registry's one database file."""

from __future__ import annotations

from .audit_sql import SqlAuditLogView


class SQLiteAuditLogView(SqlAuditLogView):
    index_type = "INTEGER"  # INTEGER PRIMARY KEY is SQLite's rowid: the leaf index costs nothing
