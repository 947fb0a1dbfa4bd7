"""``replay`` (the registry's projector) rebuilds exactly what eventsourcing's own does."""

from __future__ import annotations

from datetime import date

from eventsourcing.application import project_aggregate
from hypothesis import given
from hypothesis import strategies as st

from registry.application.registry import replay
from registry.domain.enrollments import Enrollment, ScoreComponent, ScoreEntry
from registry.domain.learners import Learner


@given(st.lists(st.tuples(st.sampled_from(list(ScoreComponent)), st.integers(0, 100)),
                max_size=12))
def test_replay_equals_eventsourcings_projection(scores: list[tuple[ScoreComponent, int]]
                                                 ) -> None:
    learner = Learner.register(full_name="Әлия Құрманова", email=None, iin=None,
                               full_name_latin=None)
    enrollment = Enrollment(learner_id=learner.id, mooc_code="KAZLIT-101")
    for component, points in scores:
        reason = "a correction" if component in enrollment.scores else None
        enrollment.record_score(ScoreEntry.checked(component, points, reason, date.today(),
                                                   today=date.today()), learner)
    events = enrollment.collect_events()
    ours, theirs = replay(None, events), project_aggregate(None, events)
    assert ours.__dict__ == theirs.__dict__ and ours.version == len(events)
