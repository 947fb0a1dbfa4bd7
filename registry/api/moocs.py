"""MOOCs (R2) in GraphQL."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from ..application.timeline import AsOf
from ..domain import moocs
from ..domain.access import Action
from ..domain.moocs import MoocStatus
from .context import Info
from .describe import Input, described_enum
from .history import AS_OF_HISTORY, HistoryEntry, history_of
from .ordering import MoocOrderInput, order_of
from .platforms import Platform, platform_by_code
from .relay import After, Before, Connection, First, Last, Order, paginate
from .statistics import CourseStatistics, course_statistics
from .timeline import AsOfArg, Moment, moment, record

described_enum(moocs.MoocStatus, "Where a MOOC is in its lifecycle (R2): DRAFT → IN_REVIEW → "
               "IN_APPROBATION → APPROVED → PUBLISHED → CLOSED; a failed review or "
               "approbation returns it to DRAFT.", {
                   "DRAFT": "Being prepared (also after a failed review or approbation).",
                   "IN_REVIEW": "Submitted for the expert review.",
                   "IN_APPROBATION": "Review passed; being piloted (approbation).",
                   "APPROVED": "Approbation passed; ready to publish.",
                   "PUBLISHED": "On an approved platform: learners may enrol.",
                   "CLOSED": "Closed: no new enrolments; existing ones go on.",
               })

KK, RU, EN = "Қазақша (Kazakh).", "По-русски (Russian).", "In English."
MOOC_CODE = "The MOOC's code."
Code = Annotated[str, strawberry.argument(description=MOOC_CODE)]


@strawberry.type(description="A text in Kazakh, Russian and English; a language not given is "
                             "null (at least one is given).")
class LocalizedText:
    kk: str | None = strawberry.field(description=KK)
    ru: str | None = strawberry.field(description=RU)
    en: str | None = strawberry.field(description=EN)


@strawberry.input(description="A text in Kazakh, Russian and/or English: at least one "
                              "(else INVALID_INPUT); Kazakh letters (ә ғ қ ң ө ұ ү һ і) are "
                              "kept as given.")
class LocalizedTextInput:
    kk: str | None = strawberry.field(default=None, description=KK)
    ru: str | None = strawberry.field(default=None, description=RU)
    en: str | None = strawberry.field(default=None, description=EN)


@strawberry.type(description="A massive open online course (R2). Public: anyone may read a "
                             "MOOC; its history and statistics are for staff.")
class Mooc:
    code: str = strawberry.field(description="Its unique code, e.g. KAZLIT-101 (codes "
                                             "differing only in case are one code).")
    title: LocalizedText = strawberry.field(description="Its title in kk, ru and/or en.")
    language: str = strawberry.field(
        description="The language of instruction, a lowercase ISO 639-1 code: kk, ru, en…")
    credits: int = strawberry.field(description="Its volume in ECTS credits (> 0).")
    hours: int | None = strawberry.field(description="Its volume in academic hours; null if "
                                                     "not given.")
    status: MoocStatus = strawberry.field(description="Where it is in its lifecycle.")
    department: str | None = strawberry.field(description="The department that runs it; null "
                                                          "if not given.")
    remarks: str | None = strawberry.field(
        description="The remarks of the last expert review or approbation."
    )
    course_title: str = strawberry.field(
        description="The title a certificate shows: in the language of instruction, "
        "else the first of kk, ru, en."
    )
    platform_code: strawberry.Private[str | None]
    as_of: Moment = None

    @strawberry.field(description="The platform it is published on; null before publication. "
                                  "On a MOOC read with asOf: the platform as it stood then.")
    async def platform(self, info: Info) -> Platform | None:
        if not self.platform_code:
            return None
        return await platform_by_code(info, self.platform_code, self.as_of)

    @strawberry.field(description="Drafts, reviews, pilots and publication, with who and when "
                                  "(staff only)." + AS_OF_HISTORY)
    async def history(self, info: Info) -> list[HistoryEntry]:
        return await history_of(info, moocs.Mooc.create_id(self.code), self.as_of)

    @strawberry.field(description="Its enrolled, admitted, examined, passed and certified, with "
                                  "the rates (staff: inet, auditor, teacher, dean, admin; "
                                  "others FORBIDDEN). Kept by a projection, not counted per "
                                  "request: today's figures only, so on a MOOC read with asOf "
                                  "(or reached from a record read with asOf) it is "
                                  "AS_OF_UNSUPPORTED, never today's figures on a record of "
                                  "then.")
    async def statistics(self, info: Info) -> CourseStatistics:
        return await course_statistics(info, self.code, self.as_of)

    @classmethod
    def from_doc(cls, doc: dict[str, Any], at: AsOf | None = None) -> Mooc:
        return cls(
            as_of=at,
            code=doc["code"], title=LocalizedText(**doc["title"]), language=doc["language"],
            credits=doc["credits"], hours=doc.get("hours"), status=MoocStatus(doc["status"]),
            department=doc.get("department"), remarks=doc.get("remarks"),
            course_title=doc["courseTitle"], platform_code=doc.get("platformCode"),
        )


@strawberry.input(description="A new MOOC draft (R2).")
class DraftMoocInput:
    code: str = strawberry.field(description="Its unique code, e.g. KAZLIT-101 (a duplicate, "
                                             "in any case, is ALREADY_EXISTS).")
    title: LocalizedTextInput = strawberry.field(description="Its title: kk, ru and/or en.")
    language: str = strawberry.field(
        description="The language of instruction, lowercase ISO 639-1 (kk, ru, en…); another "
                    "is INVALID_INPUT.")
    credits: int = strawberry.field(description="ECTS credits, > 0.")
    hours: int | None = strawberry.field(default=None, description="Academic hours.")
    department: str | None = strawberry.field(default=None,
                                              description="The department that runs it.")


@strawberry.input(description="The result of a MOOC's expert review (it must be IN_REVIEW).")
class RecordExpertReviewInput:
    code: str = strawberry.field(description=MOOC_CODE)
    passed: bool = strawberry.field(description="Passed: on to IN_APPROBATION; failed: back to "
                                                "DRAFT.")
    reviewer: str = strawberry.field(description="The expert's name.")
    remarks: str | None = strawberry.field(default=None, description="The expert's remarks "
                                                                     "(Mooc.remarks).")


@strawberry.input(description="The result of a MOOC's approbation (pilot run; it must be "
                              "IN_APPROBATION).")
class RecordApprobationInput:
    code: str = strawberry.field(description=MOOC_CODE)
    passed: bool = strawberry.field(description="Passed: APPROVED; failed: back to DRAFT.")
    remarks: str | None = strawberry.field(default=None, description="Remarks (Mooc.remarks).")


@strawberry.input(description="Publishing an APPROVED MOOC on a platform.")
class PublishMoocInput:
    code: str = strawberry.field(description=MOOC_CODE)
    platform_code: str = strawberry.field(
        description="The platform; one that may not host MOOCs (not approved, personal, "
                    "suspended) is PLATFORM_NOT_APPROVED.")


async def mooc_by_code(info: Info, code: str, at: AsOf | None = None) -> Mooc | None:
    doc = await record(info, "moocs", code, at)
    return Mooc.from_doc(doc, at) if doc else None


@strawberry.type
class MoocQuery:
    @strawberry.field(description="A MOOC by its code (public); null if unknown. With asOf, as "
                                  "it stood then.")
    async def mooc(self, info: Info, code: Code, as_of: AsOfArg = None) -> Mooc | None:
        return await mooc_by_code(info, code, moment(as_of))

    @strawberry.field(description="MOOCs, filtered (given filters are ANDed) and ordered "
                                  "(default: by code); search matches the code and the title "
                                  "in any language, case-insensitively. Public.")
    async def moocs(
        self, info: Info,
        status: Annotated[MoocStatus | None, strawberry.argument(
            description="Only MOOCs in this status.")] = None,
        platform_code: Annotated[str | None, strawberry.argument(
            description="Only MOOCs published on this platform.")] = None,
        department: Annotated[str | None, strawberry.argument(
            description="Only this department's (exact).")] = None,
        language: Annotated[str | None, strawberry.argument(
            description="Only those taught in this language (ISO 639-1, e.g. kk).")] = None,
        search: Annotated[str | None, strawberry.argument(
            description="Words in the code or the title in any language, case-insensitively "
                        "(Kazakh letters included).")] = None,
        order_by: Annotated[MoocOrderInput | None, strawberry.argument(
            description="The order; default by code, ascending.")] = None,
        first: First = None, after: After = None,
        last: Last = None, before: Before = None,
    ) -> Connection[Mooc]:
        where = {"status": status.value if status else None, "platform_code": platform_code,
                 "department": department, "language": language}
        return await paginate(info, "moocs", Mooc.from_doc, where=where,
                              search=search or None,
                              order=order_of(order_by, Order("CODE", "code")),
                              first=first, after=after, last=last, before=before)


@strawberry.type
class MoocMutation:
    @strawberry.mutation(description="Draft a MOOC (inet): it starts in DRAFT.")
    async def draft_mooc(self, info: Info, input: Input[DraftMoocInput]) -> Mooc:
        c = info.context
        command = c.command(Action.DRAFT_MOOC)
        title = moocs.LocalizedText.checked(input.title.kk, input.title.ru, input.title.en,
                                            "title")
        code = await c.run(command, lambda cmd: cmd.moocs.draft(
            code=input.code, title=title, language=input.language, credits=input.credits,
            hours=input.hours, department=input.department))
        return Mooc.from_doc(await c.doc("moocs", code))

    @strawberry.mutation(description="Submit a DRAFT for the expert review (inet): IN_REVIEW; "
                                     "from another status INVALID_TRANSITION.")
    async def submit_mooc_for_review(self, info: Info, code: Code) -> Mooc:
        c = info.context
        code = await c.run(c.command(Action.SUBMIT_MOOC_FOR_REVIEW),
                           lambda cmd: cmd.moocs.submit_for_review(code))
        return Mooc.from_doc(await c.doc("moocs", code))

    @strawberry.mutation(description="Record the expert review (inet).")
    async def record_expert_review(self, info: Info, input: Input[RecordExpertReviewInput]) -> Mooc:
        c = info.context
        code = await c.run(c.command(Action.RECORD_EXPERT_REVIEW),
                           lambda cmd: cmd.moocs.record_expert_review(
                               code=input.code, passed=input.passed, reviewer=input.reviewer,
                               remarks=input.remarks))
        return Mooc.from_doc(await c.doc("moocs", code))

    @strawberry.mutation(description="Record the approbation (inet).")
    async def record_approbation(self, info: Info, input: Input[RecordApprobationInput]) -> Mooc:
        c = info.context
        code = await c.run(c.command(Action.RECORD_APPROBATION),
                           lambda cmd: cmd.moocs.record_approbation(
                               code=input.code, passed=input.passed, remarks=input.remarks))
        return Mooc.from_doc(await c.doc("moocs", code))

    @strawberry.mutation(description="Publish an APPROVED MOOC on an allowed platform (inet): "
                                     "learners may enrol.")
    async def publish_mooc(self, info: Info, input: Input[PublishMoocInput]) -> Mooc:
        c = info.context
        code = await c.run(c.command(Action.PUBLISH_MOOC), lambda cmd: cmd.moocs.publish(
            code=input.code, platform_code=input.platform_code))
        return Mooc.from_doc(await c.doc("moocs", code))

    @strawberry.mutation(description="Close a published MOOC (inet): no new enrolments.")
    async def close_mooc(self, info: Info, code: Code) -> Mooc:
        c = info.context
        code = await c.run(c.command(Action.CLOSE_MOOC), lambda cmd: cmd.moocs.close(code))
        return Mooc.from_doc(await c.doc("moocs", code))
