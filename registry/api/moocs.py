"""MOOCs (R2) in GraphQL."""

from __future__ import annotations

from typing import Any

import strawberry

from ..domain import moocs
from ..domain.access import Action
from ..domain.moocs import MoocStatus
from .context import Info
from .history import HistoryEntry, history_of
from .ordering import MoocOrderInput, order_of
from .platforms import Platform, platform_by_code
from .relay import Connection, Order, paginate
from .statistics import CourseStatistics, course_statistics
from .timeline import AsOfInput, record

strawberry.enum(moocs.MoocStatus)


@strawberry.type
class LocalizedText:
    kk: str | None
    ru: str | None
    en: str | None


@strawberry.input
class LocalizedTextInput:
    kk: str | None = None
    ru: str | None = None
    en: str | None = None


@strawberry.type
class Mooc:
    code: str
    title: LocalizedText
    language: str
    credits: int
    hours: int | None
    status: MoocStatus
    department: str | None
    remarks: str | None = strawberry.field(
        description="The remarks of the last expert review or approbation."
    )
    course_title: str = strawberry.field(
        description="The title a certificate shows: in the language of instruction, "
        "else the first of kk, ru, en."
    )
    platform_code: strawberry.Private[str | None]

    @strawberry.field
    async def platform(self, info: Info) -> Platform | None:
        return await platform_by_code(info, self.platform_code) if self.platform_code else None

    @strawberry.field(description="Drafts, reviews, pilots and publication, with who and when "
                                  "(staff only).")
    async def history(self, info: Info) -> list[HistoryEntry]:
        return await history_of(info, moocs.Mooc.create_id(self.code))

    @strawberry.field(description="Its enrolled, admitted, examined, passed and certified, with "
                                  "the rates (staff only).")
    async def statistics(self, info: Info) -> CourseStatistics:
        return await course_statistics(info, self.code)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Mooc:
        return cls(
            code=doc["code"], title=LocalizedText(**doc["title"]), language=doc["language"],
            credits=doc["credits"], hours=doc.get("hours"), status=MoocStatus(doc["status"]),
            department=doc.get("department"), remarks=doc.get("remarks"),
            course_title=doc["courseTitle"], platform_code=doc.get("platformCode"),
        )


@strawberry.input
class DraftMoocInput:
    code: str
    title: LocalizedTextInput
    language: str
    credits: int
    hours: int | None = None
    department: str | None = None


@strawberry.input
class RecordExpertReviewInput:
    code: str
    passed: bool
    reviewer: str
    remarks: str | None = None


@strawberry.input
class RecordApprobationInput:
    code: str
    passed: bool
    remarks: str | None = None


@strawberry.input
class PublishMoocInput:
    code: str
    platform_code: str


async def mooc_by_code(info: Info, code: str) -> Mooc | None:
    doc = await info.context.get("moocs", code)
    return Mooc.from_doc(doc) if doc else None


@strawberry.type
class MoocQuery:
    @strawberry.field(description="A MOOC by its code; with asOf, as it stood then.")
    async def mooc(self, info: Info, code: str, as_of: AsOfInput | None = None) -> Mooc | None:
        doc = await record(info, "moocs", code, as_of)
        return Mooc.from_doc(doc) if doc else None

    @strawberry.field(description="MOOCs, filtered (given filters are ANDed) and ordered "
                                  "(default: by code); search matches the code and the title "
                                  "in any language, case-insensitively.")
    async def moocs(
        self, info: Info, status: MoocStatus | None = None,
        platform_code: str | None = None, department: str | None = None,
        language: str | None = None, search: str | None = None,
        order_by: MoocOrderInput | None = None,
        first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> Connection[Mooc]:
        where = {"status": status.value if status else None, "platform_code": platform_code,
                 "department": department, "language": language}
        return await paginate(info, "moocs", Mooc.from_doc, where=where,
                              search=search or None,
                              order=order_of(order_by, Order("CODE", "code")),
                              first=first, after=after, last=last, before=before)


@strawberry.type
class MoocMutation:
    @strawberry.mutation
    async def draft_mooc(self, info: Info, input: DraftMoocInput) -> Mooc:
        c = info.context
        command = c.command(Action.DRAFT_MOOC)
        title = moocs.LocalizedText.checked(input.title.kk, input.title.ru, input.title.en,
                                            "title")
        code = await c.run(command, lambda cmd: cmd.moocs.draft(
            code=input.code, title=title, language=input.language, credits=input.credits,
            hours=input.hours, department=input.department))
        return Mooc.from_doc(await c.doc("moocs", code))

    @strawberry.mutation
    async def submit_mooc_for_review(self, info: Info, code: str) -> Mooc:
        c = info.context
        code = await c.run(c.command(Action.SUBMIT_MOOC_FOR_REVIEW),
                           lambda cmd: cmd.moocs.submit_for_review(code))
        return Mooc.from_doc(await c.doc("moocs", code))

    @strawberry.mutation
    async def record_expert_review(self, info: Info, input: RecordExpertReviewInput) -> Mooc:
        c = info.context
        code = await c.run(c.command(Action.RECORD_EXPERT_REVIEW),
                           lambda cmd: cmd.moocs.record_expert_review(
                               code=input.code, passed=input.passed, reviewer=input.reviewer,
                               remarks=input.remarks))
        return Mooc.from_doc(await c.doc("moocs", code))

    @strawberry.mutation
    async def record_approbation(self, info: Info, input: RecordApprobationInput) -> Mooc:
        c = info.context
        code = await c.run(c.command(Action.RECORD_APPROBATION),
                           lambda cmd: cmd.moocs.record_approbation(
                               code=input.code, passed=input.passed, remarks=input.remarks))
        return Mooc.from_doc(await c.doc("moocs", code))

    @strawberry.mutation
    async def publish_mooc(self, info: Info, input: PublishMoocInput) -> Mooc:
        c = info.context
        code = await c.run(c.command(Action.PUBLISH_MOOC), lambda cmd: cmd.moocs.publish(
            code=input.code, platform_code=input.platform_code))
        return Mooc.from_doc(await c.doc("moocs", code))

    @strawberry.mutation(description="Close a published MOOC: no new enrolments.")
    async def close_mooc(self, info: Info, code: str) -> Mooc:
        c = info.context
        code = await c.run(c.command(Action.CLOSE_MOOC), lambda cmd: cmd.moocs.close(code))
        return Mooc.from_doc(await c.doc("moocs", code))
