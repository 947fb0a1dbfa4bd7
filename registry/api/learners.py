"""Learners (R5) and enrolments: scores (R6), final exam (R7), grade (R9) in GraphQL."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, TypeVar, cast
from uuid import UUID

import strawberry

from ..application.commands import Commands
from ..application.registry import Saved
from ..application.timeline import AsOf
from ..domain import enrollments, grading, learners
from ..domain.access import (
    Action,
    PersonalField,
    Principal,
    check_finds_by_iin,
    check_reads_enrollment,
    check_reads_learner,
    is_learner,
    learner_scope,
    personal_fields,
)
from ..domain.enrollments import ExamMode
from ..domain.errors import InvalidInput, Unauthenticated
from ..domain.grading import ScoreComponent
from ..domain.learners import VerificationMethod
from .certificates import Certificate, certificate_by_number
from .context import Info, parse_id
from .describe import Input, described_enum
from .history import AS_OF_HISTORY, HistoryEntry, history_of
from .moocs import Mooc, mooc_by_code
from .ordering import EnrollmentOrderInput, LearnerOrderInput, order_of
from .relay import (
    DEFAULT_PAGE,
    MAX_PAGE,
    After,
    Before,
    Connection,
    Edge,
    First,
    Last,
    Order,
    PageInfo,
    decode_cursor,
    encode_cursor,
    first_page,
    known_count,
    paginate,
)
from .timeline import AsOfArg, Moment, moment, record, records

T = TypeVar("T")

described_enum(grading.ScoreComponent, "A component of the 300-point rating (R6), 0–100 "
               "points each.", {
                   "RATING_1": "The first rating (рейтинг 1 / 1-рейтинг).",
                   "MIDTERM": "The midterm control (рубежный контроль / аралық бақылау).",
                   "RATING_2": "The second rating (рейтинг 2 / 2-рейтинг).",
               })
described_enum(enrollments.ExamMode, "How the final exam was sat (R7).", {
    "ONLINE_PROCTORED": "Online, under a proctoring system: only on a day online proctoring "
                        "is recorded as available, never for a business-trip learner.",
    "ON_CAMPUS": "In person, on campus.",
})
described_enum(learners.VerificationMethod, "How a learner's identity was verified (R5, "
               "3.5.4).", {
                   "UNIVERSITY_SSO": "The university's single sign-on.",
                   "EGOV_DIGITAL_SIGNATURE": "An eGov digital signature (ЭЦП / ЭЦҚ).",
                   "IN_PERSON": "In person, with an identity document.",
               })

# The learner's circumstances (3.11–3.13) are shown to admin, inet, auditor, dean and the
# learner itself; a teacher gets null (domain.access.PERSONAL_FIELDS).
CIRCUMSTANCE = " Null if not recorded, or for a teacher token."


@strawberry.type(description="A period of dates, both ends inclusive.")
class Period:
    start: datetime.date = strawberry.field(description="The first day.")
    end: datetime.date = strawberry.field(description="The last day.")

    @classmethod
    def from_doc(cls, doc: dict[str, str] | None) -> Period | None:
        if not doc:
            return None
        return cls(start=_date(doc["start"]), end=_date(doc["end"]))


@strawberry.type(description="An order (приказ / бұйрық): its number and date.")
class OrderRecord:
    number: str = strawberry.field(description="The order's number, e.g. ДБ-112.")
    issued_on: datetime.date = strawberry.field(description="The order's date.")

    @classmethod
    def from_doc(cls, doc: dict[str, str] | None) -> OrderRecord | None:
        return None if not doc else cls(number=doc["number"], issued_on=_date(doc["issued_on"]))


@strawberry.type(description="The dean's directive (3.12) on the disciplines a learner back "
                             "from abroad sits.")
class DeanDirective:
    number: str = strawberry.field(description="The directive's number.")
    issued_on: datetime.date = strawberry.field(description="The directive's date.")
    disciplines: list[str] = strawberry.field(
        description="The MOOC codes the learner sits; empty: all studied remotely."
    )

    @classmethod
    def from_doc(cls, doc: dict[str, Any] | None) -> DeanDirective | None:
        return None if not doc else cls(number=doc["number"], issued_on=_date(doc["issued_on"]),
                                        disciplines=doc["disciplines"])


@strawberry.type(description="How and when a learner's identity was verified (3.5.4).")
class IdentityVerification:
    method: VerificationMethod = strawberry.field(description="How.")
    verified_on: datetime.date = strawberry.field(description="When.")

    @classmethod
    def from_doc(cls, doc: dict[str, str] | None) -> IdentityVerification | None:
        return None if not doc else cls(method=VerificationMethod(doc["method"]),
                                        verified_on=_date(doc["verifiedOn"]))


@strawberry.type(description="A learner (R5). Read by staff (inet, auditor, dean, admin: any "
                             "learner; a teacher: those enrolled in what it teaches) and by a "
                             "learner token (its own only); others FORBIDDEN. Personal fields "
                             "follow the role (README \"Who sees which personal field\").")
class Learner:
    id: strawberry.ID = strawberry.field(description="The learner's id (a UUID).")
    full_name: str = strawberry.field(
        description="The full name, Kazakh letters (ә ғ қ ң ө ұ ү һ і) kept; \"\" once erased.")
    full_name_latin: str | None = strawberry.field(
        description="The name in Latin letters as in the passport; null if not given or "
                    "erased.")
    email: str | None = strawberry.field(
        description="E-mail: admin, inet and the learner itself only; null for other roles, if "
                    "not given or erased.")
    identity_verification: IdentityVerification | None = strawberry.field(
        resolver=lambda root: root._circumstance("identity_verification"),
        description="How the identity was verified." + CIRCUMSTANCE)
    business_trip: Period | None = strawberry.field(
        resolver=lambda root: root._circumstance("business_trip"),
        description="On DET because of a business trip (3.11): exams ON_CAMPUS, after the "
                    "restoration of studies." + CIRCUMSTANCE)
    studies_restoration: OrderRecord | None = strawberry.field(
        resolver=lambda root: root._circumstance("studies_restoration"),
        description="The dean's order restoring studies after the business trip (3.11)."
                    + CIRCUMSTANCE)
    trip_abroad: Period | None = strawberry.field(
        resolver=lambda root: root._circumstance("trip_abroad"),
        description="Away abroad (3.12): exams only after a return order and per the dean's "
                    "directive." + CIRCUMSTANCE)
    return_order: OrderRecord | None = strawberry.field(
        resolver=lambda root: root._circumstance("return_order"),
        description="The order on the return from abroad (3.12)." + CIRCUMSTANCE)
    dean_directive: DeanDirective | None = strawberry.field(
        resolver=lambda root: root._circumstance("dean_directive"),
        description="The dean's directive on what is sat after the return (3.12)."
                    + CIRCUMSTANCE)
    internship_abroad: Period | None = strawberry.field(
        resolver=lambda root: root._circumstance("internship_abroad"),
        description="An internship abroad (3.13)." + CIRCUMSTANCE)
    study_window: Period | None = strawberry.field(
        resolver=lambda root: root._circumstance("study_window"),
        description="The individual theoretical-study window that follows from the internship "
                    "(3.13); scores and exams dated outside it are OUTSIDE_STUDY_WINDOW."
                    + CIRCUMSTANCE)
    erased: bool = strawberry.field(
        default=False, description="The learner's personal data was erased (SPEC §10): the "
                                   "name is empty, the Latin spelling, e-mail and IIN gone.")

    @strawberry.field(description="Its events, with who caused them and when (staff and "
                                  "auditors)." + AS_OF_HISTORY)
    async def history(self, info: Info) -> list[HistoryEntry]:
        return await history_of(info, parse_id(self.id, "learner"), self.as_of)

    @strawberry.field(description="The learner's enrolments, by id (a teacher: only in "
                                  "the MOOCs it teaches). On a learner read with asOf: those "
                                  "that existed then, each as it stood then.")
    async def enrollments(self, info: Info, first: First = None,
                          after: After = None) -> Connection[Enrollment]:
        principal = info.context.require(Action.READ_ENROLLMENTS)
        check_reads_learner(principal, str(self.id), self.courses)
        if self.as_of is not None:  # today's enrolments (they only grow), each as of then
            docs = await info.context.loaders.grouped(
                "enrollments", "learner_id", "learnerId", MAX_ENROLLMENTS).load(str(self.id))
            taught = _taught(principal)
            keys = sorted(doc["id"] for doc in docs
                          if taught is None or doc["moocCode"] in taught)
            then = await records(info, "enrollments", keys, self.as_of)
            return page_of(then, lambda doc: Enrollment.from_doc(doc, self.as_of), first, after)
        if after is None:  # the first page: read with the other learners' first pages
            return await first_page(info, "enrollments", "learner_id", str(self.id),
                                    Enrollment.from_doc, where={"mooc_code": _taught(principal)},
                                    first=first)
        return await paginate(info, "enrollments", Enrollment.from_doc,
                              where={"learner_id": str(self.id),
                                     "mooc_code": _taught(principal)}, first=first, after=after)

    @strawberry.field(description="The learner's certificates, whatever their status (revoked "
                                  "and superseded ones too), newest first. On a learner read "
                                  "with asOf: those issued by then, each as it stood then.")
    async def certificates(self, info: Info, first: First = None,
                           after: After = None) -> Connection[Certificate]:
        principal = info.context.require(Action.READ_ENROLLMENTS)
        check_reads_learner(principal, str(self.id), self.courses)
        docs = await info.context.loaders.grouped("certificates", "learner_id", "learnerId",
                                                  MAX_CERTIFICATES).load(str(self.id))
        scope = learner_scope(principal)
        docs = [doc for doc in docs if scope.admits_course(doc["moocCode"])]
        if self.as_of is not None:  # today's certificates (they only grow), each as of then
            docs = await records(info, "certificates", [doc["number"] for doc in docs],
                                 self.as_of)
        return page_of(newest_first(docs),
                       lambda doc: Certificate.from_doc(doc, info.context, self.as_of),
                       first, after)

    courses: strawberry.Private[frozenset[str]] = frozenset()
    as_of: Moment = None
    # The circumstances as the caller may see them (empty when it may not): made into objects
    # only when selected — a page of a hundred enrolments' learners selects a name.
    circumstances: strawberry.Private[dict[str, Any]] = dataclasses.field(default_factory=dict)

    def _circumstance(self, name: str) -> Any:
        kind, key = CIRCUMSTANCE_FIELDS[name]
        return kind.from_doc(self.circumstances.get(key))

    @classmethod
    def from_doc(cls, doc: dict[str, Any], principal: Principal | None,
                 courses: frozenset[str] = frozenset(), at: AsOf | None = None) -> Learner:
        """The learner as ``principal`` may see it (``domain.access``: the role × field matrix);
        ``courses``: the MOOCs it is enrolled in, where the caller's scope needs them; ``at``:
        the moment it was read as of."""
        visible = personal_fields(principal)
        name = PersonalField.FULL_NAME in visible
        return cls(
            id=strawberry.ID(doc["id"]), full_name=doc["fullName"] if name else "",
            full_name_latin=doc.get("fullNameLatin") if name else None,
            email=doc.get("email") if PersonalField.EMAIL in visible else None,
            courses=courses, as_of=at,
            circumstances=doc if PersonalField.CIRCUMSTANCES in visible else {},
            erased=bool(doc.get("erased")),
        )


def _date(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


MAX_CERTIFICATES = 10_000  # one learner's certificates, read whole to sort them by date
MAX_ENROLLMENTS = 10_000  # one learner's enrolments, read whole for a page as of a moment


def newest_first(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Certificates by issue date, newest first; on one day a reissue comes before the
    certificate it superseded."""
    by_number = {doc["number"]: doc for doc in docs}

    def depth(doc: dict[str, Any]) -> int:
        hops, seen = 0, {doc["number"]}
        while (older := doc.get("supersedes")) in by_number and older not in seen:
            seen.add(older)
            doc, hops = by_number[older], hops + 1
        return hops

    return sorted(docs, key=lambda d: (d["issuedOn"], depth(d), d["number"]), reverse=True)


