"""Platforms (R1) and online proctoring (3.8) in GraphQL."""

from __future__ import annotations

import datetime
from typing import Any, Optional

import strawberry

from ..domain import platforms
from ..domain.access import Action
from .context import Info

PlatformKind = strawberry.enum(platforms.PlatformKind)
PlatformOwnership = strawberry.enum(platforms.PlatformOwnership)


@strawberry.type
class Platform:
    code: str
    name: str
    url: str
    kind: PlatformKind
    ownership: PlatformOwnership
    approved: bool = strawberry.field(description="May it host MOOCs (R1)?")
    decision_number: Optional[str] = strawberry.field(
        description="The Academic Committee's decision that approved an external platform."
    )
    decided_on: Optional[datetime.date]

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Platform:
        return cls(
            code=doc["code"], name=doc["name"], url=doc["url"], kind=PlatformKind(doc["kind"]),
            ownership=PlatformOwnership(doc["ownership"]), approved=doc["approved"],
            decision_number=doc.get("decisionNumber"),
            decided_on=datetime.date.fromisoformat(doc["decidedOn"])
            if doc.get("decidedOn") else None,
        )


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


async def platform_by_code(info: Info, code: str) -> Optional[Platform]:
    doc = await info.context.get("platforms", code)
    return Platform.from_doc(doc) if doc else None


@strawberry.type
class PlatformQuery:
    @strawberry.field
    async def platform(self, info: Info, code: str) -> Optional[Platform]:
        return await platform_by_code(info, code)


@strawberry.type
class PlatformMutation:
    @strawberry.mutation(description="Register a platform (R1). External ones need approval.")
    async def register_platform(self, info: Info, input: RegisterPlatformInput) -> Platform:
        c = info.context
        code = await c.run(c.command(Action.REGISTER_PLATFORM), lambda app: app.register_platform(
            code=input.code, name=input.name, url=input.url, kind=input.kind,
            ownership=input.ownership))
        return Platform.from_doc(await c.doc("platforms", code))

    @strawberry.mutation(description="Record the Academic Committee's approval (R1).")
    async def approve_platform(self, info: Info, input: ApprovePlatformInput) -> Platform:
        c = info.context
        code = await c.run(c.command(Action.APPROVE_PLATFORM), lambda app: app.approve_platform(
            code=input.code, decision_number=input.decision_number,
            decided_on=input.decided_on))
        return Platform.from_doc(await c.doc("platforms", code))

    @strawberry.mutation(description="Record whether online proctoring is available now (3.8).")
    async def set_online_proctoring(self, info: Info, input: SetOnlineProctoringInput) -> bool:
        c = info.context
        available: bool = await c.run(
            c.command(Action.SET_ONLINE_PROCTORING),
            lambda app: app.set_online_proctoring(available=input.available,
                                                  system=input.system))
        return available
