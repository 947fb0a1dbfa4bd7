"""R3 in the domain: the deadline arithmetic, what is missing, the package's way, file types
and names, and R4's teaching materials."""

from __future__ import annotations

import io
from datetime import date, timedelta

import filesamples
import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.application.documents import stage_upload
from registry.config import Settings
from registry.domain.access import ApiToken, Principal, Role
from registry.domain.documents import MediaType, identify, sanitize_filename
from registry.domain.errors import (
    Forbidden,
    InvalidInput,
    InvalidTransition,
    SubmissionIncomplete,
    SubmissionTooLate,
)
from registry.domain.materials import DisciplineMaterials, MaterialsRecord
from registry.domain.programmes import (
    Attachment,
    DocumentKind,
    ProgramDetails,
    ProgramSubmission,
    StoredFile,
    SubmissionStatus,
    last_submission_day,
)

# -- lastSubmissionDay: an independent calendar ------------------------------------------------

_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _month_length(year: int, month: int) -> int:
    return 29 if month == 2 and _is_leap(year) else _DAYS[month - 1]


def expected_last_day(start: date) -> date:
    """Counted by hand: step back to the previous month's first day by ordinal arithmetic,
    then walk forward as far as the start's day allows."""
    first_of_start = start - timedelta(days=start.day - 1)
    previous_end = first_of_start - timedelta(days=1)
    length = _month_length(previous_end.year, previous_end.month)
    assert previous_end.day == length  # the hand-made calendar agrees with the ordinals
    return previous_end.replace(day=min(start.day, length))


START_DATES = [date(2026, 1, 1) + timedelta(days=n)
               for n in range((date(2030, 12, 31) - date(2026, 1, 1)).days + 1)]


def test_the_examples_of_the_spec() -> None:
    assert last_submission_day(date(2027, 3, 31)) == date(2027, 2, 28)
    assert last_submission_day(date(2028, 3, 31)) == date(2028, 2, 29)
    assert last_submission_day(date(2027, 3, 1)) == date(2027, 2, 1)
    assert last_submission_day(date(2027, 1, 15)) == date(2026, 12, 15)
    assert last_submission_day(date(2026, 5, 31)) == date(2026, 4, 30)


def test_every_start_date_from_2026_to_2030() -> None:
    assert len(START_DATES) == 1826
    for start in START_DATES:
        assert last_submission_day(start) == expected_last_day(start), start


@given(st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)))
def test_last_submission_day_is_one_calendar_month_back(start: date) -> None:
    last = last_submission_day(start)
    assert last == expected_last_day(start)
    assert (last.year * 12 + last.month) == (start.year * 12 + start.month) - 1
    assert last.day == min(start.day, _month_length(last.year, last.month))
    assert 28 <= (start - last).days <= 31


# -- the package --------------------------------------------------------------------------------

FACULTY = "Higher School of Economics and Business"
DEAN = Principal(name="dean's office", role=Role.FACULTY, faculty=FACULTY)
INET = Principal(name="INET", role=Role.INET)
TODAY = date(2026, 6, 15)


def package(start: date = date(2026, 9, 1), disciplines: tuple[str, ...] = ("Finance", "Law")
            ) -> ProgramSubmission:
    details = ProgramDetails.checked(title="MBA", program_type="MBA", faculty=FACULTY,
                                     start_date=start, disciplines=list(disciplines))
    return ProgramSubmission.create(details, actor=DEAN, on=TODAY)


def stored(name: str = "file.pdf", content: bytes = b"x") -> StoredFile:
    import hashlib

    return StoredFile(name, hashlib.sha256(content).hexdigest(), len(content), MediaType.PDF)


def put(p: ProgramSubmission, kind: str, discipline: str | None = None, *,
        part: bool | None = None, number: str | None = None, content: bytes = b"x") -> None:
    attachment = Attachment.checked(kind=kind, discipline=discipline,
                                    has_distance_learning_part=part,
                                    registration_number=number)
    p.attach(attachment, stored(content=content), actor=DEAN, on=TODAY)


def filled(p: ProgramSubmission) -> ProgramSubmission:
    for kind in DocumentKind:
        if kind is DocumentKind.SYLLABUS:
            for d in p.disciplines:
                put(p, kind.value, d, part=True)
        else:
            put(p, kind.value, number="DIR-1" if kind is DocumentKind.VICE_RECTOR_ORDER else None)
    return p


