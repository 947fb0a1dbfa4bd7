"""Learners (R5) and their enrolments: scores (R6), final attestation (R7), grade (R9)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from uuid import UUID

from ..domain.access import Principal, check_course_scope
from ..domain.enrollments import Enrollment, ExamEntry, ExamMode, ScoreEntry
from ..domain.errors import AlreadyExists
from ..domain.grading import ScoreComponent
from ..domain.learners import IinClaim, Learner, VerificationMethod
from ..domain.periods import Order, Period
from ..domain.text import check_code, clean_text
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
        self, *, enrollment_id: UUID, component: ScoreComponent, points: int,
        reason: str | None, on: date | None = None, actor: Principal | None = None,
    ) -> Saved:
        today = self.today()
        entry = ScoreEntry.checked(component, points, reason, on or today, today=today)
        enrollment = self.get_enrollment(enrollment_id)
        check_course_scope(actor, enrollment.mooc_code)
        enrollment.record_score(entry, self.get_learner(enrollment.learner_id))
        return self._save(enrollment, value=str(enrollment.id))

    def record_final_exam(
        self, *, enrollment_id: UUID, points: int, mode: ExamMode, held_on: date | None = None
    ) -> Saved:
        today = self.today()
        entry = ExamEntry.checked(points, mode, held_on or today, today=today)
        enrollment = self.get_enrollment(enrollment_id)
        enrollment.record_final_exam(
            entry,
            learner=self.get_learner(enrollment.learner_id),
            proctoring=self._proctoring(),
            weights=self.grade_weights,
        )
        return self._save(enrollment, value=str(enrollment.id))

    # -- identity and circumstances (3.5.4, 3.11–3.13) -------------------------------------

    def verify_identity(
        self, *, learner_id: UUID, method: VerificationMethod, verified_on: date | None = None
    ) -> Saved:
        learner = self.get_learner(learner_id)
        learner.verify_identity(method=method, verified_on=verified_on or self.today())
        return self._save(learner, value=str(learner.id))

    def record_business_trip(self, *, learner_id: UUID, start: date, end: date) -> Saved:
        period = Period.checked(start, end, "business trip")
        learner = self.get_learner(learner_id)
        learner.record_business_trip(period)
        return self._save(learner, value=str(learner.id))

    def restore_studies(self, *, learner_id: UUID, order_number: str, ordered_on: date) -> Saved:
        order = Order.checked(order_number, ordered_on, "restoration order")
        learner = self.get_learner(learner_id)
        learner.restore_studies(order)
        return self._save(learner, value=str(learner.id))

    def record_trip_abroad(self, *, learner_id: UUID, start: date, end: date) -> Saved:
        period = Period.checked(start, end, "trip abroad")
        learner = self.get_learner(learner_id)
        learner.record_trip_abroad(period)
        return self._save(learner, value=str(learner.id))

    def record_return_order(
        self, *, learner_id: UUID, order_number: str, ordered_on: date, application: str
    ) -> Saved:
        order = Order.checked(order_number, ordered_on, "return order")
        application = clean_text(application, "application", max_length=500)
        learner = self.get_learner(learner_id)
        learner.record_return_order(order, application=application)
        return self._save(learner, value=str(learner.id))

    def record_dean_directive(
        self, *, learner_id: UUID, directive_number: str, issued_on: date,
        disciplines: list[str],
    ) -> Saved:
        order = Order.checked(directive_number, issued_on, "directive")
        codes = [check_code(code, "discipline") for code in disciplines]
        learner = self.get_learner(learner_id)
        learner.record_dean_directive(order, disciplines=codes)
        return self._save(learner, value=str(learner.id))

    def record_internship_abroad(self, *, learner_id: UUID, start: date, end: date) -> Saved:
        period = Period.checked(start, end, "internship")
        learner = self.get_learner(learner_id)
        learner.record_internship_abroad(period)
        return self._save(learner, value=str(learner.id))
