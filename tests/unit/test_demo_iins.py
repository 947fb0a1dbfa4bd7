"""The demo's IINs: valid and each learner's own, even for 100,000 learners (where learners i
and i + 10,000 born the same day would have had the same serial, i mod 10,000)."""

from __future__ import annotations

from datetime import date

from registry.demo import iin_for
from registry.domain.iin import iin_check_digit


def test_learners_born_the_same_day_get_distinct_valid_iins() -> None:
    taken: set[str] = set()
    learners = [*range(0, 300), *range(10_000, 10_300), *range(90_000, 90_300)]
    iins = [iin_for(i, date(1990, 5, 17), female=True, taken=taken) for i in learners]
    given = [iin for iin in iins if iin is not None]
    assert len(given) == len(learners) == len(set(given)) == len(taken)
    assert all(iin_check_digit(iin[:11]) == int(iin[11]) for iin in given)