def page_of(docs: list[dict[str, Any]], to_node: Callable[[dict[str, Any]], T],
            first: int | None, after: str | None) -> Connection[T]:
    """A relay page over a list already in memory (same cursors as ``relay.paginate``)."""
    size = DEFAULT_PAGE if first is None else first
    if not 0 <= size <= MAX_PAGE:
        raise InvalidInput(f"first must be from 0 to {MAX_PAGE}; got {size}.", field="first")
    start = decode_cursor(after) + 1 if after else 0
    edges = [Edge(node=to_node(doc), cursor_of=partial(encode_cursor, start + i))
             for i, doc in enumerate(docs[start:start + size])]
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=start + size < len(docs), has_previous_page=start > 0,
                           start_cursor=edges[0].cursor_of() if edges else None,
                           end_cursor=edges[-1].cursor_of() if edges else None),
        count=known_count(len(docs)),
    )


@strawberry.type(description="The final grade (R9): 0.6 × (totalPoints ÷ 3) + 0.4 × exam, "
                             "rounded half-up.")
class FinalGrade:
    numeric: int = strawberry.field(description="0–100.")
    letter: str = strawberry.field(
        description="The letter read off numeric: A 95–100, A- 90–94, B+ 85–89, B 80–84, "
                    "B- 75–79, C+ 70–74, C 65–69, C- 60–64, D+ 55–59, D 50–54, FX 25–49, "
                    "F 0–24.")


