"""Reading Moodle's gradebook exports, and the whole points R6 records (issue 14)."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from pathlib import Path

import pytest

from registry import moodle
from registry.application.context import CommandContext
from registry.domain.grading import whole_points


@pytest.mark.parametrize("text, points", [
    ("84.49", 84), ("84.5", 85), ("84,50", 85), ("85.50 %", 86), ("100.00", 100),
    ("0", 0), ("  72  ", 72), ("105.00", 105),  # the range is the domain's to refuse
])
def test_grades_are_whole_points_rounded_half_up(text: str, points: int) -> None:
    assert moodle.points_of(text) == points


@pytest.mark.parametrize("text", ["-", "", "  "])
def test_a_dash_or_an_empty_cell_is_no_grade(text: str) -> None:
    assert moodle.points_of(text) is None


@pytest.mark.parametrize("text", ["abc", "NaN", "8O", "1.2.3"])
def test_what_is_not_a_number_is_said_so(text: str) -> None:
    with pytest.raises(ValueError, match="is not a number"):
        moodle.points_of(text)


def test_half_up_is_not_bankers_rounding() -> None:
    assert [whole_points(Decimal(v)) for v in ("0.5", "1.5", "2.5")] == [1, 2, 3]


def test_a_colon_separated_export_with_quoted_item_names_is_read(tmp_path: Path) -> None:
    path = tmp_path / "grades.txt"
    path.write_text('First name:Last name:ID number:Email address:"Quiz: Midterm (Real)":'
                    '"Quiz: Midterm (Percentage)"\n'
                    "Әлия:Құрманова:010315620008:a@live.kaznu.kz:88.50:88.50 %\n",
                    encoding="utf-8")
    book = moodle.read(path, moodle.parse_map("Quiz: Midterm=MIDTERM"))
    assert book.layout == "colon-separated text"
    assert book.columns == {"MIDTERM": "Quiz: Midterm (Real)"}  # Real preferred
    assert book.rows[0].iin == "010315620008" and book.rows[0].name == "Әлия Құрманова"
    assert book.rows[0].grades == {"MIDTERM": "88.50"}


def test_a_file_that_is_no_gradebook_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("hello,world\n1,2\n", encoding="utf-8")
    with pytest.raises(moodle.BadGradebook, match="not a Moodle gradebook header"):
        moodle.read(path, moodle.parse_map("Quiz: Midterm=MIDTERM"))
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("First name,Email address\nJosé,j@x.kz\n".encode("latin-1"))
    with pytest.raises(moodle.BadGradebook, match="not UTF-8"):
        moodle.read(latin1, moodle.parse_map("Quiz: Midterm=MIDTERM"))


def test_the_command_context_metadata_keeps_its_shape() -> None:
    ctx = CommandContext(actor_name="Гүлнар", actor_role="inet", on_behalf_of="Dean",
                         causation_id="c")
    meta = ctx.metadata("2026-06-15T10:00:00+00:00")
    assert meta == {**asdict(ctx), "recorded_at": "2026-06-15T10:00:00+00:00"}
    assert list(meta) == [*asdict(ctx), "recorded_at"]  # the envelopes' key order


def test_windows_line_ends_a_line_break_in_a_quoted_cell_and_utf16_are_read(
        tmp_path: Path) -> None:
    text = ('First name;Last name;ID number;Email address;Quiz: Midterm (Real)\r\n'
            '"Анна\r\nМария";Смирнова;;anna@live.kaznu.kz;77,50\r\n'
            'Дана;Ермекова;;dana@live.kaznu.kz;-\r\n')
    for encoding in ("utf-8", "utf-16"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(text.encode(encoding))  # Python's utf-16 writes a BOM
        book = moodle.read(path, moodle.parse_map("Quiz: Midterm=MIDTERM"))
        assert [(r.number, r.email, r.grades["MIDTERM"]) for r in book.rows] == [
            (2, "anna@live.kaznu.kz", "77,50"), (3, "dana@live.kaznu.kz", "-")]


def test_a_column_name_may_hold_a_comma_in_the_map() -> None:
    assert moodle.parse_map("Quiz: Part 1, theory=RATING_1, Quiz: Midterm = midterm,") == {
        "Quiz: Part 1, theory": "RATING_1", "Quiz: Midterm": "MIDTERM"}
    with pytest.raises(moodle.BadGradebook, match="'Quiz: Midterm' is not COLUMN=COMPONENT"):
        moodle.parse_map("Assignment: Rating 1=RATING_1,Quiz: Midterm")
