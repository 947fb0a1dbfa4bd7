"""Certificates (R10): issuance (signed by the injected signer) and revocation."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date
from uuid import UUID

from ..domain.certificates import (
    Certificate,
    CertificateStatus,
    encode_number,
    revocation_reason,
)
from ..domain.text import clean_text
from .enrollments import EnrollmentCommands
from .learners import LearnerCommands
from .moocs import MoocCommands
from .registry import Registry, Saved

# Signs a certificate: (number, full name, course title, credits, issue date) → (token, kid).
CertificateSigner = Callable[[str, str, str, int, date], tuple[str, str]]


class CertificateCommands:
    def __init__(self, app: Registry, *, enrollments: EnrollmentCommands,
                 learners: LearnerCommands, moocs: MoocCommands,
                 sign: CertificateSigner) -> None:
        self.app = app
        self.enrollments = enrollments
        self.learners = learners
        self.moocs = moocs
        self.sign = sign  # the registry's active certificate-signing key (bootstrap)

    def get(self, number: str) -> Certificate:
        return self.app.load(Certificate, Certificate.create_id(number), f"Certificate {number}")

    def issue(self, *, enrollment_id: UUID) -> Saved:
        enrollment = self.enrollments.get(enrollment_id)
        active = None
        if enrollment.certificate_number is not None:
            latest = self.get(enrollment.certificate_number)
            if latest.status is CertificateStatus.ACTIVE:
                active = latest.number
        enrollment.check_may_be_certified(active)
        learner = self.learners.get(enrollment.learner_id)
        learner.check_not_erased("issuing a certificate")
        mooc = self.moocs.get(enrollment.mooc_code)
        number = encode_number(secrets.token_bytes(10))
        issued_on = self.app.today()
        token, kid = self.sign(number, learner.full_name, mooc.course_title, mooc.credits,
                               issued_on)
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
            supersedes=None,
        )
        enrollment.attach_certificate(number=number)
        return self.app.commit(certificate, enrollment, value=number)

    def reissue(self, *, number: str, full_name: str | None, reason: str) -> Saved:
        """A correction: a new certificate (new number, today's date) supersedes the old one,
        which then points to it. A new ``full_name`` corrects the learner's record too."""
        reason = revocation_reason(reason)
        # Omitted: the name stays; given, it must be a name ("" would print a nameless one).
        corrected = None if full_name is None else clean_text(full_name, "fullName",
                                                              max_length=200)
        old = self.get(number)
        old.check_reissuable()
        enrollment = self.enrollments.get(old.enrollment_id)
        learner = self.learners.get(old.learner_id)
        learner.check_not_erased("reissuing a certificate")
        if corrected is not None:
            learner.correct_name(full_name=corrected, reason=reason)
        new_number = encode_number(secrets.token_bytes(10))
        issued_on = self.app.today()
        token, kid = self.sign(new_number, learner.full_name, old.course_title, old.credits,
                          issued_on)
        new = Certificate(
            number=new_number,
            enrollment_id=old.enrollment_id,
            learner_id=old.learner_id,
            mooc_code=old.mooc_code,
            course_title=old.course_title,  # frozen at the first issuance
            credits=old.credits,
            issued_on=issued_on,
            kid=kid,
            personal={"full_name": learner.full_name, "token": token},
            supersedes=old.number,
        )
        old.supersede(by=new_number, reason=reason)
        enrollment.attach_certificate(number=new_number)
        return self.app.commit(new, old, enrollment, learner, value=new_number)

    def revoke(self, *, number: str, reason: str) -> Saved:
        reason = revocation_reason(reason)
        certificate = self.get(number)
        certificate.revoke(reason=reason)
        return self.app.commit(certificate, value=certificate.number)
