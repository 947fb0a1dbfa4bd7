"""PostgreSQL: the audit log's tables live in the events' schema."""

from __future__ import annotations

from .audit_sql import SqlAuditLogView
from .postgres import PostgresDialect


class PostgresAuditLogView(PostgresDialect, SqlAuditLogView):
    pass
