"""Reading a Moodle gradebook export as it comes (issue 14): Moodle's "Plain text file" export
(comma, semicolon, tab or colon separated; UTF-8 with or without a BOM) and its "Excel
spreadsheet" export (``.xlsx``).

A Moodle 4.x export starts with the learner's columns — ``First name``, ``Last name``, ``ID
number``, ``Institution``, ``Department``, ``Email address`` — then one column per grade item and
display type (``Assignment: Rating 1 (Real)``, ``Quiz: Midterm (Percentage)``, …), ``Course
total (Real)`` and ``Last downloaded from this course``. A grade is ``-`` when there is none;
decimals come with a point or, in some languages, a comma; a percentage ends in ``%``.

This module only reads: it turns a file into :class:`Row` values (texts as they were typed).
Numbers are parsed by :func:`points_of`; the rules (ranges, corrections, closed scores) are
the domain's, applied by the application's commands.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .domain.grading import whole_points

COMPONENTS = ("RATING_1", "MIDTERM", "RATING_2", "EXAM")
ID_NUMBER = "ID number"
EMAIL = "Email address"
FIRST_NAME = "First name"
LAST_NAME = "Last name"
# The learner's columns of a Moodle export (the identity fields the site exports).
LEARNER_COLUMNS = (FIRST_NAME, LAST_NAME, ID_NUMBER, "Institution", "Department", EMAIL,
                   "Username", "Phone", "Mobile phone", "City/town", "Country")
# A grade column's display types, the preferred first (a column may be exported in several).
DISPLAY_TYPES = ("Real", "Percentage")
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab", ":": "colon"}
NO_GRADE = "-"
_SUFFIX = re.compile(r"\s*\((Real|Percentage|Letter)\)\s*$", re.IGNORECASE)


class BadGradebook(ValueError):
    """The file cannot be read as a Moodle gradebook (one line, for the command line)."""


@dataclass(frozen=True)
class Row:
    number: int  # the row's number in the file (the header is row 1)
    iin: str | None
    email: str | None
    name: str  # "First Last", for the report
    grades: dict[str, str]  # component → the text of its cell, as typed


@dataclass(frozen=True)
class Gradebook:
    rows: list[Row]
    layout: str  # how it was read ("semicolon-separated text", "Excel workbook")
    columns: dict[str, str]  # component → the file's column it comes from


def parse_map(text: str) -> dict[str, str]:
    """``'Assignment: Rating 1=RATING_1,Quiz: Midterm=MIDTERM'`` → column → component."""
    mapping: dict[str, str] = {}
    for part in _pairs(text):
        column, equals, component = part.rpartition("=")
        column, component = column.strip(), component.strip().upper()
        if not equals or not column:
            raise BadGradebook(f"--map: {part!r} is not COLUMN=COMPONENT")
        if component not in COMPONENTS:
            raise BadGradebook(f"--map: {component!r} is not one of {', '.join(COMPONENTS)}")
        if component in mapping.values():
            raise BadGradebook(f"--map: {component} is mapped twice")
        mapping[column] = component
    if not mapping:
        raise BadGradebook("--map: no COLUMN=COMPONENT pair")
    return mapping


def _pairs(text: str) -> list[str]:
    """The ``COLUMN=COMPONENT`` pairs of ``--map``; a comma inside a column's name (Moodle
    allows one: ``Quiz: Part 1, theory``) stays in it — a pair ends at ``=WORD``."""
    pairs, pending = [], ""
    for piece in text.split(","):
        pending = f"{pending},{piece}" if pending else piece
        if re.search(r"=\s*\w+\s*$", pending):
            pairs.append(pending.strip())
            pending = ""
    if pending.strip():
        pairs.append(pending.strip())
    return pairs


def base_name(column: str) -> str:
    """``'Quiz: Midterm (Real)'`` → ``'quiz: midterm'`` (display type off, case and spacing
    folded): how a mapped column is found."""
    return " ".join(_SUFFIX.sub("", column).split()).casefold()


def display_type(column: str) -> str | None:
    found = _SUFFIX.search(column)
    return found.group(1).capitalize() if found else None


def points_of(text: str) -> int | None:
    """A Moodle grade's whole points: ``None`` for no grade (``-`` or empty); ``85,5`` and
    ``85.50 %`` alike give 86 (R6's rounding, :func:`registry.domain.grading.whole_points`).
    ``ValueError`` when the text is not a number."""
    value = text.strip().replace("\u00a0", " ")
    if value in ("", NO_GRADE):
        return None
    number = value.removesuffix("%").strip()
    if "," in number and "." not in number:
        number = number.replace(",", ".")
    try:
        parsed = Decimal(number)
    except InvalidOperation:
        raise ValueError(f"{text.strip()!r} is not a number") from None
    if not parsed.is_finite():
        raise ValueError(f"{text.strip()!r} is not a number")
    return whole_points(parsed)


def read(path: Path, mapping: dict[str, str]) -> Gradebook:
    """The rows of a Moodle export at ``path`` with the mapped columns' texts."""
    if not path.is_file():
        raise BadGradebook(f"{path}: no such file")
    if path.suffix.lower() == ".xlsx":
        header, records = _read_xlsx(path)
        layout = "Excel workbook"
    else:
        header, records, separator = _read_text(path, mapping)
        layout = f"{SEPARATORS[separator]}-separated text"
    return _gradebook(header, records, mapping, layout)


def _gradebook(header: Sequence[str], records: Iterable[Sequence[str]],
               mapping: dict[str, str], layout: str) -> Gradebook:
    columns = _columns(header, mapping)
    where = {name: i for i, name in reversed(list(enumerate(header)))}
    iin_at, email_at = where.get(ID_NUMBER), where.get(EMAIL)
    if iin_at is None and email_at is None:
        raise BadGradebook(f"no {ID_NUMBER!r} or {EMAIL!r} column: the export must include "
                           "one of them (Moodle: Export → Export format options)")
    first_at, last_at = where.get(FIRST_NAME), where.get(LAST_NAME)

    def cell(record: Sequence[str], at: int | None) -> str:
        return record[at].strip() if at is not None and at < len(record) else ""

    rows = []
    for number, record in enumerate(records, start=2):
        if not any(v.strip() for v in record):
            continue
        iin = cell(record, iin_at)
        if iin.isdigit() and len(iin) < 12:  # a spreadsheet may have read it as a number
            iin = iin.zfill(12)
        name = " ".join(p for p in (cell(record, first_at), cell(record, last_at)) if p)
        rows.append(Row(number, iin or None, cell(record, email_at) or None, name,
                        {component: cell(record, where[column])
                         for component, column in columns.items()}))
    return Gradebook(rows, layout, columns)


def _columns(header: Sequence[str], mapping: dict[str, str]) -> dict[str, str]:
    """component → the header it is read from: the mapped name exactly, else the column of
    that name with Moodle's display type (Real preferred to Percentage; Letter is no
    number)."""
    found: dict[str, str] = {}
    for wanted, component in mapping.items():
        if wanted in header:
            found[component] = wanted
            continue
        candidates = [h for h in header if base_name(h) == base_name(wanted)
                      and display_type(h) != "Letter"]
        if not candidates:
            shown = ", ".join(repr(h) for h in header if h not in LEARNER_COLUMNS)
            raise BadGradebook(f"--map: no column {wanted!r} in the file (its grade columns: "
                               f"{shown or 'none'})")
        candidates.sort(key=lambda h: DISPLAY_TYPES.index(display_type(h) or "Real"))
        found[component] = candidates[0]
    return found


def _read_text(path: Path, mapping: dict[str, str]
               ) -> tuple[list[str], list[list[str]], str]:
    data = path.read_bytes()
    # Moodle writes UTF-8 (a BOM or not); Excel's "Unicode Text" re-save is UTF-16 with a BOM.
    encoding = "utf-16" if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) \
        else "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise BadGradebook(f"{path}: not UTF-8 text (byte {error.start}); export it again "
                           "as a plain text file, or as .xlsx") from None
    header = text.lstrip("\r\n").split("\n", 1)[0].rstrip("\r")
    if not header.strip():
        raise BadGradebook(f"{path}: the file is empty")
    separator = _separator(header, mapping)
    # (the csv module reads the whole text: a quoted cell may hold a line break)
    records = list(csv.reader(io.StringIO(text.lstrip("\r\n"), newline=""),
                              delimiter=separator))
    return [h.strip() for h in records[0]], records[1:], separator


def _separator(header: str, mapping: dict[str, str]) -> str:
    """The separator the header line splits into the most known columns with (Moodle's
    own learner columns and the mapped ones); a colon inside a quoted name is no
    separator."""
    known = {base_name(c) for c in (*LEARNER_COLUMNS, *mapping)}

    def score(separator: str) -> int:
        fields = next(csv.reader([header], delimiter=separator), [])
        return sum(base_name(f) in known for f in fields)

    best = max(SEPARATORS, key=score)
    if score(best) < 2:
        raise BadGradebook("the first line is not a Moodle gradebook header (expected "
                           f"{FIRST_NAME!r}, {EMAIL!r}, … separated by , ; tab or :)")
    return best


def _read_xlsx(path: Path) -> tuple[list[str], list[list[str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise BadGradebook(f"{path}: not an Excel workbook ({error})") from None
    try:
        sheet = workbook.worksheets[0]
        values = [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    if not values:
        raise BadGradebook(f"{path}: the workbook's first sheet is empty")
    return [h.strip() for h in values[0]], values[1:]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
