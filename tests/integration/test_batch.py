"""The application's batch path (``Registry.batched``): the same commands and rules, one save."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest
from support import ADMIN, published_mooc

from registry.application.context import command_context
from registry.bootstrap import Container, build
from registry.clock import FixedClock
from registry.config import Settings
from registry.domain.errors import AlreadyExists, InvalidInput, InvalidTransition
from registry.domain.grading import ScoreComponent
from registry.domain.moocs import LocalizedText


@pytest.fixture
def registry(sqlite_settings: Settings, clock: FixedClock) -> Iterator[Container]:
    container = build(sqlite_settings, clock, poll_interval=0.05)
    yield container
    container.close()


def test_commands_in_a_batch_see_each_other_and_are_stored_only_at_the_flush(
        registry: Container) -> None:
    published_mooc(registry.service, "KAZLIT-101")
    app, cmd = registry.app, registry.commands
    before = app.last_notification_id()
    with command_context(ADMIN), app.batched():
        learner = UUID(cmd.learners.register(full_name="Сәрсенбаева Әлия Нұрланқызы",
                                             email=None, iin="900101400003",
                                             full_name_latin=None).value)
        enrollment = UUID(cmd.enrollments.enroll(learner_id=learner,
                                                 mooc_code="KAZLIT-101").value)
        cmd.enrollments.record_score(enrollment_id=enrollment,
                                     component=ScoreComponent.RATING_1, points=80, reason=None)
        assert app.last_notification_id() == before  # nothing stored yet
        # The rules see what the batch has done so far.
        with pytest.raises(AlreadyExists):
            cmd.enrollments.enroll(learner_id=learner, mooc_code="KAZLIT-101")
        with pytest.raises(InvalidInput, match="correction needs a reason"):
            cmd.enrollments.record_score(enrollment_id=enrollment,
                                         component=ScoreComponent.RATING_1, points=90,
                                         reason=None)
        with pytest.raises(AlreadyExists, match="IIN"):
            cmd.learners.register(full_name="Басқа адам", email=None, iin="900101400003",
                                  full_name_latin=None)
        assert cmd.learners.by_iin("900101400003") == learner
        stored = app.flush()
        # learner + IIN claim, enrolment, one score: the refused commands added nothing
        assert stored == 4
        assert app.last_notification_id() > before
        cmd.enrollments.record_score(enrollment_id=enrollment,
                                     component=ScoreComponent.MIDTERM, points=70, reason=None)
    # What was pending at the end is flushed too; loaded afresh, the enrolment has both.
    assert registry.commands.enrollments.get(enrollment).scores == {
        ScoreComponent.RATING_1: 80, ScoreComponent.MIDTERM: 70}


def test_a_refused_command_in_a_batch_leaves_the_earlier_ones_pending(
        registry: Container) -> None:
    app, cmd = registry.app, registry.commands
    before = app.last_notification_id()
    with command_context(ADMIN), app.batched():
        cmd.moocs.draft(code="ECO-101", title=_title(), language="kk", credits=5, hours=150,
                        department=None)
        with pytest.raises(InvalidTransition):
            cmd.moocs.record_approbation(code="ECO-101", passed=True, remarks=None)
        with pytest.raises(AlreadyExists, match="same code"):
            cmd.moocs.draft(code="eco-101", title=_title(), language="kk", credits=5,
                            hours=150, department=None)
    assert app.last_notification_id() == before + 2  # the MOOC and its code claim
    assert cmd.moocs.get("ECO-101").status.value == "DRAFT"


def test_batches_do_not_nest(registry: Container) -> None:
    with registry.app.batched(), pytest.raises(RuntimeError):
        with registry.app.batched():
            pass


def _title() -> LocalizedText:
    return LocalizedText(kk="Экология негіздері", en="Foundations of ecology")


def test_personal_parts_saved_together_are_sealed_under_their_learners_key(
        registry: Container) -> None:
    """A correction's reason names no learner: its subject is found through the enrolment,
    remembered in the same save — so erasing the learner erases the reason too."""
    published_mooc(registry.service, "KAZLIT-101")
    app, cmd = registry.app, registry.commands
    with command_context(ADMIN), app.batched():
        learner = UUID(cmd.learners.register(full_name="Оспанов Ерлан Серікұлы", email=None,
                                             iin=None, full_name_latin=None).value)
        enrollment = UUID(cmd.enrollments.enroll(learner_id=learner,
                                                 mooc_code="KAZLIT-101").value)
        for points, reason in ((60, None), (75, "Апелляция: балл қайта қаралды")):
            cmd.enrollments.record_score(enrollment_id=enrollment,
                                         component=ScoreComponent.RATING_1, points=points,
                                         reason=reason)
    history = registry.service.history(enrollment)
    assert history[-1]["personal"] == {"reason": "Апелляция: балл қайта қаралды"}
    registry.service.run(ADMIN, lambda c: c.learners.erase_personal_data(
        learner_id=learner, reason="The learner's request under the personal data law"))
    assert registry.service.history(enrollment)[-1]["personal"] is None


@pytest.fixture
def any_registry(backend_settings: Settings, clock: FixedClock) -> Iterator[Container]:
    container = build(backend_settings, clock, poll_interval=0.05)
    yield container
    container.close()


def test_learners_are_found_by_iin_in_a_batch_and_from_the_store(any_registry: Container
                                                                 ) -> None:
    """``by_iins`` (the gradebook import's lookup) sees a batch's unsaved claims, and, outside
    a batch, reads each claim's one stored event (on each back-end: the ids as it stores
    them); invalid and unknown IINs find nobody."""
    app, cmd = any_registry.app, any_registry.commands
    with command_context(ADMIN), app.batched():
        first = UUID(cmd.learners.register(full_name="Сәрсенбаева Әлия Нұрланқызы",
                                           email=None, iin="900101400003",
                                           full_name_latin=None).value)
        assert cmd.learners.by_iins(["900101400003", "12345"]) == {"900101400003": first}
    with command_context(ADMIN):
        second = UUID(cmd.learners.register(full_name="Иванов Дмитрий Сергеевич", email=None,
                                            iin="850615300012", full_name_latin=None).value)
    assert not app.in_batch
    assert cmd.learners.by_iins(["900101400003", "850615300012", "850615300024", "x" * 12]) == {
        "900101400003": first, "850615300012": second}
    assert app.exists(first) and not app.exists(UUID(int=1))
