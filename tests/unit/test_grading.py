"""R6 and R9: admission and the final grade, as the regulation and the credit system say."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.domain import grading
from registry.domain.errors import InvalidInput
from registry.domain.grading import GradeWeights, ScoreComponent

points = st.integers(min_value=0, max_value=100)
totals = st.integers(min_value=0, max_value=300)


def reference_final(total: int, exam: int, weights: GradeWeights = GradeWeights()) -> int:
    """R9 computed independently with decimals: admission rating = total / 3."""
    rating = Decimal(total) / 3
    value = (Decimal(weights.admission) * rating + Decimal(weights.exam) * exam) / 100
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def reference_letter(numeric: int) -> str:
    table = [(95, 100, "A"), (90, 94, "A-"), (85, 89, "B+"), (80, 84, "B"), (75, 79, "B-"),
             (70, 74, "C+"), (65, 69, "C"), (60, 64, "C-"), (55, 59, "D+"), (50, 54, "D"),
             (25, 49, "FX"), (0, 24, "F")]
    return next(letter for low, high, letter in table if low <= numeric <= high)


@given(total=totals, exam=points)
def test_final_grade_matches_the_integer_formula_of_the_spec(total: int, exam: int) -> None:
    assert grading.final_numeric(total, exam) == (2 * (total + 2 * exam) + 5) // 10


@given(total=totals, exam=points)
def test_final_grade_is_the_weighted_average_rounded_half_up(total: int, exam: int) -> None:
    assert grading.final_numeric(total, exam) == reference_final(total, exam)


@given(total=totals, exam=points, admission=st.integers(min_value=0, max_value=100))
def test_configurable_weights_round_half_up_too(total: int, exam: int, admission: int) -> None:
    weights = GradeWeights(admission, 100 - admission)
    assert grading.final_numeric(total, exam, weights) == reference_final(total, exam, weights)


@given(numeric=st.integers(min_value=0, max_value=100))
def test_letter_is_read_off_the_numeric_grade(numeric: int) -> None:
    assert grading.letter_for(numeric) == reference_letter(numeric)


@pytest.mark.parametrize(
    ("numeric", "letter"),
    [(100, "A"), (95, "A"), (94, "A-"), (90, "A-"), (89, "B+"), (85, "B+"), (84, "B"),
     (80, "B"), (79, "B-"), (75, "B-"), (74, "C+"), (70, "C+"), (69, "C"), (65, "C"),
     (64, "C-"), (60, "C-"), (59, "D+"), (55, "D+"), (54, "D"), (50, "D"), (49, "FX"),
     (25, "FX"), (24, "F"), (0, "F")],
)
def test_every_letter_boundary(numeric: int, letter: str) -> None:
    assert grading.letter_for(numeric) == letter


@pytest.mark.parametrize(("total", "admitted"), [(149, False), (150, True), (151, True),
                                                 (0, False), (300, True)])
def test_admission_needs_at_least_half_of_300(total: int, admitted: bool) -> None:
    assert grading.is_admitted(total) is admitted


@given(st.dictionaries(st.sampled_from(list(ScoreComponent)), points))
def test_total_is_the_sum_of_recorded_components_missing_count_zero(scores: dict) -> None:
    assert grading.total_points(scores) == sum(scores.values())
    assert grading.is_admitted(grading.total_points(scores)) == (sum(scores.values()) >= 150)


@given(total=totals, exam=points)
def test_passed_needs_exam_50_and_final_50(total: int, exam: int) -> None:
    grade = grading.final_grade(total, exam)
    assert grading.has_passed(exam, grade) == (exam >= 50 and grade.numeric >= 50)


def test_a_failed_exam_still_gets_its_letter() -> None:
    grade = grading.final_grade(300, 40)  # 0.6*100 + 0.4*40 = 76 → B-, but exam < 50
    assert (grade.numeric, grade.letter) == (76, "B-")
    assert not grading.has_passed(40, grade)


@pytest.mark.parametrize("bad", [-1, 101, True, 2.5])
def test_points_outside_0_to_100_are_refused(bad: object) -> None:
    with pytest.raises(InvalidInput):
        grading.check_points(bad, 100, "RATING_1 points")  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["60,41", "-10,110", "x"])
def test_weights_must_be_percents_adding_to_100(text: str) -> None:
    with pytest.raises(ValueError):
        GradeWeights.parse(text)
