"""One object per back-end: everything that differs between SQLite and PostgreSQL, chosen
once in the composition root (``bootstrap.py``) — eventsourcing's persistence settings, the
personal-data, document and audit-log stores, the views' SQLAlchemy engines and ``INSERT …
ON CONFLICT`` construct, and how the projection engine is woken by a new event.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import (
    ARRAY,
    Connection,
    Engine,
    Table,
    Text,
    any_,
    bindparam,
    create_engine,
    event,
    func,
    literal_column,
    select,
)
from sqlalchemy import table as sql_table
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import DBAPIError

from ..application.personal import KeyEncryptionKey
from ..fastjson import dumps_text, loads
from ..projections.store import Dialect

# eventsourcing recorders with a hook for statements in the events' own transaction
RECORDERS = "registry.storage.recorders"

log = logging.getLogger(__name__)

SQLITE_FILE = "registry.sqlite3"
PRIVATE_FILE = 0o600


Wake = Callable[[threading.Event, threading.Event], None]


class Backend(ABC):
    """What a running registry needs of its storage."""

    name: str

    @abstractmethod
    def persistence_env(self) -> dict[str, str]:
        """eventsourcing's settings (passed explicitly, SPEC §2)."""

    @abstractmethod
    def prepare(self) -> None:
        """Whatever must exist before eventsourcing connects."""

    def starting(self) -> AbstractContextManager[None]:
        """Held while a process starts (``bootstrap.build``: its tables made if missing): by
        default nothing — SQLite's own lock orders concurrent first starts."""
        return nullcontext()

    @abstractmethod
    def personal_store(self, datastore: Any, kek: KeyEncryptionKey) -> Any: ...

    @abstractmethod
    def document_store(self, datastore: Any) -> Any: ...

    @abstractmethod
    def audit_view_class(self) -> type: ...

    @abstractmethod
    def event_positions(self, datastore: Any, events_table: str) -> Any:
        """Where each aggregate's events stand in the notification log
        (``storage/positions.py``)."""

    @abstractmethod
    def view_engines(self) -> tuple[Engine, Engine]:
        """(the engine projections write with, the engine reads use)."""

    @abstractmethod
    def view_dialect(self) -> Dialect: ...

    schema: str | None = None

    def bulk_writes(self, app: Any) -> Any:
        """A context in which one writer fills the event store in bulk (``registry demo``)."""
        return nullcontext()

    def wake(self, app: Any) -> Wake | None:
        """A loop that sets its first argument whenever a new event is stored (until its
        second is set); ``None``: the engine is prompted in-process and polls."""
        return None


