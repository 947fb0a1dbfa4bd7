"""GraphQL object types: thin wrappers over read-model documents (SPEC §4.1)."""

from __future__ import annotations

import datetime
from typing import Any, Optional

import strawberry
from strawberry.types import Info

from ..domain import certificates, enrollments, grading, moocs, platforms
from ..domain.access import Action
from ..domain.errors import Forbidden
from .context import Context

Doc = dict[str, Any]


# The domain's enums, exposed as they are: one definition per idea.
PlatformKind = strawberry.enum(platforms.PlatformKind)
PlatformOwnership = strawberry.enum(platforms.PlatformOwnership)
MoocStatus = strawberry.enum(moocs.MoocStatus)
ScoreComponent = strawberry.enum(grading.ScoreComponent)
ExamMode = strawberry.enum(enrollments.ExamMode)
CertificateStatus = strawberry.enum(certificates.CertificateStatus)
VerificationStatus = strawberry.enum(certificates.VerificationStatus)


@strawberry.type
class LocalizedText:
    kk: Optional[str]
    ru: Optional[str]
    en: Optional[str]


@strawberry.type
class Platform:
    code: str
    name: str
    url: str
    kind: PlatformKind
    ownership: PlatformOwnership
    approved: bool
    decision_number: Optional[str] = strawberry.field(
        description="The Academic Committee's decision that approved an external platform."
    )
    decided_on: Optional[datetime.date]

    @classmethod
    def from_doc(cls, doc: Doc) -> Platform:
        return cls(
            code=doc["code"], name=doc["name"], url=doc["url"], kind=PlatformKind(doc["kind"]),
            ownership=PlatformOwnership(doc["ownership"]), approved=doc["approved"],
            decision_number=doc.get("decisionNumber"),
            decided_on=_date(doc.get("decidedOn")),
        )


@strawberry.type
class Mooc:
    code: str
    title: LocalizedText
    language: str
    credits: int
    hours: Optional[int]
    status: MoocStatus
    department: Optional[str]
    remarks: Optional[str] = strawberry.field(
        description="The remarks of the last expert review or approbation."
    )
    course_title: str = strawberry.field(
        description="The title a certificate shows: in the language of instruction, "
        "else the first of kk, ru, en."
    )
    platform_code: strawberry.Private[Optional[str]]

    @strawberry.field
    async def platform(self, info: Info[Context, Any]) -> Optional[Platform]:
        if self.platform_code is None:
            return None
        doc = await info.context.call(info.context.service.platform, self.platform_code)
        return Platform.from_doc(doc) if doc else None

    @classmethod
    def from_doc(cls, doc: Doc) -> Mooc:
        return cls(
            code=doc["code"], title=LocalizedText(**doc["title"]), language=doc["language"],
            credits=doc["credits"], hours=doc.get("hours"), status=MoocStatus(doc["status"]),
            department=doc.get("department"), remarks=doc.get("remarks"),
            course_title=doc["courseTitle"], platform_code=doc.get("platformCode"),
        )


@strawberry.type
class Learner:
    id: strawberry.ID
    full_name: str
    full_name_latin: Optional[str]
    email: Optional[str]

    @classmethod
    def from_doc(cls, doc: Doc) -> Learner:
        return cls(id=strawberry.ID(doc["id"]), full_name=doc["fullName"],
                   full_name_latin=doc.get("fullNameLatin"), email=doc.get("email"))


@strawberry.type
class FinalGrade:
    numeric: int
    letter: str


@strawberry.type
class Score:
    component: ScoreComponent
    points: int


@strawberry.type
class Exam:
    points: int
    mode: ExamMode


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
    revocation_reason: Optional[str]
    superseded_by_number: strawberry.Private[Optional[str]]

    @strawberry.field
    async def superseded_by(self, info: Info[Context, Any]) -> Optional[Certificate]:
        if self.superseded_by_number is None:
            return None
        doc = await info.context.call(info.context.service.certificate, self.superseded_by_number)
        return Certificate.from_doc(doc, info.context) if doc else None

    @classmethod
    def from_doc(cls, doc: Doc, context: Context) -> Certificate:
        return cls(
            number=doc["number"], token=doc["token"] or "",
            verification_url=context.settings.verification_url(doc["token"] or ""),
            status=CertificateStatus(doc["status"]), full_name=doc["fullName"],
            course_title=doc["courseTitle"], credits=doc["credits"],
            issued_on=datetime.date.fromisoformat(doc["issuedOn"]),
            revocation_reason=doc.get("revocationReason"),
            superseded_by_number=doc.get("supersededBy"),
        )


@strawberry.type
class Enrollment:
    id: strawberry.ID
    total_points: int
    admitted: bool
    final_grade: Optional[FinalGrade]
    passed: bool
    scores: list[Score]
    exam: Optional[Exam]
    learner_id: strawberry.Private[str]
    mooc_code: strawberry.Private[str]
    certificate_number: strawberry.Private[Optional[str]]

    @strawberry.field
    async def learner(self, info: Info[Context, Any]) -> Learner:
        doc = await info.context.call(info.context.service.view.get, "learners", self.learner_id)
        assert doc is not None
        return Learner.from_doc(doc)

    @strawberry.field
    async def mooc(self, info: Info[Context, Any]) -> Mooc:
        doc = await info.context.call(info.context.service.mooc, self.mooc_code)
        assert doc is not None
        return Mooc.from_doc(doc)

    @strawberry.field(description="The enrolment's latest certificate, whatever its status.")
    async def certificate(self, info: Info[Context, Any]) -> Optional[Certificate]:
        if self.certificate_number is None:
            return None
        doc = await info.context.call(info.context.service.certificate, self.certificate_number)
        return Certificate.from_doc(doc, info.context) if doc else None

    @classmethod
    def from_doc(cls, doc: Doc) -> Enrollment:
        grade = doc.get("finalGrade")
        exam = doc.get("exam")
        return cls(
            id=strawberry.ID(doc["id"]), total_points=doc["totalPoints"],
            admitted=doc["admitted"], passed=doc["passed"],
            final_grade=FinalGrade(**grade) if grade else None,
            scores=[Score(component=ScoreComponent(c), points=p)
                    for c, p in doc["scores"].items()],
            exam=Exam(points=exam["points"], mode=ExamMode(exam["mode"])) if exam else None,
            learner_id=doc["learnerId"], mooc_code=doc["moocCode"],
            certificate_number=doc.get("certificateNumber"),
        )


@strawberry.type
class Verification:
    status: VerificationStatus
    certificate: Optional[Certificate]
    reason: Optional[str]

    @classmethod
    def from_result(cls, result: Doc, context: Context) -> Verification:
        cert = result["certificate"]
        return cls(
            status=VerificationStatus(result["status"]),
            certificate=Certificate.from_doc(cert, context) if cert else None,
            reason=result["reason"],
        )


def check_owner(context: Context, learner_id: str, action: Action) -> None:
    """Staff read any learner's records; a learner token reads only its own."""
    principal = context.require(action)
    if principal.role.value == "learner" and str(principal.learner_id) != learner_id:
        raise Forbidden("A learner token reads only its own learner record and enrolments.")


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None
