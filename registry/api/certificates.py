"""Certificates (R10) and their verification in GraphQL."""

from __future__ import annotations

import datetime
import json
from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON

from ..application.timeline import AsOf
from ..domain import certificates
from ..domain.access import Action, learner_scope
from ..domain.certificates import CertificateStatus, VerificationStatus, check_number
from ..domain.errors import Forbidden
from .context import Context, Info, parse_id
from .describe import Input, described_enum
from .history import AS_OF_HISTORY, HistoryEntry, history_of
from .ordering import CertificateOrderInput, order_of
from .relay import After, Before, Connection, First, Last, Order, paginate
from .timeline import AsOfArg, Moment, moment, record

described_enum(certificates.CertificateStatus, "A certificate's standing (R10).", {
    "ACTIVE": "In force.",
    "REVOKED": "Revoked by INET (revocationReason says why), or signed with a key "
               "compromised before its issue date.",
    "SUPERSEDED": "Corrected by a reissue: supersededBy is the one in force.",
})
described_enum(certificates.VerificationStatus, "The verdict on a checked certificate.", {
    "VALID": "Genuine and in force.",
    "REVOKED": "Genuine, but revoked (the reason is given word for word).",
    "SUPERSEDED": "Genuine, but replaced by a reissue (certificate.supersededBy).",
    "INVALID": "Not a certificate of this registry: a bad signature, an unknown key, a date "
               "outside the key's window, an unknown number; nothing of the token is shown.",
})

NUMBER = "The certificate's number (case, spaces and hyphens do not matter)."
Number = Annotated[str, strawberry.argument(description=NUMBER)]


@strawberry.type(description="A certificate of completion of a MOOC (R10). Public by number: "
                             "the fields a printed certificate shows; nothing is ever deleted, "
                             "so a revoked one never looks like a forgery.")
