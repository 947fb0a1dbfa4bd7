"""Learners (R5) and enrolments: scores (R6), final exam (R7), grade (R9) in GraphQL."""

from __future__ import annotations

from typing import Any, Optional

import strawberry

from ..domain import enrollments, grading
from ..domain.access import Action
from ..domain.errors import Forbidden
from .certificates import Certificate, certificate_by_number
from .context import Context, Info, parse_id
from .moocs import Mooc, mooc_by_code

ScoreComponent = strawberry.enum(grading.ScoreComponent)
ExamMode = strawberry.enum(enrollments.ExamMode)


@strawberry.type
class Learner:
    id: strawberry.ID
    full_name: str
    full_name_latin: Optional[str]
    email: Optional[str]

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Learner:
        return cls(id=strawberry.ID(doc["id"]), full_name=doc["fullName"],
                   full_name_latin=doc.get("fullNameLatin"), email=doc.get("email"))


@strawberry.type
class FinalGrade:
    numeric: int
    letter: str


@strawberry.type
class Score:
    component: ScoreComponent
    points: int


@strawberry.type
class Exam:
    points: int
    mode: ExamMode


@strawberry.type
class Enrollment:
    id: strawberry.ID
    total_points: int
    admitted: bool
    final_grade: Optional[FinalGrade]
    passed: bool
    scores: list[Score]
    exam: Optional[Exam]
    learner_id: strawberry.Private[str]
    mooc_code: strawberry.Private[str]
    certificate_number: strawberry.Private[Optional[str]]

    @strawberry.field
    async def learner(self, info: Info) -> Learner:
        return Learner.from_doc(await info.context.doc("learners", self.learner_id))

    @strawberry.field
    async def mooc(self, info: Info) -> Mooc:
        mooc = await mooc_by_code(info, self.mooc_code)
        assert mooc is not None
        return mooc

    @strawberry.field(description="The enrolment's latest certificate, whatever its status.")
    async def certificate(self, info: Info) -> Optional[Certificate]:
        if self.certificate_number is None:
            return None
        return await certificate_by_number(info, self.certificate_number)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Enrollment:
        grade = doc.get("finalGrade")
        exam = doc.get("exam")
        return cls(
            id=strawberry.ID(doc["id"]), total_points=doc["totalPoints"],
            admitted=doc["admitted"], passed=doc["passed"],
            final_grade=FinalGrade(**grade) if grade else None,
            scores=[Score(component=ScoreComponent(c), points=p)
                    for c, p in doc["scores"].items()],
            exam=Exam(points=exam["points"], mode=ExamMode(exam["mode"])) if exam else None,
            learner_id=doc["learnerId"], mooc_code=doc["moocCode"],
            certificate_number=doc.get("certificateNumber"),
        )


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


def check_owner(context: Context, learner_id: str, action: Action) -> None:
    """Staff read any learner's records; a learner token reads only its own."""
    principal = context.require(action)
    if principal.role.value == "learner" and str(principal.learner_id) != learner_id:
        raise Forbidden("A learner token reads only its own learner record and enrolments.")


@strawberry.type
class LearnerQuery:
    @strawberry.field
    async def learner(self, info: Info, id: strawberry.ID) -> Optional[Learner]:
        info.context.require(Action.READ_LEARNERS)
        doc = await info.context.get("learners", str(parse_id(id, "learner")))
        if doc is None:
            return None
        check_owner(info.context, doc["id"], Action.READ_LEARNERS)
        return Learner.from_doc(doc)

    @strawberry.field
    async def enrollment(self, info: Info, id: strawberry.ID) -> Optional[Enrollment]:
        info.context.require(Action.READ_ENROLLMENTS)
        doc = await info.context.get("enrollments", str(parse_id(id, "enrollment")))
        if doc is None:
            return None
        check_owner(info.context, doc["learnerId"], Action.READ_ENROLLMENTS)
        return Enrollment.from_doc(doc)


@strawberry.type
class LearnerMutation:
    @strawberry.mutation
    async def register_learner(self, info: Info, input: RegisterLearnerInput) -> Learner:
        c = info.context
        learner_id = await c.run(c.command(Action.REGISTER_LEARNER),
                                 lambda app: app.register_learner(
                                     full_name=input.full_name, email=input.email,
                                     iin=input.iin, full_name_latin=input.full_name_latin))
        return Learner.from_doc(await c.doc("learners", learner_id))

    @strawberry.mutation
    async def enroll(self, info: Info, input: EnrollInput) -> Enrollment:
        c = info.context
        command = c.command(Action.ENROLL)
        learner_id = parse_id(input.learner_id, "learner")
        enrollment_id = await c.run(command, lambda app: app.enroll(
            learner_id=learner_id, mooc_code=input.mooc_code))
        return Enrollment.from_doc(await c.doc("enrollments", enrollment_id))

    @strawberry.mutation
    async def record_score(self, info: Info, input: RecordScoreInput) -> Enrollment:
        c = info.context
        command = c.command(Action.RECORD_SCORE)
        enrollment_id = parse_id(input.enrollment_id, "enrollment")
        key = await c.run(command, lambda app: app.record_score(
            enrollment_id=enrollment_id, component=input.component, points=input.points,
            reason=input.reason))
        return Enrollment.from_doc(await c.doc("enrollments", key))

    @strawberry.mutation
    async def record_final_exam(self, info: Info, input: RecordFinalExamInput) -> Enrollment:
        c = info.context
        command = c.command(Action.RECORD_FINAL_EXAM)
        enrollment_id = parse_id(input.enrollment_id, "enrollment")
        key = await c.run(command, lambda app: app.record_final_exam(
            enrollment_id=enrollment_id, points=input.points, mode=input.mode))
        return Enrollment.from_doc(await c.doc("enrollments", key))
