"""Enrolments (R5): a learner in a published MOOC, scores (R6), final attestation (R7), grade
(R9)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from ..domain.access import Principal, check_course_scope
from ..domain.enrollments import Enrollment, ExamEntry, ExamMode, ScoreEntry
from ..domain.errors import AlreadyExists
from ..domain.grading import ScoreComponent
from .learners import LearnerCommands
from .moocs import MoocCommands
from .platforms import PlatformCommands
from .registry import Registry, Saved


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
        today = self.app.today()
        entry = ScoreEntry.checked(component, points, reason, on or today, today=today)
        enrollment = self.get(enrollment_id)
        check_course_scope(actor, enrollment.mooc_code)
        enrollment.record_score(entry, self.learners.get(enrollment.learner_id))
        return self.app.commit(enrollment, value=str(enrollment.id))

    def record_final_exam(
        self, *, enrollment_id: UUID, points: int, mode: ExamMode, held_on: date | None = None
    ) -> Saved:
        today = self.app.today()
        entry = ExamEntry.checked(points, mode, held_on or today, today=today)
        enrollment = self.get(enrollment_id)
        enrollment.record_final_exam(
            entry,
            learner=self.learners.get(enrollment.learner_id),
            proctoring=self.platforms.proctoring(),
            weights=self.app.grade_weights,
        )
        return self.app.commit(enrollment, value=str(enrollment.id))
