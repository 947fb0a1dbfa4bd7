"""R7 and R8 on the aggregates: who may sit the exam, when, and how."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.domain.errors import (
    InvalidInput,
    OutsideStudyWindow,
    ProctoringUnavailable,
    ReturnOrderMissing,
    StudiesNotRestored,
)
from registry.domain.learners import Learner
from registry.domain.periods import Order, Period
from registry.domain.proctoring import Proctoring, in_force

days = st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31))
changes = st.lists(st.tuples(days, st.booleans(), st.sampled_from([None, "Examus", "Proctor"])),
                   max_size=8)


@given(changes, days)
def test_availability_in_force_is_the_last_change_effective_by_then(
    recorded: list[tuple[date, bool, str | None]], day: date
) -> None:
    proctoring = Proctoring()
    for effective_from, available, system in recorded:
        proctoring.set_availability(available=available, system=system,
                                    effective_from=effective_from)
    effective = [c for c in recorded if c[0] <= day]
    latest = max(effective, key=lambda c: c[0], default=None)
    # among changes with the same date the one recorded last wins
    if latest is not None:
        latest = [c for c in effective if c[0] == latest[0]][-1]
    expected = (False, None) if latest is None else (latest[1], latest[2])
    assert proctoring.in_force(day) == expected
    assert in_force(proctoring.changes, day) == expected


def test_an_online_exam_needs_proctoring_on_its_day() -> None:
    proctoring = Proctoring()
    proctoring.set_availability(available=True, system="Examus", effective_from=date(2026, 6, 1))
    proctoring.set_availability(available=False, system=None, effective_from=date(2026, 7, 1))
    proctoring.check_online_exam(date(2026, 6, 30))
    for day in (date(2026, 5, 31), date(2026, 7, 1)):
        with pytest.raises(ProctoringUnavailable, match=str(day)):
            proctoring.check_online_exam(day)


def a_learner() -> Learner:
    return Learner.register(full_name="Тест Тестов")


def test_business_trip_needs_restoration_then_campus() -> None:
    learner = a_learner()
    learner.check_may_sit_exam(online=True, mooc_code="M")  # no circumstances: anything goes
    learner.record_business_trip(Period.checked(date(2026, 1, 1), date(2026, 3, 1)))
    with pytest.raises(StudiesNotRestored):
        learner.check_may_sit_exam(online=False, mooc_code="M")
    learner.restore_studies(Order.checked("R-1", date(2026, 3, 2)))
    learner.check_may_sit_exam(online=False, mooc_code="M")
    with pytest.raises(InvalidInput, match="ON_CAMPUS"):
        learner.check_may_sit_exam(online=True, mooc_code="M")
    learner.record_business_trip(Period.checked(date(2026, 4, 1), date(2026, 5, 1)))
    with pytest.raises(StudiesNotRestored):  # a new trip needs its own restoration
        learner.check_may_sit_exam(online=False, mooc_code="M")


def test_return_from_abroad_needs_order_and_directive() -> None:
    learner = a_learner()
    learner.record_trip_abroad(Period.checked(date(2026, 1, 1), date(2026, 3, 1)))
    with pytest.raises(ReturnOrderMissing, match="return order"):
        learner.check_may_sit_exam(online=False, mooc_code="M")
    learner.record_return_order(Order.checked("B-1", date(2026, 3, 5)), application="№4")
    with pytest.raises(ReturnOrderMissing, match="directive"):
        learner.check_may_sit_exam(online=False, mooc_code="M")
    learner.record_dean_directive(Order.checked("D-1", date(2026, 3, 6)), disciplines=[])
    learner.check_may_sit_exam(online=True, mooc_code="M")


@given(start=days, length=st.integers(min_value=0, max_value=400), offset=st.integers(-30, 430))
def test_records_are_accepted_exactly_inside_the_internship_window(
    start: date, length: int, offset: int
) -> None:
    learner = a_learner()
    end = start + timedelta(days=length)
    learner.record_internship_abroad(Period.checked(start, end))
    day = start + timedelta(days=offset)
    if start <= day <= end:
        learner.check_within_study_window(day, "A score")
    else:
        with pytest.raises(OutsideStudyWindow):
            learner.check_within_study_window(day, "A score")


def test_a_period_may_not_end_before_it_starts() -> None:
    with pytest.raises(InvalidInput, match="ends"):
        Period.checked(date(2026, 2, 1), date(2026, 1, 31), "internship")
