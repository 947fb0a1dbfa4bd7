"""Certificates (R10): issuance (signed by the injected signer) and revocation."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from ..domain.certificates import (
    Certificate,
    CertificateFacts,
    CertificateStatus,
    encode_number,
    revocation_reason,
)
from ..domain.status import StatusSlot, free_slot
from ..domain.text import clean_text
from .enrollments import EnrollmentCommands
from .learners import LearnerCommands
from .moocs import MoocCommands
from .registry import Registry, Saved


@dataclass(frozen=True)
class Signed:
    token: str  # the compact JWS of the QR code
    kid: str
    credential: str  # the signed OpenBadgeCredential, JSON text


# Signs a certificate with the active key (registry.signing, injected by bootstrap).
CertificateSigner = Callable[[CertificateFacts], Signed]


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
        slot = self._slot(number)
        signed = self.sign(CertificateFacts(number, learner.full_name, mooc.course_title, mooc.code,
                                  mooc.credits, issued_on, slot.status_list, slot.index))
        certificate = Certificate(
            number=number,
            enrollment_id=enrollment.id,
            learner_id=learner.id,
            mooc_code=mooc.code,
            course_title=mooc.course_title,
            credits=mooc.credits,
            issued_on=issued_on,
            kid=signed.kid,
            personal=self._personal(learner.full_name, signed),
            supersedes=None,
        )
        enrollment.attach_certificate(number=number)
        return self.app.commit(certificate, slot, enrollment, value=number)

    def _slot(self, number: str) -> StatusSlot:
        """A free status-list slot at random; saved with the certificate, so two issuances
        cannot both take one (the second's commit conflicts and is retried)."""
        status_list, index = free_slot(
            lambda n, i: self.app.exists(StatusSlot.create_id(n, i)), secrets.randbelow)
        return StatusSlot(status_list=status_list, index=index, number=number)

    @staticmethod
    def _personal(full_name: str, signed: Signed) -> dict[str, str | None]:
        return {"full_name": full_name, "token": signed.token, "credential": signed.credential}

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
        slot = self._slot(new_number)
        signed = self.sign(CertificateFacts(new_number, learner.full_name, old.course_title, old.mooc_code,
                                  old.credits, issued_on, slot.status_list, slot.index))
        new = Certificate(
            number=new_number,
            enrollment_id=old.enrollment_id,
            learner_id=old.learner_id,
            mooc_code=old.mooc_code,
            course_title=old.course_title,  # frozen at the first issuance
            credits=old.credits,
            issued_on=issued_on,
            kid=signed.kid,
            personal=self._personal(learner.full_name, signed),
            supersedes=old.number,
        )
        old.supersede(by=new_number, reason=reason)
        enrollment.attach_certificate(number=new_number)
        return self.app.commit(new, slot, old, enrollment, learner, value=new_number)

    def revoke(self, *, number: str, reason: str) -> Saved:
        reason = revocation_reason(reason)
        certificate = self.get(number)
        certificate.revoke(reason=reason)
        return self.app.commit(certificate, value=certificate.number)
