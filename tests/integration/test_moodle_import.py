"""`registry import moodle-grades`: a teacher's Moodle gradebook export into the registry
(issue 14, capability 1), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import ADMIN, published_mooc

from registry.bootstrap import Container, build
from registry.cli import main
from registry.config import Settings
from registry.domain.enrollments import Enrollment
from registry.domain.grading import ScoreComponent
from registry.domain.learners import Learner

SAMPLES = Path(__file__).resolve().parents[2] / "examples" / "moodle"
MAP = ("Assignment: Rating 1=RATING_1,Quiz: Midterm=MIDTERM,Assignment: Rating 2=RATING_2,"
       "Quiz: Final exam=EXAM")
CODE = "KAZLIT-101"
# The sample: 20 learners × 4 columns = 69 grades, 10 "-", and Сергей Ким's Rating 2 of 105.
SUMMARY = "69 recorded, 0 unchanged, 10 without a grade, 1 refused"
AGAIN = "0 recorded, 69 unchanged, 10 without a grade, 1 refused"
VARIANTS = ["grades-comma.csv", "grades-semicolon.csv", "grades-tab.txt", "grades.xlsx"]


def sample_learners() -> list[dict[str, str]]:
    with open(SAMPLES / "grades-comma.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def registry(backend_settings: Settings, monkeypatch: pytest.MonkeyPatch
             ) -> Iterator[Settings]:
    """A registry with the MOOC published and the sample's learners registered and enrolled;
    the environment points the command line at it."""
    settings = backend_settings
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("REGISTRY_PUBLIC_URL", settings.public_url or "")
    if settings.database_url:
        monkeypatch.setenv("REGISTRY_DATABASE_URL", settings.database_url)
    else:
        monkeypatch.delenv("REGISTRY_DATABASE_URL", raising=False)
    container = build(settings, poll_interval=0.05)
    try:
        service = container.service
        published_mooc(service, CODE)
        for learner in sample_learners():
            learner_id = service.run(ADMIN, lambda cmd, row=learner: cmd.learners.register(
                full_name=f"{row['First name']} {row['Last name']}",
                email=row["Email address"], iin=row["ID number"] or None,
                full_name_latin=None))
            service.run(ADMIN, lambda cmd, i=learner_id: cmd.enrollments.enroll(
                learner_id=uuid.UUID(i), mooc_code=CODE))
    finally:
        container.close()
    yield settings


def opened(settings: Settings) -> Container:
    return build(settings, run_projections=False)


def enrollment_of(container: Container, email: str) -> Enrollment:
    learner_id = container.service.learner_ids_by_email([email])[email]
    return container.commands.enrollments.get(
        Enrollment.create_id(uuid.UUID(learner_id), CODE))


def position(settings: Settings) -> int:
    container = opened(settings)
    try:
        return container.app.last_notification_id()
    finally:
        container.close()


def run(*args: str) -> int:
    return main(["import", "moodle-grades", *args])


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_of_the_sample_imports_and_a_second_run_records_nothing(
        registry: Settings, variant: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(str(SAMPLES / variant), "--mooc", CODE, "--map", MAP) == 1  # one row refused
    out, err = capsys.readouterr()
    assert "20/20" in err  # the progress bar, on stderr
    assert SUMMARY in out
    assert "row  learner     component  reason" in out
    assert "11   Сергей Ким  RATING_2" in out and "from 0 to 100; got 105" in out
    container = opened(registry)
    try:
        aliya = enrollment_of(container, "aliya.kurmanova@live.kaznu.kz")
        # 88.50 → 89 and 90.50 → 91: R6's whole points, rounded half up
        assert dict(aliya.scores) == {ScoreComponent.RATING_1: 92, ScoreComponent.MIDTERM: 89,
                                      ScoreComponent.RATING_2: 90}
        assert aliya.exam is not None and aliya.exam.points == 94
        assert aliya.exam.mode.value == "ON_CAMPUS"
        zhansaya = enrollment_of(container, "zhansaya.bekova@live.kaznu.kz")  # no ID number
        assert zhansaya.scores[ScoreComponent.RATING_1] == 80  # 79.50
        sergey = enrollment_of(container, "sergey.kim@live.kaznu.kz")
        assert ScoreComponent.RATING_2 not in sergey.scores  # refused: nothing stored
        assert sergey.scores[ScoreComponent.MIDTERM] == 71
        stored = container.app.last_notification_id()
    finally:
        container.close()

    assert run(str(SAMPLES / variant), "--mooc", CODE, "--map", MAP) == 1
    assert AGAIN in capsys.readouterr().out
    assert position(registry) == stored  # nothing new


def test_a_clean_gradebook_exits_0_and_says_unchanged_the_second_time(
        registry: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = tmp_path / "clean.csv"
    clean.write_text((SAMPLES / "grades-comma.csv").read_text(encoding="utf-8")
                     .replace(",105.00,", ",100.00,"), encoding="utf-8")
    assert run(str(clean), "--mooc", CODE, "--map", MAP) == 0
    assert "70 recorded, 0 unchanged, 10 without a grade, 0 refused" in capsys.readouterr().out
    assert run(str(clean), "--mooc", CODE, "--map", MAP) == 0
    assert "0 recorded, 70 unchanged, 10 without a grade, 0 refused" in capsys.readouterr().out


def test_a_dry_run_shows_what_would_change_and_stores_nothing(
        registry: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    before = position(registry)
    assert run(str(SAMPLES / "grades-semicolon.csv"), "--mooc", CODE, "--map", MAP,
               "--dry-run") == 1
    out = capsys.readouterr().out
    assert "dry run: nothing stored. 69 grades would be recorded" in out
    assert "69 would be recorded, 0 unchanged, 10 without a grade, 1 refused" in out
    assert "2    Әлия Құрманова" in out and "MIDTERM    -    89" in out
    assert position(registry) == before


def test_refusals_name_the_row_the_learner_and_the_reason(
        registry: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(str(SAMPLES / "grades-comma.csv"), "--mooc", CODE, "--map", MAP) == 1
    capsys.readouterr()
    book = tmp_path / "later.csv"
    book.write_text(
        "First name,Last name,ID number,Email address,Quiz: Midterm (Real),"
        "Quiz: Final exam (Real)\n"
        "Әлия,Құрманова,,aliya.kurmanova@live.kaznu.kz,80.00,94.00\n"  # exam recorded: closed
        "Нұрлан,Әбішев,,nurlan.abishev@live.kaznu.kz,abc,-\n"
        "Мирас,Белгісіз,,miras@example.kz,50.00,-\n"
        "Дмитрий,Иванов,,d.ivanov@live.kaznu.kz,56.00,-\n",  # was 55: needs a reason
        encoding="utf-8")
    assert run(str(book), "--mooc", CODE, "--map", "Quiz: Midterm=MIDTERM,"
               "Quiz: Final exam=EXAM") == 1
    out = capsys.readouterr().out
    assert "0 recorded, 1 unchanged, 2 without a grade, 4 refused" in out
    refused = out.split("refused:\n", 1)[1].splitlines()
    assert refused[1].split()[:4] == ["2", "Әлия", "Құрманова", "MIDTERM"]
    assert "scores are closed" in refused[1]
    assert "'abc' is not a number" in refused[2] and refused[2].split()[0] == "3"
    assert "unknown learner" in refused[3] and "miras@example.kz" in refused[3]
    assert "MIDTERM already has 55 points: a correction needs a reason" in refused[4]

    assert run(str(book), "--mooc", CODE, "--map", "Quiz: Midterm=MIDTERM",
               "--reason", "Moodle regrade of 2 December") == 1
    assert "1 recorded, 0 unchanged, 0 without a grade, 3 refused" in capsys.readouterr().out
    container = opened(registry)
    try:
        assert enrollment_of(container, "d.ivanov@live.kaznu.kz").scores[
            ScoreComponent.MIDTERM] == 56
    finally:
        container.close()


@pytest.mark.parametrize("args, message", [
    (["missing.csv", "--mooc", CODE, "--map", MAP], "missing.csv: no such file"),
    (["SAMPLE", "--mooc", "NOPE-101", "--map", MAP], "--mooc 'NOPE-101': no such MOOC"),
    (["SAMPLE", "--mooc", CODE, "--map", "Quiz: Essay=RATING_1"],
     "--map: no column 'Quiz: Essay' in the file"),
    (["SAMPLE", "--mooc", CODE, "--map", "Quiz: Midterm=BONUS"],
     "--map: 'BONUS' is not one of RATING_1, MIDTERM, RATING_2, EXAM"),
])
def test_bad_usage_is_one_line_and_exit_2(registry: Settings, args: list[str], message: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    args = [str(SAMPLES / "grades-comma.csv") if a == "SAMPLE" else a for a in args]
    assert run(*args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_it_refuses_to_create_a_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("REGISTRY_DATABASE_URL", raising=False)
    assert run(str(SAMPLES / "grades-comma.csv"), "--mooc", CODE, "--map", MAP) == 2
    assert "no registry in" in capsys.readouterr().err
    assert not (tmp_path / "var").exists()


def test_aggregates_read_together_are_those_read_one_by_one(registry: Settings) -> None:
    """``Registry.load_many`` (one statement for many aggregates) folds each to the same
    state and version as the repository does; absent ids and other kinds are left out."""
    container = opened(registry)
    try:
        app = container.app
        ids = [Enrollment.create_id(uuid.UUID(i), CODE) for i in
               container.service.learner_ids_by_email(
                   [row["Email address"] for row in sample_learners()]).values()]
        assert len(ids) == 20
        record = container.commands.enrollments.record_score
        record(enrollment_id=ids[0], component=ScoreComponent.MIDTERM, points=70, reason=None)
        record(enrollment_id=ids[0], component=ScoreComponent.MIDTERM, points=75,
               reason="recounted")
        together = app.load_many(Enrollment, [*ids, uuid.uuid4(), ids[0]])
        assert [e.id for e in together] == ids
        for loaded in together:
            alone = app.repository.get(loaded.id)
            assert (loaded.version, loaded.scores, loaded.learner_id) == \
                (alone.version, alone.scores, alone.learner_id)
        assert together[0].version == 3 and together[0].scores[ScoreComponent.MIDTERM] == 75
        assert app.load_many(Learner, ids[:3]) == []  # enrolments are no learners
    finally:
        container.close()


def test_learners_read_for_the_rules_leave_their_personal_parts_unread(
        registry: Settings) -> None:
    """``load_many(Learner, …, personal=False)`` (what ``record_grades`` reads): the same
    learners, versions and circumstances, without a personal part fetched or unsealed."""
    container = opened(registry)
    try:
        app = container.app
        ids = [uuid.UUID(i) for i in container.service.learner_ids_by_email(
            [row["Email address"] for row in sample_learners()]).values()]
        asked: list[object] = []
        get_many = app.personal_store.get_many

        def counting(refs: object) -> object:
            asked.append(refs)
            return get_many(refs)  # type: ignore[arg-type]

        app.personal_store.get_many = counting  # type: ignore[method-assign,assignment]
        light = app.load_many(Learner, ids, personal=False)
        assert asked == []
        full = app.load_many(Learner, ids)
        assert asked  # the default still reads them
        assert [(a.id, a.version, a.study_window, a.business_trip, a.abroad, a.erased)
                for a in light] == \
            [(a.id, a.version, a.study_window, a.business_trip, a.abroad, a.erased)
             for a in full]
        assert all(a.email is None for a in light) and all(a.email for a in full)
    finally:
        container.close()


def test_a_teacher_records_grades_only_in_its_own_moocs(registry: Settings) -> None:
    """``record_grades`` applies recordScore's course scope to every line, even to a grade
    that would be unchanged."""
    from registry.application.enrollments import GradeLine, Outcome
    from registry.domain.access import Principal, Role

    container = opened(registry)
    try:
        email = "aliya.kurmanova@live.kaznu.kz"
        learner = uuid.UUID(container.service.learner_ids_by_email([email])[email])
        lines = [GradeLine(2, learner, CODE, "MIDTERM", 80)]
        other = Principal(role=Role.TEACHER, name="t", courses=frozenset({"MATH-101"}))
        refused = container.commands.enrollments.record_grades(lines, actor=other).value
        assert refused[0].outcome is Outcome.REFUSED
        assert refused[0].refusal.code == "FORBIDDEN"
        own = Principal(role=Role.TEACHER, name="t", courses=frozenset({CODE}))
        recorded = container.commands.enrollments.record_grades(lines, actor=own).value
        assert recorded[0].outcome is Outcome.RECORDED
        assert enrollment_of(container, email).scores[ScoreComponent.MIDTERM] == 80
        again = container.commands.enrollments.record_grades(lines, actor=other).value
        assert again[0].outcome is Outcome.REFUSED  # not "unchanged": it may not even look
    finally:
        container.close()
