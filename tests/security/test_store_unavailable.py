"""A store that cannot take writes (issue 10, SPEC §10): mutations answer ``UNAVAILABLE``
and store nothing, reads go on, ``/healthz`` says ``degraded`` and why, and the background
loops back off and warn once instead of logging a traceback per attempt.

How the store is made unwritable, on a server shared with parallel tests and as root (where
``chmod`` stops nothing): on SQLite every connection of the registry's pool gets
``PRAGMA query_only`` (read-only) or ``PRAGMA max_page_count`` at its current size (full) —
SQLite's own ``SQLITE_READONLY``/``SQLITE_FULL``; on PostgreSQL, statement triggers on the
test's own schema raise SQLSTATE 25006 (``read_only_sql_transaction``) or 53100
(``disk_full``), exactly what a read-only standby or a full disk answers.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from api.apiclient import Api, make_client
from api.operations import DRAFT, PLATFORM
from eventsourcing.sqlite import SQLiteConnectionPool
from psycopg import sql
from sqlalchemy import event
from support import ADMIN, eventually

from registry.application.context import command_context
from registry.bootstrap import Container, postgres_env
from registry.clock import FixedClock
from registry.config import Settings
from registry.domain.moocs import LocalizedText
from registry.retry import Backoff

READ_ONLY, FULL = "read-only", "full"
REASONS = {READ_ONLY: "read-only", FULL: "full"}


class Store:
    """Turns the registry's store unwritable (``break_(kind)``) and back (``mend()``)."""

    def __init__(self, container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
        self.container = container
        self.monkeypatch = monkeypatch
        self.settings = container.settings

    # -- SQLite: every connection of the pool, and every new one --------------------------

    def _sqlite(self, pragmas: list[str]) -> None:
        pool = self.container.app.factory.datastore.pool
        for conn in [*pool._pool, *pool._in_use.values()]:
            for pragma in pragmas:
                conn._sqlite_conn.execute(pragma)
        create = SQLiteConnectionPool._create_connection

        def create_unwritable(pool: Any) -> Any:
            conn = create(pool)
            for pragma in pragmas:
                conn._sqlite_conn.execute(pragma)
            return conn

        self.monkeypatch.setattr(SQLiteConnectionPool, "_create_connection", create_unwritable)
        # The projections' own connections (SQLAlchemy): the same, from their next connect.
        for engine in {self.container.views.engine, self.container.views.read_engine}:
            engine.dispose()
            if event.contains(engine, "connect", self._on_connect):
                event.remove(engine, "connect", self._on_connect)
            self._pragmas = pragmas
            event.listen(engine, "connect", self._on_connect)

    def _on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        for pragma in self._pragmas:
            dbapi_connection.execute(pragma)

    # -- PostgreSQL: triggers on the test's own schema ------------------------------------

    def _postgres(self, errcode: str | None) -> None:
        assert self.settings.database_url
        env = postgres_env(self.settings.database_url)
        schema = parse_qs(urlsplit(self.settings.database_url).query)["schema"][0]
        with psycopg.connect(dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"],
                             port=env["POSTGRES_PORT"], user=env["POSTGRES_USER"],
                             password=env["POSTGRES_PASSWORD"] or None,
                             autocommit=True) as conn:
            tables = [row[0] for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,))]
            function = sql.Identifier(schema, "refuse_writes")
            if errcode:
                conn.execute(sql.SQL(
                    "CREATE OR REPLACE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'test: the store refuses writes' "
                    "USING ERRCODE = {}; END $$").format(function, sql.Literal(errcode)))
            for table in tables:
                name = sql.Identifier(schema, table)
                conn.execute(sql.SQL("DROP TRIGGER IF EXISTS refuse_writes ON {}").format(name))
                if errcode:
                    conn.execute(sql.SQL(
                        "CREATE TRIGGER refuse_writes BEFORE INSERT OR UPDATE OR DELETE "
                        "OR TRUNCATE ON {} FOR EACH STATEMENT EXECUTE FUNCTION {}()"
                    ).format(name, function))

    def break_(self, kind: str) -> None:
        if self.settings.database_url:
            self._postgres("25006" if kind == READ_ONLY else "53100")
        elif kind == READ_ONLY:
            self._sqlite(["PRAGMA query_only = ON"])
        else:
            pool = self.container.app.factory.datastore.pool
            conn = pool.get_connection()
            try:
                pages = conn._sqlite_conn.execute("PRAGMA page_count").fetchone()[0]
            finally:
                pool.put_connection(conn)
            # No free page to reuse either: what the file holds now is all it may hold.
            self._sqlite([f"PRAGMA max_page_count = {pages}"])

    def mend(self) -> None:
        if self.settings.database_url:
            self._postgres(None)
        else:
            self.monkeypatch.undo()
            self._sqlite(["PRAGMA query_only = OFF", "PRAGMA max_page_count = 4294967294"])
            self.monkeypatch.undo()


@pytest.fixture
def api(backend_settings: Settings, clock: FixedClock) -> Iterator[Api]:
    with make_client(backend_settings, clock) as client:
        yield Api(client)