def test_a_new_package_misses_everything_in_the_clauses_order() -> None:
    assert package().missing == [
        "VICE_RECTOR_ORDER", "ACADEMIC_CALENDAR", "CURRICULUM", "COST_ESTIMATE",
        "PROGRAMME_PASSPORT", "SYLLABUS", "SYLLABUS:Finance", "SYLLABUS:Law", "TIMETABLE"]


def test_missing_names_the_registration_and_the_distance_learning_parts() -> None:
    p = package()
    put(p, "VICE_RECTOR_ORDER")
    put(p, "SYLLABUS", "Law")
    assert "VICE_RECTOR_ORDER_REGISTRATION" in p.missing
    assert "SYLLABUS_DISTANCE_PART:Law" in p.missing and "SYLLABUS:Finance" in p.missing
    assert "SYLLABUS" not in p.missing
    put(p, "VICE_RECTOR_ORDER", number="DIR-7")
    put(p, "SYLLABUS", "Law", part=True)
    assert "VICE_RECTOR_ORDER_REGISTRATION" not in p.missing
    assert "SYLLABUS_DISTANCE_PART:Law" not in p.missing


def test_a_reupload_is_a_new_version_and_keeps_omitted_marks() -> None:
    p = package()
    put(p, "SYLLABUS", "Law", part=True, content=b"one")
    put(p, "VICE_RECTOR_ORDER", number="DIR-7", content=b"a")
    put(p, "SYLLABUS", "Law", content=b"two")
    put(p, "VICE_RECTOR_ORDER", content=b"b")
    law = p.latest(DocumentKind.SYLLABUS, "Law")
    order = p.latest(DocumentKind.VICE_RECTOR_ORDER)
    assert law is not None and (law.version, law.has_distance_learning_part) == (2, True)
    assert order is not None and (order.version, order.registration_number) == (2, "DIR-7")
    assert len(p.versions) == 4 and len(p.documents) == 2
    put(p, "SYLLABUS", "Law", part=False, content=b"three")
    assert "SYLLABUS_DISTANCE_PART:Law" in p.missing


def test_documents_are_in_the_clauses_and_disciplines_order() -> None:
    p = package()
    put(p, "TIMETABLE")
    put(p, "SYLLABUS", "Law")
    put(p, "SYLLABUS", "Finance")
    put(p, "VICE_RECTOR_ORDER")
    assert [(d.kind.value, d.discipline) for d in p.documents] == [
        ("VICE_RECTOR_ORDER", None), ("SYLLABUS", "Finance"), ("SYLLABUS", "Law"),
        ("TIMETABLE", None)]


def test_too_late_wins_over_incomplete_and_names_the_day() -> None:
    p = package(start=date(2026, 7, 14))
    with pytest.raises(SubmissionTooLate, match="2026-06-14") as refusal:
        p.submit(actor=DEAN, today=TODAY)
    assert refusal.value.details["lastSubmissionDay"] == "2026-06-14"
    with pytest.raises(SubmissionIncomplete) as incomplete:
        package(start=date(2026, 7, 15)).submit(actor=DEAN, today=TODAY)
    assert "TIMETABLE" in incomplete.value.details["missing"]


def test_the_way_of_a_package_through_a_return() -> None:
    p = filled(package(start=date(2026, 7, 15)))  # the last day is today
    with pytest.raises(InvalidTransition):
        p.accept(on=TODAY)
    p.submit(actor=DEAN, today=TODAY)
    with pytest.raises(InvalidTransition):
        put(p, "TIMETABLE")
    with pytest.raises(InvalidTransition):
        p.submit(actor=DEAN, today=TODAY)
    p.return_to_faculty("The timetable clashes with the exams.", on=TODAY)
    assert (p.status, p.return_reason) == (SubmissionStatus.RETURNED,
                                           "The timetable clashes with the exams.")
    put(p, "TIMETABLE", content=b"fixed")
    with pytest.raises(SubmissionTooLate):
        p.submit(actor=DEAN, today=TODAY + timedelta(days=1))
    p.submit(actor=DEAN, today=TODAY)
    p.accept(on=TODAY)
    assert p.status is SubmissionStatus.ACCEPTED and p.return_reason is None
    assert [s.status.value for s in p.steps] == ["DRAFT", "SUBMITTED", "RETURNED", "SUBMITTED",
                                                 "ACCEPTED"]
    with pytest.raises(InvalidTransition):
        p.return_to_faculty("late remark", on=TODAY)


