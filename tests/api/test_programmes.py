"""Issue 4 over HTTP: programme packages from upload to acceptance (R3), with real files in
GraphQL multipart requests, downloads by hash, lists; teaching materials (R4). Every refusal
answers its code and stores no event."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import filesamples
import pytest
from apiclient import Api, make_client
from programme_ops import (
    ACCEPT,
    AWAITING,
    CREATE,
    DISCIPLINES,
    FACULTY,
    OTHER_FACULTY,
    PACKAGE,
    PACKAGES,
    RETURN,
    SAMPLES,
    SUBMIT,
    attach,
    complete,
    create,
    faculty_token,
    ok,
    refused,
    upload,
)

from registry.clock import FixedClock
from registry.config import Settings

# -- the scenario ---------------------------------------------------------------------------


def test_an_mba_package_from_creation_to_acceptance_through_a_return(
    api: Api, clock: FixedClock
) -> None:
    dean = faculty_token(api)
    inet = api.token("inet", "Гүлнар (INET)")
    package = create(api, dean, start="2026-09-01")
    pid = package["id"]
    assert (package["status"], package["lastSubmissionDay"]) == ("DRAFT", "2026-08-01")
    assert package["missing"] == [
        "VICE_RECTOR_ORDER", "ACADEMIC_CALENDAR", "CURRICULUM", "COST_ESTIMATE",
        "PROGRAMME_PASSPORT", "SYLLABUS", "SYLLABUS:Корпоративтік қаржы",
        "SYLLABUS:Strategic Management", "TIMETABLE"]

    # Everything but the order's registration number and one syllabus's distance part.
    for kind in SAMPLES:
        package = ok(attach(api, dean, pid, kind), "attachDocument")
    package = ok(attach(api, dean, pid, "SYLLABUS", discipline=DISCIPLINES[0],
                        hasDistanceLearningPart=True), "attachDocument")
    package = ok(attach(api, dean, pid, "SYLLABUS", discipline=DISCIPLINES[1]),
                 "attachDocument")
    assert package["missing"] == ["VICE_RECTOR_ORDER_REGISTRATION",
                                  "SYLLABUS_DISTANCE_PART:Strategic Management"]
    before = api.event_count()
    error = refused(api(SUBMIT, {"id": pid}, token=dean))
    assert error["extensions"]["code"] == "SUBMISSION_INCOMPLETE"
    assert error["extensions"]["details"]["missing"] == package["missing"]
    assert "VICE_RECTOR_ORDER_REGISTRATION" in error["message"]
    assert api.event_count() == before

    # A re-upload with the number; the syllabus marked: new versions, old ones kept.
    package = ok(attach(api, dean, pid, "VICE_RECTOR_ORDER", registrationNumber="DIR-2026/0412",
                        content=filesamples.pdf("Order, registered")), "attachDocument")
    package = ok(attach(api, dean, pid, "SYLLABUS", discipline=DISCIPLINES[1],
                        hasDistanceLearningPart=True,
                        content=filesamples.docx("v2")), "attachDocument")
    assert package["missing"] == []
    order = next(d for d in package["documents"] if d["kind"] == "VICE_RECTOR_ORDER")
    assert (order["version"], order["registrationNumber"]) == (2, "DIR-2026/0412")
    assert len(package["documents"]) == 8 and len(package["versions"]) == 10

    submitted = ok(api(SUBMIT, {"id": pid}, token=dean), "submitProgram")
    assert submitted["status"] == "SUBMITTED"
    awaiting = ok(api(AWAITING, token=inet), "programSubmissionsAwaitingInet")
    assert [n["id"] for n in awaiting["nodes"]] == [pid]

    reason = "Кесте емтихандармен қабаттасады: the timetable clashes with the exams."
    returned = ok(api(RETURN, {"input": {"id": pid, "reason": reason}}, token=inet),
                  "returnProgram")
    assert (returned["status"], returned["returnReason"]) == ("RETURNED", reason)
    assert ok(api(AWAITING, token=inet), "programSubmissionsAwaitingInet")["totalCount"] == 0

    clock.set(datetime(2026, 7, 20, 4, 0, tzinfo=UTC))
    corrected = ok(attach(api, dean, pid, "TIMETABLE", filename="кесте v2.pdf",
                          content=filesamples.pdf("Timetable v2")), "attachDocument")
    timetables = [v for v in corrected["versions"] if v["kind"] == "TIMETABLE"]
    assert [(v["version"], v["filename"]) for v in timetables] == [
        (1, "timetable.pdf"), (2, "кесте v2.pdf")]
    assert timetables[1]["uploadedOn"] == "2026-07-20"
    assert ok(api(SUBMIT, {"id": pid}, token=dean), "submitProgram")["status"] == "SUBMITTED"

    accepted = ok(api(ACCEPT, {"id": pid}, token=inet), "acceptProgram")
    assert (accepted["status"], accepted["returnReason"]) == ("ACCEPTED", None)
    assert [(s["status"], s["on"], s["reason"]) for s in accepted["steps"]] == [
        ("DRAFT", "2026-06-15", None), ("SUBMITTED", "2026-06-15", None),
        ("RETURNED", "2026-06-15", reason), ("SUBMITTED", "2026-07-20", None),
        ("ACCEPTED", "2026-07-20", None)]
    assert ok(api(PACKAGE, {"id": pid}, token=dean), "programSubmission") == accepted

    # Every version stays downloadable by its hash.
    first = timetables[0]
    response = api.client.get(f"/documents/{first['sha256']}",
                              headers={"Authorization": f"Bearer {inet}"})
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == first["sha256"]
    assert response.content == SAMPLES["TIMETABLE"][1]


# -- uploads ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "filename", "make", "media_type"), [
    ("ACADEMIC_CALENDAR", "Күнтізбе 2026–2027.xlsx", filesamples.xlsx,
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("CURRICULUM", "Оқу жоспары.docx", filesamples.docx,
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("PROGRAMME_PASSPORT", "паспорт.odt", filesamples.odt,
     "application/vnd.oasis.opendocument.text"),
    ("COST_ESTIMATE", "смета.ods", filesamples.ods,
     "application/vnd.oasis.opendocument.spreadsheet"),
    ("TIMETABLE", "../../Кесте.pdf", filesamples.pdf, "application/pdf"),
])
def test_each_accepted_type_is_stored_with_its_hash_and_a_safe_name(
    api: Api, kind: str, filename: str, make: Callable[[], bytes], media_type: str
) -> None:
    dean = faculty_token(api)
    pid = create(api, dean)["id"]
    content = make()
    package = ok(attach(api, dean, pid, kind, filename=filename, content=content),
                 "attachDocument")
    (document,) = package["documents"]
    assert document["mediaType"] == media_type
    assert document["sha256"] == hashlib.sha256(content).hexdigest()
    assert document["size"] == len(content) and document["version"] == 1
    assert document["filename"] == filename.rsplit("/", 1)[-1]
    assert document["downloadUrl"] == (
        f"https://registry.example.kz/documents/{document['sha256']}")


def test_the_same_file_in_two_packages_is_stored_once(api: Api) -> None:
    dean = faculty_token(api)
    one, two = create(api, dean)["id"], create(api, dean, title="EMBA")["id"]
    content = filesamples.pdf("shared")
    ok(attach(api, dean, one, "TIMETABLE", content=content), "attachDocument")
    ok(attach(api, dean, two, "TIMETABLE", content=content), "attachDocument")
    store = api.container.documents
    sha = hashlib.sha256(content).hexdigest()
    info = store.info(sha)
    assert info is not None and info.size == len(content)
    assert b"".join(store.chunks(sha)) == content


def test_events_carry_the_metadata_not_the_bytes(api: Api) -> None:
    dean = faculty_token(api)
    pid = create(api, dean)["id"]
    content = filesamples.pdf("secret cost figures")
    ok(attach(api, dean, pid, "COST_ESTIMATE", content=content, filename="смета.pdf"),
       "attachDocument")
    notifications = api.container.app.recorder.select_notifications(start=1, limit=100_000)
    stored = next(n for n in notifications if n.topic.endswith("DocumentAttached"))
    assert b"secret cost figures" not in stored.state
    event = api.container.app.mapper.to_domain_event(stored)
    assert (event.kind, event.filename, event.size, event.version, event.media_type) == (
        "COST_ESTIMATE", "смета.pdf", len(content), 1, "application/pdf")
    assert event.sha256 == hashlib.sha256(content).hexdigest()
    assert event.meta["actor_role"] == "faculty"


@pytest.fixture
def small_api(tmp_path: Path, clock: FixedClock) -> Iterator[Api]:
    settings = Settings(data_dir=tmp_path / "small", public_url="https://registry.example.kz",
                        max_upload_bytes=len(filesamples.pdf()))
    with make_client(settings, clock) as client:
        yield Api(client)


def test_the_size_limit_admits_the_limit_and_refuses_a_byte_more(small_api: Api) -> None:
    api = small_api
    dean = faculty_token(api)
    pid = create(api, dean)["id"]
    at_limit = filesamples.pdf()
    assert ok(attach(api, dean, pid, "TIMETABLE", content=at_limit),
              "attachDocument")["documents"][0]["size"] == len(at_limit)
    before = api.event_count()
    error = refused(attach(api, dean, pid, "TIMETABLE", content=at_limit + b"\n"))
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert f"({len(at_limit)} bytes)" in error["message"]
    assert api.event_count() == before


def test_a_document_at_the_default_limit_passes_the_request_size_limit(api: Api) -> None:
    dean = faculty_token(api)
    pid = create(api, dean)["id"]
    limit = api.container.settings.max_upload_bytes
    assert limit == 20 * 1024 * 1024
    head = filesamples.pdf()
    content = head + b"%" * (limit - len(head))
    package = ok(attach(api, dean, pid, "CURRICULUM", content=content), "attachDocument")
    assert package["documents"][0]["size"] == limit
    sha = package["documents"][0]["sha256"]
    response = api.client.get(f"/documents/{sha}", headers={"Authorization": f"Bearer {dean}"})
    assert response.status_code == 200 and len(response.content) == limit
    assert hashlib.sha256(response.content).hexdigest() == sha


# -- downloads --------------------------------------------------------------------------------


def test_downloads_by_hash_for_the_roles_that_may_see_the_package(api: Api) -> None:
    dean = faculty_token(api)
    content = filesamples.docx()
    pid = create(api, dean)["id"]
    sha = ok(attach(api, dean, pid, "CURRICULUM", filename="Оқу жоспары.docx", content=content),
             "attachDocument")["documents"][0]["sha256"]

    def get(token: str | None, sha256: str = sha, **headers: str) -> Any:
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return api.client.get(f"/documents/{sha256}", headers=headers)

    for token in (dean, api.token("inet"), api.token("auditor"), api.token("admin"),
                  faculty_token(api, " higher school of economics AND business ", "colleague")):
        response = get(token)
        assert response.status_code == 200, response.text
        assert response.content == content
    response = get(dean)
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert response.headers["etag"] == f'"{sha}"'
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "filename*=UTF-8''%D0%9E%D2%9B%D1%83%20" in response.headers["content-disposition"]
    assert get(dean, **{"If-None-Match": f'"{sha}"'}).status_code == 304

    assert get(None).status_code == 401
    assert get("det_not-a-token").status_code == 401
    assert get(faculty_token(api, OTHER_FACULTY, "philology")).status_code == 403
    assert get(faculty_token(api, None, "unscoped")).status_code == 403
    for role in ("teacher", "committee", "dean"):
        assert get(api.token(role)).status_code == 403, role
    assert get(dean, "0" * 64).status_code == 404
    assert get(dean, "not-a-hash").status_code == 404


# -- deadlines and the clock -------------------------------------------------------------------


def test_submitting_on_the_last_day_in_almaty_time(api: Api, clock: FixedClock) -> None:
    dean = faculty_token(api)
    pid = create(api, dean, start="2026-07-16")["id"]  # last day 2026-06-16
    complete(api, dean, pid)
    clock.set(datetime(2026, 6, 16, 18, 59, tzinfo=UTC))  # 23:59 in Almaty
    assert ok(api(SUBMIT, {"id": pid}, token=dean), "submitProgram")["status"] == "SUBMITTED"

    late = create(api, dean, start="2026-07-16")["id"]
    complete(api, dean, late)
    clock.set(datetime(2026, 6, 16, 19, 0, tzinfo=UTC))  # 00:00 on the 17th, Almaty
    before = api.event_count()
    error = refused(api(SUBMIT, {"id": late}, token=dean))
    assert error["extensions"]["code"] == "SUBMISSION_TOO_LATE"
    assert "2026-06-16" in error["message"]
    assert error["extensions"]["details"]["lastSubmissionDay"] == "2026-06-16"
    assert api.event_count() == before


def test_a_returned_package_cannot_be_resubmitted_once_too_late(api: Api,
                                                                clock: FixedClock) -> None:
    dean, inet = faculty_token(api), api.token("inet")
    pid = create(api, dean, start="2026-08-01")["id"]
    complete(api, dean, pid)
    ok(api(SUBMIT, {"id": pid}, token=dean), "submitProgram")
    ok(api(RETURN, {"input": {"id": pid, "reason": "Wrong estimate"}}, token=inet),
       "returnProgram")
    clock.set(datetime(2026, 7, 2, 6, 0, tzinfo=UTC))
    ok(attach(api, dean, pid, "COST_ESTIMATE", content=filesamples.ods()), "attachDocument")
    error = refused(api(SUBMIT, {"id": pid}, token=dean))
    assert error["extensions"]["code"] == "SUBMISSION_TOO_LATE"


# -- refusals ---------------------------------------------------------------------------------


@dataclass
class Packages:
    tokens: dict[str, str]
    draft: str
    submitted: str
    accepted: str
    late: str


@pytest.fixture
def packages(api: Api) -> Packages:
    dean = faculty_token(api)
    tokens = {role: api.token(role) for role in ("admin", "inet", "auditor", "teacher", "dean",
                                                 "committee")}
    tokens["faculty"] = dean
    tokens["other faculty"] = faculty_token(api, OTHER_FACULTY, "philology")
    tokens["unscoped faculty"] = faculty_token(api, None, "unscoped")
    draft = create(api, dean)["id"]
    submitted, accepted = create(api, dean)["id"], create(api, dean)["id"]
    for pid in (submitted, accepted):
        complete(api, dean, pid)
        ok(api(SUBMIT, {"id": pid}, token=dean), "submitProgram")
    ok(api(ACCEPT, {"id": accepted}, token=tokens["inet"]), "acceptProgram")
    late = create(api, dean, start="2026-07-01")["id"]  # last day 2026-06-01, and empty
    return Packages(tokens, draft, submitted, accepted, late)


UNKNOWN = "00000000-0000-0000-0000-000000000007"


def new_package(**overrides: Any) -> Callable[[Packages], dict[str, Any]]:
    values = {"title": "DBA", "type": "DBA", "faculty": FACULTY, "startDate": "2027-03-31",
              "disciplines": ["Research methods"]}
    values.update(overrides)
    return lambda p: {"input": values}


@dataclass
class Case:
    name: str
    code: str
    query: str
    variables: Callable[[Packages], dict[str, Any]]
    role: str | None = "faculty"


CASES = [
    Case("no token", "UNAUTHENTICATED", CREATE, new_package(), role=None),
    Case("inet cannot create", "FORBIDDEN", CREATE, new_package(), role="inet"),
    Case("teacher cannot create", "FORBIDDEN", CREATE, new_package(), role="teacher"),
    Case("another faculty's package", "FORBIDDEN", CREATE,
         new_package(faculty=OTHER_FACULTY)),
    Case("unscoped faculty token", "FORBIDDEN", CREATE, new_package(), role="unscoped faculty"),
    Case("other faculty submits", "FORBIDDEN", SUBMIT, lambda p: {"id": p.draft},
         role="other faculty"),
    Case("faculty cannot accept", "FORBIDDEN", ACCEPT, lambda p: {"id": p.submitted}),
    Case("dean cannot return", "FORBIDDEN", RETURN,
         lambda p: {"input": {"id": p.submitted, "reason": "x"}}, role="dean"),
    Case("auditor cannot submit", "FORBIDDEN", SUBMIT, lambda p: {"id": p.draft},
         role="auditor"),
    Case("empty title", "INVALID_INPUT", CREATE, new_package(title="  ")),
    Case("no disciplines", "INVALID_INPUT", CREATE, new_package(disciplines=[])),
    Case("a discipline twice", "INVALID_INPUT", CREATE,
         new_package(disciplines=["Law", "LAW"])),
    Case("unknown programme type", "INVALID_INPUT", CREATE, new_package(type="BACHELOR")),
    Case("impossible start date", "INVALID_INPUT", CREATE, new_package(startDate="2027-02-30")),
    Case("malformed id", "INVALID_INPUT", SUBMIT, lambda p: {"id": "nope"}),
    Case("empty return reason", "INVALID_INPUT", RETURN,
         lambda p: {"input": {"id": p.submitted, "reason": " "}}, role="inet"),
    Case("unknown package submitted", "NOT_FOUND", SUBMIT, lambda p: {"id": UNKNOWN}),
    Case("unknown package accepted", "NOT_FOUND", ACCEPT, lambda p: {"id": UNKNOWN},
         role="inet"),
    Case("unknown package returned", "NOT_FOUND", RETURN,
         lambda p: {"input": {"id": UNKNOWN, "reason": "x"}}, role="inet"),
    Case("accept a draft", "INVALID_TRANSITION", ACCEPT, lambda p: {"id": p.draft},
         role="inet"),
    Case("return a draft", "INVALID_TRANSITION", RETURN,
         lambda p: {"input": {"id": p.draft, "reason": "x"}}, role="inet"),
    Case("accept twice", "INVALID_TRANSITION", ACCEPT, lambda p: {"id": p.accepted},
         role="inet"),
    Case("submit twice", "INVALID_TRANSITION", SUBMIT, lambda p: {"id": p.submitted}),
    Case("submit an accepted package", "INVALID_TRANSITION", SUBMIT,
         lambda p: {"id": p.accepted}),
    Case("incomplete", "SUBMISSION_INCOMPLETE", SUBMIT, lambda p: {"id": p.draft}),
    Case("too late (and incomplete)", "SUBMISSION_TOO_LATE", SUBMIT, lambda p: {"id": p.late}),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_refusal_has_its_code_and_stores_nothing(api: Api, packages: Packages,
                                                       case: Case) -> None:
    token = packages.tokens[case.role] if case.role else None
    before = api.event_count()
    error = refused(api(case.query, case.variables(packages), token=token))
    assert error["extensions"]["code"] == case.code, error
    assert error["message"]
    assert api.event_count() == before


@dataclass
class UploadCase:
    name: str
    code: str
    filename: str
    content: bytes
    fields: dict[str, Any]
    role: str = "faculty"
    package: str = "draft"


UPLOADS = [
    UploadCase("an exe renamed .pdf", "INVALID_INPUT", "order.pdf", filesamples.exe(),
               {"kind": "VICE_RECTOR_ORDER"}),
    UploadCase("a zip that is not OOXML", "INVALID_INPUT", "plan.docx", filesamples.plain_zip(),
               {"kind": "CURRICULUM"}),
    UploadCase("a text file named .docx", "INVALID_INPUT", "plan.docx", filesamples.text(),
               {"kind": "CURRICULUM"}),
    UploadCase("a macro-enabled document", "INVALID_INPUT", "plan.docx",
               filesamples.macro_docm(), {"kind": "CURRICULUM"}),
    UploadCase("an empty file", "INVALID_INPUT", "plan.pdf", b"", {"kind": "CURRICULUM"}),
    UploadCase("a syllabus without its discipline", "INVALID_INPUT", "s.docx",
               filesamples.docx(), {"kind": "SYLLABUS"}),
    UploadCase("a syllabus of an unlisted discipline", "INVALID_INPUT", "s.docx",
               filesamples.docx(), {"kind": "SYLLABUS", "discipline": "Chemistry"}),
    UploadCase("a registration number on a curriculum", "INVALID_INPUT", "c.pdf",
               filesamples.pdf(), {"kind": "CURRICULUM", "registrationNumber": "DIR-1"}),
    UploadCase("an unknown kind", "INVALID_INPUT", "c.pdf", filesamples.pdf(),
               {"kind": "BUDGET"}),
    UploadCase("a malformed package id", "INVALID_INPUT", "c.pdf", filesamples.pdf(),
               {"kind": "CURRICULUM"}, package="nope"),
    UploadCase("no token", "UNAUTHENTICATED", "c.pdf", filesamples.pdf(),
               {"kind": "CURRICULUM"}, role=""),
    UploadCase("inet cannot attach", "FORBIDDEN", "c.pdf", filesamples.pdf(),
               {"kind": "CURRICULUM"}, role="inet"),
    UploadCase("another faculty's package", "FORBIDDEN", "c.pdf", filesamples.pdf(),
               {"kind": "CURRICULUM"}, role="other faculty"),
    UploadCase("an unknown package", "NOT_FOUND", "c.pdf", filesamples.pdf(),
               {"kind": "CURRICULUM"}, package=UNKNOWN),
    UploadCase("a submitted package", "INVALID_TRANSITION", "c.pdf", filesamples.pdf(),
               {"kind": "CURRICULUM"}, package="submitted"),
    UploadCase("an accepted package", "INVALID_TRANSITION", "c.pdf", filesamples.pdf(),
               {"kind": "CURRICULUM"}, package="accepted"),
]


@pytest.mark.parametrize("case", UPLOADS, ids=[c.name for c in UPLOADS])
def test_every_refused_upload_has_its_code_and_stores_nothing(
    api: Api, packages: Packages, case: UploadCase
) -> None:
    package = getattr(packages, case.package, case.package)
    token = packages.tokens[case.role] if case.role else None
    before = api.event_count()
    body = upload(api, {"input": {"submissionId": package, **case.fields}}, case.filename,
                  case.content, token=token)
    error = refused(body)
    assert error["extensions"]["code"] == case.code, error
    assert api.event_count() == before
    if case.content:
        sha = hashlib.sha256(case.content).hexdigest()
        if case.code != "INVALID_TRANSITION" or sha not in _stored(api):
            assert api.container.documents.info(sha) is None or sha in _stored(api)


def _stored(api: Api) -> set[str]:
    """The hashes the events name (files that were accepted before)."""
    rows = api.container.service.find("program_documents", limit=10_000)
    return {r["sha256"] for r in rows}


def test_a_refused_upload_leaves_no_file_behind(api: Api, packages: Packages) -> None:
    content = filesamples.pdf("never stored")
    body = upload(api, {"input": {"submissionId": packages.submitted, "kind": "CURRICULUM"}},
                  "c.pdf", content, token=packages.tokens["faculty"])
    assert refused(body)["extensions"]["code"] == "INVALID_TRANSITION"
    assert api.container.documents.info(hashlib.sha256(content).hexdigest()) is None


# -- reads and lists --------------------------------------------------------------------------


def test_reading_a_package(api: Api, packages: Packages) -> None:
    for role in ("faculty", "inet", "auditor", "admin"):
        package = ok(api(PACKAGE, {"id": packages.draft}, token=packages.tokens[role]),
                     "programSubmission")
        assert package["id"] == packages.draft
    assert ok(api(PACKAGE, {"id": UNKNOWN}, token=packages.tokens["inet"]),
              "programSubmission") is None
    for role, code in (("other faculty", "FORBIDDEN"), ("teacher", "FORBIDDEN")):
        body = api(PACKAGE, {"id": packages.draft}, token=packages.tokens[role])
        assert body["errors"][0]["extensions"]["code"] == code
    body = api(PACKAGE, {"id": packages.draft})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_lists_by_faculty_status_and_start(api: Api, packages: Packages) -> None:
    inet, dean = packages.tokens["inet"], packages.tokens["faculty"]
    philology = packages.tokens["other faculty"]
    own = create(api, philology, faculty=OTHER_FACULTY, start="2027-01-10")["id"]

    everything = ok(api(PACKAGES, {}, token=inet), "programSubmissions")
    assert everything["totalCount"] == 5
    starts = [n["startDate"] for n in everything["nodes"]]
    assert starts == sorted(starts) and starts[0] == "2026-07-01"

    mine = ok(api(PACKAGES, {}, token=philology), "programSubmissions")
    assert [n["id"] for n in mine["nodes"]] == [own]
    body = api(PACKAGES, {"faculty": FACULTY}, token=philology)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    by_faculty = ok(api(PACKAGES, {"faculty": "higher school of economics and business"},
                        token=inet), "programSubmissions")
    assert by_faculty["totalCount"] == 4
    submitted = ok(api(PACKAGES, {"status": "SUBMITTED"}, token=dean), "programSubmissions")
    assert [n["id"] for n in submitted["nodes"]] == [packages.submitted]
    in_january = ok(api(PACKAGES, {"startMonth": "2027-01"}, token=inet), "programSubmissions")
    assert [n["id"] for n in in_january["nodes"]] == [own]
    on_day = ok(api(PACKAGES, {"startDate": "2026-07-01"}, token=inet), "programSubmissions")
    assert [n["id"] for n in on_day["nodes"]] == [packages.late]

    page = ok(api(PACKAGES, {"first": 2}, token=inet), "programSubmissions")
    assert page["pageInfo"]["hasNextPage"] and len(page["nodes"]) == 2
    rest = ok(api(PACKAGES, {"first": 10, "after": page["pageInfo"]["endCursor"]},
                  token=inet), "programSubmissions")
    assert len(rest["nodes"]) == 3
    awaiting = ok(api(AWAITING, token=inet), "programSubmissionsAwaitingInet")
    assert [n["id"] for n in awaiting["nodes"]] == [packages.submitted]


# -- teaching materials (R4) -------------------------------------------------------------------

RECORD = """mutation($input: RecordTeachingMaterialsInput!) { recordTeachingMaterials(input: $input) {
  disciplineCode title moodleCourseUrl syllabusComplexUploaded derUploaded complete missing
  updatedOn } }"""
INCOMPLETE = """query { incompleteTeachingMaterials { totalCount nodes { disciplineCode missing } } }"""
MATERIALS = """query($code: String!) { teachingMaterials(disciplineCode: $code) {
  disciplineCode complete } }"""


def test_teachers_record_materials_and_inet_sees_what_is_incomplete(api: Api) -> None:
    inet = api.token("inet")
    ok(api(RECORD, {"input": {"disciplineCode": "ECON-501", "title": "Корпоративтік қаржы"}},
           token=inet), "recordTeachingMaterials")
    ok(api(RECORD, {"input": {"disciplineCode": "LAW-210"}}, token=inet),
       "recordTeachingMaterials")  # a teacher token names disciplines the registry knows
    teacher = api.token("teacher", "Prof. Ахметова", courses=["LAW-210", "ECON-501"])
    done = ok(api(RECORD, {"input": {
        "disciplineCode": "LAW-210", "moodleCourseUrl": "https://dl.kaznu.kz/course/view.php?id=9",
        "syllabusComplexUploaded": True, "derUploaded": True}}, token=teacher),
        "recordTeachingMaterials")
    assert done["complete"] and done["missing"] == [] and done["updatedOn"] == "2026-06-15"
    partial = ok(api(RECORD, {"input": {
        "disciplineCode": "ECON-501", "moodleCourseUrl": "https://dl.kaznu.kz/course/view.php?id=7",
        "syllabusComplexUploaded": True}}, token=teacher), "recordTeachingMaterials")
    assert partial["title"] == "Корпоративтік қаржы" and partial["missing"] == ["DER"]

    incomplete = ok(api(INCOMPLETE, token=api.token("dean")), "incompleteTeachingMaterials")
    assert incomplete == {"totalCount": 1,
                          "nodes": [{"disciplineCode": "ECON-501", "missing": ["DER"]}]}
    ok(api(RECORD, {"input": {"disciplineCode": "ECON-501", "derUploaded": True}},
           token=teacher), "recordTeachingMaterials")
    assert ok(api(INCOMPLETE, token=inet), "incompleteTeachingMaterials")["totalCount"] == 0
    assert ok(api(MATERIALS, {"code": "ECON-501"}, token=api.token("auditor")),
              "teachingMaterials") == {"disciplineCode": "ECON-501", "complete": True}
    assert ok(api(MATERIALS, {"code": "NONE-1"}, token=inet), "teachingMaterials") is None

    faculty, auditor = faculty_token(api), api.token("auditor")
    before = api.event_count()
    for token, variables, code in (
        (None, {"disciplineCode": "X-1"}, "UNAUTHENTICATED"),
        (faculty, {"disciplineCode": "X-1"}, "FORBIDDEN"),
        (teacher, {"disciplineCode": "X-1"}, "FORBIDDEN"),  # not one of its disciplines
        (auditor, {"disciplineCode": "X-1"}, "FORBIDDEN"),
        (teacher, {"disciplineCode": "X 1"}, "INVALID_INPUT"),
        (teacher, {"disciplineCode": "X-1", "moodleCourseUrl": "dl.kaznu.kz"}, "INVALID_INPUT"),
    ):
        error = refused(api(RECORD, {"input": variables}, token=token))
        assert error["extensions"]["code"] == code, (variables, error)
    assert api.event_count() == before
    body = api(INCOMPLETE, token=faculty_token(api, name="another"))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# -- the README's multipart example ------------------------------------------------------------


def test_the_readme_curl_upload_works_as_written(api: Api) -> None:
    import json
    import re

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    operations = re.search(r"-F operations='(.*?)' \\\n", readme)
    mapping = re.search(r"-F map='(.*?)' \\\n", readme)
    part = re.search(r"-F (\w+)=@(\S+)\n", readme)
    assert operations and mapping and part
    dean = faculty_token(api)
    pid = create(api, dean)["id"]
    response = api.client.post(
        "/graphql",
        data={"operations": operations.group(1).replace("<package id>", pid),
              "map": mapping.group(1)},
        files={part.group(1): (part.group(2), filesamples.pdf(), "application/pdf")},
        headers={"Authorization": f"Bearer {dean}"},
    )
    body = response.json()
    assert "errors" not in body, body
    assert "VICE_RECTOR_ORDER" not in body["data"]["attachDocument"]["missing"]
    assert "VICE_RECTOR_ORDER_REGISTRATION" not in body["data"]["attachDocument"]["missing"]
    assert json.loads(mapping.group(1)) == {"0": ["variables.input.file"]}


def test_a_file_variable_that_is_not_a_file_part_is_invalid_input(api: Api,
                                                                   packages: Packages) -> None:
    before = api.event_count()
    body = api("""mutation($input: AttachDocumentInput!) { attachDocument(input: $input) { id } }""",
               {"input": {"submissionId": packages.draft, "kind": "CURRICULUM",
                          "file": "JVBERi0xLjQK"}}, token=packages.tokens["faculty"])
    assert refused(body)["extensions"]["code"] == "INVALID_INPUT"
    assert api.event_count() == before


def test_staff_read_the_packages_event_history(api: Api, packages: Packages) -> None:
    query = """query($id: ID!) { programSubmission(id: $id) {
      history { type actor { role } data } } }"""
    history = ok(api(query, {"id": packages.accepted}, token=packages.tokens["inet"]),
                 "programSubmission")["history"]
    types = [entry["type"] for entry in history]
    assert types[0] == "Created" and types[-2:] == ["Submitted", "Accepted"]
    attached = [entry for entry in history if entry["type"] == "DocumentAttached"]
    assert len(attached) == 8 and {e["actor"]["role"] for e in attached} == {"faculty"}
    assert {"sha256", "filename", "size", "version", "media_type"} <= set(attached[0]["data"])
