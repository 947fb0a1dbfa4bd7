"""Enrolments (R5): a learner in a published MOOC, scores (R6), final attestation (R7), grade
(R9)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID

from ..domain.access import Principal, check_course_scope
from ..domain.enrollments import Enrollment, ExamEntry, ExamMode, ScoreEntry
from ..domain.errors import AlreadyExists, DomainError, NotFound
from ..domain.grading import ScoreComponent
from ..domain.learners import Learner
from ..domain.proctoring import Proctoring
from .learners import LearnerCommands
from .moocs import MoocCommands
from .platforms import PlatformCommands
from .registry import Registry, Saved

EXAM = "EXAM"  # a grade line's component for the final exam (R7), beside R6's three


class Outcome(StrEnum):
    RECORDED = "recorded"
    UNCHANGED = "unchanged"  # the same value was already recorded: nothing stored
    REFUSED = "refused"


@dataclass(frozen=True)
class GradeLine:
    """One grade to record: ``component`` is a score component (R6) or ``EXAM`` (R7);
    ``ref`` is the caller's (a file's row and column), handed back with the outcome."""

    ref: Any
    learner_id: UUID
    mooc_code: str
    component: str
    points: int


@dataclass(frozen=True)
class GradeOutcome:
    line: GradeLine
    outcome: Outcome
    previous: int | None = None  # the value it replaces, if any
    refusal: DomainError | None = None


class EnrollmentCommands:
    def __init__(self, app: Registry, *, learners: LearnerCommands, moocs: MoocCommands,
                 platforms: PlatformCommands) -> None:
        self.app = app
        self.learners = learners
        self.moocs = moocs
        self.platforms = platforms  # online proctoring's availability, for the final exam

    def get(self, enrollment_id: UUID) -> Enrollment:
        return self.app.load(Enrollment, enrollment_id, f"Enrollment {enrollment_id}")

    def enroll(self, *, learner_id: UUID, mooc_code: str) -> Saved:
        learner = self.learners.get(learner_id)
        mooc = self.moocs.get(mooc_code)
        learner.check_not_erased("a new enrolment")
        if self.app.exists(Enrollment.create_id(learner.id, mooc.code)):
            raise AlreadyExists(f"This learner is already enrolled in {mooc.code}.")
        mooc.check_open_for_enrollment()
        enrollment = Enrollment(learner_id=learner.id, mooc_code=mooc.code)
        return self.app.commit(enrollment, value=str(enrollment.id))

    def record_score(
        self, *, enrollment_id: UUID, component: ScoreComponent, points: int,
        reason: str | None, on: date | None = None, actor: Principal | None = None,
    ) -> Saved:
        enrollment = self._score(self.get, self.learners.circumstances, enrollment_id,
                                 component, points, reason, on, actor)
        return self.app.commit(enrollment, value=str(enrollment.id))

    def record_final_exam(
        self, *, enrollment_id: UUID, points: int, mode: ExamMode, held_on: date | None = None
    ) -> Saved:
        enrollment = self._exam(self.get, self.learners.circumstances,
                                self.platforms.proctoring, enrollment_id, points, mode, held_on)
        return self.app.commit(enrollment, value=str(enrollment.id))

    def record_grades(
        self, lines: Sequence[GradeLine], *, exam_mode: ExamMode = ExamMode.ON_CAMPUS,
        reason: str | None = None, actor: Principal | None = None, save: bool = True,
    ) -> Saved:
        """Many scores and exams at once (a gradebook import): each line runs the rules of
        ``record_score`` / ``record_final_exam`` — a line that would change nothing is
        *unchanged*, a refused one stores nothing and says why — and every recorded line is
        saved in one atomic save (none when ``save`` is false: a dry run). The enrolments and
        learners are read together, not one by one. The value is one :class:`GradeOutcome`
        per line, in order."""
        wanted = {key: Enrollment.create_id(*key)
                  for key in dict.fromkeys((line.learner_id, line.mooc_code) for line in lines)}
        enrollments = {e.id: e for e in self.app.load_many(Enrollment, list(wanted.values()))}
        # the rules read a learner's circumstances, never their personal data: not unsealed
        learners = {a.id: a for a in self.app.load_many(Learner, [k[0] for k in wanted],
                                                        personal=False)}
        proctoring: list[Proctoring] = []

        def enrollment_of(enrollment_id: UUID) -> Enrollment:
            return enrollments[enrollment_id]

        def learner_of(learner_id: UUID) -> Learner:
            return learners[learner_id] if learner_id in learners else \
                self.learners.circumstances(learner_id)

        def proctoring_once() -> Proctoring:
            if not proctoring:
                proctoring.append(self.platforms.proctoring())
            return proctoring[0]

        today = self.app.today()  # one day for the whole batch, as one save records it
        outcomes = []
        for line in lines:
            enrollment_id = wanted[line.learner_id, line.mooc_code]
            try:
                enrollment = enrollments.get(enrollment_id)
                if enrollment is None:
                    raise NotFound(f"This learner is not enrolled in {line.mooc_code}: enrol "
                                   "them first.")
                check_course_scope(actor, enrollment.mooc_code)  # before saying "unchanged"
                if line.component == EXAM:
                    previous = enrollment.exam.points if enrollment.exam else None
                    if enrollment.has_exam(line.points):
                        outcomes.append(GradeOutcome(line, Outcome.UNCHANGED, previous))
                        continue
                    self._exam(enrollment_of, learner_of, proctoring_once, enrollment_id,
                               line.points, exam_mode, None, today)
                else:
                    component = ScoreComponent(line.component)
                    previous = enrollment.scores.get(component)
                    if enrollment.has_score(component, line.points):
                        outcomes.append(GradeOutcome(line, Outcome.UNCHANGED, previous))
                        continue
                    self._score(enrollment_of, learner_of, enrollment_id, component,
                                line.points, reason, None, actor, today)
                outcomes.append(GradeOutcome(line, Outcome.RECORDED, previous))
            except DomainError as refusal:
                outcomes.append(GradeOutcome(line, Outcome.REFUSED, None, refusal))
        if not save:
            return Saved(self.app.last_notification_id(), outcomes)
        return self.app.commit(*[e for e in enrollments.values() if e.pending_events],
                               value=outcomes)

    def _score(
        self, enrollment_of: Callable[[UUID], Enrollment], learner_of: Callable[[UUID], Learner],
        enrollment_id: UUID, component: ScoreComponent, points: int, reason: str | None,
        on: date | None, actor: Principal | None, today: date | None = None,
    ) -> Enrollment:
        today = today or self.app.today()
        entry = ScoreEntry.checked(component, points, reason, on or today, today=today)
        enrollment = enrollment_of(enrollment_id)
        check_course_scope(actor, enrollment.mooc_code)
        enrollment.record_score(entry, learner_of(enrollment.learner_id))
        return enrollment

    def _exam(
        self, enrollment_of: Callable[[UUID], Enrollment], learner_of: Callable[[UUID], Learner],
        proctoring: Callable[[], Proctoring], enrollment_id: UUID, points: int, mode: ExamMode,
        held_on: date | None, today: date | None = None,
    ) -> Enrollment:
        today = today or self.app.today()
        entry = ExamEntry.checked(points, mode, held_on or today, today=today)
        enrollment = enrollment_of(enrollment_id)
        enrollment.record_final_exam(
            entry,
            learner=learner_of(enrollment.learner_id),
            proctoring=proctoring(),
            weights=self.app.grade_weights,
        )
        return enrollment
