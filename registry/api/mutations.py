"""Mutations: each authorises, translates its input into a service call and returns the
object itself, read back from the views (SPEC §4.1)."""

from __future__ import annotations

import datetime
from typing import Any, Optional

import strawberry
from strawberry.types import Info

from ..domain.access import Action
from ..domain.moocs import LocalizedText
from .context import Context
from .queries import parse_id
from .types import (
    Certificate, Enrollment, ExamMode, Learner, Mooc, Platform, PlatformKind, PlatformOwnership,
    ScoreComponent,
)


@strawberry.input
class LocalizedTextInput:
    kk: Optional[str] = None
    ru: Optional[str] = None
    en: Optional[str] = None


@strawberry.input
class RegisterPlatformInput:
    code: str
    name: str
    url: str
    kind: PlatformKind
    ownership: PlatformOwnership


@strawberry.input
class ApprovePlatformInput:
    code: str
    decision_number: str
    decided_on: datetime.date


@strawberry.input
class SetOnlineProctoringInput:
    available: bool
    system: Optional[str] = None


@strawberry.input
class DraftMoocInput:
    code: str
    title: LocalizedTextInput
    language: str
    credits: int
    hours: Optional[int] = None
    department: Optional[str] = None


@strawberry.input
class RecordExpertReviewInput:
    code: str
    passed: bool
    reviewer: str
    remarks: Optional[str] = None


@strawberry.input
class RecordApprobationInput:
    code: str
    passed: bool
    remarks: Optional[str] = None


@strawberry.input
class PublishMoocInput:
    code: str
    platform_code: str


@strawberry.input
class RegisterLearnerInput:
    full_name: str
    email: Optional[str] = None
    iin: Optional[str] = None
    full_name_latin: Optional[str] = None


@strawberry.input
class EnrollInput:
    learner_id: strawberry.ID
    mooc_code: str


@strawberry.input
class RecordScoreInput:
    enrollment_id: strawberry.ID
    component: ScoreComponent
    points: int
    reason: Optional[str] = None


@strawberry.input
class RecordFinalExamInput:
    enrollment_id: strawberry.ID
    points: int
    mode: ExamMode


@strawberry.input
class IssueCertificateInput:
    enrollment_id: strawberry.ID


@strawberry.input
class RevokeCertificateInput:
    number: str
    reason: str


