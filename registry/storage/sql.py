"""SQL shared by both back-ends for the read-model documents and the personal-data table.

Written once with ``?`` placeholders; the PostgreSQL classes swap in ``%s`` and qualify table
names with their schema. Both drivers' rows are read by column name."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from eventsourcing.persistence import Tracking

from ..application.personal import PersonalRecord, PersonalStore
from ..projections.view import TABLES, RegistryView, Row, Table


def _value(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


class SqlDialect:
    placeholder = "?"
    blob_type = "BLOB"

    def qualify(self, name: str) -> str:
        return name

    def sql(self, text: str) -> str:
        return text.replace("?", self.placeholder)


class DocumentStatements(SqlDialect):
    """Statements for the read-model tables (``view_<name>``)."""

    def table_name(self, table: Table) -> str:
        return self.qualify(f"view_{table.name}")

    def create_statements(self) -> list[str]:
        statements = []
        for table in TABLES.values():
            name = self.table_name(table)
            columns = "".join(f", {col} {kind}" for col, kind in table.columns)
            statements.append(
                f"CREATE TABLE IF NOT EXISTS {name} "
                f"(key TEXT PRIMARY KEY, doc TEXT NOT NULL{columns})"
            )
            for col, _ in table.columns:
                statements.append(
                    f"CREATE INDEX IF NOT EXISTS view_{table.name}_{col}_idx ON {name} ({col})"
                )
        return statements

    def upsert(self, row: Row) -> tuple[str, list[Any]]:
        table = TABLES[row.table]
        cols = [col for col, _ in table.columns]
        names = ", ".join(["key", "doc", *cols])
        marks = ", ".join("?" for _ in range(2 + len(cols)))
        updates = ", ".join(f"{c} = excluded.{c}" for c in ["doc", *cols])
        statement = (
            f"INSERT INTO {self.table_name(table)} ({names}) VALUES ({marks}) "
            f"ON CONFLICT (key) DO UPDATE SET {updates}"
        )
        params = [row.key, json.dumps(row.doc, ensure_ascii=False)]
        params += [_value(row.columns.get(c)) for c in cols]
        return self.sql(statement), params

    def select_by_key(self, table_name: str) -> str:
        return self.sql(f"SELECT doc FROM {self.table_name(TABLES[table_name])} WHERE key = ?")

    def select(
        self,
        table_name: str,
        where: Mapping[str, Any] | None,
        search: str | None,
        *,
        count: bool = False,
        order_by: str | None = None,
    ) -> tuple[str, list[Any]]:
        table = TABLES[table_name]
        known = {col for col, _ in table.columns}
        if order_by is not None and order_by not in known:
            raise ValueError(f"{table_name} cannot be ordered by {order_by}")
        clauses: list[str] = []
        params: list[Any] = []
        for col, value in (where or {}).items():
            if col not in known | {"key"}:
                raise ValueError(f"{table_name} cannot be filtered by {col}")
            if isinstance(value, (list, tuple, set, frozenset)):  # any of these values
                values = sorted(value)
                clauses.append(f"{col} IN ({', '.join('?' for _ in values)})" if values
                               else "1 = 0")
                params.extend(_value(v) for v in values)
            else:
                clauses.append(f"{col} = ?")
                params.append(_value(value))
        if search:
            clauses.append("search LIKE ? ESCAPE '\\'")
            escaped = search.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params.append(f"%{escaped}%")
        condition = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        what = "COUNT(*) AS n" if count else "doc"
        order = "" if count else f" ORDER BY {order_by + ', ' if order_by else ''}key"
        return self.sql(f"SELECT {what} FROM {self.table_name(table)}{condition}{order}"), params

    @staticmethod
    def docs(rows: Iterable[Any]) -> list[dict[str, Any]]:
        return [json.loads(r["doc"]) for r in rows]


class PersonalStatements(SqlDialect):
    def personal_table(self) -> str:
        return self.qualify("personal_data")

    def create_personal_statements(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.personal_table()} "
            f"(ref TEXT PRIMARY KEY, salt {self.blob_type} NOT NULL, data {self.blob_type} NOT NULL)"
        ]

    def insert_personal(self, record: PersonalRecord) -> tuple[str, list[Any]]:
        return (
            self.sql(f"INSERT INTO {self.personal_table()} (ref, salt, data) VALUES (?, ?, ?)"),
            [record.ref, record.salt, record.data],
        )

    def select_personal(self, refs: Sequence[str]) -> tuple[str, list[Any]]:
        marks = ", ".join("?" for _ in refs)
        return (
            self.sql(f"SELECT ref, salt, data FROM {self.personal_table()} WHERE ref IN ({marks})"),
            list(refs),
        )

    def delete_personal(self, ref: str) -> tuple[str, list[Any]]:
        return self.sql(f"DELETE FROM {self.personal_table()} WHERE ref = ?"), [ref]

    @staticmethod
    def personal_records(rows: Iterable[Any]) -> dict[str, PersonalRecord]:
        return {
            r["ref"]: PersonalRecord(ref=r["ref"], salt=bytes(r["salt"]), data=bytes(r["data"]))
            for r in rows
        }


class SqlRegistryView(DocumentStatements, RegistryView):
    """The view, for any eventsourcing recorder whose datastore has
    ``transaction(commit=…)`` and whose cursors are DB-API-like."""

    datastore: Any

    def save(self, rows: Sequence[Row], tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as c:
            for row in rows:
                c.execute(*self.upsert(row))
            self._insert_tracking(c, tracking)  # type: ignore[attr-defined]

    def get(self, table: str, key: str) -> dict[str, Any] | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.select_by_key(table), [key])
            docs = self.docs(c.fetchall())
        return docs[0] if docs else None

    def find(
        self,
        table: str,
        where: Mapping[str, Any] | None = None,
        *,
        search: str | None = None,
        order_by: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        statement, params = self.select(table, where, search, order_by=order_by)
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.sql(f"{statement} LIMIT ? OFFSET ?"), [*params, limit, offset])
            return self.docs(c.fetchall())

    def count(
        self, table: str, where: Mapping[str, Any] | None = None, *, search: str | None = None
    ) -> int:
        statement, params = self.select(table, where, search, count=True)
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, params)
            return int(c.fetchone()["n"])


class SqlPersonalStore(PersonalStatements, PersonalStore):
    def __init__(self, datastore: Any) -> None:
        self.datastore = datastore

    def create_table(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            for statement in self.create_personal_statements():
                c.execute(statement)

    def put(self, record: PersonalRecord) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(*self.insert_personal(record))

    def get_many(self, refs: Iterable[str]) -> dict[str, PersonalRecord]:
        wanted = list(refs)
        if not wanted:
            return {}
        with self.datastore.transaction(commit=False) as c:
            c.execute(*self.select_personal(wanted))
            return self.personal_records(c.fetchall())

    def erase(self, ref: str) -> bool:
        with self.datastore.transaction(commit=True) as c:
            c.execute(*self.select_personal([ref]))
            found = bool(c.fetchall())
            c.execute(*self.delete_personal(ref))
        return found
