"""Certificates (R10) and their verification in GraphQL."""

from __future__ import annotations

import datetime
import json
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from ..domain import certificates
from ..domain.access import Action, learner_scope
from ..domain.certificates import CertificateStatus, VerificationStatus, check_number
from ..domain.errors import Forbidden
from .context import Context, Info, parse_id
from .history import HistoryEntry, history_of
from .ordering import CertificateOrderInput, order_of
from .relay import Connection, Order, paginate
from .timeline import AsOfInput

strawberry.enum(certificates.CertificateStatus)
strawberry.enum(certificates.VerificationStatus)


@strawberry.type
class Certificate:
    number: str
    token: str
    verification_url: str
    status: CertificateStatus
    full_name: str
    course_title: str
    credits: int
    issued_on: datetime.date
    revocation_reason: str | None
    superseded_by_number: strawberry.Private[str | None]
    supersedes_number: strawberry.Private[str | None]
    credential_text: strawberry.Private[str | None]
    credential_url: str = strawberry.field(description=(
        "Where the Open Badges 3.0 credential is downloaded (a file a learner imports into a "
        "wallet)."))

    @strawberry.field(description=(
        "The Open Badges 3.0 credential (SPEC §11), as signed at issuance: an "
        "OpenBadgeCredential with an eddsa-rdfc-2022 Data Integrity proof. Empty ({}) when "
        "the holder's personal data was erased, or for a certificate issued before the "
        "registry issued credentials."))
    def credential(self) -> JSON:
        return cast(JSON, json.loads(self.credential_text) if self.credential_text else {})

    @strawberry.field(description="The certificate this one corrected, if it is a reissue.")
    async def supersedes(self, info: Info) -> Certificate | None:
        if self.supersedes_number is None:
            return None
        return await certificate_by_number(info, self.supersedes_number)

    @strawberry.field
    async def superseded_by(self, info: Info) -> Certificate | None:
        if self.superseded_by_number is None:
            return None
        return await certificate_by_number(info, self.superseded_by_number)

    @strawberry.field(description="Its issuance, revocation and reissue, with who, when and on "
                                  "whose behalf (staff and auditor).")
    async def history(self, info: Info) -> list[HistoryEntry]:
        return await history_of(info, certificates.Certificate.create_id(self.number))

    @classmethod
    def from_doc(cls, doc: dict[str, Any], context: Context) -> Certificate:
        token = doc.get("token") or ""
        return cls(
            number=doc["number"], token=token,
            verification_url=context.settings.verification_url(token),
            status=CertificateStatus(doc["status"]), full_name=doc["fullName"],
            course_title=doc["courseTitle"], credits=doc["credits"],
            issued_on=datetime.date.fromisoformat(doc["issuedOn"]),
            revocation_reason=doc.get("revocationReason"),
            superseded_by_number=doc.get("supersededBy"),
            supersedes_number=doc.get("supersedes"),
            credential_text=doc.get("credential"),
            credential_url=context.settings.credential_url(doc["number"]),
        )


@strawberry.type
class Verification:
    status: VerificationStatus
    certificate: Certificate | None
    reason: str | None
    kid: str | None = strawberry.field(
        description="The signing key, for a certificate this registry issued.")

    @strawberry.field(description="The audit-log index of the certificate's issuance event "
                      "(check it with /log/proof/inclusion); null until it is logged.")
    async def log_index(self, info: Info) -> int | None:
        audit = info.context.audit
        if self.certificate is None or audit is None:
            return None
        index: int | None = await info.context.call(audit.certificate_log_index,
                                                       self.certificate.number)
        return index

    @classmethod
    def from_result(cls, result: dict[str, Any], context: Context) -> Verification:
        cert = result["certificate"]
        return cls(
            status=VerificationStatus(result["status"]),
            certificate=Certificate.from_doc(cert, context) if cert else None,
            reason=result["reason"],
            kid=result.get("kid"),
        )


@strawberry.input
class IssueCertificateInput:
    enrollment_id: strawberry.ID


@strawberry.input
class RevokeCertificateInput:
    number: str
    reason: str


