"""Dashboards (SPEC §9): counts kept by the statistics projection, never counted per request.
Staff only."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

import strawberry

from ..domain.access import Action
from ..domain.moocs import MoocStatus
from .context import Info


@strawberry.type(description="One course's counts and rates.")
class CourseStatistics:
    enrolled: int
    admitted: int = strawberry.field(description="Admitted to the final exam (≥ 150 points).")
    examined: int = strawberry.field(description="Sat the final exam.")
    passed: int
    certificates_active: int
    admission_rate: float | None = strawberry.field(
        description="admitted ÷ enrolled; null with no enrolment.")
    pass_rate: float | None = strawberry.field(
        description="passed ÷ examined; null when nobody sat the exam.")
    average_final: float | None = strawberry.field(
        description="The mean numeric final grade of the examined; null when none.")

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> CourseStatistics:
        return cls(enrolled=doc["enrolled"], admitted=doc["admitted"],
                   examined=doc["examined"], passed=doc["passed"],
                   certificates_active=doc["activeCertificates"],
                   admission_rate=doc["admissionRate"], pass_rate=doc["passRate"],
                   average_final=doc["averageFinal"])


async def course_statistics(info: Info, code: str) -> CourseStatistics:
    info.context.require(Action.READ_STATISTICS)
    doc = await info.context.loaders.course_statistics.load(code)
    return CourseStatistics.from_doc(doc)


@strawberry.type(description="How many MOOCs are in one status.")
class MoocStatusCount:
    status: MoocStatus
    count: int


@strawberry.type(description="How many certificates were issued in one month.")
class MonthCount:
    month: str = strawberry.field(description="YYYY-MM, in the registry's time zone.")
    count: int


@strawberry.type(description="The registry's dashboard.")
class Statistics:
    moocs_by_status: list[MoocStatusCount]
    learners: int
    certificates_active: int
    program_submissions_awaiting_inet: int = strawberry.field(
        description="Packages submitted and waiting for INET's decision (R3).")
    incomplete_teaching_materials: int = strawberry.field(
        description="DET disciplines whose materials are incomplete (R4).")
    months: strawberry.Private[list[dict[str, Any]]]

    @strawberry.field(description="Issuances (later revocations included) per month of the "
                                  "issue date, oldest first, months with none omitted; "
                                  "from/to limit the months (inclusive).")
    def certificates_issued_by_month(
        self,
        from_: Annotated[datetime.date | None, strawberry.argument(name="from")] = None,
        to: datetime.date | None = None,
    ) -> list[MonthCount]:
        low = from_.isoformat()[:7] if from_ else "0000-00"
        high = to.isoformat()[:7] if to else "9999-99"
        return [MonthCount(month=m["month"], count=m["count"]) for m in self.months
                if low <= m["month"] <= high]


@strawberry.type
class StatisticsQuery:
    @strawberry.field(description="The registry's dashboard (staff).")
    async def statistics(self, info: Info) -> Statistics:
        info.context.require(Action.READ_STATISTICS)
        doc = await info.context.call(info.context.service.statistics)
        return Statistics(
            moocs_by_status=[MoocStatusCount(status=MoocStatus(status), count=count)
                             for status, count in sorted(doc["moocsByStatus"].items())],
            learners=doc["learners"], certificates_active=doc["activeCertificates"],
            program_submissions_awaiting_inet=doc["packagesAwaitingInet"],
            incomplete_teaching_materials=doc["disciplinesWithIncompleteMaterials"],
            months=doc["certificatesIssuedByMonth"])
