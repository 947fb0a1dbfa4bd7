"""Dashboards (SPEC §9): counts kept by the statistics projection, never counted per request.
Staff only."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

import strawberry

from ..application.timeline import AsOf
from ..domain.access import Action
from ..domain.moocs import MoocStatus
from .context import Info
from .timeline import refuse_as_of


@strawberry.type(description="One course's counts and rates, kept by the statistics "
                             "projection (staff: inet, auditor, teacher, dean, admin).")
class CourseStatistics:
    enrolled: int = strawberry.field(description="Enrolments in it.")
    admitted: int = strawberry.field(description="Admitted to the final exam (≥ 150 points).")
    examined: int = strawberry.field(description="Sat the final exam.")
    passed: int = strawberry.field(description="Passed (exam ≥ 50 and final ≥ 50).")
    certificates_active: int = strawberry.field(description="Its certificates now ACTIVE.")
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


async def course_statistics(info: Info, code: str, at: AsOf | None = None
                            ) -> CourseStatistics:
    """One course's figures (staff); on a MOOC read as of moment ``at``: AS_OF_UNSUPPORTED."""
    info.context.require(Action.READ_STATISTICS)
    refuse_as_of(at, "Mooc.statistics")
    doc = await info.context.loaders.course_statistics.load(code)
    return CourseStatistics.from_doc(doc)


@strawberry.type(description="How many MOOCs are in one status.")
class MoocStatusCount:
    status: MoocStatus = strawberry.field(description="The status.")
    count: int = strawberry.field(description="MOOCs in it now.")


@strawberry.type(description="How many certificates were issued in one month.")
class MonthCount:
    month: str = strawberry.field(description="YYYY-MM, in the registry's time zone.")
    count: int = strawberry.field(description="Certificates issued in it (> 0).")


@strawberry.type(description="The registry's dashboard, kept by the statistics projection "
                             "(staff: inet, auditor, teacher, dean, admin).")
class Statistics:
    moocs_by_status: list[MoocStatusCount] = strawberry.field(
        description="MOOCs per status, by status name; statuses with none omitted.")
    learners: int = strawberry.field(description="Learners registered.")
    certificates_active: int = strawberry.field(description="Certificates now ACTIVE.")
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
        from_: Annotated[datetime.date | None, strawberry.argument(
            name="from", description="From this date's month on (inclusive).")] = None,
        to: Annotated[datetime.date | None, strawberry.argument(
            description="Up to this date's month (inclusive).")] = None,
    ) -> list[MonthCount]:
        low = from_.isoformat()[:7] if from_ else "0000-00"
        high = to.isoformat()[:7] if to else "9999-99"
        return [MonthCount(month=m["month"], count=m["count"]) for m in self.months
                if low <= m["month"] <= high]


@strawberry.type
class StatisticsQuery:
    @strawberry.field(description="The registry's dashboard (staff; others FORBIDDEN).")
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
