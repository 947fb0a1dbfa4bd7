"""Aggregates kept between commands (registry/application/kept.py), on each back-end: a kept
enrolment always loads as its full replay would, sees at once what another process wrote, is
never changed by a command that did not save, and nothing holding personal data is kept."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from support import (
    ADMIN,
    OnPostgres,
    OnSQLite,
    StorageCase,
    certified,
    enrolled,
    published_mooc,
    record_score,
)

from registry.bootstrap import Container, build
from registry.clock import FixedClock
from registry.config import Settings
from registry.domain.certificates import Certificate
from registry.domain.enrollments import Enrollment, ScoreComponent, ScoreEntry
from registry.domain.errors import Conflict, DomainError
from registry.domain.learners import Learner
from registry.domain.moocs import Mooc


def full_replay(registry: Container, aggregate_id: uuid.UUID) -> dict[str, Any]:
    """The aggregate as eventsourcing's repository rebuilds it: every event, personal parts
    read — what a load must equal."""
    return dict(vars(registry.app.repository.get(aggregate_id)))


def loaded(registry: Container, cls: type[Any], aggregate_id: uuid.UUID) -> dict[str, Any]:
    return dict(vars(registry.app.load(cls, aggregate_id, "it")))


class KeptAggregatesCase(StorageCase):

    @pytest.fixture
    def enrollment(self, registry: Container) -> uuid.UUID:
        published_mooc(registry.service)
        return uuid.UUID(enrolled(registry.service, "KAZLIT-101")["id"])

    def test_a_kept_enrolment_loads_as_its_full_replay_after_every_write(
        self, registry: Container, enrollment: uuid.UUID
    ) -> None:
        assert loaded(registry, Enrollment, enrollment) == full_replay(registry, enrollment)
        for n in range(12):
            component = ("RATING_1", "MIDTERM", "RATING_2")[n % 3]
            record_score(registry.service, str(enrollment), component, 40 + n,
                         reason=None if n < 3 else f"correction {n}")
            assert loaded(registry, Enrollment, enrollment) == full_replay(registry, enrollment)
        assert enrollment in registry.app.kept.ids()
        assert registry.app.load(Enrollment, enrollment, "it").version == 13

    def test_a_write_through_another_process_is_seen_at_once(
        self, registry: Container, settings: Settings, clock: FixedClock,
        enrollment: uuid.UUID,
    ) -> None:
        other = build(settings, clock, run_projections=False)
        try:
            assert other.app.load(Enrollment, enrollment, "it").scores == {}  # now kept there
            record_score(registry.service, str(enrollment), "RATING_1", 77)
            again = other.app.load(Enrollment, enrollment, "it")
            assert again.scores == {ScoreComponent.RATING_1: 77}
            assert vars(again) == full_replay(other, enrollment)
        finally:
            other.close()

    def test_a_command_that_does_not_save_leaves_the_kept_copy_as_it_was(
        self, registry: Container, enrollment: uuid.UUID
    ) -> None:
        app = registry.app
        record_score(registry.service, str(enrollment), "RATING_1", 50)
        changed = app.load(Enrollment, enrollment, "it")
        learner = app.load(Learner, changed.learner_id, "the learner")
        changed.record_score(ScoreEntry.checked(ScoreComponent.MIDTERM, 90, None,
                                                registry.clock.today(),
                                                today=registry.clock.today()), learner)
        assert changed.scores[ScoreComponent.MIDTERM] == 90  # changed, never saved

        def refused(cmd: Any) -> Any:  # changes the enrolment, then breaks a rule
            ongoing = cmd.enrollments.get(enrollment)
            for points in (30, 31):  # the second is refused: a correction needs a reason
                ongoing.record_score(ScoreEntry.checked(
                    ScoreComponent.RATING_2, points, None, registry.clock.today(),
                    today=registry.clock.today()), learner)
        with pytest.raises(DomainError):
            registry.service.run(ADMIN, refused)

        assert app.load(Enrollment, enrollment, "it").scores == {ScoreComponent.RATING_1: 50}
        assert loaded(registry, Enrollment, enrollment) == full_replay(registry, enrollment)

    def test_a_first_load_hands_out_a_copy_of_what_it_keeps(
        self, registry: Container, enrollment: uuid.UUID
    ) -> None:
        app = registry.app
        app.kept = type(app.kept)()  # the next load rebuilds from the store and keeps
        first = app.load(Enrollment, enrollment, "it")
        learner = app.load(Learner, first.learner_id, "the learner")
        first.record_score(ScoreEntry.checked(ScoreComponent.RATING_1, 70, None,
                                              registry.clock.today(),
                                              today=registry.clock.today()), learner)
        again = app.load(Enrollment, enrollment, "it")  # never saved: not in the kept one
        assert again.scores == {} and not again.pending_events and again.version == 1

    def test_corrections_from_several_threads_all_count(
        self, registry: Container, enrollment: uuid.UUID
    ) -> None:
        record_score(registry.service, str(enrollment), "MIDTERM", 40)
        stored, errors = [], []

        def correct(n: int) -> None:
            for m in range(5):
                try:
                    record_score(registry.service, str(enrollment), "MIDTERM", 41 + n * 5 + m,
                                 reason=f"thread {n}, correction {m}")
                    stored.append(n)
                except Conflict:  # lost its race more often than the service retries
                    pass
                except BaseException as error:
                    errors.append(error)

        threads = [threading.Thread(target=correct, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not errors, errors[:1]
        kept = registry.app.load(Enrollment, enrollment, "it")
        assert stored and kept.version == 1 + 1 + len(stored)  # enrolled, first score, …
        assert vars(kept) == full_replay(registry, enrollment)

    def test_nothing_that_holds_personal_data_is_kept(self, registry: Container) -> None:
        app = registry.app
        certificate = certified(registry.service)
        number = certificate["number"]
        cert = registry.commands.certificates.get(number)
        learner = app.load(Learner, cert.learner_id, "the learner")
        assert learner.full_name  # loaded, with its personal data
        kept = app.kept.ids()
        assert cert.id not in kept and learner.id not in kept
        assert {Enrollment.create_id(cert.learner_id, "KAZLIT-101"),
                Mooc.create_id("KAZLIT-101")} <= kept
        assert not [i for i in kept if isinstance(app.kept.get(i), Learner | Certificate)]

    def test_a_correction_reads_no_personal_part(
        self, registry: Container, enrollment: uuid.UUID, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Neither the enrolment (its corrections' reasons) nor the learner (the rules read
        its circumstances, not its name) is unsealed to record a score."""
        record_score(registry.service, str(enrollment), "RATING_1", 50)
        record_score(registry.service, str(enrollment), "RATING_1", 55, reason="a typo")
        store = registry.app.personal_store
        asked: list[list[str]] = []
        real, here = store.get_many, threading.get_ident()

        def counted(refs: list[str]) -> Any:
            if threading.get_ident() == here:  # not the projections' thread
                asked.append(list(refs))
            return real(refs)

        monkeypatch.setattr(store, "get_many", counted)
        registry.app.kept = type(registry.app.kept)()  # nothing kept: rebuilt from the store
        assert registry.app.load(Enrollment, enrollment, "it").scores == {
            ScoreComponent.RATING_1: 55}
        record_score(registry.service, str(enrollment), "RATING_1", 57, reason="re-marked")
        assert asked == []
        assert full_replay(registry, enrollment)["scores"] == {ScoreComponent.RATING_1: 57}
        assert asked and all(asked)  # eventsourcing's way reads the reasons' parts
        learner = registry.app.load(Learner, registry.app.load(
            Enrollment, enrollment, "it").learner_id, "the learner")
        assert learner.full_name  # a learner loaded for anything else has its name


class TestKeptAggregatesOnSQLite(OnSQLite, KeptAggregatesCase):
    pass


class TestKeptAggregatesOnPostgres(OnPostgres, KeptAggregatesCase):
    pass