@strawberry.type(description="One recorded score component.")
class Score:
    component: ScoreComponent = strawberry.field(description="Which component.")
    points: int = strawberry.field(description="Its points, 0–100 (the latest correction).")


# Learner's circumstance fields read from its view's row: (type, the row's key).
CIRCUMSTANCE_FIELDS: dict[str, tuple[Any, str]] = {
    "identity_verification": (IdentityVerification, "identity"),
    "business_trip": (Period, "businessTrip"),
    "studies_restoration": (OrderRecord, "restoration"),
    "trip_abroad": (Period, "abroad"),
    "return_order": (OrderRecord, "returnOrder"),
    "dean_directive": (DeanDirective, "directive"),
    "internship_abroad": (Period, "internship"),
    "study_window": (Period, "studyWindow"),
}


@strawberry.type(description="The final exam (final control, R7).")
class Exam:
    points: int = strawberry.field(description="Exam points, 0–100 (passed needs ≥ 50).")
    mode: ExamMode = strawberry.field(description="How it was sat.")
    held_on: datetime.date | None = strawberry.field(description="The day it was held; null "
                                                                 "for older records.")


@strawberry.type(description="A learner's enrolment in a MOOC, with its scores, exam and grade. "
                             "Read by whoever reads its learner (a teacher: in the MOOCs it "
                             "teaches); others FORBIDDEN.")
