"""The eventsourcing application: each command loads aggregates, lets the domain decide, and
saves the new events atomically. Commands return the notification id of their last event, so
the caller can wait until the views have seen it (read your writes)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, Mapper
from eventsourcing.utils import Environment, EnvType

from ..domain.access import ApiToken, Principal, Role
from ..domain.certificates import (
    Certificate, CertificateStatus, encode_number, revocation_reason,
)
from ..domain.enrollments import Enrollment, ExamEntry, ExamMode, ScoreEntry
from ..domain.errors import AlreadyExists, NotFound
from ..domain.grading import GradeWeights, ScoreComponent
from ..domain.learners import IinClaim, Learner
from ..domain.moocs import Approbation, ExpertReview, LocalizedText, Mooc
from ..domain.platforms import SEED_PLATFORMS, Platform, PlatformKind, PlatformOwnership
from ..domain.proctoring import Proctoring
from .mapper import RegistryMapper
from .personal import PersonalStore
from .transcodings import DateAsISO

A = TypeVar("A", bound=Aggregate)

# Signs a certificate: (number, full name, course title, credits, issue date) → (token, kid).
CertificateSigner = Callable[[str, str, str, int, date], tuple[str, str]]


class Registry(Application[UUID]):
    name = "Registry"

    def __init__(
        self,
        env: EnvType,
        *,
        personal_store_factory: Callable[[Application[UUID]], PersonalStore],
        now: Callable[[], datetime],
        today: Callable[[], date],
        iin_key: bytes,
        grade_weights: GradeWeights = GradeWeights(),
    ) -> None:
        self._personal_store_factory = personal_store_factory
        self._now = now
        self.today = today
        self._iin_key = iin_key
        self.grade_weights = grade_weights
        super().__init__(env)

    # -- infrastructure --------------------------------------------------------------------

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Only what we pass: the process environment must not change persistence by accident
        # (eventsourcing would otherwise read REGISTRY_* and plain variables).
        return Environment(name, dict(env or {}))

    def construct_mapper(self) -> Mapper[UUID]:
        self.personal_store = self._personal_store_factory(self)
        self.personal_store.create_table()
        transcoder = self.factory.transcoder()
        assert isinstance(transcoder, JSONTranscoder)
        self.register_transcodings(transcoder)
        return RegistryMapper(transcoder, self.personal_store, self._now)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def _save(self, *aggregates: Aggregate | None) -> int:
        recordings = self.save(*aggregates)
        ids = [r.notification.id for r in recordings]
        return max(ids) if ids else self.recorder.max_notification_id() or 0

    def _get(self, cls: type[A], aggregate_id: UUID, what: str) -> A:
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"{what} does not exist.") from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"{what} does not exist.")
        return aggregate

    def _exists(self, aggregate_id: UUID) -> bool:
        return aggregate_id in self.repository

    # -- R1: platforms ---------------------------------------------------------------------

    def seed_platforms(self) -> int:
        """Register the platforms of clause 3.1 that are not there yet (idempotent)."""
        new = [
            Platform.register(code=p.code, name=p.name, url=p.url, kind=p.kind,
                              ownership=p.ownership)
            for p in SEED_PLATFORMS
            if not self._exists(Platform.create_id(p.code))
        ]
        return self._save(*new)

    def get_platform(self, code: str) -> Platform:
        return self._get(Platform, Platform.create_id(code), f"Platform {code}")

    def register_platform(
        self, *, code: str, name: str, url: str, kind: PlatformKind, ownership: PlatformOwnership
    ) -> int:
        platform = Platform.register(code=code, name=name, url=url, kind=kind, ownership=ownership)
        if self._exists(platform.id):
            raise AlreadyExists(f"Platform {platform.code} is already registered.")
        return self._save(platform)

    def approve_platform(self, *, code: str, decision_number: str, decided_on: date) -> int:
        platform = self.get_platform(code)
        platform.approve(decision_number=decision_number, decided_on=decided_on)
        return self._save(platform)

    # -- R7 (3.8): proctoring ----------------------------------------------------------------

    def _proctoring(self) -> Proctoring:
        try:
            proctoring: Proctoring = self.repository.get(Proctoring.ID)
        except AggregateNotFoundError:
            proctoring = Proctoring()
        return proctoring

    def online_proctoring_available(self) -> bool:
        return self._proctoring().available

    def set_online_proctoring(self, *, available: bool, system: str | None) -> int:
        proctoring = self._proctoring()
        proctoring.set_availability(available=available, system=system)
        return self._save(proctoring)

    # -- R2: MOOCs -------------------------------------------------------------------------

    def get_mooc(self, code: str) -> Mooc:
        return self._get(Mooc, Mooc.create_id(code), f"MOOC {code}")

    def draft_mooc(
        self,
        *,
        code: str,
        title: LocalizedText,
        language: str,
        credits: int,
        hours: int | None,
        department: str | None,
    ) -> int:
        mooc = Mooc.draft(code=code, title=title, language=language, credits=credits,
                          hours=hours, department=department)
        if self._exists(mooc.id):
            raise AlreadyExists(f"A MOOC with code {mooc.code} already exists.", code=mooc.code)
        return self._save(mooc)

    def submit_mooc_for_review(self, code: str) -> int:
        mooc = self.get_mooc(code)
        mooc.submit_for_review()
        return self._save(mooc)

    def record_expert_review(
        self, *, code: str, passed: bool, reviewer: str, remarks: str | None
    ) -> int:
        review = ExpertReview.checked(passed, reviewer, remarks)
        mooc = self.get_mooc(code)
        mooc.record_expert_review(review)
        return self._save(mooc)

    def record_approbation(self, *, code: str, passed: bool, remarks: str | None) -> int:
        approbation = Approbation.checked(passed, remarks)
        mooc = self.get_mooc(code)
        mooc.record_approbation(approbation)
        return self._save(mooc)

    def publish_mooc(self, *, code: str, platform_code: str) -> int:
        mooc = self.get_mooc(code)
        platform = self.get_platform(platform_code)
        mooc.publish(platform)
        return self._save(mooc)

    # -- R5: learners ----------------------------------------------------------------------

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
    ) -> tuple[UUID, int]:
        learner = Learner.register(full_name=full_name, email=email, iin=iin,
                                   full_name_latin=full_name_latin)
        claim = None
        if learner.iin is not None:
            digest = self.iin_digest(learner.iin)
            if self._exists(IinClaim.create_id(digest)):
                raise AlreadyExists("A learner with this IIN is already registered.", field="iin")
            claim = IinClaim(iin_digest=digest, learner_id=learner.id)
        return learner.id, self._save(learner, claim)

    # -- R6, R7, R9: enrolments ------------------------------------------------------------

    def get_enrollment(self, enrollment_id: UUID) -> Enrollment:
        return self._get(Enrollment, enrollment_id, f"Enrollment {enrollment_id}")

    def enroll(self, *, learner_id: UUID, mooc_code: str) -> tuple[UUID, int]:
        learner = self.get_learner(learner_id)
        mooc = self.get_mooc(mooc_code)
        enrollment_id = Enrollment.create_id(learner.id, mooc.code)
        if self._exists(enrollment_id):
            raise AlreadyExists(
                f"This learner is already enrolled in {mooc.code}.", enrollment_id=str(enrollment_id)
            )
        mooc.check_open_for_enrollment()
        enrollment = Enrollment(learner_id=learner.id, mooc_code=mooc.code)
        return enrollment.id, self._save(enrollment)

    def record_score(
        self, *, enrollment_id: UUID, component: ScoreComponent, points: int, reason: str | None
    ) -> int:
        entry = ScoreEntry.checked(component, points, reason)
        enrollment = self.get_enrollment(enrollment_id)
        enrollment.record_score(entry)
        return self._save(enrollment)

    def record_final_exam(self, *, enrollment_id: UUID, points: int, mode: ExamMode) -> int:
        entry = ExamEntry.checked(points, mode)
        enrollment = self.get_enrollment(enrollment_id)
        enrollment.record_final_exam(
            entry,
            online_proctoring_available=self.online_proctoring_available(),
            weights=self.grade_weights,
        )
        return self._save(enrollment)

    # -- R10: certificates -----------------------------------------------------------------

    def get_certificate(self, number: str) -> Certificate:
        return self._get(Certificate, Certificate.create_id(number), f"Certificate {number}")

    def issue_certificate(
        self, *, enrollment_id: UUID, sign: CertificateSigner
    ) -> tuple[str, int]:
        enrollment = self.get_enrollment(enrollment_id)
        active = None
        if enrollment.certificate_number is not None:
            latest = self.get_certificate(enrollment.certificate_number)
            if latest.status is CertificateStatus.ACTIVE:
                active = latest.number
        enrollment.check_may_be_certified(active)
        learner = self.get_learner(enrollment.learner_id)
        mooc = self.get_mooc(enrollment.mooc_code)
        number = encode_number(secrets.token_bytes(10))
        issued_on = self.today()
        token, kid = sign(number, learner.full_name, mooc.course_title, mooc.credits, issued_on)
        certificate = Certificate(
            number=number,
            enrollment_id=enrollment.id,
            learner_id=learner.id,
            mooc_code=mooc.code,
            course_title=mooc.course_title,
            credits=mooc.credits,
            issued_on=issued_on,
            kid=kid,
            personal={"full_name": learner.full_name, "token": token},
        )
        enrollment.attach_certificate(number=number)
        return number, self._save(certificate, enrollment)

    def revoke_certificate(self, *, number: str, reason: str) -> int:
        reason = revocation_reason(reason)
        certificate = self.get_certificate(number)
        certificate.revoke(reason=reason)
        return self._save(certificate)

    # -- access tokens ---------------------------------------------------------------------

    def create_token(self, *, name: str, role: Role, learner_id: UUID | None) -> tuple[str, int]:
        """A new bearer token: returned once, stored only as its SHA-256."""
        if learner_id is not None:
            self.get_learner(learner_id)
        secret = "det_" + secrets.token_urlsafe(32)
        digest = hashlib.sha256(secret.encode("ascii")).hexdigest()
        token = ApiToken.create(token_sha256=digest, name=name, role=role, learner_id=learner_id)
        return secret, self._save(token)

    def principal_for(self, secret: str) -> Principal | None:
        digest = hashlib.sha256(secret.encode("utf-8")).hexdigest()
        try:
            token: ApiToken = self.repository.get(ApiToken.create_id(digest))
        except AggregateNotFoundError:
            return None
        return None if token.revoked else token.principal

    def last_notification_id(self) -> int:
        """The position of the newest event (PostgreSQL's ids may have gaps: not a count)."""
        return self.recorder.max_notification_id() or 0