def test_a_faculty_token_acts_for_its_own_faculty_only() -> None:
    p = package()
    other = Principal(name="x", role=Role.FACULTY, faculty="Faculty of Philology")
    unscoped = Principal(name="y", role=Role.FACULTY)
    same = Principal(name="z", role=Role.FACULTY, faculty="  higher school of ECONOMICS and "
                                                          "business ")
    for principal in (other, unscoped):
        with pytest.raises(Forbidden):
            p.submit(actor=principal, today=TODAY)
        with pytest.raises(Forbidden):
            ProgramSubmission.create(ProgramDetails.checked(
                title="t", program_type="DBA", faculty=FACULTY, start_date=TODAY,
                disciplines=["d"]), actor=principal, on=TODAY)
    with pytest.raises(SubmissionIncomplete):
        p.submit(actor=same, today=TODAY)
    with pytest.raises(SubmissionIncomplete):
        p.submit(actor=INET, today=TODAY)  # admin-like roles are not scoped (permissions are)


@pytest.mark.parametrize("kwargs", [
    {"title": " "}, {"disciplines": []}, {"disciplines": ["Law", "law"]},
    {"program_type": "BACHELOR"}, {"faculty": ""}, {"disciplines": ["bad\x07name"]},
])
def test_package_details_are_checked(kwargs: dict[str, object]) -> None:
    values: dict[str, object] = {"title": "MBA", "program_type": "MBA", "faculty": FACULTY,
                                 "start_date": TODAY, "disciplines": ["Law"]}
    values.update(kwargs)
    with pytest.raises(InvalidInput):
        ProgramDetails.checked(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs", [
    {"kind": "SYLLABUS"},
    {"kind": "CURRICULUM", "discipline": "Law"},
    {"kind": "CURRICULUM", "registration_number": "DIR-1"},
    {"kind": "TIMETABLE", "has_distance_learning_part": True},
])
def test_attachments_are_checked(kwargs: dict[str, object]) -> None:
    values: dict[str, object] = {"discipline": None, "has_distance_learning_part": None,
                                 "registration_number": None}
    values.update(kwargs)
    with pytest.raises(InvalidInput):
        Attachment.checked(**values)  # type: ignore[arg-type]


def test_a_syllabus_of_an_unlisted_discipline_is_refused() -> None:
    with pytest.raises(InvalidInput, match="Finance, Law"):
        put(package(), "SYLLABUS", "Chemistry")


# -- file types and names ---------------------------------------------------------------------

@pytest.mark.parametrize(("make", "expected"), [
    (filesamples.pdf, MediaType.PDF), (filesamples.docx, MediaType.DOCX),
    (filesamples.xlsx, MediaType.XLSX), (filesamples.odt, MediaType.ODT),
    (filesamples.ods, MediaType.ODS),
])
def test_types_are_read_from_the_content(make: object, expected: MediaType) -> None:
    assert identify(io.BytesIO(make())) is expected  # type: ignore[operator]


@pytest.mark.parametrize("make", [
    filesamples.exe, filesamples.plain_zip, filesamples.text, filesamples.macro_docm,
    lambda: filesamples.docx()[:200],  # a truncated zip
    lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,  # an old .doc
])
def test_files_that_lie_about_their_type_are_refused(make: object) -> None:
    with pytest.raises(InvalidInput, match="not an accepted document"):
        identify(io.BytesIO(make()))  # type: ignore[operator]


@pytest.mark.parametrize(("given_name", "media_type", "expected"), [
    ("../../etc/passwd", MediaType.PDF, "passwd.pdf"),
    ("C:\\Users\\dean\\Оқу жоспары.docx", MediaType.DOCX, "Оқу жоспары.docx"),
    ("invoice\u202egpj.pdf", MediaType.PDF, "invoicegpj.pdf"),
    ("line\nbreak\t.pdf", MediaType.PDF, "line break.pdf"),
    ("ҚазҰУ: смета?.xlsx", MediaType.XLSX, "ҚазҰУ_ смета_.xlsx"),
    ("setup.exe", MediaType.PDF, "setup.exe.pdf"),
    ("REPORT.PDF", MediaType.PDF, "REPORT.pdf"),
    ("", MediaType.ODS, "document.ods"),
    ("...", MediaType.ODT, "document.odt"),
    (None, MediaType.PDF, "document.pdf"),
])
def test_file_names_are_sanitised(given_name: str | None, media_type: MediaType,
                                  expected: str) -> None:
    assert sanitize_filename(given_name, media_type) == expected