class SQLiteDialect(Dialect):
    """Search: an FTS5 table with the trigram tokenizer over the search column (external
    content, kept by triggers), so ``MATCH '"кас"'`` finds substrings through an index."""

    def insert(self, table: Table) -> Any:
        return sqlite_dialect.insert(table)

    @staticmethod
    def _fts(table: Table) -> str:
        return f"{table.name}__search"

    def create_search(self, c: Connection, table: Table, column: str) -> None:
        q = c.dialect.identifier_preparer.quote
        t, fts, col = q(table.name), q(self._fts(table)), q(column)
        c.exec_driver_sql(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({col}, content='{table.name}',"
            " content_rowid='rowid', tokenize='trigram')")
        add = f"INSERT INTO {fts}(rowid, {col}) VALUES (new.rowid, new.{col});"
        remove = (f"INSERT INTO {fts}({fts}, rowid, {col}) VALUES ('delete', old.rowid, "
                  f"old.{col});")
        for suffix, when, body in (("ai", "AFTER INSERT", add), ("ad", "AFTER DELETE", remove),
                                   ("au", "AFTER UPDATE", remove + " " + add)):
            c.exec_driver_sql(f"CREATE TRIGGER IF NOT EXISTS {q(f'{table.name}__search_{suffix}')}"
                              f" {when} ON {t} BEGIN {body} END")
        c.exec_driver_sql(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")

    def drop_search(self, c: Connection, table: Table) -> None:
        c.exec_driver_sql(
            f"DROP TABLE IF EXISTS {c.dialect.identifier_preparer.quote(self._fts(table))}")

    def compact_search(self, c: Connection, table: Table) -> None:
        fts = c.dialect.identifier_preparer.quote(self._fts(table))
        c.exec_driver_sql(f"INSERT INTO {fts}({fts}) VALUES ('optimize')")

    def key_in(self, column: Any) -> Any:
        return column.in_(select(literal_column("value")).select_from(
            func.json_each(bindparam("keys", type_=Text))))

    def keys_parameter(self, keys: list[str]) -> Any:
        return dumps_text(keys)  # a JSON array, which json_each reads

    def search_clause(self, table: Table, column: str, terms: Sequence[str]) -> Any:
        if any(len(term) < 3 for term in terms):  # a trigram index cannot find these
            return super().search_clause(table, column, terms)
        fts = self._fts(table)
        match = " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
        found: Any = select(literal_column("rowid")).select_from(sql_table(fts)).where(
            literal_column(f'"{fts}"').op("MATCH")(match))
        return literal_column(f'"{table.name}".rowid').in_(found)


class PostgresDialect(Dialect):
    """Search: a GIN index with pg_trgm's trigram operator class, which serves ``LIKE
    '%…%'`` (the extension is created if missing; without it searches scan)."""

    snapshot = {"isolation_level": "REPEATABLE READ"}

    def insert(self, table: Table) -> Any:
        return pg_dialect.insert(table)

    def key_in(self, column: Any) -> Any:
        return column == any_(bindparam("keys", type_=ARRAY(Text)))

    def create_search(self, c: Connection, table: Table, column: str) -> None:
        schema = self._trigram_schema(c, table.schema)
        if schema is None:
            return
        q = c.dialect.identifier_preparer
        c.exec_driver_sql(
            f"CREATE INDEX IF NOT EXISTS {q.quote(f'ix_{table.name}_{column}_trgm')} ON "
            f"{q.format_table(table)} USING gin ({q.quote(column)} "
            f"{q.quote(schema)}.gin_trgm_ops)")

    @staticmethod
    def _trigram_schema(c: Connection, own: str | None) -> str | None:
        """The schema pg_trgm is installed in, installing it if it is not (into ``public``,
        else into the registry's own schema)."""
        find = "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"
        schema = c.exec_driver_sql(find).scalar()
        for target in ("public", own):
            if schema is not None or target is None:
                break
            try:
                with c.begin_nested():
                    c.exec_driver_sql(f"CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA "
                                      f"{c.dialect.identifier_preparer.quote(target)}")
            except DBAPIError as error:  # no right to, or another process raced us
                log.info("pg_trgm could not be created in %s: %s", target, error.orig)
            schema = c.exec_driver_sql(find).scalar()
        if schema is None:
            log.warning("pg_trgm is not installed and could not be: name searches scan their "
                        "table (ask the database owner to run CREATE EXTENSION pg_trgm)")
        return None if schema is None else str(schema).strip('"')


class SQLiteBackend(Backend):
    """The embedded default: one file in the data directory (SPEC §2)."""

    name = "sqlite"

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / SQLITE_FILE

    def persistence_env(self) -> dict[str, str]:
        return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(self.path),
                "SQLITE_LOCK_TIMEOUT": "10",
                "APPLICATION_RECORDER_TOPIC": f"{RECORDERS}:SQLiteRegistryRecorder"}

    def prepare(self) -> None:
        """Create the file 0600 before SQLite opens it (its -wal and -shm files take its
        mode), and tighten the files of an older data directory."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE)
        os.close(fd)
        for suffix in ("", "-wal", "-shm", "-journal"):
            try:
                os.chmod(self.path.with_name(self.path.name + suffix), PRIVATE_FILE)
            except FileNotFoundError:
                pass

    def personal_store(self, datastore: Any, kek: KeyEncryptionKey) -> Any:
        from .sqlite import SQLitePersonalStore

        return SQLitePersonalStore(datastore, kek)

    def document_store(self, datastore: Any) -> Any:
        from .documents import SQLiteDocumentStore

        return SQLiteDocumentStore(datastore)

    def audit_view_class(self) -> type:
        from .audit_sqlite import SQLiteAuditLogView

        return SQLiteAuditLogView

    def event_positions(self, datastore: Any, events_table: str) -> Any:
        from .positions import SQLiteEventPositions

        return SQLiteEventPositions(datastore, events_table)

    def _engine(self, begin: str) -> Engine:
        engine = create_engine(f"sqlite:///{self.path}", json_serializer=dumps_text,
                               json_deserializer=loads,
                               connect_args={"timeout": 10, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            # pysqlite's own transaction handling is off: the "begin" hook below says how
            # each transaction starts (SQLAlchemy's documented recipe).
            dbapi_connection.isolation_level = None
            dbapi_connection.execute("PRAGMA busy_timeout = 10000")
            dbapi_connection.execute("PRAGMA synchronous = NORMAL")
            # 64 MiB of page cache (default 2 MiB): a rebuild inserts rows by random keys
            # into tables of hundreds of thousands of rows and their key indexes.
            dbapi_connection.execute("PRAGMA cache_size = -65536")
            # Views hold names too: an erasure must not leave them in free pages (sqlite.py).
            dbapi_connection.execute("PRAGMA secure_delete = ON")

        @event.listens_for(engine, "begin")
        def _begin(connection: Any) -> None:
            connection.exec_driver_sql(begin)

        return engine

    def view_engines(self) -> tuple[Engine, Engine]:
        # Writers take the write lock when they begin (a read-then-write transaction could
        # not upgrade once another process had written); readers share WAL snapshots.
        return self._engine("BEGIN IMMEDIATE"), self._engine("BEGIN")

    def view_dialect(self) -> Dialect:
        return SQLiteDialect()

    @contextmanager
    def bulk_writes(self, app: Any) -> Iterator[None]:
        """``synchronous = NORMAL`` on the event store's connections (WAL commits without an
        fsync each, as the views' engines run): a fully synchronous bulk fill spends most of
        its time in fsync, one per flush and one per view step.
        A crash may lose the last commits, never corrupt the file."""
        datastore = app.factory.datastore
        original = datastore.get_connection

        @contextmanager
        def get_connection(*, commit: bool) -> Iterator[Any]:
            with original(commit=commit) as conn:
                if not getattr(conn, "_synchronous_normal", False):  # once: a pragma stays
                    conn._sqlite_conn.execute("PRAGMA synchronous = NORMAL")
                    conn._synchronous_normal = True
                yield conn

        datastore.get_connection = get_connection
        try:
            yield
        finally:
            del datastore.get_connection


class PostgresBackend(Backend):
    """The scale path: ``REGISTRY_DATABASE_URL=postgresql://user:password@host:port/db``."""

    name = "postgresql"

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("postgresql", "postgres"):
            raise ValueError(
                f"REGISTRY_DATABASE_URL must be postgresql://…; got {parts.scheme}://")
        query = parse_qs(parts.query)
        # User and password may be omitted (trust authentication): the OS user and an empty
        # password are passed, since eventsourcing wants both set.
        self.dbname = unquote(parts.path.lstrip("/")) or "postgres"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 5432
        self.user = unquote(parts.username) if parts.username else getpass.getuser()
        self.password = unquote(parts.password) if parts.password else ""
        self.schema: str = query.get("schema", ["public"])[0]

    def persistence_env(self) -> dict[str, str]:
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "APPLICATION_RECORDER_TOPIC": f"{RECORDERS}:PostgresRegistryRecorder",
            "POSTGRES_DBNAME": self.dbname,
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password,
            "POSTGRES_SCHEMA": str(self.schema),
            "POSTGRES_CONNECT_TIMEOUT": "5",
            "POSTGRES_LOCK_TIMEOUT": "5",
            "POSTGRES_POOL_SIZE": "5",
        }

    def _connect_args(self) -> dict[str, Any]:
        return {"dbname": self.dbname, "host": self.host, "port": self.port, "user": self.user,
                "password": self.password or None, "connect_timeout": 5}

    @contextmanager
    def starting(self) -> Iterator[None]:
        """One process at a time starts on this schema: PostgreSQL's ``CREATE … IF NOT
        EXISTS`` is not safe against a concurrent one (two servers and a projections process
        started together on a new schema failed with "duplicate key value violates unique
        constraint pg_namespace_nspname_index"). A session-level advisory lock on a
        connection of its own, released at the end of the block or when the process dies;
        a later start waits for an earlier one (a second or so)."""
        import psycopg

        with psycopg.connect(**self._connect_args(), autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", [self.start_lock_key()])
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", [self.start_lock_key()])

    def start_lock_key(self) -> int:
        """The advisory lock's key: this registry's schema (a database may hold several)."""
        digest = hashlib.blake2b(f"det-registry start {self.schema}".encode(),
                                 digest_size=8).digest()
        return int.from_bytes(digest, "big", signed=True)

    def prepare(self) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(**self._connect_args(), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                sql.Identifier(str(self.schema))))

    def personal_store(self, datastore: Any, kek: KeyEncryptionKey) -> Any:
        from .postgres import PostgresPersonalStore

        return PostgresPersonalStore(datastore, kek)

    def document_store(self, datastore: Any) -> Any:
        from .documents import PostgresDocumentStore

        return PostgresDocumentStore(datastore)

    def audit_view_class(self) -> type:
        from .audit_postgres import PostgresAuditLogView

        return PostgresAuditLogView

    def event_positions(self, datastore: Any, events_table: str) -> Any:
        from .positions import PostgresEventPositions

        return PostgresEventPositions(datastore, events_table)

    def view_engines(self) -> tuple[Engine, Engine]:
        engine = create_engine("postgresql+psycopg://", connect_args=self._connect_args(),
                               json_serializer=dumps_text, json_deserializer=loads,
                               pool_size=5, max_overflow=10,
                               pool_pre_ping=True)
        return engine, engine

    def view_dialect(self) -> Dialect:
        return PostgresDialect()

    def wake(self, app: Any) -> Wake | None:
        """eventsourcing's PostgreSQL recorder NOTIFYs its channel with every insert: LISTEN on
        it (one connection of its own), so the engine runs as soon as an event is stored, in
        whichever process stored it."""
        channel = app.recorder.channel_name
        connect_args = self._connect_args()

        def listen(wakeup: threading.Event, stopping: threading.Event) -> None:
            import psycopg
            from psycopg import sql

            while not stopping.is_set():
                try:
                    with psycopg.connect(**connect_args, autocommit=True) as conn:
                        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                        wakeup.set()  # anything stored while not listening
                        while not stopping.is_set():
                            for _ in conn.notifies(timeout=0.5, stop_after=1):
                                wakeup.set()
                except Exception as error:  # the server is away: poll until it is back
                    log.warning("cannot listen for new events (%s); polling", error)
                    stopping.wait(2.0)

        return listen


def backend_for(database_url: str | None, data_dir: Path) -> Backend:
    return PostgresBackend(database_url) if database_url else SQLiteBackend(data_dir)
