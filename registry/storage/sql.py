"""SQL shared by both back-ends for the read-model documents and the personal-data table.

Written once with ``?`` placeholders; the PostgreSQL classes swap in ``%s`` and qualify table
names with their schema. Both drivers' rows are read by column name."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from eventsourcing.persistence import Tracking

from ..application.personal import (
    PLAIN,
    SEALED,
    KeyEncryptionKey,
    Originator,
    PersonalKeyError,
    PersonalRecord,
    PersonalStore,
    new_data_key,
    own_key_id,
    seal,
    unseal,
)
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
    """The personal-data tables: ``personal_data`` (one sealed part per ref),
    ``personal_keys`` (wrapped data keys by key id: a learner id, or ``ref:…`` for a part
    about nobody identifiable) and ``personal_subjects`` (originator → learner)."""

    def personal_table(self) -> str:
        return self.qualify("personal_data")

    def keys_table(self) -> str:
        return self.qualify("personal_keys")

    def subjects_table(self) -> str:
        return self.qualify("personal_subjects")

    def create_personal_statements(self) -> list[str]:
        blob = self.blob_type
        return [
            f"CREATE TABLE IF NOT EXISTS {self.personal_table()} "
            f"(ref TEXT PRIMARY KEY, salt {blob} NOT NULL, data {blob} NOT NULL, "
            f"scheme TEXT NOT NULL DEFAULT '{PLAIN}', key_id TEXT)",
            f"CREATE TABLE IF NOT EXISTS {self.keys_table()} "
            f"(key_id TEXT PRIMARY KEY, wrapped {blob} NOT NULL, kek_id TEXT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.subjects_table()} "
            f"(originator_id TEXT PRIMARY KEY, kind TEXT NOT NULL, subject TEXT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS personal_subjects_subject_idx "
            f"ON {self.subjects_table()} (subject)",
        ]

    def personal_columns(self) -> tuple[str, list[Any]]:
        """The columns of ``personal_data`` as rows with a ``name`` (SQLite's form)."""
        return "SELECT name FROM pragma_table_info('personal_data')", []

    def upgrade_personal_statements(self, columns: set[str]) -> list[str]:
        """Columns a table made before encryption lacks (its rows stay ``plain``)."""
        statements = []
        if "scheme" not in columns:
            statements.append(f"ALTER TABLE {self.personal_table()} "
                              f"ADD COLUMN scheme TEXT NOT NULL DEFAULT '{PLAIN}'")
        if "key_id" not in columns:
            statements.append(f"ALTER TABLE {self.personal_table()} ADD COLUMN key_id TEXT")
        statements.append(f"CREATE INDEX IF NOT EXISTS personal_data_key_id_idx "
                          f"ON {self.personal_table()} (key_id)")
        return statements

    def insert_sealed(self, ref: str, sealed: bytes, key_id: str) -> tuple[str, list[Any]]:
        return (
            self.sql(f"INSERT INTO {self.personal_table()} (ref, salt, data, scheme, key_id) "
                     "VALUES (?, ?, ?, ?, ?)"),
            [ref, b"", sealed, SEALED, key_id],
        )

    def reseal(self, ref: str, sealed: bytes, key_id: str) -> tuple[str, list[Any]]:
        return (
            self.sql(f"UPDATE {self.personal_table()} SET salt = ?, data = ?, scheme = ?, "
                     "key_id = ? WHERE ref = ? AND scheme = ?"),
            [b"", sealed, SEALED, key_id, ref, PLAIN],
        )

    def select_personal(self, refs: Sequence[str]) -> tuple[str, list[Any]]:
        marks = ", ".join("?" for _ in refs)
        return (
            self.sql(f"SELECT ref, salt, data, scheme, key_id FROM {self.personal_table()} "
                     f"WHERE ref IN ({marks})"),
            list(refs),
        )

    def select_plaintext(self, limit: int) -> tuple[str, list[Any]]:
        return (self.sql(f"SELECT ref FROM {self.personal_table()} WHERE scheme = ? "
                         "ORDER BY ref LIMIT ?"), [PLAIN, limit])

    def delete_personal(self, ref: str) -> tuple[str, list[Any]]:
        return self.sql(f"DELETE FROM {self.personal_table()} WHERE ref = ?"), [ref]

    def count_sealed_under(self, key_id: str) -> tuple[str, list[Any]]:
        return (self.sql(f"SELECT COUNT(*) AS n FROM {self.personal_table()} WHERE key_id = ?"),
                [key_id])

    def delete_sealed_under(self, key_id: str) -> tuple[str, list[Any]]:
        return self.sql(f"DELETE FROM {self.personal_table()} WHERE key_id = ?"), [key_id]

    def select_keys(self, key_ids: Sequence[str]) -> tuple[str, list[Any]]:
        marks = ", ".join("?" for _ in key_ids)
        return (self.sql(f"SELECT key_id, wrapped, kek_id FROM {self.keys_table()} "
                         f"WHERE key_id IN ({marks})"), list(key_ids))

    def insert_key(self, key_id: str, wrapped: bytes, kek_id: str) -> tuple[str, list[Any]]:
        return (self.sql(f"INSERT INTO {self.keys_table()} (key_id, wrapped, kek_id) "
                         "VALUES (?, ?, ?) ON CONFLICT (key_id) DO NOTHING"),
                [key_id, wrapped, kek_id])

    def delete_key(self, key_id: str) -> tuple[str, list[Any]]:
        return self.sql(f"DELETE FROM {self.keys_table()} WHERE key_id = ?"), [key_id]

    def insert_originator(self, originator: Originator) -> tuple[str, list[Any]]:
        return (self.sql(f"INSERT INTO {self.subjects_table()} (originator_id, kind, subject) "
                         "VALUES (?, ?, ?) ON CONFLICT (originator_id) DO NOTHING"),
                [originator.originator_id, originator.kind, originator.subject])

    def select_subject(self, originator_id: str) -> tuple[str, list[Any]]:
        return (self.sql(f"SELECT subject FROM {self.subjects_table()} "
                         "WHERE originator_id = ?"), [originator_id])

    def select_originators(self, subject: str) -> tuple[str, list[Any]]:
        return (self.sql(f"SELECT originator_id, kind, subject FROM {self.subjects_table()} "
                         "WHERE subject = ? ORDER BY originator_id"), [subject])


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
    """Personal parts sealed under per-subject data keys (see application/personal.py)."""

    def __init__(self, datastore: Any, kek: KeyEncryptionKey) -> None:
        self.datastore = datastore
        self.kek = kek

    def create_table(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            for statement in self.create_personal_statements():
                c.execute(statement)
            c.execute(*self.personal_columns())
            columns = {str(r["name"]).lower() for r in c.fetchall()}
            for statement in self.upgrade_personal_statements(columns):
                c.execute(statement)

    def _data_key(self, c: Any, key_id: str) -> bytes:
        """``key_id``'s data key, made (and stored wrapped) on first use; a concurrent
        writer's key wins the race and is the one used. The insert comes first: a transaction
        that writes first takes SQLite's write lock up front (waiting for it), where one that
        read first would fail to upgrade once another process had written."""
        c.execute(*self.insert_key(key_id, self.kek.wrap(key_id, new_data_key()),
                                   self.kek.kek_id))
        c.execute(*self.select_keys([key_id]))
        rows = c.fetchall()
        if not rows:
            raise PersonalKeyError(f"personal data key {key_id} could not be stored")
        return self.kek.unwrap(key_id, bytes(rows[0]["wrapped"]), rows[0]["kek_id"])

    def put(self, record: PersonalRecord, *, subject: str | None = None) -> None:
        key_id = subject if subject is not None else own_key_id(record.ref)
        with self.datastore.transaction(commit=True) as c:
            c.execute(*self.insert_sealed(record.ref, seal(self._data_key(c, key_id), record),
                                          key_id))

    def get_many(self, refs: Iterable[str]) -> dict[str, PersonalRecord]:
        wanted = list(dict.fromkeys(refs))
        if not wanted:
            return {}
        with self.datastore.transaction(commit=False) as c:
            c.execute(*self.select_personal(wanted))
            rows = c.fetchall()
            key_ids = sorted({r["key_id"] for r in rows if r["scheme"] == SEALED})
            wrapped = {}
            if key_ids:
                c.execute(*self.select_keys(key_ids))
                wrapped = {k["key_id"]: (bytes(k["wrapped"]), k["kek_id"]) for k in c.fetchall()}
        keys = {key_id: self.kek.unwrap(key_id, *pair) for key_id, pair in wrapped.items()}
        found: dict[str, PersonalRecord] = {}
        for r in rows:
            ref = r["ref"]
            if r["scheme"] == PLAIN:
                found[ref] = PersonalRecord(ref=ref, salt=bytes(r["salt"]), data=bytes(r["data"]))
            elif r["key_id"] in keys:  # no key: erased (a row left by a crash mid-erasure)
                record = unseal(keys[r["key_id"]], ref, bytes(r["data"]))
                if record is not None:
                    found[ref] = record
        return found

    def erase(self, ref: str) -> bool:
        with self.datastore.transaction(commit=True) as c:  # writes first (see _data_key)
            c.execute(*self.delete_key(own_key_id(ref)))
            c.execute(*self.select_personal([ref]))
            found = bool(c.fetchall())
            c.execute(*self.delete_personal(ref))
        return found

    def erase_subject(self, subject: str, refs: Iterable[str] = ()) -> int:
        wanted = list(refs)
        with self.datastore.transaction(commit=True) as c:  # writes first (see _data_key)
            c.execute(*self.delete_key(subject))
            c.execute(*self.count_sealed_under(subject))
            destroyed = int(c.fetchone()["n"])
            if wanted:
                c.execute(*self.select_personal(wanted))
                destroyed += len(c.fetchall())
            c.execute(*self.delete_sealed_under(subject))
            for ref in wanted:
                c.execute(*self.delete_personal(ref))
        return destroyed

    def remember(self, originator: Originator) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(*self.insert_originator(originator))

    def subject_of(self, originator_id: str) -> str | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(*self.select_subject(originator_id))
            rows = c.fetchall()
        return str(rows[0]["subject"]) if rows else None

    def originators_of(self, subject: str) -> list[Originator]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(*self.select_originators(subject))
            return [Originator(r["originator_id"], r["kind"], r["subject"])
                    for r in c.fetchall()]

    def plaintext_refs(self, limit: int) -> list[str]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(*self.select_plaintext(limit))
            return [str(r["ref"]) for r in c.fetchall()]

    def seal_plaintext(self, ref: str, subject: str | None) -> bool:
        """Encrypt one row from before encryption under ``subject``'s key (or its own)."""
        key_id = subject if subject is not None else own_key_id(ref)
        with self.datastore.transaction(commit=True) as c:
            data_key = self._data_key(c, key_id)  # writes first (see _data_key)
            c.execute(*self.select_personal([ref]))
            rows = [r for r in c.fetchall() if r["scheme"] == PLAIN]
            if not rows:
                return False
            record = PersonalRecord(ref=ref, salt=bytes(rows[0]["salt"]),
                                    data=bytes(rows[0]["data"]))
            c.execute(*self.reseal(ref, seal(data_key, record), key_id))
            return True

    def has_key(self, subject: str) -> bool:
        with self.datastore.transaction(commit=False) as c:
            c.execute(*self.select_keys([subject]))
            return bool(c.fetchall())
