"""Platforms (R1), where disciplines teach (3.1) and online proctoring (3.8) in GraphQL."""

from __future__ import annotations

import asyncio
import datetime
from typing import Annotated, Any

import strawberry

from ..application.timeline import AsOf
from ..domain import platforms, proctoring, teaching
from ..domain.access import Action
from ..domain.platforms import PlatformKind, PlatformOwnership
from .context import Info
from .describe import Input, described_enum
from .history import AS_OF_HISTORY, HistoryEntry, history_of
from .relay import After, Connection, First, paginate
from .timeline import Moment, record

described_enum(platforms.PlatformKind, "What a platform is (R1, clause 3.1).", {
    "DLS": "A distance-learning system, e.g. the university's Moodle (dl.kaznu.kz).",
    "MOOC_PLATFORM": "A platform for massive open online courses, e.g. moocs.kz.",
    "PERSONAL_ENVIRONMENT": "A personal learning environment (Teams, Google Classroom…): never "
                            "approved to host MOOCs; teaches only with a teacher–student "
                            "agreement.",
})
described_enum(platforms.PlatformOwnership, "Whose a platform is (R1).", {
    "UNIVERSITY": "The university's own: approved at once (unless personal).",
    "NATIONAL": "A national platform: approved at once (unless personal).",
    "EXTERNAL": "Someone else's: approved only by the Academic Committee's decision "
                "(approvePlatform).",
})


@strawberry.type(description="A platform where courses run (R1). Public: anyone may read "
                             "platforms.")
class Platform:
    code: str = strawberry.field(description="Its unique code, a host name such as moocs.kz.")
    name: str = strawberry.field(description="Its display name.")
    url: str = strawberry.field(description="Its address, e.g. https://moocs.kz.")
    kind: PlatformKind = strawberry.field(description="DLS, MOOC platform or personal "
                                                      "environment.")
    ownership: PlatformOwnership = strawberry.field(description="University, national or "
                                                                "external.")
    approved: bool = strawberry.field(
        description="May it host MOOCs (R1)? True for university and national DLS/MOOC "
        "platforms, for an external one once approved; never for a personal environment. "
        "A suspension does not change it: see suspended.")
    decision_number: str | None = strawberry.field(
        description="The Academic Committee's decision that approved an external platform; "
        "null for the others."
    )
    decided_on: datetime.date | None = strawberry.field(
        description="The date of that decision; null without one.")
    suspended: bool = strawberry.field(
        description="Suspended (suspendPlatform): it may not host new publications until "
        "resumed.")
    suspension_reason: str | None = strawberry.field(
        description="Why it was suspended, word for word; null when not suspended.")

    as_of: Moment = None

    @strawberry.field(description="Its events, with who caused them and when (staff only)."
                                  + AS_OF_HISTORY)
    async def history(self, info: Info) -> list[HistoryEntry]:
        return await history_of(info, platforms.Platform.create_id(self.code), self.as_of)

    @classmethod
    def from_doc(cls, doc: dict[str, Any], at: AsOf | None = None) -> Platform:
        return cls(
            as_of=at,
            code=doc["code"], name=doc["name"], url=doc["url"], kind=PlatformKind(doc["kind"]),
            ownership=PlatformOwnership(doc["ownership"]), approved=doc["approved"],
            decision_number=doc.get("decisionNumber"),
            decided_on=datetime.date.fromisoformat(doc["decidedOn"])
            if doc.get("decidedOn") else None,
            suspended=doc.get("suspended", False),
            suspension_reason=doc.get("suspensionReason"),
        )


@strawberry.type(description="One recorded change of online proctoring (setOnlineProctoring).")
class ProctoringChange:
    effective_from: datetime.date = strawberry.field(
        description="The day it takes effect (registry time zone).")
    available: bool = strawberry.field(description="Available from that day on?")
    system: str | None = strawberry.field(
        description="The proctoring system, e.g. Examus; null if none was named.")