I = Info[Context, Any]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Register a platform (R1). External ones need approval.")
    async def register_platform(self, info: I, input: RegisterPlatformInput) -> Platform:
        c = info.context
        doc = await c.call(
            c.service.register_platform, c.command(Action.REGISTER_PLATFORM), code=input.code,
            name=input.name, url=input.url, kind=input.kind, ownership=input.ownership,
        )
        return Platform.from_doc(doc)

    @strawberry.mutation(description="Record the Academic Committee's approval (R1).")
    async def approve_platform(self, info: I, input: ApprovePlatformInput) -> Platform:
        c = info.context
        doc = await c.call(
            c.service.approve_platform, c.command(Action.APPROVE_PLATFORM), code=input.code,
            decision_number=input.decision_number, decided_on=input.decided_on,
        )
        return Platform.from_doc(doc)

    @strawberry.mutation(description="Record whether online proctoring is available now (3.8).")
    async def set_online_proctoring(self, info: I, input: SetOnlineProctoringInput) -> bool:
        c = info.context
        return await c.call(
            c.service.set_online_proctoring, c.command(Action.SET_ONLINE_PROCTORING),
            available=input.available, system=input.system,
        )

    @strawberry.mutation
    async def draft_mooc(self, info: I, input: DraftMoocInput) -> Mooc:
        c = info.context
        command = c.command(Action.DRAFT_MOOC)
        title = LocalizedText.checked(input.title.kk, input.title.ru, input.title.en, "title")
        doc = await c.call(
            c.service.draft_mooc, command, code=input.code, title=title,
            language=input.language, credits=input.credits, hours=input.hours,
            department=input.department,
        )
        return Mooc.from_doc(doc)

    @strawberry.mutation
    async def submit_mooc_for_review(self, info: I, code: str) -> Mooc:
        c = info.context
        doc = await c.call(
            c.service.submit_mooc_for_review, c.command(Action.SUBMIT_MOOC_FOR_REVIEW), code
        )
        return Mooc.from_doc(doc)

    @strawberry.mutation
    async def record_expert_review(self, info: I, input: RecordExpertReviewInput) -> Mooc:
        c = info.context
        doc = await c.call(
            c.service.record_expert_review, c.command(Action.RECORD_EXPERT_REVIEW),
            code=input.code, passed=input.passed, reviewer=input.reviewer,
            remarks=input.remarks,
        )
        return Mooc.from_doc(doc)

    @strawberry.mutation
    async def record_approbation(self, info: I, input: RecordApprobationInput) -> Mooc:
        c = info.context
        doc = await c.call(
            c.service.record_approbation, c.command(Action.RECORD_APPROBATION),
            code=input.code, passed=input.passed, remarks=input.remarks,
        )
        return Mooc.from_doc(doc)

    @strawberry.mutation
    async def publish_mooc(self, info: I, input: PublishMoocInput) -> Mooc:
        c = info.context
        doc = await c.call(
            c.service.publish_mooc, c.command(Action.PUBLISH_MOOC), code=input.code,
            platform_code=input.platform_code,
        )
        return Mooc.from_doc(doc)

    @strawberry.mutation
    async def register_learner(self, info: I, input: RegisterLearnerInput) -> Learner:
        c = info.context
        doc = await c.call(
            c.service.register_learner, c.command(Action.REGISTER_LEARNER),
            full_name=input.full_name, email=input.email, iin=input.iin,
            full_name_latin=input.full_name_latin,
        )
        return Learner.from_doc(doc)

    @strawberry.mutation
    async def enroll(self, info: I, input: EnrollInput) -> Enrollment:
        c = info.context
        command = c.command(Action.ENROLL)
        doc = await c.call(
            c.service.enroll, command, learner_id=parse_id(input.learner_id, "learner"),
            mooc_code=input.mooc_code,
        )
        return Enrollment.from_doc(doc)

    @strawberry.mutation
    async def record_score(self, info: I, input: RecordScoreInput) -> Enrollment:
        c = info.context
        command = c.command(Action.RECORD_SCORE)
        doc = await c.call(
            c.service.record_score, command,
            enrollment_id=parse_id(input.enrollment_id, "enrollment"),
            component=input.component, points=input.points, reason=input.reason,
        )
        return Enrollment.from_doc(doc)

    @strawberry.mutation
    async def record_final_exam(self, info: I, input: RecordFinalExamInput) -> Enrollment:
        c = info.context
        command = c.command(Action.RECORD_FINAL_EXAM)
        doc = await c.call(
            c.service.record_final_exam, command,
            enrollment_id=parse_id(input.enrollment_id, "enrollment"),
            points=input.points, mode=input.mode,
        )
        return Enrollment.from_doc(doc)

    @strawberry.mutation
    async def issue_certificate(self, info: I, input: IssueCertificateInput) -> Certificate:
        c = info.context
        command = c.command(Action.ISSUE_CERTIFICATE)
        doc = await c.call(
            c.service.issue_certificate, command,
            enrollment_id=parse_id(input.enrollment_id, "enrollment"),
        )
        return Certificate.from_doc(doc, c)

    @strawberry.mutation
    async def revoke_certificate(self, info: I, input: RevokeCertificateInput) -> Certificate:
        c = info.context
        doc = await c.call(
            c.service.revoke_certificate, c.command(Action.REVOKE_CERTIFICATE),
            number=input.number, reason=input.reason,
        )
        return Certificate.from_doc(doc, c)