class Enrollment:
    id: strawberry.ID = strawberry.field(description="The enrolment's id (a UUID).")
    total_points: int = strawberry.field(
        description="The sum of the recorded components, 0–300 (a missing one counts 0).")
    admitted: bool = strawberry.field(
        description="Admitted to the final exam: totalPoints ≥ 150 (R6).")
    final_grade: FinalGrade | None = strawberry.field(
        resolver=lambda root: root._final_grade(),
        description="The final grade; null until the exam is recorded.")
    passed: bool = strawberry.field(
        description="Exam ≥ 50 and final grade ≥ 50; false until the exam is recorded.")
    scores: list[Score] = strawberry.field(
        resolver=lambda root: root._scores(), description="The components recorded so far.")
    exam: Exam | None = strawberry.field(
        resolver=lambda root: root._exam(), description="The exam; null until recorded.")
    learner_id: strawberry.Private[str]
    mooc_code: strawberry.Private[str]
    certificate_number: strawberry.Private[str | None]
    as_of: Moment = None

    @strawberry.field(description="Its learner (needs a role that reads learners); on an "
                                  "enrolment read with asOf, as the learner stood then.")
    def learner(self, info: Info) -> Learner:
        # Not a coroutine when a page read the learner ahead: a hundred nodes then cost no
        # hundred awaits (graphql-core awaits what is returned when it is awaitable).
        principal = info.context.require(Action.READ_LEARNERS)
        check_reads_enrollment(principal, self.learner_id, self.mooc_code)
        courses = frozenset({self.mooc_code})
        doc = info.context.ready("learners", self.learner_id) if self.as_of is None else None
        if doc is not None:
            return Learner.from_doc(doc, principal, courses)
        return cast(Learner, self._learner(info, principal, courses))

    async def _learner(self, info: Info, principal: Principal,
                       courses: frozenset[str]) -> Learner:
        if self.as_of is None:
            doc = await info.context.doc("learners", self.learner_id)
        else:  # registered before it enrolled, so there then
            found = await record(info, "learners", self.learner_id, self.as_of)
            assert found is not None, self.learner_id
            doc = found
        return Learner.from_doc(doc, principal, courses, self.as_of)

    @strawberry.field(description="The MOOC (on an enrolment read with asOf, as it stood "
                                  "then).")
    async def mooc(self, info: Info) -> Mooc:
        mooc = await mooc_by_code(info, self.mooc_code, self.as_of)
        assert mooc is not None
        return mooc

    @strawberry.field(description="The enrolment's latest certificate, whatever its status "
                                  "(on an enrolment read with asOf: its latest by then, as "
                                  "it stood then).")
    async def certificate(self, info: Info) -> Certificate | None:
        if self.certificate_number is None:
            return None
        return await certificate_by_number(info, self.certificate_number, self.as_of)

    @strawberry.field(description="Scores, corrections (with reasons) and the exam, with who "
                                  "and when (staff and auditors)." + AS_OF_HISTORY)
    async def history(self, info: Info) -> list[HistoryEntry]:
        return await history_of(info, parse_id(self.id, "enrollment"), self.as_of)

    # The view's row: the grade, the scores and the exam are made from it only when selected
    # (a page of a hundred enrolments built four hundred objects nobody asked for).
    row: strawberry.Private[dict[str, Any]] = dataclasses.field(default_factory=dict)

    def _final_grade(self) -> FinalGrade | None:
        grade = self.row.get("finalGrade")
        return FinalGrade(**grade) if grade else None

    def _scores(self) -> list[Score]:
        return [Score(component=ScoreComponent(c), points=p)
                for c, p in self.row.get("scores", {}).items()]

    def _exam(self) -> Exam | None:
        exam = self.row.get("exam")
        return Exam(points=exam["points"], mode=ExamMode(exam["mode"]),
                    held_on=_date(exam["heldOn"]) if exam.get("heldOn") else None) \
            if exam else None

    @classmethod
    def from_doc(cls, doc: dict[str, Any], at: AsOf | None = None) -> Enrollment:
        return cls(
            as_of=at, row=doc,
            id=strawberry.ID(doc["id"]), total_points=doc["totalPoints"],
            admitted=doc["admitted"], passed=doc["passed"],
            learner_id=doc["learnerId"], mooc_code=doc["moocCode"],
            certificate_number=doc.get("certificateNumber"),
        )