def test_long_names_are_cut_to_fit_with_their_extension() -> None:
    name = sanitize_filename("ә" * 500 + ".pdf", MediaType.PDF)
    assert name.endswith(".pdf") and len(name.encode()) <= 200


def test_staging_hashes_measures_and_stops_at_the_limit() -> None:
    content = filesamples.pdf()
    staged = stage_upload(io.BytesIO(content), "a.pdf", max_bytes=len(content))
    import hashlib

    assert staged.file.sha256 == hashlib.sha256(content).hexdigest()
    assert staged.file.size == len(content) and b"".join(staged.chunks()) == content
    with pytest.raises(InvalidInput, match=f"{len(content) - 1} bytes"):
        stage_upload(io.BytesIO(content), "a.pdf", max_bytes=len(content) - 1)
    with pytest.raises(InvalidInput, match="empty"):
        stage_upload(io.BytesIO(b""), "a.pdf", max_bytes=10)


def test_the_request_limit_admits_an_upload_at_the_limit() -> None:
    assert Settings().max_upload_bytes == 20 * 1024 * 1024
    assert Settings().max_request_bytes >= 21 * 1024 * 1024
    big = Settings.from_env({"REGISTRY_MAX_UPLOAD_BYTES": "50MB"})
    assert big.max_upload_bytes == 50 * 1024 * 1024
    assert big.max_request_bytes >= big.max_upload_bytes + 1024 * 1024
    assert Settings.from_env({"REGISTRY_MAX_UPLOAD_BYTES": "1000"}).max_upload_bytes == 1000
    with pytest.raises(ValueError):
        Settings.from_env({"REGISTRY_MAX_UPLOAD_BYTES": "lots"})


# -- tokens ---------------------------------------------------------------------------------

def test_only_a_faculty_token_is_tied_to_a_faculty() -> None:
    token = ApiToken.create(token_sha256="a", name="n", role=Role.FACULTY, learner_id=None,
                            faculty=FACULTY)
    assert token.principal.faculty == FACULTY
    assert ApiToken.create(token_sha256="b", name="n", role=Role.FACULTY,
                           learner_id=None).principal.faculty is None
    with pytest.raises(InvalidInput):
        ApiToken.create(token_sha256="c", name="n", role=Role.INET, learner_id=None,
                        faculty=FACULTY)


# -- R4 ---------------------------------------------------------------------------------------

def test_materials_are_complete_with_the_course_the_complex_and_the_der() -> None:
    record = MaterialsRecord.checked(code="ECON-501", title="Корпоративтік қаржы",
                                     moodle_course_url=None, syllabus_complex_uploaded=None,
                                     der_uploaded=None)
    materials = DisciplineMaterials.register(record)
    assert materials.missing == ["MOODLE_COURSE", "SYLLABUS_COMPLEX", "DER"]
    assert materials.record(record, on=TODAY) is False  # nothing changed: no event
    assert materials.record(MaterialsRecord.checked(
        code="ECON-501", title=None, moodle_course_url="https://dl.kaznu.kz/course/view.php?id=7",
        syllabus_complex_uploaded=True, der_uploaded=None), on=TODAY)
    assert materials.missing == ["DER"] and materials.title == "Корпоративтік қаржы"
    materials.record(MaterialsRecord.checked(code="ECON-501", title=None, moodle_course_url=None,
                                             syllabus_complex_uploaded=None, der_uploaded=True),
                     on=TODAY)
    assert materials.complete and materials.updated_on == TODAY
    with pytest.raises(InvalidInput):
        MaterialsRecord.checked(code="ECON 501", title=None, moodle_course_url=None,
                                syllabus_complex_uploaded=None, der_uploaded=None)
    with pytest.raises(InvalidInput):
        MaterialsRecord.checked(code="E1", title=None, moodle_course_url="ftp://x",
                                syllabus_complex_uploaded=None, der_uploaded=None)
