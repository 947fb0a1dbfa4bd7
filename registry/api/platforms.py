"""Platforms (R1), where disciplines teach (3.1) and online proctoring (3.8) in GraphQL."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import strawberry

from ..domain import platforms, proctoring, teaching
from ..domain.access import Action
from ..domain.platforms import PlatformKind, PlatformOwnership
from .context import Info
from .history import HistoryEntry, history_of
from .relay import Connection, paginate

strawberry.enum(platforms.PlatformKind)
strawberry.enum(platforms.PlatformOwnership)


@strawberry.type
class Platform:
    code: str
    name: str
    url: str
    kind: PlatformKind
    ownership: PlatformOwnership
    approved: bool = strawberry.field(description="May it host MOOCs (R1)?")
    decision_number: str | None = strawberry.field(
        description="The Academic Committee's decision that approved an external platform."
    )
    decided_on: datetime.date | None
    suspended: bool
    suspension_reason: str | None

    @strawberry.field(description="Its events, with who caused them and when (staff only).")
    async def history(self, info: Info) -> list[HistoryEntry]:
        return await history_of(info, platforms.Platform.create_id(self.code))

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Platform:
        return cls(
            code=doc["code"], name=doc["name"], url=doc["url"], kind=PlatformKind(doc["kind"]),
            ownership=PlatformOwnership(doc["ownership"]), approved=doc["approved"],
            decision_number=doc.get("decisionNumber"),
            decided_on=datetime.date.fromisoformat(doc["decidedOn"])
            if doc.get("decidedOn") else None,
            suspended=doc.get("suspended", False),
            suspension_reason=doc.get("suspensionReason"),
        )


@strawberry.type
class ProctoringChange:
    effective_from: datetime.date
    available: bool
    system: str | None


@strawberry.type
class OnlineProctoring:
    available: bool = strawberry.field(description="In force today (registry time zone).")
    system: str | None
    changes: list[ProctoringChange]


@strawberry.type
class TeacherStudentAgreement:
    teacher: str
    group: str
    agreed_on: datetime.date


@strawberry.type
class TeachingPlatformUse:
    platform: Platform
    agreement: TeacherStudentAgreement | None


@strawberry.type
class DisciplineTeaching:
    discipline: str
    platforms: list[TeachingPlatformUse]


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
    system: str | None = None
    effective_from: datetime.date | None = strawberry.field(
        default=None, description="The day it takes effect; default today."
    )


@strawberry.input
class SuspendPlatformInput:
    code: str
    reason: str


@strawberry.input
class TeacherStudentAgreementInput:
    teacher: str
    group: str
    agreed_on: datetime.date


@strawberry.input
class UseTeachingPlatformInput:
    discipline: str
    platform_code: str
    agreement: TeacherStudentAgreementInput | None = strawberry.field(
        default=None, description="Needed for a personal learning environment (3.1)."
    )


async def platform_by_code(info: Info, code: str) -> Platform | None:
    doc = await info.context.get("platforms", code)
    return Platform.from_doc(doc) if doc else None


@strawberry.type
class PlatformQuery:
    @strawberry.field
    async def platform(self, info: Info, code: str) -> Platform | None:
        return await platform_by_code(info, code)

    @strawberry.field(description="Platforms by code, optionally by kind or approval.")
    async def platforms(
        self, info: Info, kind: PlatformKind | None = None, approved: bool | None = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[Platform]:
        return await paginate(info, "platforms", Platform.from_doc,
                              where={"kind": kind.value if kind else None, "approved": approved},
                              first=first, after=after)

    @strawberry.field(description="Online proctoring: what is in force today, and every change.")
    async def online_proctoring(self, info: Info) -> OnlineProctoring:
        doc = await info.context.get("settings", "proctoring") or {"changes": []}
        changes = [(datetime.date.fromisoformat(c["effectiveFrom"]), c["available"], c["system"])
                   for c in doc["changes"]]
        available, system = proctoring.in_force(changes, info.context.service.app.today())
        return OnlineProctoring(
            available=available, system=system,
            changes=[ProctoringChange(effective_from=day, available=a, system=sys)
                     for day, a, sys in changes],
        )

    @strawberry.field(description="Where a DET discipline's day-to-day teaching runs (3.1).")
    async def discipline_teaching(self, info: Info, discipline: str
                                  ) -> DisciplineTeaching | None:
        doc = await info.context.get("teaching", discipline)
        return None if doc is None else await _teaching(info, doc)


async def _teaching(info: Info, doc: dict[str, Any]) -> DisciplineTeaching:
    uses = []
    found = await asyncio.gather(*(platform_by_code(info, use["platformCode"])
                                   for use in doc["platforms"]))  # one read for all
    for use, platform in zip(doc["platforms"], found, strict=True):
        assert platform is not None
        agreement = use["agreement"]
        uses.append(TeachingPlatformUse(platform=platform, agreement=None if not agreement else
                                        TeacherStudentAgreement(
                                            teacher=agreement["teacher"],
                                            group=agreement["group"],
                                            agreed_on=datetime.date.fromisoformat(
                                                agreement["agreed_on"]))))
    return DisciplineTeaching(discipline=doc["discipline"], platforms=uses)


@strawberry.type
class PlatformMutation:
    @strawberry.mutation(description="Register a platform (R1). External ones need approval.")
    async def register_platform(self, info: Info, input: RegisterPlatformInput) -> Platform:
        c = info.context
        code = await c.run(c.command(Action.REGISTER_PLATFORM), lambda cmd: cmd.platforms.register(
            code=input.code, name=input.name, url=input.url, kind=input.kind,
            ownership=input.ownership))
        return Platform.from_doc(await c.doc("platforms", code))

    @strawberry.mutation(description="Record the Academic Committee's approval (R1).")
    async def approve_platform(self, info: Info, input: ApprovePlatformInput) -> Platform:
        c = info.context
        code = await c.run(c.command(Action.APPROVE_PLATFORM), lambda cmd: cmd.platforms.approve(
            code=input.code, decision_number=input.decision_number,
            decided_on=input.decided_on))
        return Platform.from_doc(await c.doc("platforms", code))

    @strawberry.mutation(description="Record whether online proctoring is available now (3.8).")
    async def set_online_proctoring(self, info: Info, input: SetOnlineProctoringInput) -> bool:
        c = info.context
        available: bool = await c.run(
            c.command(Action.SET_ONLINE_PROCTORING),
            lambda cmd: cmd.platforms.set_online_proctoring(available=input.available,
                                                            system=input.system,
                                                            effective_from=input.effective_from))
        return available

    @strawberry.mutation(description="Suspend a platform: it may not host MOOCs meanwhile.")
    async def suspend_platform(self, info: Info, input: SuspendPlatformInput) -> Platform:
        c = info.context
        code = await c.run(c.command(Action.SUSPEND_PLATFORM), lambda cmd: cmd.platforms.suspend(
            code=input.code, reason=input.reason))
        return Platform.from_doc(await c.doc("platforms", code))

    @strawberry.mutation(description="End a platform's suspension.")
    async def resume_platform(self, info: Info, code: str) -> Platform:
        c = info.context
        code = await c.run(c.command(Action.SUSPEND_PLATFORM),
                           lambda cmd: cmd.platforms.resume(code))
        return Platform.from_doc(await c.doc("platforms", code))

    @strawberry.mutation(description="Record that a DET discipline teaches on a platform (3.1).")
    async def use_teaching_platform(self, info: Info, input: UseTeachingPlatformInput
                                    ) -> DisciplineTeaching:
        c = info.context
        command = c.command(Action.USE_TEACHING_PLATFORM)
        agreement = None if input.agreement is None else teaching.TeacherStudentAgreement.checked(
            input.agreement.teacher, input.agreement.group, input.agreement.agreed_on)
        discipline = await c.run(command, lambda cmd: cmd.platforms.use_for_teaching(
            discipline=input.discipline, platform_code=input.platform_code,
            agreement=agreement, actor=c.principal))
        return await _teaching(info, await c.doc("teaching", discipline))