@strawberry.type(description="Online proctoring of final exams (clause 3.8). Public.")
class OnlineProctoring:
    available: bool = strawberry.field(
        description="In force today (registry time zone): an ONLINE_PROCTORED exam may be "
        "recorded only for a day it is available.")
    system: str | None = strawberry.field(description="The system in force today; null if none.")
    changes: list[ProctoringChange] = strawberry.field(
        description="Every recorded change, by effective date.")


@strawberry.type(description="A teacher–student agreement: what lets a personal environment "
                             "host a discipline's teaching (3.1).")
class TeacherStudentAgreement:
    teacher: str = strawberry.field(description="The teacher's name.")
    group: str = strawberry.field(description="The student group, e.g. MBA-26-A.")
    agreed_on: datetime.date = strawberry.field(description="When it was agreed.")


@strawberry.type(description="A platform a discipline teaches on.")
class TeachingPlatformUse:
    platform: Platform = strawberry.field(description="The platform.")
    agreement: TeacherStudentAgreement | None = strawberry.field(
        description="The agreement, for a personal environment; null otherwise.")


@strawberry.type(description="Where a DET discipline's day-to-day teaching runs (3.1). Public.")
class DisciplineTeaching:
    discipline: str = strawberry.field(description="The discipline's code.")
    platforms: list[TeachingPlatformUse] = strawberry.field(
        description="Every platform recorded for it, in the order recorded.")


@strawberry.input(description="A new platform (registerPlatform).")
class RegisterPlatformInput:
    code: str = strawberry.field(description="Its unique code, a host name such as moocs.kz.")
    name: str = strawberry.field(description="Its display name.")
    url: str = strawberry.field(description="Its address (https://…).")
    kind: PlatformKind = strawberry.field(description="What it is.")
    ownership: PlatformOwnership = strawberry.field(
        description="Whose it is; an EXTERNAL one is not approved until approvePlatform.")


@strawberry.input(description="The Academic Committee's approval of an external platform.")
class ApprovePlatformInput:
    code: str = strawberry.field(description="The platform's code.")
    decision_number: str = strawberry.field(description="The committee's decision number.")
    decided_on: datetime.date = strawberry.field(description="The decision's date.")


@strawberry.input(description="Whether online proctoring is available, from a day on (3.8).")
class SetOnlineProctoringInput:
    available: bool = strawberry.field(description="Available (true) or not (false).")
    system: str | None = strawberry.field(
        default=None, description="The proctoring system, e.g. Examus.")
    effective_from: datetime.date | None = strawberry.field(
        default=None, description="The day it takes effect; default today."
    )


@strawberry.input(description="A platform to suspend, and why.")
class SuspendPlatformInput:
    code: str = strawberry.field(description="The platform's code.")
    reason: str = strawberry.field(description="Why; kept and shown word for word.")


@strawberry.input(description="A teacher–student agreement (3.1).")
class TeacherStudentAgreementInput:
    teacher: str = strawberry.field(description="The teacher's name.")
    group: str = strawberry.field(description="The student group.")
    agreed_on: datetime.date = strawberry.field(description="When it was agreed.")


@strawberry.input(description="That a DET discipline teaches on a platform (3.1).")
class UseTeachingPlatformInput:
    discipline: str = strawberry.field(
        description="The discipline's code (a teacher token: one it teaches, else FORBIDDEN).")
    platform_code: str = strawberry.field(
        description="The platform's code; a personal environment needs the agreement "
        "(else PLATFORM_NOT_APPROVED).")
    agreement: TeacherStudentAgreementInput | None = strawberry.field(
        default=None, description="Needed for a personal learning environment (3.1)."
    )


Code = Annotated[str, strawberry.argument(description="The platform's code, e.g. moocs.kz.")]


async def platform_by_code(info: Info, code: str, at: AsOf | None = None) -> Platform | None:
    doc = await record(info, "platforms", code, at)
    return Platform.from_doc(doc, at) if doc else None


