"""PostgreSQL: the scale store. Views and personal data live in the events' schema."""

from __future__ import annotations

from typing import Any

from .sql import SqlPersonalStore


class PostgresDialect:
    placeholder = "%s"
    blob_type = "BYTEA"
    key_lock = " FOR SHARE"
    datastore: Any

    def qualify(self, name: str) -> str:
        return f'"{self.datastore.schema}"."{name}"'


class PostgresPersonalStore(PostgresDialect, SqlPersonalStore):
    def columns_of(self, table: str) -> tuple[str, list[Any]]:
        return ("SELECT column_name AS name FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s",
                [self.datastore.schema, table])
