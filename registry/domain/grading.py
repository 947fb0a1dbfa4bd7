"""Scores, admission and the final grade: rules R6 and R9 (clauses 3.9, 3.10, 3.12).

Integer arithmetic only, so that a grade is the same on every machine and in every replay.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from .errors import InvalidInput


class ScoreComponent(StrEnum):
    RATING_1 = "RATING_1"
    MIDTERM = "MIDTERM"
    RATING_2 = "RATING_2"


COMPONENT_MAX = 100
TOTAL_MAX = COMPONENT_MAX * len(ScoreComponent)  # 300
ADMISSION_MIN = TOTAL_MAX // 2  # 150: "at least 50 % of the total score" [3.10]
EXAM_MAX = 100
EXAM_PASS_MIN = 50
FINAL_PASS_MIN = 50

# The letter scale of the credit system; read off the rounded numeric grade.
LETTERS: tuple[tuple[int, str], ...] = (
    (95, "A"), (90, "A-"), (85, "B+"), (80, "B"), (75, "B-"), (70, "C+"),
    (65, "C"), (60, "C-"), (55, "D+"), (50, "D"), (25, "FX"), (0, "F"),
)


@dataclass(frozen=True)
class GradeWeights:
    """Percent weights of the admission rating and the exam in the final grade (R9)."""

    admission: int = 60
    exam: int = 40

    def __post_init__(self) -> None:
        if self.admission < 0 or self.exam < 0 or self.admission + self.exam != 100:
            raise ValueError("grade weights are whole percents that add up to 100")

    @classmethod
    def parse(cls, text: str) -> GradeWeights:
        """``"60,40"`` → ``GradeWeights(60, 40)``."""
        admission, exam = (int(part) for part in text.split(","))
        return cls(admission, exam)


@dataclass(frozen=True)
class FinalGrade:
    numeric: int
    letter: str


def check_points(points: int, maximum: int, what: str) -> int:
    if isinstance(points, bool) or not isinstance(points, int) or not 0 <= points <= maximum:
        raise InvalidInput(f"{what} must be a whole number from 0 to {maximum}; got {points}.")
    return points


def whole_points(value: Decimal) -> int:
    """R6 records whole points: a fractional score from elsewhere (Moodle's ``85.50``) is
    rounded half up to a whole number, as R9 rounds the final grade — 84.49 → 84, 84.5 → 85.
    The range is checked afterwards, on the whole number (``check_points``)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def total_points(scores: Mapping[ScoreComponent, int]) -> int:
    """The sum of the recorded components; a missing one counts 0."""
    return sum(scores.get(component, 0) for component in _COMPONENTS)


_COMPONENTS = tuple(ScoreComponent)  # (iterating the enum class itself is slower)


def is_admitted(total: int) -> bool:
    return total >= ADMISSION_MIN


def final_numeric(total: int, exam: int, weights: GradeWeights = GradeWeights()) -> int:
    """``admission% × total/3 + exam% × exam``, rounded half up, in integers.

    With the default weights this is ``(2*(total + 2*exam) + 5) // 10``.
    """
    numerator = weights.admission * total + 3 * weights.exam * exam
    denominator = 300
    return (2 * numerator + denominator) // (2 * denominator)


def letter_for(numeric: int) -> str:
    for minimum, letter in LETTERS:
        if numeric >= minimum:
            return letter
    raise ValueError(f"numeric grade below 0: {numeric}")


def final_grade(total: int, exam: int, weights: GradeWeights = GradeWeights()) -> FinalGrade:
    numeric = final_numeric(total, exam, weights)
    return FinalGrade(numeric=numeric, letter=letter_for(numeric))


def has_passed(exam: int, grade: FinalGrade) -> bool:
    return exam >= EXAM_PASS_MIN and grade.numeric >= FINAL_PASS_MIN