@strawberry.input
class ReissueCertificateInput:
    number: str
    full_name: str | None = strawberry.field(
        default=None, description="The corrected name; omitted: the name stays.")
    reason: str


async def certificate_by_number(info: Info, number: str) -> Certificate | None:
    canonical = certificates.normalize_number(number)
    doc = await info.context.get("certificates", canonical) if canonical else None
    return Certificate.from_doc(doc, info.context) if doc else None


NEWEST = Order("ISSUED_ON", "issued_on", descending=True)


@strawberry.type
class CertificateQuery:
    @strawberry.field(description="A certificate by its number (public: what the paper shows); "
                                  "with asOf, as it stood then (its status judged with the "
                                  "key ring of then).")
    async def certificate(self, info: Info, number: str,
                          as_of: AsOfInput | None = None) -> Certificate | None:
        if as_of is None:
            return await certificate_by_number(info, number)
        doc = await info.context.call(info.context.service.certificate_as_of, number,
                                      as_of.moment())
        return Certificate.from_doc(doc, info.context) if doc else None

    @strawberry.field(description="Certificates by status, MOOC, learner, issue-date range "
                                  "(inclusive, in the registry's time zone) or holder-name "
                                  "search; newest first unless ordered otherwise. Staff and "
                                  "auditors; a learner token lists only its own.")
    async def certificates(
        self, info: Info, status: CertificateStatus | None = None,
        mooc_code: str | None = None, learner_id: strawberry.ID | None = None,
        issued_from: datetime.date | None = None, issued_to: datetime.date | None = None,
        search: str | None = None, order_by: CertificateOrderInput | None = None,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> Connection[Certificate]:
        c = info.context
        principal = c.require(Action.READ_CERTIFICATES)
        scope = learner_scope(principal)
        if scope.learner_id is not None:
            if learner_id is not None and str(parse_id(learner_id, "learner")) != str(
                    scope.learner_id):
                raise Forbidden("A learner token lists only its own certificates.")
            learner_id = strawberry.ID(str(scope.learner_id))
        where = {"status": status.value if status else None, "mooc_code": mooc_code,
                 "learner_id": str(parse_id(learner_id, "learner")) if learner_id else None}
        return await paginate(info, "certificates", lambda doc: Certificate.from_doc(doc, c),
                              where=where, ranges={"issued_on": (issued_from, issued_to)},
                              search=search or None,
                              order=order_of(order_by, NEWEST), first=first, after=after,
                              last=last, before=before)

    @strawberry.field(description="Check a certificate's signed token (the QR's fragment).")
    async def verify_certificate(self, info: Info, token: str) -> Verification:
        result = await info.context.call(info.context.service.verify_token, token)
        return Verification.from_result(result, info.context)


@strawberry.type
class CertificateMutation:
    @strawberry.mutation
    async def issue_certificate(self, info: Info, input: IssueCertificateInput) -> Certificate:
        c = info.context
        command = c.command(Action.ISSUE_CERTIFICATE)
        enrollment_id = parse_id(input.enrollment_id, "enrollment")
        number = await c.run(command, lambda cmd: cmd.certificates.issue(
            enrollment_id=enrollment_id))
        return Certificate.from_doc(await c.doc("certificates", number), c)

    @strawberry.mutation
    async def revoke_certificate(self, info: Info, input: RevokeCertificateInput) -> Certificate:
        c = info.context
        command = c.command(Action.REVOKE_CERTIFICATE)
        number = check_number(input.number)
        number = await c.run(command, lambda cmd: cmd.certificates.revoke(
            number=number, reason=input.reason))
        return Certificate.from_doc(await c.doc("certificates", number), c)

    @strawberry.mutation(description="Reissue a certificate (a correction): the new one "
                                     "supersedes the old, which then points to it.")
    async def reissue_certificate(self, info: Info, input: ReissueCertificateInput
                                  ) -> Certificate:
        c = info.context
        command = c.command(Action.REISSUE_CERTIFICATE)
        number = check_number(input.number)
        new_number = await c.run(command, lambda cmd: cmd.certificates.reissue(
            number=number, full_name=input.full_name, reason=input.reason))
        return Certificate.from_doc(await c.doc("certificates", new_number), c)
