"""SQL shared by both back-ends for the personal-data tables (the views are SQLAlchemy
tables: ``registry/projections/``).

Written once with ``?`` placeholders; the PostgreSQL classes swap in ``%s`` and qualify table
names with their schema. Both drivers' rows are read by column name."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

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

log = logging.getLogger(__name__)


class SqlDialect:
    placeholder = "?"
    blob_type = "BLOB"
    # a row lock a write holds on the key it seals under (SQLite: its first insert took the
    # whole database's write lock already)
    key_lock = ""

    def qualify(self, name: str) -> str:
        return name

    def sql(self, text: str) -> str:
        return text.replace("?", self.placeholder)


class PersonalStatements(SqlDialect):
    """The personal-data tables: ``personal_data`` (one sealed part per ref),
    ``personal_keys`` (wrapped data keys by key id: a learner id, or ``ref:…`` for a part
    about nobody identifiable) and ``personal_subjects`` (originator → learner).

    An erased key leaves its row behind as a tombstone (``erased = 1``, nothing wrapped): the
    row's primary key is what a writer racing the erasure collides with, so no key is ever
    made again for a subject whose data was erased."""

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
            f"(key_id TEXT PRIMARY KEY, wrapped {blob} NOT NULL, kek_id TEXT NOT NULL, "
            f"erased INTEGER NOT NULL DEFAULT 0)",
            f"CREATE TABLE IF NOT EXISTS {self.subjects_table()} "
            f"(originator_id TEXT PRIMARY KEY, kind TEXT NOT NULL, subject TEXT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS personal_subjects_subject_idx "
            f"ON {self.subjects_table()} (subject)",
        ]

    def columns_of(self, table: str) -> tuple[str, list[Any]]:
        """The columns of ``table`` (unqualified) as rows with a ``name`` (SQLite's form)."""
        return "SELECT name FROM pragma_table_info(?)", [table]

    def upgrade_personal_statements(self, columns: set[str], key_columns: set[str]
                                    ) -> list[str]:
        """Columns a table made before encryption lacks (its rows stay ``plain``), and the
        keys' tombstone column a table made before tombstones lacks (its rows are live)."""
        statements = []
        if "erased" not in key_columns:
            statements.append(f"ALTER TABLE {self.keys_table()} "
                              f"ADD COLUMN erased INTEGER NOT NULL DEFAULT 0")
        if "scheme" not in columns:
            statements.append(f"ALTER TABLE {self.personal_table()} "
                              f"ADD COLUMN scheme TEXT NOT NULL DEFAULT '{PLAIN}'")
        if "key_id" not in columns:
            statements.append(f"ALTER TABLE {self.personal_table()} ADD COLUMN key_id TEXT")
        statements.append(f"CREATE INDEX IF NOT EXISTS personal_data_key_id_idx "
                          f"ON {self.personal_table()} (key_id)")
        statements.append(f"CREATE INDEX IF NOT EXISTS personal_data_plain_idx "
                          f"ON {self.personal_table()} (ref) WHERE scheme = '{PLAIN}'")
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
        # the scheme as a literal, so that the partial index below answers it (a start asks
        # this of every store: a full scan of 100,000 learners' rows was most of a start-up)
        return (self.sql(f"SELECT ref FROM {self.personal_table()} WHERE scheme = '{PLAIN}' "
                         "ORDER BY ref LIMIT ?"), [limit])

    def delete_personal(self, ref: str) -> tuple[str, list[Any]]:
        return self.sql(f"DELETE FROM {self.personal_table()} WHERE ref = ?"), [ref]

    def count_sealed_under(self, key_id: str) -> tuple[str, list[Any]]:
        return (self.sql(f"SELECT COUNT(*) AS n FROM {self.personal_table()} WHERE key_id = ?"),
                [key_id])

    def delete_sealed_under(self, key_id: str) -> tuple[str, list[Any]]:
        return self.sql(f"DELETE FROM {self.personal_table()} WHERE key_id = ?"), [key_id]

    def select_keys(self, key_ids: Sequence[str]) -> tuple[str, list[Any]]:
        marks = ", ".join("?" for _ in key_ids)
        return (self.sql(f"SELECT key_id, wrapped, kek_id, erased FROM {self.keys_table()} "
                         f"WHERE key_id IN ({marks})"), list(key_ids))

    def insert_key(self, key_id: str, wrapped: bytes, kek_id: str) -> tuple[str, list[Any]]:
        return (self.sql(f"INSERT INTO {self.keys_table()} (key_id, wrapped, kek_id) "
                         "VALUES (?, ?, ?) ON CONFLICT (key_id) DO NOTHING"),
                [key_id, wrapped, kek_id])

    def select_key_to_write(self, key_id: str) -> tuple[str, list[Any]]:
        """The key a write seals under, locked against an erasure until the write commits
        (``key_lock``): the erasure's tombstone then waits for the write, and its delete of
        the parts under the key sees what the write stored."""
        statement, params = self.select_keys([key_id])
        return statement + self.key_lock, params

    def tombstone_key(self, key_id: str) -> tuple[str, list[Any]]:
        """Destroy ``key_id``'s data key, leaving (or making) its row as a tombstone."""
        return (self.sql(f"INSERT INTO {self.keys_table()} (key_id, wrapped, kek_id, erased) "
                         "VALUES (?, ?, '', 1) ON CONFLICT (key_id) DO UPDATE "
                         "SET wrapped = excluded.wrapped, kek_id = '', erased = 1"),
                [key_id, b""])

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


class SqlPersonalStore(PersonalStatements, PersonalStore):
    """Personal parts sealed under per-subject data keys (see application/personal.py)."""

    def __init__(self, datastore: Any, kek: KeyEncryptionKey) -> None:
        self.datastore = datastore
        self.kek = kek
        self._together = threading.local()  # this thread's shared transaction, if any

    @contextmanager
    def writes_together(self) -> Iterator[None]:
        """Within (this thread): ``put``, ``remember`` and ``subject_of`` run in one
        transaction, committed at the end — before the events that refer to them are
        inserted, where the recorder takes no statements in their transaction."""
        with self.datastore.transaction(commit=True) as c, self.within(c):
            yield

    @contextmanager
    def within(self, transaction: Any) -> Iterator[None]:
        """Within (this thread): ``put``, ``remember`` and ``subject_of`` go through
        ``transaction``, a cursor of a transaction the caller commits — the events' own
        (``BatchDecodingEventStore.put``)."""
        if getattr(self._together, "c", None) is not None:
            raise RuntimeError("this thread's personal writes go through another transaction")
        self._together.c = transaction
        try:
            yield
        finally:
            self._together.c = None

    def _writing(self) -> Any:
        shared = getattr(self._together, "c", None)
        return nullcontext(shared) if shared is not None else \
            self.datastore.transaction(commit=True)

    def create_table(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            for statement in self.create_personal_statements():
                c.execute(statement)
            columns, key_columns = (self._columns(c, table)
                                    for table in ("personal_data", "personal_keys"))
            for statement in self.upgrade_personal_statements(columns, key_columns):
                c.execute(statement)
        # keys deleted by erasures before tombstones existed left none: see PersonalStore
        self.tombstones_added = "erased" not in key_columns

    def _columns(self, c: Any, table: str) -> set[str]:
        c.execute(*self.columns_of(table))
        return {str(r["name"]).lower() for r in c.fetchall()}

    def _data_key(self, c: Any, key_id: str) -> bytes | None:
        """``key_id``'s data key, made (and stored wrapped) on first use; a concurrent
        writer's key wins the race and is the one used; ``None`` once the key was erased. The
        tombstone wins every race: an erasure committed first is seen; one still running is
        waited for (by the insert, or by the locking read of an existing key); and an erasure
        that starts while this write holds the key waits for it to commit, then destroys what
        it stored. The insert comes first: a transaction that writes first takes SQLite's
        write lock up front (waiting for it), where one that read first would fail to upgrade
        once another process had written."""
        c.execute(*self.insert_key(key_id, self.kek.wrap(key_id, new_data_key()),
                                   self.kek.kek_id))
        c.execute(*self.select_key_to_write(key_id))
        rows = c.fetchall()
        if not rows:
            raise PersonalKeyError(f"personal data key {key_id} could not be stored")
        if rows[0]["erased"]:
            return None
        return self.kek.unwrap(key_id, bytes(rows[0]["wrapped"]), rows[0]["kek_id"])

    def put(self, record: PersonalRecord, *, subject: str | None = None) -> None:
        key_id = subject if subject is not None else own_key_id(record.ref)
        with self._writing() as c:
            data_key = self._data_key(c, key_id)
            if data_key is None:  # a write that lost the race with an erasure: reads as erased
                log.info("personal part %s not stored: key %s was erased", record.ref, key_id)
                return
            c.execute(*self.insert_sealed(record.ref, seal(data_key, record), key_id))

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
                wrapped = {k["key_id"]: (bytes(k["wrapped"]), k["kek_id"])
                           for k in c.fetchall() if not k["erased"]}
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
            c.execute(*self.tombstone_key(own_key_id(ref)))
            c.execute(*self.select_personal([ref]))
            found = bool(c.fetchall())
            c.execute(*self.delete_personal(ref))
        return found

    def erase_subject(self, subject: str, refs: Iterable[str] = ()) -> int:
        wanted = list(refs)
        with self.datastore.transaction(commit=True) as c:  # writes first (see _data_key)
            c.execute(*self.tombstone_key(subject))
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
        with self._writing() as c:
            c.execute(*self.insert_originator(originator))

    def subject_of(self, originator_id: str) -> str | None:
        shared = getattr(self._together, "c", None)  # it sees what the batch remembered
        with nullcontext(shared) if shared is not None else \
                self.datastore.transaction(commit=False) as c:
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
            if data_key is None:  # its subject was erased: the clear row goes too
                c.execute(*self.delete_personal(ref))
                return True
            record = PersonalRecord(ref=ref, salt=bytes(rows[0]["salt"]),
                                    data=bytes(rows[0]["data"]))
            c.execute(*self.reseal(ref, seal(data_key, record), key_id))
            return True

    def has_key(self, subject: str) -> bool:
        with self.datastore.transaction(commit=False) as c:
            c.execute(*self.select_keys([subject]))
            return any(not r["erased"] for r in c.fetchall())
