"""Every refusal of the spine: its stable code, a message a person can act on, ``data: null``,
HTTP 200 — and not one event stored."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from apiclient import Api
from operations import (
    APPROBATION,
    DRAFT,
    ENROLL,
    EXAM,
    ISSUE,
    LEARNER,
    PUBLISH,
    REGISTER,
    REVIEW,
    REVOKE,
    SCORE,
    SUBMIT,
)
from test_spine import enroll_scored, ok, walk_to_published

REISSUE = """mutation($input: ReissueCertificateInput!) { reissueCertificate(input: $input) {
  number } }"""
REGISTER_PLATFORM = """mutation($input: RegisterPlatformInput!) { registerPlatform(input: $input) {
  code approved } }"""
APPROVE_PLATFORM = """mutation($input: ApprovePlatformInput!) { approvePlatform(input: $input) {
  code approved } }"""


@dataclass
class World:
    """One registry with something in every state the refusals need."""

    tokens: dict[str, str]
    published: str = "PUB-1"
    draft: str = "DRAFT-1"
    in_review: str = "REVIEW-1"
    below_admission: str = ""  # enrollment with 149 points
    failed_exam: str = ""  # admitted, exam 40
    certified: str = ""  # passed, with an active certificate
    certificate: str = ""
    revoked: str = ""  # a revoked certificate's number
    learner: str = ""
    iin: str = "900101300007"


@pytest.fixture
def world(api: Api) -> World:
    roles = ["admin", "inet", "auditor", "teacher", "committee", "faculty", "dean"]
    w = World(tokens={role: api.token(role) for role in roles})
    admin = w.tokens["admin"]
    walk_to_published(api, admin, w.published)
    for code in (w.draft, w.in_review):
        ok(api(DRAFT, {"input": {"code": code, "title": {"en": code}, "language": "en",
                                 "credits": 3}}, token=admin), "draftMooc")
    ok(api(SUBMIT, {"code": w.in_review}, token=admin), "submitMoocForReview")
    w.below_admission = enroll_scored(api, admin, w.published, (49, 50, 50))["id"]
    w.failed_exam = enroll_scored(api, admin, w.published, (50, 50, 50), name="Бекзат")["id"]
    ok(api(EXAM, {"input": {"enrollmentId": w.failed_exam, "points": 40, "mode": "ON_CAMPUS"}},
           token=admin), "recordFinalExam")
    w.certified = enroll_scored(api, admin, w.published, (90, 90, 90), name="Дана")["id"]
    ok(api(EXAM, {"input": {"enrollmentId": w.certified, "points": 90, "mode": "ON_CAMPUS"}},
           token=admin), "recordFinalExam")
    w.certificate = ok(api(ISSUE, {"input": {"enrollmentId": w.certified}}, token=admin),
                       "issueCertificate")["number"]
    other = enroll_scored(api, admin, w.published, (90, 90, 90), name="Ерлан")["id"]
    ok(api(EXAM, {"input": {"enrollmentId": other, "points": 90, "mode": "ON_CAMPUS"}},
           token=admin), "recordFinalExam")
    w.revoked = ok(api(ISSUE, {"input": {"enrollmentId": other}}, token=admin),
                   "issueCertificate")["number"]
    ok(api(REVOKE, {"input": {"number": w.revoked, "reason": "test"}}, token=admin),
       "revokeCertificate")
    w.learner = ok(api(REGISTER, {"input": {"fullName": "Жанар", "iin": w.iin}}, token=admin),
                   "registerLearner")["id"]
    return w


@dataclass
class Case:
    name: str
    code: str
    query: str
    variables: Callable[[World], dict[str, Any]]
    role: str | None = "admin"
    token: str | None = None  # overrides role: a literal bearer token


def score(w_field: str, points: Any, component: str = "RATING_1",
          reason: str | None = None) -> Callable[[World], dict[str, Any]]:
    return lambda w: {"input": {"enrollmentId": getattr(w, w_field), "component": component,
                                "points": points, "reason": reason}}


def draft(**overrides: Any) -> Callable[[World], dict[str, Any]]:
    values = {"code": "NEW-1", "title": {"kk": "Жаңа курс"}, "language": "kk", "credits": 5}
    values.update(overrides)
    return lambda w: {"input": values}


UNKNOWN = str(uuid.UUID(int=7))

CASES = [
    # authentication, then permission
    Case("no token", "UNAUTHENTICATED", DRAFT, draft(), role=None),
    Case("unknown token", "UNAUTHENTICATED", DRAFT, draft(), token="det_not-a-real-token"),
    Case("auditor cannot draft", "FORBIDDEN", DRAFT, draft(), role="auditor"),
    Case("committee cannot draft", "FORBIDDEN", DRAFT, draft(), role="committee"),
    Case("teacher cannot issue", "FORBIDDEN", ISSUE,
         lambda w: {"input": {"enrollmentId": w.certified}}, role="teacher"),
    Case("faculty cannot enrol", "FORBIDDEN", ENROLL,
         lambda w: {"input": {"learnerId": w.learner, "moocCode": w.published}}, role="faculty"),
    Case("dean cannot revoke", "FORBIDDEN", REVOKE,
         lambda w: {"input": {"number": w.certificate, "reason": "x"}}, role="dean"),
    # input
    Case("IIN with a wrong check digit", "INVALID_INPUT", REGISTER,
         lambda w: {"input": {"fullName": "Асан", "iin": "900101300008"}}),
    Case("IIN born in month 13", "INVALID_INPUT", REGISTER,
         lambda w: {"input": {"fullName": "Асан", "iin": "901301300007"}}),
    Case("IIN born on 30 February", "INVALID_INPUT", REGISTER,
         lambda w: {"input": {"fullName": "Асан", "iin": "900230400005"}}),
    Case("IIN with century digit 7", "INVALID_INPUT", REGISTER,
         lambda w: {"input": {"fullName": "Асан", "iin": "900101700002"}}),
    Case("IIN of 11 digits", "INVALID_INPUT", REGISTER,
         lambda w: {"input": {"fullName": "Асан", "iin": "90010130000"}}),
    Case("empty full name", "INVALID_INPUT", REGISTER, lambda w: {"input": {"fullName": "  "}}),
    Case("bad e-mail", "INVALID_INPUT", REGISTER,
         lambda w: {"input": {"fullName": "Асан", "email": "not-an-email"}}),
    Case("score over 100", "INVALID_INPUT", SCORE, score("below_admission", 101)),
    Case("negative score", "INVALID_INPUT", SCORE, score("below_admission", -1, "MIDTERM")),
    Case("score beyond Int", "INVALID_INPUT", SCORE, score("below_admission", 2**31)),
    Case("score not an integer", "INVALID_INPUT", SCORE, score("below_admission", 50.5)),
    Case("unknown component", "INVALID_INPUT", SCORE, score("below_admission", 5, "RATING_3")),
    Case("correction without reason", "INVALID_INPUT", SCORE, score("below_admission", 50)),
    Case("score dated tomorrow", "INVALID_INPUT", SCORE, lambda w: {"input": {
        "enrollmentId": w.below_admission, "component": "MIDTERM", "points": 50,
        "reason": "typo", "date": "2026-06-16"}}),
    Case("exam dated tomorrow", "INVALID_INPUT", EXAM, lambda w: {"input": {
        "enrollmentId": _admitted_without_exam(w), "points": 90, "mode": "ON_CAMPUS",
        "date": "2026-06-16"}}),
    Case("reissue to an empty name", "INVALID_INPUT", REISSUE, lambda w: {"input": {
        "number": w.certificate, "reason": "name typo", "fullName": ""}}),
    Case("exam over 100", "INVALID_INPUT", EXAM,
         lambda w: {"input": {"enrollmentId": w.certified, "points": 101, "mode": "ON_CAMPUS"}}),
    Case("title in no language", "INVALID_INPUT", DRAFT, draft(title={"kk": " "})),
    Case("language not ISO 639-1", "INVALID_INPUT", DRAFT, draft(language="KAZ")),
    Case("two letters that are no language", "INVALID_INPUT", DRAFT, draft(language="xx")),
    Case("zero credits", "INVALID_INPUT", DRAFT, draft(credits=0)),
    Case("impossible date", "INVALID_INPUT", APPROVE_PLATFORM,
         lambda w: {"input": {"code": "moocs.kz", "decisionNumber": "1",
                              "decidedOn": "2026-02-30"}}),
    Case("malformed enrollment id", "INVALID_INPUT", SCORE,
         lambda w: {"input": {"enrollmentId": "nope", "component": "MIDTERM", "points": 5}}),
    Case("malformed certificate number", "INVALID_INPUT", REVOKE,
         lambda w: {"input": {"number": "12345", "reason": "x"}}),
    # existence
    Case("unknown MOOC", "NOT_FOUND", SUBMIT, lambda w: {"code": "NO-SUCH"}),
    Case("unknown learner", "NOT_FOUND", ENROLL,
         lambda w: {"input": {"learnerId": UNKNOWN, "moocCode": w.published}}),
    Case("unknown enrollment", "NOT_FOUND", SCORE,
         lambda w: {"input": {"enrollmentId": UNKNOWN, "component": "MIDTERM", "points": 5}}),
    Case("unknown platform", "NOT_FOUND", PUBLISH,
         lambda w: {"input": {"code": w.in_review, "platformCode": "nowhere.kz"}}),
    Case("unknown certificate", "NOT_FOUND", REVOKE,
         lambda w: {"input": {"number": "00000000000000000", "reason": "x"}}),
    # duplicates
    Case("duplicate MOOC code", "ALREADY_EXISTS", DRAFT, lambda w: {"input": {
        "code": w.published, "title": {"en": "x"}, "language": "en", "credits": 1}}),
    Case("MOOC code differing only in case", "ALREADY_EXISTS", DRAFT, lambda w: {"input": {
        "code": w.published.lower(), "title": {"en": "x"}, "language": "en", "credits": 1}}),
    Case("duplicate IIN", "ALREADY_EXISTS", REGISTER,
         lambda w: {"input": {"fullName": "Other", "iin": w.iin}}),
    Case("duplicate enrollment", "ALREADY_EXISTS", ENROLL, lambda w: {"input": {
        "learnerId": _learner_of(w), "moocCode": w.published}}),
    Case("second exam", "ALREADY_EXISTS", EXAM,
         lambda w: {"input": {"enrollmentId": w.certified, "points": 99, "mode": "ON_CAMPUS"}}),
    Case("second active certificate", "ALREADY_EXISTS", ISSUE,
         lambda w: {"input": {"enrollmentId": w.certified}}),
    # state
    Case("submit twice", "INVALID_TRANSITION", SUBMIT, lambda w: {"code": w.in_review}),
    Case("review a draft", "INVALID_TRANSITION", REVIEW, lambda w: {"input": {
        "code": w.draft, "passed": True, "reviewer": "x"}}),
    Case("approbation before review", "INVALID_TRANSITION", APPROBATION,
         lambda w: {"input": {"code": w.in_review, "passed": True}}),
    Case("publish before approval", "INVALID_TRANSITION", PUBLISH,
         lambda w: {"input": {"code": w.in_review, "platformCode": "moocs.kz"}}),
    Case("enrol in a draft", "INVALID_TRANSITION", ENROLL,
         lambda w: {"input": {"learnerId": w.learner, "moocCode": w.draft}}),
    Case("score after the exam", "INVALID_TRANSITION", SCORE,
         score("failed_exam", 60, reason="late correction")),
    Case("revoke twice", "INVALID_TRANSITION", REVOKE,
         lambda w: {"input": {"number": w.revoked, "reason": "again"}}),
    # rules
    Case("149 points is not admitted", "NOT_ADMITTED", EXAM,
         lambda w: {"input": {"enrollmentId": w.below_admission, "points": 90,
                              "mode": "ON_CAMPUS"}}),
    Case("no proctoring recorded", "PROCTORING_UNAVAILABLE", EXAM,
         lambda w: {"input": {"enrollmentId": _admitted_without_exam(w), "points": 90,
                              "mode": "ONLINE_PROCTORED"}}),
    Case("exam failed", "NOT_PASSED", ISSUE, lambda w: {"input": {"enrollmentId": w.failed_exam}}),
    Case("no exam yet", "NOT_PASSED", ISSUE,
         lambda w: {"input": {"enrollmentId": w.below_admission}}),
]

_extra: dict[str, str] = {}


def _learner_of(w: World) -> str:
    return _extra["learner_of_certified"]


def _admitted_without_exam(w: World) -> str:
    return _extra["admitted_without_exam"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_refusal(api: Api, world: World, case: Case) -> None:
    admin = world.tokens["admin"]
    enrollment = api(
        """query($id: ID!) { enrollment(id: $id) { learner { id } } }""",
        {"id": world.certified}, token=admin)
    _extra["learner_of_certified"] = enrollment["data"]["enrollment"]["learner"]["id"]
    _extra["admitted_without_exam"] = enroll_scored(api, admin, world.published, (60, 60, 60),
                                                    name="Сәуле")["id"]
    token = case.token or (world.tokens[case.role] if case.role else None)
    before = api.event_count()

    body = api(case.query, case.variables(world), token=token)

    assert body.get("data") is None, body
    error = body["errors"][0]
    assert error["extensions"]["code"] == case.code, error
    assert len(error["message"]) > 15 and "Traceback" not in error["message"]
    assert api.event_count() == before


def test_refusals_are_in_the_documented_order(api: Api, world: World) -> None:
    """Authentication, permission, input, existence, state, rules (SPEC §3)."""
    bad_and_unknown = {"input": {"enrollmentId": UNKNOWN, "component": "MIDTERM", "points": 500}}
    assert _code(api(SCORE, bad_and_unknown)) == "UNAUTHENTICATED"
    assert _code(api(SCORE, bad_and_unknown, token=world.tokens["auditor"])) == "FORBIDDEN"
    assert _code(api(SCORE, bad_and_unknown, token=world.tokens["teacher"])) == "INVALID_INPUT"


def test_a_learner_reads_only_their_own_record(api: Api, world: World) -> None:
    admin = world.tokens["admin"]
    mine = ok(api(REGISTER, {"input": {"fullName": "Мен"}}, token=admin), "registerLearner")
    token = api.token("learner", "Мен", learner=mine["id"])
    assert ok(api(LEARNER, {"id": mine["id"]}, token=token), "learner")["fullName"] == "Мен"
    assert _code(api(LEARNER, {"id": world.learner}, token=token)) == "FORBIDDEN"
    assert _code(api(LEARNER, {"id": world.learner})) == "UNAUTHENTICATED"


def test_external_platform_needs_the_committees_approval(api: Api, world: World) -> None:
    admin, committee = world.tokens["admin"], world.tokens["committee"]
    ok(api(DRAFT, {"input": {"code": "EXT-1", "title": {"en": "x"}, "language": "en",
                             "credits": 2}}, token=admin), "draftMooc")
    ok(api(SUBMIT, {"code": "EXT-1"}, token=admin), "submitMoocForReview")
    ok(api(REVIEW, {"input": {"code": "EXT-1", "passed": True, "reviewer": "x"}}, token=admin),
       "recordExpertReview")
    ok(api(APPROBATION, {"input": {"code": "EXT-1", "passed": True}}, token=admin),
       "recordApprobation")
    platform = {"code": "coursera.org", "name": "Coursera", "url": "https://coursera.org",
                "kind": "MOOC_PLATFORM", "ownership": "EXTERNAL"}
    assert ok(api(REGISTER_PLATFORM, {"input": platform}, token=world.tokens["inet"]),
              "registerPlatform") == {"code": "coursera.org", "approved": False}
    before = api.event_count()
    refused = api(PUBLISH, {"input": {"code": "EXT-1", "platformCode": "coursera.org"}},
                  token=admin)
    assert _code(refused) == "PLATFORM_NOT_APPROVED"
    assert "Academic Committee" in refused["errors"][0]["message"]
    assert api.event_count() == before
    approval = {"code": "coursera.org", "decisionNumber": "AC-2026/14", "decidedOn": "2026-05-20"}
    assert ok(api(APPROVE_PLATFORM, {"input": approval}, token=committee),
              "approvePlatform")["approved"] is True
    assert ok(api(PUBLISH, {"input": {"code": "EXT-1", "platformCode": "coursera.org"}},
                  token=admin), "publishMooc")["status"] == "PUBLISHED"


def _code(body: dict[str, Any]) -> str:
    """The refusal's code; a refused field answers null (the whole ``data`` for a mutation)."""
    assert not any((body.get("data") or {}).values()), body
    return str(body["errors"][0]["extensions"]["code"])
