"""Writes the sample Moodle gradebook exports next to this file, one per variant Moodle
produces: comma ``.csv``, semicolon with decimal commas ``.csv`` (a Russian-locale export),
tab ``.txt`` and Excel ``.xlsx``. Run ``python examples/moodle/make_samples.py`` after changing
the table below; the files are committed.

Twenty learners of a KazNU-like course (Kazakh and Russian names; IINs with valid check digits;
three without an ID number, matched by e-mail), some grades not given yet ("-"), and one row
the registry refuses: Rating 2 at 105 (Moodle allows over-grading; R6 stops at 100).
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from registry.domain.iin import iin_check_digit

HERE = Path(__file__).parent
HEADER = ["First name", "Last name", "ID number", "Institution", "Department",
          "Email address", "Assignment: Rating 1 (Real)", "Quiz: Midterm (Real)",
          "Assignment: Rating 2 (Real)", "Quiz: Final exam (Real)", "Course total (Real)",
          "Last downloaded from this course"]
DOWNLOADED = "Wednesday, 2 December 2026, 9:41 AM"
MAP = ("Assignment: Rating 1=RATING_1,Quiz: Midterm=MIDTERM,Assignment: Rating 2=RATING_2,"
       "Quiz: Final exam=EXAM")

# first name, last name, birth (YYMMDD), sex digit, e-mail, R1, MID, R2, EXAM; None: "-"
LEARNERS: list[tuple[str, str, str | None, str, str, str | None, str | None, str | None,
                     str | None]] = [
    ("Әлия", "Құрманова", "010315", "6", "aliya.kurmanova@live.kaznu.kz", "92.00", "88.50",
     "90.00", "94.00"),
    ("Нұрлан", "Әбішев", "000722", "5", "nurlan.abishev@live.kaznu.kz", "75.00", "68.00",
     "81.25", "77.00"),
    ("Айгерім", "Сәрсенбаева", "011102", "6", "aigerim.sarsenbayeva@live.kaznu.kz", "85.00",
     "91.00", "88.00", "90.50"),
    ("Дмитрий", "Иванов", "990204", "3", "d.ivanov@live.kaznu.kz", "60.00", "55.00", "64.00",
     None),
    ("Ерлан", "Жақсылықов", "000930", "5", "erlan.zhaksylykov@live.kaznu.kz", "70.00", "72.50",
     "69.00", "71.00"),
    ("Гүлназ", "Төлеуова", "010118", "6", "gulnaz.toleuova@live.kaznu.kz", "98.00", "95.00",
     "97.00", "99.00"),
    ("Анна", "Смирнова", "000505", "6", "anna.smirnova@live.kaznu.kz", "80.00", "77.00", "-",
     None),
    ("Бауыржан", "Оспанов", "990812", "5", "baurzhan.ospanov@live.kaznu.kz", "45.00", "50.00",
     "40.00", None),
    ("Мадина", "Ғалымжанова", "010627", "6", "madina.galymzhanova@live.kaznu.kz", "88.00",
     "84.00", "86.00", "83.00"),
    ("Сергей", "Ким", "000111", "5", "sergey.kim@live.kaznu.kz", "66.00", "71.00", "105.00",
     None),
    ("Жансая", "Бекова", None, "6", "zhansaya.bekova@live.kaznu.kz", "79.50", "82.00",
     "80.00", "78.00"),
    ("Ольга", "Петрова", "991224", "4", "olga.petrova@live.kaznu.kz", "90.00", "89.00",
     "92.00", "91.00"),
    ("Асхат", "Нұрмағамбетов", "000303", "5", "askhat.nurmagambetov@live.kaznu.kz", "55.00",
     "60.00", "58.00", "62.00"),
    ("Дана", "Ермекова", "010909", "6", "dana.yermekova@live.kaznu.kz", "-", "-", "-", None),
    ("Тимур", "Сулейменов", None, "5", "timur.suleimenov@live.kaznu.kz", "73.00", "70.00",
     "76.00", "74.00"),
    ("Екатерина", "Волкова", "000417", "6", "ekaterina.volkova@live.kaznu.kz", "84.50",
     "86.50", "85.50", "88.00"),
    ("Қанат", "Ибраев", "990101", "5", "kanat.ibrayev@live.kaznu.kz", "62.00", "58.00",
     "65.00", None),
    ("Арман", "Серікбаев", "010202", "5", "arman.serikbayev@live.kaznu.kz", "94.00", "90.00",
     "93.00", "95.00"),
    ("Наталья", "Ли", None, "6", "natalya.li@live.kaznu.kz", "77.00", "80.00", "79.00",
     "82.00"),
    ("Айдос", "Мұхтаров", "000808", "5", "aidos.mukhtarov@live.kaznu.kz", "68.00", "66.50",
     "70.00", "69.00"),
]


def iin(birth: str | None, sex: str, serial: int) -> str:
    """A valid-looking IIN (birth date, century-and-sex digit, serial, check digit)."""
    if birth is None:
        return ""
    for tail in range(serial, serial + 100):
        first = f"{birth}{sex}{tail:04d}"
        check = iin_check_digit(first)
        if check is not None:
            return f"{first}{check}"
    raise ValueError(birth)


def table() -> list[list[str]]:
    rows = []
    for n, (first, last, birth, sex, email, *grades) in enumerate(LEARNERS):
        cells = [g if g is not None else "-" for g in grades]
        total = sum((Decimal(g) for g in cells[:3] if g != "-"), Decimal(0))
        rows.append([first, last, iin(birth, sex, 2000 + 37 * n), "Al-Farabi KazNU",
                     "Faculty of Philology", email, *cells, f"{total:.2f}", DOWNLOADED])
    return rows


def write_text(name: str, delimiter: str, decimal_comma: bool = False) -> None:
    def localized(cell: str) -> str:
        return cell.replace(".", ",") if decimal_comma and cell[:1].isdigit() and \
            "@" not in cell else cell

    with open(HERE / name, "w", encoding="utf-8-sig" if decimal_comma else "utf-8",
              newline="") as out:
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
        writer.writerow(HEADER)
        for row in table():
            writer.writerow([localized(c) if i >= 6 and i < 11 else c
                             for i, c in enumerate(row)])


def write_xlsx(name: str) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Grades"
    sheet.append(HEADER)
    for row in table():
        sheet.append([float(c) if 6 <= i < 11 and c != "-" else c for i, c in enumerate(row)])
    book.save(HERE / name)


def main() -> None:
    write_text("grades-comma.csv", ",")
    write_text("grades-semicolon.csv", ";", decimal_comma=True)  # with a BOM, as Excel likes
    write_text("grades-tab.txt", "\t")
    write_xlsx("grades.xlsx")


if __name__ == "__main__":
    main()