@strawberry.type
class PlatformQuery:
    @strawberry.field(description="A platform by its code; null if unknown. Public.")
    async def platform(self, info: Info, code: Code) -> Platform | None:
        return await platform_by_code(info, code)

    @strawberry.field(description="Platforms by code, optionally by kind or approval. Public.")
    async def platforms(
        self, info: Info,
        kind: Annotated[PlatformKind | None, strawberry.argument(
            description="Only platforms of this kind.")] = None,
        approved: Annotated[bool | None, strawberry.argument(
            description="Only those that may (true) or may not (false) host MOOCs.")] = None,
        first: First = None, after: After = None,
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

    @strawberry.field(description="Where a DET discipline's day-to-day teaching runs (3.1); "
                                  "null if none is recorded.")
    async def discipline_teaching(
        self, info: Info,
        discipline: Annotated[str, strawberry.argument(description="The discipline's code.")],
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
    @strawberry.mutation(description="Register a platform (R1; inet). External ones need "
                                     "approval; a duplicate code is ALREADY_EXISTS.")
    async def register_platform(self, info: Info, input: Input[RegisterPlatformInput]) -> Platform:
        c = info.context
        code = await c.run(c.command(Action.REGISTER_PLATFORM), lambda cmd: cmd.platforms.register(
            code=input.code, name=input.name, url=input.url, kind=input.kind,
            ownership=input.ownership))
        return Platform.from_doc(await c.doc("platforms", code))

    @strawberry.mutation(description="Record the Academic Committee's approval (R1; committee). "
                                     "A personal environment is INVALID_INPUT.")
    async def approve_platform(self, info: Info, input: Input[ApprovePlatformInput]) -> Platform:
        c = info.context
        code = await c.run(c.command(Action.APPROVE_PLATFORM), lambda cmd: cmd.platforms.approve(
            code=input.code, decision_number=input.decision_number,
            decided_on=input.decided_on))
        return Platform.from_doc(await c.doc("platforms", code))

    @strawberry.mutation(description="Record whether online proctoring is available (3.8; "
                                     "inet); answers whether it is available from that day.")
    async def set_online_proctoring(self, info: Info, input: Input[SetOnlineProctoringInput]
                                    ) -> bool:
        c = info.context
        available: bool = await c.run(
            c.command(Action.SET_ONLINE_PROCTORING),
            lambda cmd: cmd.platforms.set_online_proctoring(available=input.available,
                                                            system=input.system,
                                                            effective_from=input.effective_from))
        return available

    @strawberry.mutation(description="Suspend a platform (inet): it may not host MOOCs "
                                     "meanwhile; a suspended one is INVALID_TRANSITION.")
    async def suspend_platform(self, info: Info, input: Input[SuspendPlatformInput]) -> Platform:
        c = info.context
        code = await c.run(c.command(Action.SUSPEND_PLATFORM), lambda cmd: cmd.platforms.suspend(
            code=input.code, reason=input.reason))
        return Platform.from_doc(await c.doc("platforms", code))

    @strawberry.mutation(description="End a platform's suspension (inet); one not suspended is "
                                     "INVALID_TRANSITION.")
    async def resume_platform(self, info: Info, code: Code) -> Platform:
        c = info.context
        code = await c.run(c.command(Action.SUSPEND_PLATFORM),
                           lambda cmd: cmd.platforms.resume(code))
        return Platform.from_doc(await c.doc("platforms", code))

    @strawberry.mutation(description="Record that a DET discipline teaches on a platform (3.1; "
                                     "inet, or a teacher for its own disciplines).")
    async def use_teaching_platform(self, info: Info, input: Input[UseTeachingPlatformInput]
                                    ) -> DisciplineTeaching:
        c = info.context
        command = c.command(Action.USE_TEACHING_PLATFORM)
        agreement = None if input.agreement is None else teaching.TeacherStudentAgreement.checked(
            input.agreement.teacher, input.agreement.group, input.agreement.agreed_on)
        discipline = await c.run(command, lambda cmd: cmd.platforms.use_for_teaching(
            discipline=input.discipline, platform_code=input.platform_code,
            agreement=agreement, actor=c.principal))
        return await _teaching(info, await c.doc("teaching", discipline))