LEARNER_ID = "The learner's id."
LearnerId = Annotated[strawberry.ID, strawberry.argument(description=LEARNER_ID)]
ENROLLMENT_ID = "The enrolment's id."
ORDER_NUMBER = "The order's number."
ORDERED_ON = "The order's date."


@strawberry.input(description="A new learner (R5).")
class RegisterLearnerInput:
    full_name: str = strawberry.field(description="The full name (Kazakh letters kept).")
    email: str | None = strawberry.field(default=None, description="E-mail.")
    iin: str | None = strawberry.field(
        default=None, description="The IIN (ЖСН / ИИН): 12 digits with a valid check digit "
                                  "and date of birth (else INVALID_INPUT), unique (else "
                                  "ALREADY_EXISTS).")
    full_name_latin: str | None = strawberry.field(
        default=None, description="The name in Latin letters as in the passport.")


@strawberry.input(description="Enrol a learner in a published MOOC.")
class EnrollInput:
    learner_id: strawberry.ID = strawberry.field(description=LEARNER_ID)
    mooc_code: str = strawberry.field(
        description="The MOOC's code; it must be PUBLISHED (else INVALID_TRANSITION).")


@strawberry.input(description="A score component (R6); once the exam is recorded, scores are "
                              "closed (INVALID_TRANSITION).")
class RecordScoreInput:
    enrollment_id: strawberry.ID = strawberry.field(description=ENROLLMENT_ID)
    component: ScoreComponent = strawberry.field(description="Which component.")
    points: int = strawberry.field(description="0–100 (else INVALID_INPUT).")
    reason: str | None = strawberry.field(
        default=None, description="Needed for a correction (the component already has a "
                                  "value; else INVALID_INPUT); kept with the old value in "
                                  "history.")
    date: datetime.date | None = strawberry.field(
        default=None, description="The day the score concerns; default today (a later day "
                                  "is INVALID_INPUT).")


@strawberry.input(description="The final exam (R7), recorded once (ALREADY_EXISTS after); "
                              "only for an admitted learner (NOT_ADMITTED).")
class RecordFinalExamInput:
    enrollment_id: strawberry.ID = strawberry.field(description=ENROLLMENT_ID)
    points: int = strawberry.field(description="0–100.")
    mode: ExamMode = strawberry.field(description="How it was sat.")
    date: datetime.date | None = strawberry.field(
        default=None, description="The day the exam was held; default today.")


@strawberry.input(description="How a learner's identity was verified.")
class VerifyLearnerIdentityInput:
    learner_id: strawberry.ID = strawberry.field(description=LEARNER_ID)
    method: VerificationMethod = strawberry.field(description="How.")
    verified_on: datetime.date | None = strawberry.field(default=None,
                                                         description="When; default today.")


@strawberry.input(description="A period of a learner's (a trip, an internship); the end may not "
                              "come before the start (INVALID_INPUT).")
class LearnerPeriodInput:
    learner_id: strawberry.ID = strawberry.field(description=LEARNER_ID)
    start: datetime.date = strawberry.field(description="The first day.")
    end: datetime.date = strawberry.field(description="The last day (inclusive).")


@strawberry.input(description="The dean's order restoring studies after a business trip.")
class RestoreStudiesInput:
    learner_id: strawberry.ID = strawberry.field(description=LEARNER_ID)
    order_number: str = strawberry.field(description=ORDER_NUMBER)
    ordered_on: datetime.date = strawberry.field(description=ORDERED_ON)


@strawberry.input(description="The order on a learner's return from abroad (3.12).")
class RecordReturnOrderInput:
    learner_id: strawberry.ID = strawberry.field(description=LEARNER_ID)
    order_number: str = strawberry.field(description=ORDER_NUMBER)
    ordered_on: datetime.date = strawberry.field(description=ORDERED_ON)
    application: str = strawberry.field(
        description="The learner's personal application it was issued on (number and date).")


