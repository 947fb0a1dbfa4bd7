"""Dashboard counts (SPEC §9), kept by a projection that spans aggregates — never counted per
request.

Each aggregate contributes *facts*: amounts per (scope, metric), e.g. an admitted enrolment adds
1 to ``(mooc:INF-101, admitted)``. For every aggregate a batch touched, the projection adds the
difference between its facts after the batch and before it (the engine hands it the facts of
the state it folded the batch's first event into) to the counters (``stat_counts``) — so a
course's counts of enrolled, admitted, examined, passed and certified follow enrolments and
certificates alike, incrementally, in the batch's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from eventsourcing.domain import Aggregate

from ..domain.certificates import Certificate, CertificateStatus
from ..domain.enrollments import Enrollment
from ..domain.learners import Learner
from ..domain.materials import DisciplineMaterials
from ..domain.moocs import Mooc
from ..domain.programmes import ProgramSubmission
from .projection import Batch, Projection, Writes
from .tables import ViewTable, doc

GLOBAL = ""
Facts = dict[tuple[str, str], int]


def mooc_scope(code: str) -> str:
    return f"mooc:{code}"


def month_scope(month: str) -> str:
    return f"month:{month}"


def facts(aggregate: Aggregate) -> Facts:
    """What one aggregate adds to the counters now."""
    if isinstance(aggregate, Mooc):
        return {(GLOBAL, f"moocs.{aggregate.status.value}"): 1}
    if isinstance(aggregate, Learner):
        return {(GLOBAL, "learners"): 1}
    if isinstance(aggregate, Enrollment):
        scope = mooc_scope(aggregate.mooc_code)
        grade = aggregate.final_grade
        return {
            (scope, "enrolled"): 1,
            (scope, "admitted"): int(aggregate.admitted),
            (scope, "examined"): int(aggregate.exam is not None),
            (scope, "passed"): int(bool(aggregate.passed)),
            (scope, "finalSum"): grade.numeric if grade is not None else 0,
        }
    if isinstance(aggregate, Certificate):
        active = int(aggregate.status is CertificateStatus.ACTIVE)
        return {
            (GLOBAL, "certificates.issued"): 1,
            (month_scope(aggregate.issued_on.isoformat()[:7]), "certificates.issued"): 1,
            (GLOBAL, "certificates.active"): active,
            (mooc_scope(aggregate.mooc_code), "certificates.active"): active,
        }
    if isinstance(aggregate, ProgramSubmission):
        return {(GLOBAL, f"packages.{aggregate.status.value}"): 1}
    if isinstance(aggregate, DisciplineMaterials):
        return {(GLOBAL, "disciplines.incomplete"): int(not aggregate.complete)}
    return {}


def counter_key(scope: str, metric: str) -> str:
    return f"{scope}|{metric}"


class StatisticsProjection(Projection):
    name = "statistics"
    version = 2  # v2: the facts before a batch come from the engine's fold, not a table
    aggregates = (Mooc, Learner, Enrollment, Certificate, ProgramSubmission, DisciplineMaterials)
    tables = (
        ViewTable("stat_counts", (doc("scope", index=True), doc("metric"),
                                  doc("value", "bigint"))),
    )
    summarises = True

    def summary(self, state: Aggregate | None) -> Facts:
        return {} if state is None else facts(state)

    def apply(self, batch: Batch, writes: Writes) -> None:
        deltas: dict[tuple[str, str], int] = defaultdict(int)
        for aggregate in self.touched(batch):
            old = batch.before.get(aggregate.id) or {}
            new = facts(aggregate)
            for fact in old.keys() | new.keys():
                deltas[fact] += new.get(fact, 0) - old.get(fact, 0)
        writes.add("stat_counts", "value", {
            counter_key(scope, metric): ({"scope": scope, "metric": metric}, amount)
            for (scope, metric), amount in deltas.items() if amount})


def counters(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """``stat_counts`` rows of one scope → metric → value."""
    return {row["metric"]: int(row["value"]) for row in rows}
