"""Learners (R5) and their enrolments: scores (R6), final attestation (R7), grade (R9)."""

from __future__ import annotations

import hashlib
import hmac
from uuid import UUID

from ..domain.enrollments import Enrollment, ExamEntry, ExamMode, ScoreEntry
from ..domain.errors import AlreadyExists
from ..domain.grading import ScoreComponent
from ..domain.learners import IinClaim, Learner
from .base import Saved
from .moocs import MoocCommands


class LearnerCommands(MoocCommands):
    def iin_digest(self, iin: str) -> str:
        return hmac.new(self._iin_key, iin.encode("ascii"), hashlib.sha256).hexdigest()

    def get_learner(self, learner_id: UUID) -> Learner:
        return self._get(Learner, learner_id, f"Learner {learner_id}")

    def register_learner(
        self,
        *,
        full_name: str,
        email: str | None,
        iin: str | None,
        full_name_latin: str | None,
    ) -> Saved:
        learner = Learner.register(full_name=full_name, email=email, iin=iin,
                                   full_name_latin=full_name_latin)
        claim = None
        if learner.iin is not None:
            digest = self.iin_digest(learner.iin)
            if self._exists(IinClaim.create_id(digest)):
                raise AlreadyExists("A learner with this IIN is already registered.", field="iin")
            claim = IinClaim(iin_digest=digest, learner_id=learner.id)
        return self._save(learner, claim, value=str(learner.id))

    def get_enrollment(self, enrollment_id: UUID) -> Enrollment:
        return self._get(Enrollment, enrollment_id, f"Enrollment {enrollment_id}")

    def enroll(self, *, learner_id: UUID, mooc_code: str) -> Saved:
        learner = self.get_learner(learner_id)
        mooc = self.get_mooc(mooc_code)
        if self._exists(Enrollment.create_id(learner.id, mooc.code)):
            raise AlreadyExists(f"This learner is already enrolled in {mooc.code}.")
        mooc.check_open_for_enrollment()
        enrollment = Enrollment(learner_id=learner.id, mooc_code=mooc.code)
        return self._save(enrollment, value=str(enrollment.id))

    def record_score(
        self, *, enrollment_id: UUID, component: ScoreComponent, points: int, reason: str | None
    ) -> Saved:
        entry = ScoreEntry.checked(component, points, reason)
        enrollment = self.get_enrollment(enrollment_id)
        enrollment.record_score(entry)
        return self._save(enrollment, value=str(enrollment.id))

    def record_final_exam(self, *, enrollment_id: UUID, points: int, mode: ExamMode) -> Saved:
        entry = ExamEntry.checked(points, mode)
        enrollment = self.get_enrollment(enrollment_id)
        enrollment.record_final_exam(
            entry,
            online_proctoring_available=self.online_proctoring_available(),
            weights=self.grade_weights,
        )
        return self._save(enrollment, value=str(enrollment.id))