@strawberry.input(description="The dean's directive on what a learner back from abroad sits.")
class RecordDeanDirectiveInput:
    learner_id: strawberry.ID = strawberry.field(description=LEARNER_ID)
    directive_number: str = strawberry.field(description="The directive's number.")
    issued_on: datetime.date = strawberry.field(description="The directive's date.")
    disciplines: list[str] | None = strawberry.field(
        default=None, description="MOOC codes the learner sits; none: all.")


def _taught(principal: Principal) -> list[str] | None:
    """The MOOC codes a scoped reader (a teacher) may see enrolments in; ``None``: any."""
    courses = learner_scope(principal).courses
    return None if courses is None else sorted(courses)


async def _courses_of(info: Info, learner_id: str) -> frozenset[str]:
    docs = await info.context.call(info.context.service.find, "enrollments",
                                   {"learner_id": learner_id}, limit=MAX_SCOPED)
    return frozenset(doc["moocCode"] for doc in docs)


async def _taught_learners(info: Info, courses: frozenset[str]) -> list[str]:
    docs = await info.context.call(info.context.service.find, "enrollments",
                                   {"mooc_code": sorted(courses)}, limit=MAX_SCOPED)
    return sorted({doc["learnerId"] for doc in docs})


MAX_SCOPED = 100_000  # the enrolments a scoped reader's lists are drawn from
@strawberry.input(description="Whose personal data to erase, and why (SPEC §10).")
class ErasePersonalDataInput:
    learner_id: strawberry.ID = strawberry.field(description=LEARNER_ID)
    reason: str = strawberry.field(
        description="Why (e.g. the request's number); kept with the erasure event, under a key "
                    "of its own, for the roles that see personal data.")




@strawberry.type
class LearnerQuery:
    @strawberry.field(description="The caller's own learner record (a learner token; its "
                                  "enrolments and certificates hang off it); null for staff.")
    async def me(self, info: Info) -> Learner | None:
        principal = info.context.caller()
        if principal is None:
            raise Unauthenticated(
                "'me' needs a token: send 'Authorization: Bearer <token>' (a learner token: "
                "'registry token create --role learner --learner ID').")
        if not is_learner(principal):
            return None
        doc = await info.context.get("learners", str(principal.learner_id))
        return Learner.from_doc(doc, principal) if doc else None

    @strawberry.field(description="A learner by id (staff; a learner token: its own; a "
                                  "teacher: one enrolled in what it teaches); null if unknown. "
                                  "With asOf, as the record stood then.")
    async def learner(self, info: Info, id: LearnerId,
                      as_of: AsOfArg = None) -> Learner | None:
        principal = info.context.require(Action.READ_LEARNERS)
        learner_id = str(parse_id(id, "learner"))
        courses = frozenset[str]()
        if learner_scope(principal).courses is not None:
            courses = await _courses_of(info, learner_id)
        check_reads_learner(principal, learner_id, courses)
        at = moment(as_of)
        doc = await record(info, "learners", learner_id, at)
        return Learner.from_doc(doc, principal, courses, at) if doc else None

    @strawberry.field(description="Learners by name; search is case-insensitive, Kazakh "
                                  "letters included, and matches the Latin spelling too. "
                                  "Staff (a teacher: those enrolled in what it teaches); a "
                                  "learner token: FORBIDDEN.")
    async def learners(
        self, info: Info,
        search: Annotated[str | None, strawberry.argument(
            description="Words of the name or its Latin spelling, case-insensitively "
                        "(әсел finds Әсел).")] = None,
        iin: Annotated[str | None, strawberry.argument(
            description="The exact IIN: admin and inet only (else FORBIDDEN).")] = None,
        order_by: Annotated[LearnerOrderInput | None, strawberry.argument(
            description="The order; default FULL_NAME ascending.")] = None,
        first: First = None, after: After = None,
        last: Last = None, before: Before = None,
    ) -> Connection[Learner]:
        principal = info.context.require(Action.READ_LEARNERS)
        check_reads_learner(principal, None)
        scope = learner_scope(principal)
        where: dict[str, Any] = {} if scope.courses is None else {
            "key": await _taught_learners(info, scope.courses)}
        if iin is not None:
            check_finds_by_iin(principal)
            found = await info.context.call(info.context.service.learner_id_by_iin, iin)
            keys = {found} if found else set()
            where["key"] = sorted(keys & set(where["key"]) if "key" in where else keys)
        courses = scope.courses or frozenset()
        return await paginate(info, "learners",
                              lambda doc: Learner.from_doc(doc, principal, courses),
                              where=where, search=search or None,
                              order=order_of(order_by, Order("FULL_NAME", "name_sort")),
                              first=first, after=after, last=last, before=before)

    @strawberry.field(description="Enrolments, optionally by MOOC, learner, admission, pass "
                                  "(filters ANDed). Staff; a teacher sees only the MOOCs it "
                                  "teaches, a learner token only its own.")
    async def enrollments(
        self, info: Info,
        mooc_code: Annotated[str | None, strawberry.argument(
            description="Only this MOOC's (its code).")] = None,
        learner_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Only this learner's.")] = None,
        admitted: Annotated[bool | None, strawberry.argument(
            description="Only the admitted (true) or not admitted (false).")] = None,
        passed: Annotated[bool | None, strawberry.argument(
            description="Only those who passed (true) or not (false, the unexamined "
                        "too).")] = None,
        order_by: Annotated[EnrollmentOrderInput | None, strawberry.argument(
            description="The order; default ENROLLED_AT ascending.")] = None,
        first: First = None, after: After = None,
        last: Last = None, before: Before = None,
    ) -> Connection[Enrollment]:
        principal = info.context.require(Action.READ_ENROLLMENTS)
        scope = learner_scope(principal)
        if scope.learner_id is not None:
            learner_id = strawberry.ID(str(scope.learner_id))
        taught = _taught(principal)
        if mooc_code is not None and taught is not None:
            taught = [code for code in taught if code == mooc_code]
        where = {"mooc_code": mooc_code if taught is None else taught,
                 "admitted": admitted, "passed": passed,
                 "learner_id": str(parse_id(learner_id, "learner")) if learner_id else None}
        return await paginate(info, "enrollments", Enrollment.from_doc, where=where,
                              order=order_of(order_by, Order("ENROLLED_AT", "enrolled_at")),
                              first=first, after=after, last=last, before=before,
                              prefetch={"learner": ("learners", "learnerId")})

    @strawberry.field(description="An enrolment by id; with asOf, as it stood then (grades, "
                                  "admission and pass as they were computed then).")
    async def enrollment(
        self, info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description=ENROLLMENT_ID)],
                         as_of: AsOfArg = None) -> Enrollment | None:
        info.context.require(Action.READ_ENROLLMENTS)
        at = moment(as_of)
        doc = await record(info, "enrollments", str(parse_id(id, "enrollment")), at)
        if doc is None:
            return None
        check_reads_enrollment(info.context.require(Action.READ_ENROLLMENTS), doc["learnerId"],
                               doc["moocCode"])
        return Enrollment.from_doc(doc, at)


