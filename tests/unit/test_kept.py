"""What may be kept between commands (registry/application/kept.py): only aggregates whose
state never reads an event's personal part, bounded, newest version wins."""

from __future__ import annotations

import ast
import copy
import inspect
import textwrap
from datetime import date
from typing import Any

from eventsourcing.domain import Aggregate
from hypothesis import given
from hypothesis import strategies as st

import registry.domain as domain_package
from registry.application.kept import KeptAggregates
from registry.application.registry import replay
from registry.domain.enrollments import Enrollment, ScoreComponent, ScoreEntry
from registry.domain.learners import Learner
from registry.domain.personal import keeps_personal_data


def aggregate_classes() -> list[type[Aggregate]]:
    import importlib
    import pkgutil

    found: dict[str, type[Aggregate]] = {}
    for module in pkgutil.iter_modules(domain_package.__path__):
        loaded = importlib.import_module(f"registry.domain.{module.name}")
        for value in vars(loaded).values():
            if (inspect.isclass(value) and issubclass(value, Aggregate)
                    and value is not Aggregate and value.__module__ == loaded.__name__):
                found[value.__qualname__] = value
    return list(found.values())


def test_the_default_is_to_keep_personal_data_and_learners_do() -> None:
    class Undeclared(Aggregate):
        pass

    assert keeps_personal_data(Undeclared) and keeps_personal_data(Learner)
    assert not keeps_personal_data(Enrollment)


def test_a_class_without_personal_state_never_reads_a_personal_part() -> None:
    """A guard for the declaration: the source of each such class (its events' ``apply``
    and ``@event`` bodies included) reads nothing of ``personal``."""
    plain = [cls for cls in aggregate_classes() if not keeps_personal_data(cls)]
    assert {c.__name__ for c in plain} >= {"Enrollment", "Mooc", "Platform", "Proctoring",
                                           "KeyRing"}
    for cls in plain:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
        # an @event method's argument ``personal``, read anywhere in the class
        reads = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Name)
                 and node.id == "personal" and isinstance(node.ctx, ast.Load)]
        # an event class's ``apply`` reading the event's ``.personal`` (``self.personal``
        # elsewhere is the aggregate's own attribute: a platform's "personal environment")
        applies = [f for f in ast.walk(tree)
                   if isinstance(f, ast.FunctionDef) and f.name == "apply"]
        reads += [node.lineno for f in applies for node in ast.walk(f)
                  if isinstance(node, ast.Attribute) and node.attr == "personal"]
        assert not reads, f"{cls.__name__} reads `personal` (lines {reads} of the class)"


def stripped(event: Any) -> Any:
    """The event as loaded without its personal part (``personal=None``)."""
    bare = copy.copy(event)
    if "personal" in vars(bare):
        object.__setattr__(bare, "personal", None)
    return bare


@given(st.lists(st.tuples(st.sampled_from(list(ScoreComponent)), st.integers(0, 100),
                          st.text("абвғқңөұүһі reason", min_size=1, max_size=20).filter(str.strip)),
                max_size=12))
def test_an_enrolment_replayed_without_personal_parts_is_the_same(
        scores: list[tuple[ScoreComponent, int, str]]) -> None:
    learner = Learner.register(full_name="Әлия Құрманова", email=None, iin=None,
                               full_name_latin=None)
    enrollment = Enrollment(learner_id=learner.id, mooc_code="KAZLIT-101")
    for component, points, reason in scores:
        enrollment.record_score(ScoreEntry.checked(
            component, points, reason if component in enrollment.scores else None,
            date.today(), today=date.today()), learner)
    events = enrollment.collect_events()
    with_parts, without = replay(None, events), replay(None, [stripped(e) for e in events])
    assert vars(with_parts) == vars(without)


def enrollment_at(version: int) -> Enrollment:
    learner = Learner.register(full_name="Нұрлан Әбішев", email=None, iin=None,
                               full_name_latin=None)
    enrollment = Enrollment(learner_id=learner.id, mooc_code="KAZLIT-101")
    for points in range(version - 1):
        enrollment.record_score(ScoreEntry.checked(
            ScoreComponent.RATING_1, points, "again" if points else None, date.today(),
            today=date.today()), learner)
    enrollment.collect_events()
    return enrollment


def test_the_least_recently_used_goes_first() -> None:
    kept = KeptAggregates(maxsize=2)
    a, b, c = enrollment_at(1), enrollment_at(1), enrollment_at(1)
    kept.put(a)
    kept.put(b)
    assert kept.get(a.id) is a  # a used: b is now the oldest
    kept.put(c)
    assert kept.ids() == {a.id, c.id}


def test_an_older_version_never_replaces_a_newer_one() -> None:
    newer = enrollment_at(3)
    older = copy.deepcopy(newer)
    object.__setattr__(older, "_version", 2)
    kept = KeptAggregates()
    kept.put(newer)
    kept.put(older)
    assert kept.get(newer.id) is newer
