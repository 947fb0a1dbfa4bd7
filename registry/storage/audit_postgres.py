"""PostgreSQL: the audit log's tables live in the events' schema."""

from __future__ import annotations

from typing import Any

from eventsourcing.postgres import PostgresTrackingRecorder
from psycopg.sql import SQL

from .audit_sql import SqlAuditLogView
from .postgres import PostgresDialect


class PostgresAuditLogView(PostgresDialect, SqlAuditLogView, PostgresTrackingRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sql_create_statements.extend(
            SQL(s) for s in self.create_audit_statements())  # type: ignore[misc]