@strawberry.type
class LearnerMutation:
    @strawberry.mutation(description="Register a learner (inet).")
    async def register_learner(self, info: Info, input: Input[RegisterLearnerInput]) -> Learner:
        c = info.context
        learner_id = await c.run(c.command(Action.REGISTER_LEARNER),
                                 lambda cmd: cmd.learners.register(
                                     full_name=input.full_name, email=input.email,
                                     iin=input.iin, full_name_latin=input.full_name_latin))
        return Learner.from_doc(await c.doc("learners", learner_id), c.principal)

    @strawberry.mutation(description="Enrol a learner in a published MOOC (inet); twice is "
                                     "ALREADY_EXISTS.")
    async def enroll(self, info: Info, input: Input[EnrollInput]) -> Enrollment:
        c = info.context
        command = c.command(Action.ENROLL)
        learner_id = parse_id(input.learner_id, "learner")
        enrollment_id = await c.run(command, lambda cmd: cmd.enrollments.enroll(
            learner_id=learner_id, mooc_code=input.mooc_code))
        return Enrollment.from_doc(await c.doc("enrollments", enrollment_id))

    @strawberry.mutation(description="Record or correct a score component (inet, or a teacher "
                                     "for the MOOCs it teaches).")
    async def record_score(self, info: Info, input: Input[RecordScoreInput]) -> Enrollment:
        c = info.context
        command = c.command(Action.RECORD_SCORE)
        enrollment_id = parse_id(input.enrollment_id, "enrollment")
        key = await c.run(command, lambda cmd: cmd.enrollments.record_score(
            enrollment_id=enrollment_id, component=input.component, points=input.points,
            reason=input.reason, on=input.date, actor=c.principal))
        return Enrollment.from_doc(await c.doc("enrollments", key))

    @strawberry.mutation(description="Record the final exam (inet); the grade and pass follow "
                                     "(R9).")
    async def record_final_exam(self, info: Info, input: Input[RecordFinalExamInput]) -> Enrollment:
        c = info.context
        command = c.command(Action.RECORD_FINAL_EXAM)
        enrollment_id = parse_id(input.enrollment_id, "enrollment")
        key = await c.run(command, lambda cmd: cmd.enrollments.record_final_exam(
            enrollment_id=enrollment_id, points=input.points, mode=input.mode,
            held_on=input.date))
        return Enrollment.from_doc(await c.doc("enrollments", key))

    @strawberry.mutation(description="Record how the learner's identity was verified (3.5.4).")
    async def verify_learner_identity(self, info: Info, input: Input[VerifyLearnerIdentityInput]
                                      ) -> Learner:
        return await _learner_command(info, Action.VERIFY_IDENTITY, input.learner_id,
                                      lambda cmd, lid: cmd.learners.verify_identity(
                                          learner_id=lid, method=input.method,
                                          verified_on=input.verified_on))

    @strawberry.mutation(description="The learner is on DET because of a business trip (3.11).")
    async def record_business_trip(self, info: Info, input: Input[LearnerPeriodInput]) -> Learner:
        return await _learner_command(info, Action.RECORD_BUSINESS_TRIP, input.learner_id,
                                      lambda cmd, lid: cmd.learners.record_business_trip(
                                          learner_id=lid, start=input.start, end=input.end))

    @strawberry.mutation(description="The dean's order restoring studies after a trip (3.11).")
    async def restore_studies(self, info: Info, input: Input[RestoreStudiesInput]) -> Learner:
        return await _learner_command(info, Action.RESTORE_STUDIES, input.learner_id,
                                      lambda cmd, lid: cmd.learners.restore_studies(
                                          learner_id=lid, order_number=input.order_number,
                                          ordered_on=input.ordered_on))

    @strawberry.mutation(description="The learner's trip abroad (3.12).")
    async def record_trip_abroad(self, info: Info, input: Input[LearnerPeriodInput]) -> Learner:
        return await _learner_command(info, Action.RECORD_TRIP_ABROAD, input.learner_id,
                                      lambda cmd, lid: cmd.learners.record_trip_abroad(
                                          learner_id=lid, start=input.start, end=input.end))

    @strawberry.mutation(description="The order on the learner's return from abroad (3.12).")
    async def record_return_order(self, info: Info, input: Input[RecordReturnOrderInput]
                                  ) -> Learner:
        return await _learner_command(info, Action.RECORD_RETURN_ORDER, input.learner_id,
                                      lambda cmd, lid: cmd.learners.record_return_order(
                                          learner_id=lid, order_number=input.order_number,
                                          ordered_on=input.ordered_on,
                                          application=input.application))

    @strawberry.mutation(description="The dean's directive on the disciplines sat (3.12).")
    async def record_dean_directive(self, info: Info, input: Input[RecordDeanDirectiveInput]
                                    ) -> Learner:
        return await _learner_command(info, Action.RECORD_DEAN_DIRECTIVE, input.learner_id,
                                      lambda cmd, lid: cmd.learners.record_dean_directive(
                                          learner_id=lid, directive_number=input.directive_number,
                                          issued_on=input.issued_on,
                                          disciplines=input.disciplines or []))

    @strawberry.mutation(description="An internship abroad: its period is the learner's "
                                     "theoretical-study window (3.13).")
    async def record_internship_abroad(self, info: Info, input: Input[LearnerPeriodInput]
                                       ) -> Learner:
        return await _learner_command(info, Action.RECORD_INTERNSHIP, input.learner_id,
                                      lambda cmd, lid: cmd.learners.record_internship_abroad(
                                          learner_id=lid, start=input.start, end=input.end))


@strawberry.type
class ErasureMutation:
    @strawberry.mutation(description="Erase a learner's personal data (admin): the name "
                                     "becomes empty, e-mail, Latin spelling and IIN are gone, "
                                     "and their certificates keep number and status only. "
                                     "Running it again is harmless.")
    async def erase_personal_data(self, info: Info, input: Input[ErasePersonalDataInput]
                                  ) -> Learner:
        c = info.context
        ctx = c.command(Action.ERASE_PERSONAL_DATA)
        reason = learners.erasure_reason(input.reason)  # input comes before existence
        lid = parse_id(input.learner_id, "learner")
        key = await c.call(c.service.erase_personal_data, ctx, lid, reason)
        return Learner.from_doc(await c.doc("learners", key), c.principal)


async def _learner_command(
    info: Info, action: Action, learner_id: strawberry.ID,
    command: Callable[[Commands, UUID], Saved],
) -> Learner:
    c = info.context
    ctx = c.command(action)
    lid = parse_id(learner_id, "learner")
    key = await c.run(ctx, lambda cmd: command(cmd, lid))
    return Learner.from_doc(await c.doc("learners", key), c.principal)
