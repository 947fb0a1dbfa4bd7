"""The projection engine on each back-end (SPEC §2, §9): views equal a replay, a version bump
builds new tables while the old serve, a failing handler stops its projection only, writes
answer success while views are behind, projections run in a process of their own."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from sqlalchemy import inspect
from support import (
    ADMIN,
    OnPostgres,
    OnSQLite,
    StorageCase,
    certified,
    enrolled,
    eventually,
    examined,
    issued,
    published_mooc,
    registered,
    revoked,
    scored,
)

from registry.bootstrap import Container, build
from registry.clock import FixedClock
from registry.config import Settings
from registry.domain.moocs import LocalizedText
from registry.projections.catalog import Certificates, Moocs, projections
from registry.projections.engine import EventSource, ProjectionDaemon, rebuild, verify
from registry.projections.projection import Projection, Row
from registry.projections.store import BUILDING, ProjectionStore
from registry.projections.tables import ViewTable, hidden


def draft(service: Any, code: str, title: str = "A course") -> None:
    """Store a draft without waiting for the views (they may be stopped)."""
    service.execute(ADMIN, lambda cmd: cmd.moocs.draft(
        code=code, title=LocalizedText(en=title), language="en", credits=3, hours=None,
        department=None))


def engine(container: Container, catalogue: list[Projection], batch_size: int = 500,
           fill_factor: int = 1) -> ProjectionDaemon:
    """A projection engine over the container's store with another set of projections."""
    views = container.views
    store = ProjectionStore(views.engine, container.backend.view_dialect(), catalogue,
                            schema=container.backend.schema, read_engine=views.read_engine)
    return ProjectionDaemon(EventSource(container.app), store, catalogue, batch_size=batch_size,
                            fill_factor=fill_factor)


def replaced(cls: type, by: Projection) -> list[Projection]:
    return [by if isinstance(p, cls) else p for p in projections()]


def assert_equal_to_replay(container: Container) -> None:
    daemon = engine(container, projections())
    for name in daemon.projections:
        report = verify(daemon, name)
        assert report.problem is None, (name, report.problem)
        assert report.differences == [], (name, report.differences[:5])


class MoocsV2(Moocs):
    """The next version of the MOOC projection: a new column to filter on."""

    version = Moocs.version + 1
    tables = (ViewTable("moocs", (*Moocs.tables[0].fields, hidden("title_en"))),)

    def present(self, aggregate: Any) -> list[Row]:
        return [Row(r.table, r.key, r.doc, {**r.columns, "title_en": aggregate.title.en})
                for r in super().present(aggregate)]


class MoocsWithAColumn(Moocs):
    """A column added, the version forgotten: the same version, another shape."""

    tables = (ViewTable("moocs", (*Moocs.tables[0].fields, hidden("title_en"))),)


class FragileCertificates(Certificates):
    """A handler with a bug: it cannot present a certificate of a course coded BOOM-…"""

    def present(self, aggregate: Any) -> list[Row]:
        if aggregate.mooc_code.startswith("BOOM"):
            raise RuntimeError("cannot present this certificate")
        return super().present(aggregate)


