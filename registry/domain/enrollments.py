"""A learner's enrolment in a MOOC: scores (R6), final attestation (R7) and grade (R9)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from . import grading
from .errors import AlreadyExists, InvalidInput, InvalidTransition, NotAdmitted, NotPassed
from .grading import FinalGrade, GradeWeights, ScoreComponent
from .learners import Learner
from .personal import Personal
from .proctoring import Proctoring
from .text import optional_text


class ExamMode(StrEnum):
    ONLINE_PROCTORED = "ONLINE_PROCTORED"
    ON_CAMPUS = "ON_CAMPUS"


@dataclass(frozen=True)
class ScoreEntry:
    """A score as typed, checked before anything is loaded (input comes before existence)."""

    component: ScoreComponent
    points: int
    reason: str | None
    on: date  # the day the score concerns

    @classmethod
    def checked(cls, component: str, points: int, reason: str | None, on: date, *,
                today: date) -> ScoreEntry:
        component = ScoreComponent(component)
        grading.check_points(points, grading.COMPONENT_MAX, f"{component.value} points")
        check_not_future(on, today, "A score")
        return cls(component, points, optional_text(reason, "reason", max_length=2000), on)


def check_not_future(day: date, today: date, what: str) -> None:
    """Scores and exams are recorded after the fact: a day after today is a typing error."""
    if day > today:
        raise InvalidInput(
            f"{what} cannot be dated {day.isoformat()}, after today ({today.isoformat()}): "
            "record it on or after the day it happened.", field="date")


@dataclass(frozen=True)
class ExamEntry:
    points: int
    mode: ExamMode
    held_on: date

    @classmethod
    def checked(cls, points: int, mode: str, held_on: date, *, today: date) -> ExamEntry:
        grading.check_points(points, grading.EXAM_MAX, "exam points")
        check_not_future(held_on, today, "An exam")
        return cls(points, ExamMode(mode), held_on)


@dataclass(frozen=True)
class Exam:
    points: int
    mode: ExamMode
    held_on: date
    weights: GradeWeights


class Enrollment(Aggregate):
    # Its state is scores, the exam and a certificate's number: a correction's reason stays
    # in its event's personal part (registry/domain/personal.py, ``keeps_personal_data``).
    PERSONAL_STATE = False

    @staticmethod
    def create_id(learner_id: UUID, mooc_code: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"det-registry:/enrollments/{learner_id}/{mooc_code}")

    @event("Enrolled")
    def __init__(self, *, learner_id: UUID, mooc_code: str) -> None:
        self.learner_id = learner_id
        self.mooc_code = mooc_code
        self.scores: dict[ScoreComponent, int] = {}
        self.exam: Exam | None = None
        self.certificate_number: str | None = None

    # -- R6: scores ---------------------------------------------------------------------------

    @property
    def total_points(self) -> int:
        return grading.total_points(self.scores)

    @property
    def admitted(self) -> bool:
        return grading.is_admitted(self.total_points)

    def has_score(self, component: ScoreComponent, points: int) -> bool:
        """The component already holds exactly these points: recording them again would
        change nothing (an import run twice records nothing new)."""
        return self.scores.get(component) == points

    def record_score(self, entry: ScoreEntry, learner: Learner) -> None:
        if self.exam is not None:  # checked first: no reason could cure it
            raise InvalidTransition(
                "The final exam is recorded: scores are closed and can no longer change."
            )
        previous = self.scores.get(entry.component)
        if previous is not None and entry.reason is None:
            raise InvalidInput(
                f"{entry.component.value} already has {previous} points: a correction needs "
                "a reason.",
                field="reason",
            )
        learner.check_within_study_window(entry.on, f"This {entry.component.value} score")
        self.trigger_event(
            self.ScoreRecorded,
            component=entry.component.value,
            points=entry.points,
            previous=previous,
            on=entry.on,
            personal={"reason": entry.reason} if entry.reason is not None else None,
        )

    # The two events a gradebook import records by the ten thousand are explicit event
    # classes, triggered with ``trigger_event``: eventsourcing's direct path. An ``@event``
    # method maps its arguments to the event and back on every call (about two thirds of
    # recording a score); the stored events are the same (topic, fields, order).
    class ScoreRecorded(Aggregate.Event):
        component: str
        points: int
        previous: int | None
        on: date
        personal: Personal | None

        def apply(self, aggregate: Enrollment) -> None:
            aggregate.scores[ScoreComponent(self.component)] = self.points

    # -- R7/R9: final attestation and grade -----------------------------------------------------

    def has_exam(self, points: int) -> bool:
        """The final exam is recorded with exactly these points (nothing would change)."""
        return self.exam is not None and self.exam.points == points

    def record_final_exam(
        self, entry: ExamEntry, *, learner: Learner, proctoring: Proctoring,
        weights: GradeWeights,
    ) -> None:
        if self.exam is not None:
            raise AlreadyExists("The final exam of this enrolment is already recorded.")
        if not self.admitted:
            raise NotAdmitted(
                f"The learner has {self.total_points} of {grading.TOTAL_MAX} points; admission to "
                f"final control needs at least {grading.ADMISSION_MIN} (3.10).",
                total_points=self.total_points,
            )
        online = entry.mode is ExamMode.ONLINE_PROCTORED
        learner.check_within_study_window(entry.held_on, "This exam")
        learner.check_may_sit_exam(online=online, mooc_code=self.mooc_code)
        if online:
            proctoring.check_online_exam(entry.held_on)
        self.trigger_event(
            self.FinalExamRecorded,
            points=entry.points,
            mode=entry.mode.value,
            held_on=entry.held_on,
            admission_weight=weights.admission,
            exam_weight=weights.exam,
        )

    class FinalExamRecorded(Aggregate.Event):
        points: int
        mode: str
        held_on: date
        admission_weight: int
        exam_weight: int

        def apply(self, aggregate: Enrollment) -> None:
            aggregate.exam = Exam(self.points, ExamMode(self.mode), self.held_on,
                                  GradeWeights(self.admission_weight, self.exam_weight))

    @property
    def final_grade(self) -> FinalGrade | None:
        if self.exam is None:
            return None
        return grading.final_grade(self.total_points, self.exam.points, self.exam.weights)

    @property
    def passed(self) -> bool:
        grade = self.final_grade
        return grade is not None and self.exam is not None and grading.has_passed(
            self.exam.points, grade
        )

    # -- R10: certificates ---------------------------------------------------------------------

    def check_may_be_certified(self, active_certificate: str | None) -> None:
        if not self.passed:
            raise NotPassed(
                "A certificate is issued only to a listener who passed: "
                + ("the final exam is not recorded yet." if self.exam is None else
                   f"final grade {self.final_grade and self.final_grade.numeric}, "
                   f"exam {self.exam.points}.")
            )
        if active_certificate is not None:
            raise AlreadyExists(
                f"This enrolment already has active certificate {active_certificate}.",
                number=active_certificate,
            )

    @event("CertificateAttached")
    def attach_certificate(self, *, number: str) -> None:
        self.certificate_number = number