class Certificate:
    number: str = strawberry.field(
        description="Its non-guessable number: 16 Crockford base32 symbols and a check symbol, "
                    "shown in groups, e.g. AFF2-4TMW-PH6E-WVVK-4 (case, spaces and hyphens do "
                    "not matter when given).")
    token: str = strawberry.field(
        description="The signed token (a compact Ed25519 JWS) the QR code carries; check it "
                    "offline with /.well-known/jwks.json or with verifyCertificate.")
    verification_url: str = strawberry.field(
        description="The verification page for this certificate, REGISTRY_PUBLIC_URL/v#<token> "
                    "(the QR code's content).")
    status: CertificateStatus = strawberry.field(description="Its standing now (with asOf: "
                                                             "then).")
    full_name: str = strawberry.field(
        description="The holder's full name as issued (Kazakh letters kept); \"\" once the "
                    "holder's personal data is erased.")
    course_title: str = strawberry.field(
        description="The course's title, frozen at issuance: in the MOOC's language of "
                    "instruction, else the first of kk, ru, en.")
    credits: int = strawberry.field(description="The credit volume (ECTS).")
    issued_on: datetime.date = strawberry.field(
        description="The date of issuance in the registry's time zone (REGISTRY_TIMEZONE, "
                    "default Asia/Almaty).")
    revocation_reason: str | None = strawberry.field(
        description="Why it was revoked, word for word (or the compromised key's reason); "
                    "null unless REVOKED.")
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

    as_of: Moment = None

    @strawberry.field(description="The certificate this one corrected, if it is a reissue "
                                  "(on a certificate read with asOf: as it stood then).")
    async def supersedes(self, info: Info) -> Certificate | None:
        if self.supersedes_number is None:
            return None
        return await certificate_by_number(info, self.supersedes_number, self.as_of)

    @strawberry.field(description="The reissue that replaced this one; null unless SUPERSEDED "
                                  "(on a certificate read with asOf: null before the reissue, "
                                  "else the reissue as it stood then).")
    async def superseded_by(self, info: Info) -> Certificate | None:
        if self.superseded_by_number is None:
            return None
        return await certificate_by_number(info, self.superseded_by_number, self.as_of)

    @strawberry.field(description="Its issuance, revocation and reissue, with who, when and on "
                                  "whose behalf (staff and auditors: inet, auditor, "
                                  "teacher, dean, committee, admin; others FORBIDDEN)."
                                  + AS_OF_HISTORY)
    async def history(self, info: Info) -> list[HistoryEntry]:
        return await history_of(info, certificates.Certificate.create_id(self.number),
                                self.as_of)

    @classmethod
    def from_doc(cls, doc: dict[str, Any], context: Context,
                 at: AsOf | None = None) -> Certificate:
        token = doc.get("token") or ""
        return cls(
            as_of=at,
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


@strawberry.type(description="The verdict on a certificate's signed token (public), as "
                             "/api/verify answers it.")
class Verification:
    status: VerificationStatus = strawberry.field(description="The verdict.")
    certificate: Certificate | None = strawberry.field(
        description="The certificate as the registry holds it; null only when INVALID.")
    reason: str | None = strawberry.field(
        description="Why the verdict is not VALID (the revocation reason word for word, the "
                    "compromised key, what is wrong with the token); also notes an erased "
                    "holder's name; null for a plain VALID.")
    kid: str | None = strawberry.field(
        description="The signing key's id (as in /.well-known/jwks.json), for a certificate "
                    "this registry issued.")

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


@strawberry.input(description="Which enrolment to certify.")
class IssueCertificateInput:
    enrollment_id: strawberry.ID = strawberry.field(
        description="The enrolment (Enrollment.id); its learner must have passed (else "
                    "NOT_PASSED) and hold no active certificate for it (else ALREADY_EXISTS).")


@strawberry.input(description="A certificate to revoke, and why.")
class RevokeCertificateInput:
    number: str = strawberry.field(description=NUMBER)
    reason: str = strawberry.field(
        description="Why, e.g. an order's number; kept and shown to verifiers word for word.")


@strawberry.input(description="A correction: a new certificate that supersedes an active one.")
class ReissueCertificateInput:
    number: str = strawberry.field(description=NUMBER)
    full_name: str | None = strawberry.field(
        default=None, description="The corrected name; omitted: the name stays (empty: "
                                  "INVALID_INPUT).")
    reason: str = strawberry.field(description="Why it is reissued; kept in its history.")


async def certificate_by_number(info: Info, number: str, at: AsOf | None = None
                                ) -> Certificate | None:
    """The certificate numbered ``number`` (in any spelling), now or as it stood at ``at``."""
    canonical = certificates.normalize_number(number)
    doc = await record(info, "certificates", canonical, at) if canonical else None
    return Certificate.from_doc(doc, info.context, at) if doc else None


NEWEST = Order("ISSUED_ON", "issued_on", descending=True)


@strawberry.type
class CertificateQuery:
    @strawberry.field(description="A certificate by its number (public: what the paper shows); "
                                  "with asOf, as it stood then (its status judged with the "
                                  "key ring of then).")
    async def certificate(self, info: Info, number: Number,
                          as_of: AsOfArg = None) -> Certificate | None:
        return await certificate_by_number(info, number, moment(as_of))

    @strawberry.field(description="Certificates by status, MOOC, learner, issue-date range "
                                  "(inclusive, in the registry's time zone) or holder-name "
                                  "search; newest first unless ordered otherwise. Staff and "
                                  "auditors (inet, auditor, dean, admin); a learner token "
                                  "lists only its own; others FORBIDDEN.")
    async def certificates(
        self, info: Info,
        status: Annotated[CertificateStatus | None, strawberry.argument(
            description="Only certificates in this status.")] = None,
        mooc_code: Annotated[str | None, strawberry.argument(
            description="Only those of this MOOC (its code).")] = None,
        learner_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Only this learner's (a learner token: only its own, else "
                        "FORBIDDEN).")] = None,
        issued_from: Annotated[datetime.date | None, strawberry.argument(
            description="Issued on or after this date (inclusive).")] = None,
        issued_to: Annotated[datetime.date | None, strawberry.argument(
            description="Issued on or before this date (inclusive).")] = None,
        search: Annotated[str | None, strawberry.argument(
            description="The holder's name (or its Latin spelling) or the number, "
                        "case-insensitively, Kazakh letters included.")] = None,
        order_by: Annotated[CertificateOrderInput | None, strawberry.argument(
            description="The order; default ISSUED_ON, newest first.")] = None,
        first: First = None, after: After = None,
        last: Last = None, before: Before = None,
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

    @strawberry.field(description="Check a certificate's signed token (the QR's fragment). "
                                  "Public; never an error: a bad token is INVALID.")
    async def verify_certificate(
        self, info: Info,
        token: Annotated[str, strawberry.argument(
            description="The token: the part of the QR's URL after #, or Certificate.token.")],
    ) -> Verification:
        service = info.context.service
        result, rest = service.verification(token=token)
        if result is None:  # a row it needs is not cached: read it in the thread pool
            result = await info.context.call(rest)
        return Verification.from_result(result, info.context)


@strawberry.type
class CertificateMutation:
    @strawberry.mutation(description="Issue a certificate to a listener who passed a published "
                                     "MOOC (inet); signed with the active key.")
    async def issue_certificate(self, info: Info, input: Input[IssueCertificateInput]
                                ) -> Certificate:
        c = info.context
        command = c.command(Action.ISSUE_CERTIFICATE)
        enrollment_id = parse_id(input.enrollment_id, "enrollment")
        number = await c.run(command, lambda cmd: cmd.certificates.issue(
            enrollment_id=enrollment_id))
        return Certificate.from_doc(await c.doc("certificates", number), c)

    @strawberry.mutation(description="Revoke an active certificate (inet); another is "
                                     "INVALID_TRANSITION.")
    async def revoke_certificate(self, info: Info, input: Input[RevokeCertificateInput]
                                 ) -> Certificate:
        c = info.context
        command = c.command(Action.REVOKE_CERTIFICATE)
        number = check_number(input.number)
        number = await c.run(command, lambda cmd: cmd.certificates.revoke(
            number=number, reason=input.reason))
        return Certificate.from_doc(await c.doc("certificates", number), c)

    @strawberry.mutation(description="Reissue a certificate (a correction): the new one "
                                     "supersedes the old, which then points to it (inet). "
                                     "Answers the new certificate.")
    async def reissue_certificate(self, info: Info, input: Input[ReissueCertificateInput]
                                  ) -> Certificate:
        c = info.context
        command = c.command(Action.REISSUE_CERTIFICATE)
        number = check_number(input.number)
        new_number = await c.run(command, lambda cmd: cmd.certificates.reissue(
            number=number, full_name=input.full_name, reason=input.reason))
        return Certificate.from_doc(await c.doc("certificates", new_number), c)