class ProjectionCase(StorageCase):
    def test_every_view_equals_a_fresh_replay_of_a_mixed_history(
            self, registry: Container) -> None:
        service = registry.service
        first = certified(service, "REPLAY-1")
        revoked(service, first["number"], "Issued in error")
        published_mooc(service, "REPLAY-2")
        for name in ("Әсел Қасымова", "Aidos Serikuly"):
            issued(service, examined(service, scored(service, enrolled(service, "REPLAY-2",
                                                                       name))))
        draft(service, "REPLAY-3")
        assert registry.wait_for_views().current
        assert_equal_to_replay(registry)

    def test_rows_read_by_keys_are_those_of_the_keys_the_view_has(
            self, registry: Container) -> None:
        """``get_many`` (every relation's batch, one parameter whatever the number of keys):
        each key the view has, read as ``get`` reads it; keys it has not — unknown, repeated,
        or odd text — are simply absent."""
        service = registry.service
        learners = [registered(service, f"Оқушы {i:03}") for i in range(12)]
        assert registry.wait_for_views().current
        views = registry.views
        keys = [doc["id"] for doc in learners]
        asked = [*keys, *keys[:3], str(uuid.uuid4()), 'a"b\\c', "', '", "[]", ""]
        found = views.get_many("learners", asked)
        assert found == {key: views.get("learners", key) for key in keys}
        assert [found[k]["fullName"] for k in keys] == [f"Оқушы {i:03}" for i in range(12)]
        assert views.get_many("learners", [str(uuid.uuid4())]) == {}
        assert views.get_many("learners", []) == {}

    def test_reads_sharing_a_connection_survive_a_switch_made_elsewhere(
            self, registry: Container, monkeypatch: pytest.MonkeyPatch) -> None:
        """Another engine (another process) switched the views to new tables and dropped the
        old ones this store still believes serve: a read in a ``together`` block fails once
        on the shared connection, which is rolled back (PostgreSQL), and is read again from
        the new tables — as a read on a connection of its own always was."""
        published_mooc(registry.service, "SWITCH-1")
        assert registry.wait_for_views().current
        views = registry.views
        before = views.serving(fresh=True)["moocs"]
        registry.daemon.stop()  # only the other engine switches
        rebuild(engine(registry, projections()), ["moocs"])
        retried: list[bool] = []
        invalidate = views.invalidate
        monkeypatch.setattr(views, "invalidate", lambda: retried.append(True) or invalidate())
        monkeypatch.setattr(views, "_serving_read_at", time.monotonic() + 3600)  # stale, kept
        with views.together():
            assert views.get_many("moocs", ["SWITCH-1"])["SWITCH-1"]["code"] == "SWITCH-1"
            assert views.get("moocs", "SWITCH-1")["status"] == "PUBLISHED"  # type: ignore[index]
        assert retried == [True]
        assert views.serving()["moocs"].build > before.build

    def test_verify_finds_a_row_changed_behind_the_engine(self, registry: Container) -> None:
        published_mooc(registry.service, "TAMPER-1")
        live = registry.views.serving(fresh=True)["moocs"]
        table = registry.views.tables("moocs", live.build)["moocs"]
        with registry.views.transaction() as c:
            c.execute(table.update().where(table.c.key == "TAMPER-1").values(status="DRAFT"))
        report = verify(engine(registry, projections()), "moocs")
        assert report.differences == [
            "moocs TAMPER-1: status: view 'DRAFT' ≠ replay 'PUBLISHED'"]

    def test_statistics_span_enrolments_and_certificates(self, registry: Container) -> None:
        service = registry.service
        published_mooc(service, "STATS-1")
        passed = examined(service, scored(service, enrolled(service, "STATS-1", "Бірінші")))
        issued(service, passed)
        examined(service, scored(service, enrolled(service, "STATS-1", "Екінші"),
                                 (50, 50, 50)), points=0)
        enrolled(service, "STATS-1", "Үшінші")
        stats = service.mooc_statistics("STATS-1")
        enrollments = service.find("enrollments", {"mooc_code": "STATS-1"})
        assert stats["enrolled"] == len(enrollments) == 3
        assert stats["admitted"] == sum(e["admitted"] for e in enrollments) == 2
        assert stats["examined"] == 2
        assert stats["passed"] == sum(bool(e["passed"]) for e in enrollments) == 1
        assert stats["activeCertificates"] == 1
        assert stats["admissionRate"] == pytest.approx(2 / 3)
        assert stats["passRate"] == pytest.approx(1 / 2)
        grades = [e["finalGrade"]["numeric"] for e in enrollments if e["finalGrade"]]
        assert stats["averageFinal"] == pytest.approx(sum(grades) / len(grades))
        assert service.mooc_statistics("NONE-1")["passRate"] is None
        overall = service.statistics()
        assert overall["activeCertificates"] == 1
        assert overall["certificatesIssuedByMonth"] == [{"month": "2026-06", "count": 1}]
        assert overall["moocsByStatus"]["PUBLISHED"] >= 1

    def test_a_version_bump_builds_new_tables_while_the_old_serve_then_switches(
            self, settings: Settings, clock: FixedClock) -> None:
        first = build(settings, clock, poll_interval=0.05)
        published_mooc(first.service, "BLUE-1")
        first.close()

        # The new code: MOOCs v2. Nothing runs the projections in this process but the
        # engine below, one event per step.
        container = build(settings, clock, poll_interval=0.05, run_projections=False,
                          seed=False)
        try:
            daemon = engine(container, replaced(Moocs, MoocsV2()), batch_size=2)
            daemon.prepare()
            store = daemon.store
            building = [b for b in store.builds() if b.name == "moocs" and b.state == BUILDING]
            assert [b.version for b in building] == [Moocs.version + 1]
            schema = container.backend.schema
            new_table = f"pv_moocs_{building[0].build}"
            # filled bare (cheaper), indexed when it switches
            assert inspect(store.engine).get_indexes(new_table, schema=schema) == []
            daemon.step()
            assert store.serving(fresh=True)["moocs"].version == Moocs.version  # the old serves …
            assert store.get("moocs", "BLUE-1")["status"] == "PUBLISHED"  # type: ignore[index]
            draft(container.service, "BLUE-2", title="Written during the build")
            daemon.step()
            # … and is kept current while the new one fills.
            assert store.get("moocs", "BLUE-2")["status"] == "DRAFT"  # type: ignore[index]
            daemon.run_until_caught_up(timeout=60)
            serving = store.serving(fresh=True)["moocs"]
            indexed = {tuple(i["column_names"]) for i in
                       inspect(store.engine).get_indexes(new_table, schema=schema)}
            assert {("status",), ("code",), ("title_en",)} <= indexed
            assert serving.version == Moocs.version + 1
            assert [d["code"] for d in store.find("moocs", {"title_en": "Written during the "
                                                                          "build"})] == ["BLUE-2"]
            old = [b for b in store.builds() if b.name == "moocs" and b.build != serving.build]
            assert old == []
            tables = inspect(store.engine).get_table_names(schema=container.backend.schema)
            # the old build's tables are gone, its search index with them
            builds = {t.removeprefix("pv_moocs_").split("__")[0] for t in tables
                      if t.startswith("pv_moocs_")}
            assert builds == {str(serving.build)}
            assert f"pv_moocs_{serving.build}" in tables
        finally:
            container.close()

    def test_a_column_added_without_a_version_bump_is_built_anew_not_written_blind(
            self, settings: Settings, clock: FixedClock) -> None:
        first = build(settings, clock, poll_interval=0.05)
        published_mooc(first.service, "SHAPE-1")
        first.close()
        container = build(settings, clock, poll_interval=0.05, run_projections=False,
                          seed=False)
        try:
            daemon = engine(container, replaced(Moocs, MoocsWithAColumn()))
            daemon.prepare()
            moocs = [b for b in daemon.store.builds() if b.name == "moocs"]
            assert [(b.version, b.state, daemon.store.current(b)) for b in moocs] == [
                (Moocs.version, "serving", False), (Moocs.version, "building", True)]
            daemon.run_until_caught_up(timeout=60)
            assert daemon.store.get("moocs", "SHAPE-1")["status"] == "PUBLISHED"  # type: ignore[index]
            assert [b.build for b in daemon.store.builds() if b.name == "moocs"] == [
                moocs[1].build]
        finally:
            container.close()

    def test_the_previous_engines_tables_are_dropped(self, settings: Settings,
                                                     clock: FixedClock) -> None:
        first = build(settings, clock, poll_interval=0.05, seed=False)
        with first.views.transaction() as c:  # as the engine before this one left them
            c.exec_driver_sql(f"CREATE TABLE {_qualified(first, 'view_learners')} "
                              "(key TEXT PRIMARY KEY, doc TEXT NOT NULL)")
        first.close()
        second = build(settings, clock, poll_interval=0.05, seed=False)
        try:
            eventually(lambda: "view_learners" not in inspect(second.views.engine)
                       .get_table_names(schema=second.backend.schema),
                       "the engine, preparing in its thread, drops the old table")
        finally:
            second.close()

    def test_rebuild_switches_to_new_tables_that_equal_the_old(
            self, registry: Container) -> None:
        certified(registry.service, "REBUILD-1")
        before = registry.views.serving(fresh=True)
        rebuild(engine(registry, projections()), ["certificates", "statistics"])
        after = registry.views.serving(fresh=True)
        assert after["certificates"].build > before["certificates"].build
        assert after["moocs"].build == before["moocs"].build
        assert registry.service.find("certificates")[0]["moocCode"] == "REBUILD-1"
        assert registry.service.mooc_statistics("REBUILD-1")["activeCertificates"] == 1
        assert_equal_to_replay(registry)

    def test_a_failing_handler_stops_its_projection_only_and_resumes_after_a_fix(
            self, settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr("registry.bootstrap.projections",
                            lambda: replaced(Certificates, FragileCertificates()))
        settings = _quick_waits(settings)
        container = build(settings, clock, poll_interval=0.05)
        try:
            service = container.service
            published_mooc(service, "BOOM-1")
            enrollment = examined(service, scored(service, enrolled(service, "BOOM-1")))
            number = service.run(ADMIN, lambda cmd: cmd.certificates.issue(
                enrollment_id=uuid.UUID(enrollment["id"])))
            assert service.last_consistency is not None
            assert service.last_consistency.views == ("certificates",)
            # The write is stored; the other views go on; the stopped one is reported.
            published_mooc(service, "AFTER-1")
            assert service.get("moocs", "AFTER-1") is not None
            stopped = [b for b in container.views.builds() if b.error]
            assert [b.name for b in stopped] == ["certificates"]
            assert "cannot present this certificate" in (stopped[0].error or "")
            assert container.projection_problem() == "stopped on an error: certificates"
            assert service.get("certificates", number) is None
        finally:
            container.close()

        monkeypatch.undo()  # the fix is deployed: restart
        fixed = build(settings, clock, poll_interval=0.05)
        try:
            assert fixed.wait_for_views().current
            assert fixed.service.get("certificates", number)["status"] == "ACTIVE"  # type: ignore[index]
            assert not [b for b in fixed.views.builds() if b.error]
            assert_equal_to_replay(fixed)
        finally:
            fixed.close()

    def test_projections_in_their_own_process_serve_reads_and_writes(
            self, settings: Settings, clock: FixedClock) -> None:
        runner = build(settings, clock, poll_interval=30.0 if settings.database_url else 0.05,
                       seed=False, run_projections=True)
        server = build(settings, clock, poll_interval=0.05, run_projections=False)
        try:
            assert server.daemon is None
            mooc = published_mooc(server.service, "EXTERNAL-1")
            # On PostgreSQL the engine polls only every 30 s: LISTEN/NOTIFY woke it.
            assert server.service.last_consistency is not None
            assert server.service.last_consistency.current
            assert mooc["status"] == "PUBLISHED"
            assert runner.service.get("moocs", "EXTERNAL-1") == mooc
        finally:
            server.close()
            runner.close()


# -- crashes: kill -9 in the middle of a rebuild and of a write load -------------------------

LOAD = """
import sys, uuid
sys.path[:0] = {paths!r}
from registry.bootstrap import build
from registry.config import Settings
from support import ADMIN, published_mooc, registered
settings = Settings.from_env()
container = build(settings, poll_interval=0.01)
published_mooc(container.service, "CRASH-1")
for i in range(100_000):
    learner = registered(container.service, f"Тыңдаушы {{i}}")
    container.service.run(ADMIN, lambda cmd: cmd.enrollments.enroll(
        learner_id=uuid.UUID(learner["id"]), mooc_code="CRASH-1"))
    print(i, flush=True)
    sys.stdin.readline()
"""

REBUILD = """
import sys
sys.path[:0] = {paths!r}
from registry.bootstrap import build
from registry.config import Settings
from registry.projections.catalog import projections
from registry.projections.engine import EventSource, ProjectionDaemon, rebuild
container = build(Settings.from_env(), seed=False, run_projections=False)
daemon = ProjectionDaemon(EventSource(container.app), container.views, projections(),
                          batch_size=5, fill_factor=4)
def progress(name, position, total):
    print(name, position, flush=True)
    sys.stdin.readline()  # in step with the test: it cannot run ahead to the end
rebuild(daemon, [p.name for p in projections()], progress=progress)
"""


def _env(settings: Settings) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env["REGISTRY_DATA_DIR"] = str(settings.data_dir)
    if settings.database_url:
        env["REGISTRY_DATABASE_URL"] = settings.database_url
    return env


def _killed_after(script: str, settings: Settings, lines: int) -> None:
    """Run ``script`` and kill -9 it once it has printed ``lines`` lines.

    The script waits for a line on its stdin after each line it prints, so
    however slow this process is to read, the script is at most one step
    past its ``lines``-th line when the signal lands (somewhere inside that
    step, or waiting at the end of it) — never run on to its end."""
    import signal
    import subprocess
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parent.parent
    code = script.format(paths=[str(here.parent), str(here)])
    process = subprocess.Popen([sys.executable, "-c", code], env=_env(settings),
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdin is not None
        for _ in range(lines):
            if not process.stdout.readline():
                raise AssertionError(f"the script ended early: {process.stderr.read()}")  # type: ignore[union-attr]
            process.stdin.write("\n")
            process.stdin.flush()
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()  # reaped: its leases are seen to be gone


class CrashCase(StorageCase):
    def test_kill_9_during_a_write_load_loses_and_doubles_nothing(
            self, settings: Settings, clock: FixedClock) -> None:
        _killed_after(LOAD, settings, lines=40)
        container = build(settings, clock, poll_interval=0.05)
        try:
            assert container.wait_for_views(timeout=30).current
            enrolments = container.service.count("enrollments", {"mooc_code": "CRASH-1"})
            assert enrolments >= 40
            assert container.service.mooc_statistics("CRASH-1")["enrolled"] == enrolments
            assert_equal_to_replay(container)
        finally:
            container.close()

    def test_kill_9_during_a_rebuild_resumes_it_after_a_restart(
            self, settings: Settings, clock: FixedClock) -> None:
        first = build(settings, clock, poll_interval=0.05)
        published_mooc(first.service, "CRASH-2")
        for i in range(100):  # ≈ 210 events: batches of 20 while rebuilding (5 × 4)
            registered(first.service, f"Тыңдаушы {i}")
        first.close()
        _killed_after(REBUILD, settings, lines=25)
        # Looked at before a daemon runs: a restarted one may finish the rest at once.
        stopped = build(settings, clock, seed=False, run_projections=False)
        try:
            building = [b for b in stopped.views.builds() if b.state == BUILDING]
        finally:
            stopped.close()
        assert building, "the rebuild was cut short"
        container = build(settings, clock, poll_interval=0.05)
        try:
            eventually(lambda: not [b for b in container.views.builds()
                                    if b.state == BUILDING], "the rebuild is finished",
                       timeout=60)
            serving = container.views.serving(fresh=True)
            assert {n: b.build for n, b in serving.items()} == {
                b.name: b.build for b in building}  # the resumed builds serve
            assert container.service.count("learners") == 100
            assert_equal_to_replay(container)
        finally:
            container.close()


class TestCrashSQLite(OnSQLite, CrashCase):
    pass


class TestCrashPostgres(OnPostgres, CrashCase):
    pass


def _qualified(container: Container, table: str) -> str:
    schema = container.backend.schema
    return f'"{schema}"."{table}"' if schema else table


def _quick_waits(settings: Settings) -> Settings:
    from dataclasses import replace

    return replace(settings, view_wait_seconds=0.5)


class TestSQLite(OnSQLite, ProjectionCase):
    pass


class TestPostgres(OnPostgres, ProjectionCase):
    pass


def test_each_projection_has_its_own_name_and_tables() -> None:
    found = projections()
    assert len({p.name for p in found}) == len(found)
    tables = [t.name for p in found for t in p.tables]
    assert len(set(tables)) == len(tables)