@pytest.fixture
def store(api: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    store = Store(api.container, monkeypatch)
    yield store
    store.mend()


def draft(api: Api, token: str, code: str) -> dict[str, Any]:
    return api(DRAFT, {"input": {"code": code, "title": {"en": code}, "language": "en",
                                 "credits": 3}}, token=token)


@pytest.mark.parametrize("kind", [READ_ONLY, FULL])
def test_mutations_answer_unavailable_and_reads_go_on(api: Api, store: Store,
                                                      kind: str) -> None:
    admin = api.token("admin")
    before = api.event_count()
    store.break_(kind)
    # A full SQLite file may still have room in free pages: write until it has none.
    answers = [draft(api, admin, "FULL-0")]
    while answers[-1]["data"] and len(answers) < 30:
        answers.append(draft(api, admin, f"FULL-{len(answers)}"))
    refused = answers[-1]
    assert refused["data"] is None
    error = refused["errors"][0]
    assert error["extensions"]["code"] == "UNAVAILABLE", error
    assert "cannot store changes now" in error["message"]
    assert REASONS[kind] in error["message"]
    stored = sum(1 for answer in answers if answer["data"])
    assert api.event_count() == before + stored
    # Reads are served.
    assert api(PLATFORM, {"code": "moocs.kz"})["data"]["platform"]["code"] == "moocs.kz"
    health = api.client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert REASONS[kind] in health.json()["reasons"]["writes"]

    store.mend()
    assert draft(api, admin, "AFTER-1")["data"]["draftMooc"]["code"] == "AFTER-1"
    eventually(lambda: api.client.get("/healthz").json()["status"] == "ok",
               "health is ok again")


def test_the_projection_backs_off_and_warns_once(
        api: Api, store: Store, caplog: pytest.LogCaptureFixture) -> None:
    container = api.container
    runner = container.daemon
    assert runner is not None
    admin = api.token("admin")
    runner.stop()
    with command_context(ADMIN):  # … this one is not projected yet
        container.commands.moocs.draft(code="PENDING-1", title=LocalizedText(en="Pending"),
                                       language="en", credits=3, hours=None, department=None)
    store.break_(READ_ONLY)
    with caplog.at_level(logging.WARNING, logger="registry.projections.engine"):
        runner.start()
        eventually(lambda: runner.backoff.failures >= 3, "three failed attempts")
        records = [r for r in caplog.records if r.getMessage().startswith(
            f"{runner.backoff.what} ")]
        assert len(records) == 1, [r.getMessage() for r in records]
        assert records[0].levelno == logging.WARNING and records[0].exc_info is None
        assert "the database is read-only" in records[0].getMessage()
        health = api.client.get("/healthz").json()
        assert health["status"] == "degraded" and "projection" in health["reasons"]
        store.mend()
        runner.prompt()
        eventually(lambda: runner.problem is None, "the projection recovers")
        assert api(PLATFORM, {"code": "moocs.kz"}, token=admin)["data"]["platform"]
        assert container.service.get("moocs", "PENDING-1") is not None
        records = [r for r in caplog.records if r.getMessage().startswith(
            f"{runner.backoff.what} ")]
        assert len(records) == 2 and "works again" in records[1].getMessage()


def test_the_checkpointer_backs_off_and_warns_once(
        sqlite_settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    from dataclasses import replace

    settings = replace(sqlite_settings, checkpoint_seconds=0.05, checkpoint_every=1000)
    with make_client(settings, clock) as client:
        api = Api(client)
        container = api.container
        container.checkpointer.stop()
        api.token("admin")
        container.audit_runner.wait(container.app.last_notification_id())
        store = Store(container, monkeypatch)
        store.break_(READ_ONLY)
        try:
            with caplog.at_level(logging.WARNING, logger="registry.audit.log"):
                container.checkpointer.start()
                backoff = container.checkpointer.backoff
                eventually(lambda: backoff.failures >= 3, "three failed attempts")
                records = [r for r in caplog.records if r.name == "registry.audit.log"]
                assert len(records) == 1, [r.getMessage() for r in records]
                assert records[0].exc_info is None
                assert "checkpoints" in api.client.get("/healthz").json()["reasons"]
        finally:
            store.mend()


def test_healthz_answers_503_when_the_store_cannot_be_read(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable() -> int:
        raise psycopg.OperationalError("connection refused")

    monkeypatch.setattr(api.container.audit, "size", unreachable)
    health = api.client.get("/healthz")
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable",
                             "reasons": {"store": "the database server cannot be reached"}}


def test_a_read_the_store_cannot_answer_is_unavailable_not_internal(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def unreadable(*args: Any, **kwargs: Any) -> Any:
        raise sqlite3.OperationalError("disk I/O error")

    for read in ("get", "get_many"):  # one record, or a batch of them (registry/api/loaders)
        monkeypatch.setattr(api.container.service, read, unreadable)
    body = api(PLATFORM, {"code": "moocs.kz"})
    assert body["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
    assert "cannot read its store now" in body["errors"][0]["message"]


def test_backoff_grows_to_its_cap_and_speaks_once_per_state(
        caplog: pytest.LogCaptureFixture) -> None:
    backoff = Backoff("the loop", logging.getLogger("test.backoff"), base=0.5, cap=4.0)
    with caplog.at_level(logging.WARNING, logger="test.backoff"):
        pauses = [backoff.failed(OSError("x"), reason="disk full") for _ in range(6)]
        backoff.failed(OSError("another problem"))
        backoff.succeeded()
        backoff.succeeded()
    assert pauses == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 3
    assert "disk full" in messages[0] and "another problem" in messages[1]
    assert "works again" in messages[2]
    assert backoff.problem is None and backoff.failures == 0
