"""Learners (R5) and their enrolments: scores (R6), final attestation (R7), grade (R9)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from uuid import UUID

from ..domain.access import Principal, check_course_scope
from ..domain.certificates import Certificate
from ..domain.enrollments import Enrollment, ExamEntry, ExamMode, ScoreEntry
from ..domain.errors import AlreadyExists
from ..domain.grading import ScoreComponent
from ..domain.learners import IinClaim, Learner, VerificationMethod, erasure_reason
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
        learner.check_not_erased("a new enrolment")
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

    # -- erasure (SPEC §10) -------------------------------------------------------------------

    def erase_personal_data(self, *, learner_id: UUID, reason: str) -> Saved:
        """Erase a learner's personal data: record ``PersonalDataErased`` on the learner and
        ``HolderErased`` on each of their certificates (one atomic save; the views follow
        from them), then destroy the learner's data key with every personal part and salt
        sealed under it. Safe to run again: a learner already erased records nothing new, and
        the destruction is repeated (it finishes an erasure cut short by a crash)."""
        reason = erasure_reason(reason)
        learner = self.get_learner(learner_id)
        subject = str(learner.id)
        # (An originator whose first write lost a race was never stored: skipped.)
        certificates = [
            self._get(Certificate, UUID(o.originator_id), "Certificate")
            for o in self.personal_store.originators_of(subject)
            if o.kind == Certificate.__name__ and self._exists(UUID(o.originator_id))
        ]
        learner.erase_personal_data(reason=reason)
        for certificate in certificates:
            if not certificate.holder_erased:
                certificate.erase_holder()
        saved = self._save(learner, *certificates, value=subject)
        self.personal_store.erase_subject(subject)
        return saved
