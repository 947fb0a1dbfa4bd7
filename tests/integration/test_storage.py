"""The registry on each storage back-end: written once, run on SQLite and PostgreSQL.

The PostgreSQL case skips without a server, except in CI (see conftest)."""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from support import (
    ADMIN,
    KAZAKH_NAME,
    OnPostgres,
    OnSQLite,
    StorageCase,
    certified,
    enrolled,
    published_mooc,
    record_score,
    registered,
    revoked,
    scored,
)

from registry.application.context import CommandContext
from registry.application.personal import commitment
from registry.bootstrap import Container, build
from registry.clock import FixedClock
from registry.config import Settings
from registry.domain.errors import AlreadyExists, Conflict, InvalidTransition
from registry.domain.moocs import LocalizedText


class RegistryStorageCase(StorageCase):
    """Abstract: subclasses provide ``settings`` for one back-end."""

    def stored_events(self, container: Container) -> list[Any]:
        return list(container.app.recorder.select_notifications(start=1, limit=10_000))

    # -- the spine ------------------------------------------------------------------------

    def test_seed_platforms_are_there_from_the_first_start(self, registry: Container) -> None:
        platforms = {p["code"]: p for p in registry.service.find("platforms")}
        assert set(platforms) == {"dl.kaznu.kz", "moocs.kz", "open.kaznu.kz"}
        assert platforms["open.kaznu.kz"]["ownership"] == "NATIONAL"
        assert all(p["approved"] for p in platforms.values())
        assert platforms["moocs.kz"]["url"] == "https://moocs.kz"

    def test_from_draft_to_certificate_reads_its_own_writes(self, registry: Container) -> None:
        certificate = certified(registry.service)
        assert certificate["status"] == "ACTIVE"
        assert certificate["fullName"] == KAZAKH_NAME
        assert certificate["issuedOn"] == "2026-06-15"
        enrollment = registry.service.get("enrollments", certificate["enrollmentId"])
        assert enrollment is not None
        assert (enrollment["totalPoints"], enrollment["finalGrade"]) == (
            240, {"numeric": 83, "letter": "B"})
        assert enrollment["certificateNumber"] == certificate["number"]

    def test_a_restart_keeps_everything_and_the_signing_key(
        self, settings: Settings, clock: FixedClock
    ) -> None:
        first = build(settings, clock, poll_interval=0.05)
        certificate = certified(first.service)
        kid = first.commands.keys.ring().active.kid  # type: ignore[union-attr]
        events = event_count(first)
        first.close()

        second = build(settings, clock, poll_interval=0.05)
        try:
            assert second.commands.keys.ring().active.kid == kid  # type: ignore[union-attr]
            assert event_count(second) == events  # seeding did not repeat
            assert second.service.certificate(certificate["number"]) == certificate
            assert second.service.verify_token(certificate["token"])["status"] == "VALID"
            positions = {b.name: b.position for b in second.views.builds()}
            assert second.daemon is not None
            assert second.daemon.step() is False  # nothing is applied twice
            assert {b.name: b.position for b in second.views.builds()} == positions
        finally:
            second.close()

    def test_certificates_from_before_and_after_a_rotation_verify_across_a_restart(
        self, settings: Settings, clock: FixedClock
    ) -> None:
        first = build(settings, clock, poll_interval=0.05)
        before = certified(first.service, "ROT-1")
        key = first.keys.create_key()
        first.service.run(ADMIN, lambda cmd: cmd.keys.activate(key.kid, key.public_jwk))
        after = certified(first.service, "ROT-2")
        first.close()
        second = build(settings, clock, poll_interval=0.05)
        try:
            for cert in (before, after):
                assert second.service.verify_token(cert["token"])["status"] == "VALID"
            assert after["kid"] == key.kid != before["kid"]
            assert len(second.service.jwks()["keys"]) == 2
            assert second.commands.keys.ring().active.kid == key.kid  # type: ignore[union-attr]
        finally:
            second.close()

    def test_the_view_resumes_where_it_stopped(self, settings: Settings,
                                               clock: FixedClock) -> None:
        first = build(settings, clock, poll_interval=0.05)
        assert first.daemon is not None
        first.daemon.stop()
        # Written while no projection runs: the views do not see it yet.
        first.commands.moocs.draft(code="LATE-1", title=LocalizedText(en="Late"), language="en",
                                   credits=3, hours=None, department=None)
        assert first.service.get("moocs", "LATE-1") is None
        first.close()

        second = build(settings, clock, poll_interval=0.05)
        try:
            assert second.wait_for_views().current
            assert second.service.doc("moocs", "LATE-1")["status"] == "DRAFT"
        finally:
            second.close()

    def test_two_processes_share_one_store_and_apply_each_event_once(
        self, settings: Settings, clock: FixedClock
    ) -> None:
        one = build(settings, clock, poll_interval=0.05)
        two = build(settings, clock, poll_interval=0.05)
        try:
            certificate = certified(one.service)
            assert two.wait_for_views(one.app.last_notification_id()).current
            assert two.service.certificate(certificate["number"]) == certificate
            withdrawn = revoked(two.service, certificate["number"], "Issued in error")
            assert one.wait_for_views(two.app.last_notification_id()).current
            assert one.service.certificate(certificate["number"]) == withdrawn
            # One position per build, shared by both processes: each event applied once.
            builds = one.views.builds()
            assert {b.position for b in builds} == {one.app.last_notification_id()}
            assert len(builds) == len(one.views.projections)
        finally:
            one.close()
            two.close()

    def test_lists_search_and_new_read_models_on_this_back_end(self, registry: Container) -> None:
        for name in ("Әсел Қасымова", "ӘСЕМ Нұрова", "Aidos Serikuly"):
            registered(registry.service, name)
        service = registry.service
        assert {d["fullName"] for d in service.find("learners", search="әс")} == {
            "Әсел Қасымова", "ӘСЕМ Нұрова"}
        assert service.count("learners", search="%") == 0  # LIKE wildcards are escaped
        ordered = [d["fullName"] for d in service.find("learners", order_by="search")]
        assert ordered == sorted(ordered, key=str.casefold)
        assert [d["fullName"] for d in service.find("learners", order_by="search", limit=1,
                                                     offset=1)] == ordered[1:2]
        service.run(ADMIN, lambda cmd: cmd.platforms.set_online_proctoring(
            available=True, system="Examus", effective_from=None))
        assert service.doc("settings", "proctoring")["changes"][0]["system"] == "Examus"
        service.run(ADMIN, lambda cmd: cmd.platforms.use_for_teaching(
            discipline="MBA-1", platform_code="dl.kaznu.kz", agreement=None))
        assert service.doc("teaching", "MBA-1")["platforms"] == [
            {"platformCode": "dl.kaznu.kz", "agreement": None}]

    # -- refusals store nothing -----------------------------------------------------------

    def test_refused_commands_store_no_event(self, registry: Container) -> None:
        service = registry.service
        published_mooc(service)
        before = event_count(registry)
        with pytest.raises(AlreadyExists):
            published_mooc(service)
        with pytest.raises(InvalidTransition):
            service.run(ADMIN, lambda cmd: cmd.moocs.submit_for_review("KAZLIT-101"))
        assert event_count(registry) == before

    def test_an_iin_is_unique(self, registry: Container) -> None:
        registered(registry.service, "Асқар", iin="900101300007")
        before = event_count(registry)
        with pytest.raises(AlreadyExists, match="IIN"):
            registered(registry.service, "Other", iin=" 900101300007 ")
        assert event_count(registry) == before

    # -- R11: metadata and personal data --------------------------------------------------

    def test_every_event_says_who_caused_it_and_when(self, registry: Container) -> None:
        actor = CommandContext(actor_name="Гүлнар (INET)", actor_role="inet",
                               on_behalf_of="Academic Committee")
        published_mooc(registry.service)
        registry.service.run(actor, lambda cmd: cmd.platforms.set_online_proctoring(
            available=True, system="Examus"))
        last = registry.app.mapper.to_domain_event(self.stored_events(registry)[-1])
        meta = last.meta  # type: ignore[attr-defined]
        assert meta["actor_name"] == "Гүлнар (INET)"
        assert meta["actor_role"] == "inet"
        # On whose behalf is personal: kept in the event's personal part, never in the meta.
        assert meta["on_behalf_of"] is None
        assert last.personal == {"on_behalf_of": "Academic Committee"}  # type: ignore[attr-defined]
        assert uuid.UUID(meta["correlation_id"]) and uuid.UUID(meta["causation_id"])
        assert meta["recorded_at"].startswith("2026-06-15T10:00")
        seeded = registry.app.mapper.to_domain_event(self.stored_events(registry)[0])
        assert seeded.meta["actor_role"] == "system"  # type: ignore[attr-defined]

    def test_the_events_of_one_save_share_its_metadata(self, registry: Container) -> None:
        # A learner with an IIN is two aggregates saved at once (Learner and its IinClaim):
        # one command, one instant, one meta — and each event keeps "on whose behalf".
        actor = CommandContext(actor_name="Гүлнар (INET)", actor_role="inet",
                               on_behalf_of="Dean's office")
        readings = itertools.count()
        start = registry.app.mapper.now()
        registry.app.mapper.now = lambda: start + timedelta(microseconds=next(readings))
        before = len(self.stored_events(registry))
        registry.service.run(actor, lambda cmd: cmd.learners.register(
            full_name=KAZAKH_NAME, email=None, iin="900101300007", full_name_latin=None))
        saved = [registry.app.mapper.to_domain_event(n)
                 for n in self.stored_events(registry)[before:]]
        assert [type(e).__qualname__ for e in saved] == ["Learner.Registered",
                                                        "IinClaim.Claimed"]
        metas = [e.meta for e in saved]
        assert metas[0] == metas[1]
        assert metas[0]["actor_name"] == "Гүлнар (INET)" and metas[0]["on_behalf_of"] is None
        assert all(e.personal["on_behalf_of"] == "Dean's office" for e in saved)
        assert saved[0].personal["full_name"] == KAZAKH_NAME

    def test_personal_data_is_kept_apart_and_committed_to(self, registry: Container) -> None:
        certificate = certified(registry.service)
        stored = self.stored_events(registry)
        raw = b"".join(n.state for n in stored)
        assert KAZAKH_NAME.encode() not in raw
        assert json.dumps(KAZAKH_NAME).encode() not in raw
        assert certificate["token"].encode() not in raw
        issued = next(n for n in stored if n.topic.endswith("Certificate.Issued"))
        state = json.loads(issued.state)
        record = registry.app.personal_store.get(state["personal_ref"])
        assert record is not None and len(record.salt) == 16
        assert json.loads(record.data)["full_name"] == KAZAKH_NAME
        assert state["personal_commitment"] == commitment(record.salt, record.data)

    def test_erasing_a_personal_part_leaves_the_event_intact(self, registry: Container) -> None:
        enrollment = enrolled(registry.service, published_mooc(registry.service)["code"])
        learner_id = uuid.UUID(enrollment["learnerId"])
        registered = next(n for n in self.stored_events(registry)
                          if n.topic.endswith("Learner.Registered"))
        state_before = registered.state
        assert registry.app.personal_store.erase(json.loads(state_before)["personal_ref"])
        learner = registry.commands.learners.get(learner_id)
        assert learner.full_name == "" and learner.iin is None
        again = next(n for n in self.stored_events(registry)
                     if n.topic.endswith("Learner.Registered"))
        assert again.state == state_before

    # -- concurrency ----------------------------------------------------------------------

    def test_concurrent_corrections_are_retried_never_lost(self, registry: Container) -> None:
        enrollment = scored(registry.service, enrolled(
            registry.service, published_mooc(registry.service)["code"]))
        eid = uuid.UUID(enrollment["id"])
        before = event_count(registry)
        outcomes: list[str] = []

        def correct(points: int) -> None:
            try:
                record_score(registry.service, str(eid), "MIDTERM", points,
                             reason=f"re-marked to {points}")
                outcomes.append("ok")
            except Conflict:
                outcomes.append("CONFLICT")

        threads = [threading.Thread(target=correct, args=(60 + i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(outcomes) == 6
        assert event_count(registry) - before == outcomes.count("ok") >= 1
        # Enrolled + three first scores + one event per correction that succeeded.
        assert registry.commands.enrollments.get(eid).version == 4 + outcomes.count("ok")

    def test_a_personal_part_is_stored_with_its_event_or_not_at_all(
        self, registry: Container
    ) -> None:
        """The personal parts are written in the events' own transaction: the loser of a
        race (its events refused by the version check) leaves no personal part behind."""
        from eventsourcing.persistence import IntegrityError

        from registry.domain.enrollments import Enrollment, ScoreComponent, ScoreEntry
        from registry.domain.learners import Learner

        enrollment = scored(registry.service, enrolled(
            registry.service, published_mooc(registry.service)["code"]))
        app, eid, today = registry.app, uuid.UUID(enrollment["id"]), registry.clock.today()
        store: Any = app.personal_store

        def personal_rows() -> int:
            with store.datastore.transaction(commit=False) as c:
                c.execute(store.sql(f"SELECT COUNT(*) AS n FROM {store.personal_table()}"))
                return int(c.fetchone()["n"])

        first, second = app.load(Enrollment, eid, "it"), app.load(Enrollment, eid, "it")
        learner = app.load(Learner, first.learner_id, "the learner")
        for copy, points in ((first, 61), (second, 62)):
            copy.record_score(ScoreEntry.checked(ScoreComponent.MIDTERM, points,
                                                 f"re-marked to {points}", today, today=today),
                              learner)
        rows, events = personal_rows(), event_count(registry)
        app.save(first)
        assert (personal_rows(), event_count(registry)) == (rows + 1, events + 1)
        with pytest.raises(IntegrityError):
            app.save(second)
        assert (personal_rows(), event_count(registry)) == (rows + 1, events + 1)
        assert app.load(Enrollment, eid, "it").scores[ScoreComponent.MIDTERM] == 61

    def test_a_lost_race_is_answered_conflict_after_retries(
        self, registry: Container, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from eventsourcing.persistence import IntegrityError

        published_mooc(registry.service)
        calls = []

        def always_loses(code: str) -> Any:
            calls.append(code)
            raise IntegrityError("simulated concurrent write")

        monkeypatch.setattr(registry.commands.moocs, "submit_for_review", always_loses)
        with pytest.raises(Conflict):
            registry.service.run(ADMIN, lambda cmd: cmd.moocs.submit_for_review("KAZLIT-101"))
        assert len(calls) == registry.service.CONFLICT_ATTEMPTS


def event_count(registry: Container) -> int:
    return len(registry.app.recorder.select_notifications(start=1, limit=1_000_000))


class TestSQLite(OnSQLite, RegistryStorageCase):
    pass


class TestPostgres(OnPostgres, RegistryStorageCase):
    pass
