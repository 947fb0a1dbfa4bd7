"""Programme packages over HTTP: the operations and a GraphQL multipart request
(https://github.com/jaydenseric/graphql-multipart-request-spec: ``operations``, ``map``,
then the file parts)."""

from __future__ import annotations

import json
from typing import Any

import filesamples
from apiclient import Api
from support import ADMIN

from registry.domain.access import Role

FACULTY = "Higher School of Economics and Business"
OTHER_FACULTY = "Faculty of Philology"
DISCIPLINES = ["Корпоративтік қаржы", "Strategic Management"]

DOC_FIELDS = """kind discipline filename sha256 size version mediaType hasDistanceLearningPart
                registrationNumber uploadedOn downloadUrl"""
PACKAGE_FIELDS = f"""id title type faculty startDate disciplines status lastSubmissionDay
  missing returnReason documents {{ {DOC_FIELDS} }} versions {{ {DOC_FIELDS} }}
  steps {{ status on reason }}"""

CREATE = f"""mutation($input: CreateProgramSubmissionInput!) {{
  createProgramSubmission(input: $input) {{ {PACKAGE_FIELDS} }} }}"""
ATTACH = f"""mutation($input: AttachDocumentInput!) {{
  attachDocument(input: $input) {{ {PACKAGE_FIELDS} }} }}"""
SUBMIT = f"""mutation($id: ID!) {{ submitProgram(id: $id) {{ {PACKAGE_FIELDS} }} }}"""
ACCEPT = f"""mutation($id: ID!) {{ acceptProgram(id: $id) {{ {PACKAGE_FIELDS} }} }}"""
RETURN = f"""mutation($input: ReturnProgramInput!) {{
  returnProgram(input: $input) {{ {PACKAGE_FIELDS} }} }}"""
PACKAGE = f"""query($id: ID!) {{ programSubmission(id: $id) {{ {PACKAGE_FIELDS} }} }}"""
PACKAGES = """query($faculty: String, $status: SubmissionStatus, $startMonth: String,
                    $startDate: Date, $first: Int, $after: String) {
  programSubmissions(faculty: $faculty, status: $status, startMonth: $startMonth,
                     startDate: $startDate, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id title faculty status startDate } } }"""
AWAITING = """query { programSubmissionsAwaitingInet { totalCount nodes { id status } } }"""

SAMPLES = {
    "VICE_RECTOR_ORDER": ("Бұйрық №12-ө.pdf", filesamples.pdf("Order")),
    "ACADEMIC_CALENDAR": ("calendar.xlsx", filesamples.xlsx()),
    "CURRICULUM": ("Оқу жоспары.docx", filesamples.docx()),
    "COST_ESTIMATE": ("smeta.ods", filesamples.ods()),
    "PROGRAMME_PASSPORT": ("passport.odt", filesamples.odt()),
    "TIMETABLE": ("timetable.pdf", filesamples.pdf("Timetable")),
}


def faculty_token(api: Api, faculty: str | None = FACULTY, name: str = "Dean's office") -> str:
    secret: str = api.container.service.run(ADMIN, lambda cmd: cmd.tokens.create(
        name=name, role=Role.FACULTY, learner_id=None, faculty=faculty))
    return secret


def upload(api: Api, variables: dict[str, Any], filename: str, content: bytes, *,
           token: str | None, content_type: str = "application/octet-stream",
           query: str = ATTACH) -> dict[str, Any]:
    """One attachDocument over a multipart request; ``variables.input.file`` is the file."""
    variables = json.loads(json.dumps(variables))
    variables["input"]["file"] = None
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = api.client.post(
        "/graphql",
        data={"operations": json.dumps({"query": query, "variables": variables}),
              "map": json.dumps({"0": ["variables.input.file"]})},
        files={"0": (filename, content, content_type)},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ok(body: dict[str, Any], field: str) -> Any:
    assert "errors" not in body, body["errors"]
    return body["data"][field]


def refused(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("data") is None, body
    error: dict[str, Any] = body["errors"][0]
    return error


def create(api: Api, token: str, *, start: str = "2026-09-01", title: str = "Executive MBA",
           program_type: str = "MBA", faculty: str = FACULTY,
           disciplines: list[str] | None = None) -> dict[str, Any]:
    return ok(api(CREATE, {"input": {
        "title": title, "type": program_type, "faculty": faculty, "startDate": start,
        "disciplines": DISCIPLINES if disciplines is None else disciplines}}, token=token),
        "createProgramSubmission")


def attach(api: Api, token: str, package_id: str, kind: str, *, filename: str | None = None,
           content: bytes | None = None, **fields: Any) -> dict[str, Any]:
    default_name, default_content = SAMPLES.get(kind, ("syllabus.docx", filesamples.docx()))
    return upload(api, {"input": {"submissionId": package_id, "kind": kind, **fields}},
                  filename or default_name, default_content if content is None else content,
                  token=token)


def complete(api: Api, token: str, package_id: str) -> dict[str, Any]:
    """Every document, each syllabus with its distance-learning part, the order registered."""
    package: dict[str, Any] = {}
    for kind in SAMPLES:
        extra = {"registrationNumber": "DIR-2026/0412"} if kind == "VICE_RECTOR_ORDER" else {}
        package = ok(attach(api, token, package_id, kind, **extra), "attachDocument")
    for discipline in DISCIPLINES:
        package = ok(attach(api, token, package_id, "SYLLABUS", discipline=discipline,
                            hasDistanceLearningPart=True,
                            filename=f"Силлабус {discipline}.docx"), "attachDocument")
    return package
