"""Issue 3: the regulation's rules for platforms, MOOCs and DET learners, through GraphQL.

Every refusal is read with its code and message, and the event count must not move."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from apiclient import Api
from operations import APPROBATION, DRAFT, ENROLL, EXAM, PUBLISH, REGISTER, REVIEW, SCORE, SUBMIT
from test_spine import enroll_scored, ok, walk_to_published

from registry.clock import FixedClock

SUSPEND = """mutation($input: SuspendPlatformInput!) { suspendPlatform(input: $input) {
  code approved suspended suspensionReason } }"""
RESUME = "mutation($code: String!) { resumePlatform(code: $code) { code approved suspended } }"
USE = """mutation($input: UseTeachingPlatformInput!) { useTeachingPlatform(input: $input) {
  discipline platforms { platform { code } agreement { teacher group agreedOn } } } }"""
REGISTER_PLATFORM = """mutation($input: RegisterPlatformInput!) { registerPlatform(input: $input) {
  code approved } }"""
CLOSE = "mutation($code: String!) { closeMooc(code: $code) { code status } }"
PROCTORING = """mutation($input: SetOnlineProctoringInput!) { setOnlineProctoring(input: $input) }"""
PROCTORING_STATE = """{ onlineProctoring { available system changes { effectiveFrom available } } }"""
LEARNER_FIELDS = """id fullName identityVerification { method verifiedOn }
  businessTrip { start end } studiesRestoration { number issuedOn }
  tripAbroad { start end } returnOrder { number issuedOn }
  deanDirective { number disciplines } internshipAbroad { start end } studyWindow { start end }"""


def learner_mutation(name: str, input_type: str) -> str:
    return (f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {LEARNER_FIELDS} }} }}")


VERIFY_ID = learner_mutation("verifyLearnerIdentity", "VerifyLearnerIdentityInput")
TRIP = learner_mutation("recordBusinessTrip", "LearnerPeriodInput")
RESTORE = learner_mutation("restoreStudies", "RestoreStudiesInput")
ABROAD = learner_mutation("recordTripAbroad", "LearnerPeriodInput")
RETURN = learner_mutation("recordReturnOrder", "RecordReturnOrderInput")
DIRECTIVE = learner_mutation("recordDeanDirective", "RecordDeanDirectiveInput")
INTERNSHIP = learner_mutation("recordInternshipAbroad", "LearnerPeriodInput")


def refused(api: Api, code: str, query: str, variables: dict[str, Any], token: str) -> str:
    before = api.event_count()
    body = api(query, variables, token=token)
    assert not any((body.get("data") or {}).values()), body
    error = body["errors"][0]
    assert error["extensions"]["code"] == code, error
    assert api.event_count() == before
    return str(error["message"])


@pytest.fixture
def dean(api: Api) -> str:
    return api.token("dean", "Dean Сәрсенбаев")


# -- R1: platforms ------------------------------------------------------------------------

def test_a_suspended_platform_may_not_host_moocs_until_resumed(api: Api, admin: str) -> None:
    code = "SUS-1"
    ok(api(DRAFT, {"input": {"code": code, "title": {"en": "x"}, "language": "en",
                             "credits": 2}}, token=admin), "draftMooc")
    ok(api(SUBMIT, {"code": code}, token=admin), "submitMoocForReview")
    ok(api(REVIEW, {"input": {"code": code, "passed": True, "reviewer": "r"}}, token=admin),
       "recordExpertReview")
    ok(api(APPROBATION, {"input": {"code": code, "passed": True}}, token=admin),
       "recordApprobation")
    suspended = ok(api(SUSPEND, {"input": {"code": "moocs.kz", "reason": "Security audit"}},
                       token=admin), "suspendPlatform")
    assert suspended == {"code": "moocs.kz", "approved": False, "suspended": True,
                         "suspensionReason": "Security audit"}
    message = refused(api, "PLATFORM_NOT_APPROVED", PUBLISH,
                      {"input": {"code": code, "platformCode": "moocs.kz"}}, admin)
    assert "suspended" in message and "Security audit" in message
    refused(api, "INVALID_TRANSITION", SUSPEND,
            {"input": {"code": "moocs.kz", "reason": "again"}}, admin)
    assert ok(api(RESUME, {"code": "moocs.kz"}, token=admin), "resumePlatform")["approved"]
    assert ok(api(PUBLISH, {"input": {"code": code, "platformCode": "moocs.kz"}}, token=admin),
              "publishMooc")["status"] == "PUBLISHED"


def test_personal_environment_needs_a_teacher_student_agreement(api: Api, admin: str) -> None:
    teams = {"code": "teams.kaznu.kz", "name": "Microsoft Teams", "url": "https://teams.kaznu.kz",
             "kind": "PERSONAL_ENVIRONMENT", "ownership": "EXTERNAL"}
    assert ok(api(REGISTER_PLATFORM, {"input": teams}, token=admin),
              "registerPlatform")["approved"] is False
    message = refused(api, "PLATFORM_NOT_APPROVED", USE,
                      {"input": {"discipline": "MBA-FIN-01", "platformCode": teams["code"]}},
                      admin)
    assert "agreement" in message
    # A teacher token names a discipline the registry knows: INET records it first.
    ok(api("""mutation { recordTeachingMaterials(input: {disciplineCode: "MBA-FIN-01"}) {
             disciplineCode } }""", token=admin), "recordTeachingMaterials")
    teacher = api.token("teacher", "Prof. Ким", courses=["MBA-FIN-01"])
    used = ok(api(USE, {"input": {"discipline": "MBA-FIN-01", "platformCode": teams["code"],
                                  "agreement": {"teacher": "Prof. Ким", "group": "MBA-26-A",
                                                "agreedOn": "2026-06-01"}}}, token=teacher),
              "useTeachingPlatform")
    assert used["platforms"] == [{"platform": {"code": "teams.kaznu.kz"}, "agreement": {
        "teacher": "Prof. Ким", "group": "MBA-26-A", "agreedOn": "2026-06-01"}}]
    approve = """mutation { approvePlatform(input: {code: "teams.kaznu.kz",
                 decisionNumber: "AC-1", decidedOn: "2026-06-01"}) { code } }"""
    assert "personal learning environment" in refused(api, "INVALID_INPUT", approve, {}, admin)


# -- R2: the MOOC lifecycle in full --------------------------------------------------------

MOOC_HISTORY = """query($code: String!) { mooc(code: $code) { status remarks
  history { version type actor { name role } recordedAt data } } }"""


def test_failed_review_and_pilot_return_to_draft_and_stay_in_history(api: Api,
                                                                      admin: str) -> None:
    code = "HIST-1"
    ok(api(DRAFT, {"input": {"code": code, "title": {"ru": "Курс"}, "language": "ru",
                             "credits": 3}}, token=admin), "draftMooc")
    ok(api(SUBMIT, {"code": code}, token=admin), "submitMoocForReview")
    back = ok(api(REVIEW, {"input": {"code": code, "passed": False, "reviewer": "Dr. Оспанов",
                                     "remarks": "Week 3 lacks assessment"}}, token=admin),
              "recordExpertReview")
    assert back == {"code": code, "status": "DRAFT", "remarks": "Week 3 lacks assessment"}
    ok(api(SUBMIT, {"code": code}, token=admin), "submitMoocForReview")
    ok(api(REVIEW, {"input": {"code": code, "passed": True, "reviewer": "Dr. Оспанов"}},
           token=admin), "recordExpertReview")
    pilot = ok(api(APPROBATION, {"input": {"code": code, "passed": False,
                                           "remarks": "Pilot group dropped out"}}, token=admin),
               "recordApprobation")
    assert pilot["status"] == "DRAFT"
    mooc = ok(api(MOOC_HISTORY, {"code": code}, token=api.token("auditor")), "mooc")
    types = [entry["type"] for entry in mooc["history"]]
    assert types == ["Drafted", "SubmittedForReview", "ExpertReviewed", "SubmittedForReview",
                     "ExpertReviewed", "ApprobationRecorded"]
    first_review = mooc["history"][2]
    assert first_review["data"] == {"passed": False, "reviewer": "Dr. Оспанов",
                                    "remarks": "Week 3 lacks assessment"}
    assert first_review["actor"] == {"name": "Test Admin", "role": "admin"}
    assert first_review["recordedAt"].startswith("2026-06-15T10:00")
    public = api(MOOC_HISTORY, {"code": code})
    assert public["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_closed_mooc_takes_no_new_enrolments(api: Api, admin: str) -> None:
    walk_to_published(api, admin, "CLOSE-1")
    enrolled = enroll_scored(api, admin, "CLOSE-1", (60, 60, 60))
    assert ok(api(CLOSE, {"code": "CLOSE-1"}, token=admin), "closeMooc")["status"] == "CLOSED"
    learner = ok(api(REGISTER, {"input": {"fullName": "Кеш қалған"}}, token=admin),
                 "registerLearner")
    assert "CLOSED" in refused(api, "INVALID_TRANSITION", ENROLL,
                               {"input": {"learnerId": learner["id"], "moocCode": "CLOSE-1"}},
                               admin)
    refused(api, "INVALID_TRANSITION", CLOSE, {"code": "CLOSE-1"}, admin)
    # the enrolled finish: their scores and exam still count
    ok(api(EXAM, {"input": {"enrollmentId": enrolled["id"], "points": 70, "mode": "ON_CAMPUS"}},
           token=admin), "recordFinalExam")


# -- R5: identity ---------------------------------------------------------------------------

def test_identity_verification_is_recorded_with_its_method(api: Api, admin: str) -> None:
    learner = ok(api(REGISTER, {"input": {"fullName": "Ұлан Әбенов", "iin": "900101300007"}},
                     token=admin), "registerLearner")
    verified = ok(api(VERIFY_ID, {"input": {"learnerId": learner["id"],
                                            "method": "EGOV_DIGITAL_SIGNATURE"}}, token=admin),
                  "verifyLearnerIdentity")
    assert verified["identityVerification"] == {"method": "EGOV_DIGITAL_SIGNATURE",
                                                "verifiedOn": "2026-06-15"}
    refused(api, "INVALID_INPUT", VERIFY_ID,
            {"input": {"learnerId": learner["id"], "method": "CARRIER_PIGEON"}}, admin)


# -- R6: corrections ----------------------------------------------------------------------

ENROLLMENT_HISTORY = """query($id: ID!) { enrollment(id: $id) { totalPoints
  history { type data personal actor { name } } } }"""


def test_a_correction_keeps_the_old_value_and_its_reason(api: Api, admin: str) -> None:
    walk_to_published(api, admin, "CORR-1")
    enrollment = enroll_scored(api, admin, "CORR-1", (40, 50, 50))
    teacher = api.token("teacher", "Prof. Нұрлан", courses=["CORR-1"])
    corrected = ok(api(SCORE, {"input": {"enrollmentId": enrollment["id"], "component": "RATING_1",
                                         "points": 55, "reason": "Re-marked after appeal №7"}},
                       token=teacher), "recordScore")
    assert (corrected["totalPoints"], corrected["admitted"]) == (155, True)
    history = ok(api(ENROLLMENT_HISTORY, {"id": enrollment["id"]}, token=admin),
                 "enrollment")["history"]
    correction = history[-1]
    assert correction["type"] == "ScoreRecorded"
    assert correction["data"]["points"] == 55 and correction["data"]["previous"] == 40
    assert correction["personal"] == {"reason": "Re-marked after appeal №7"}
    assert correction["actor"]["name"] == "Prof. Нұрлан"


# -- R7: final attestation ------------------------------------------------------------------

def test_proctoring_takes_effect_from_its_date(api: Api, admin: str, clock: FixedClock
                                              ) -> None:
    walk_to_published(api, admin, "PROC-1")
    early = enroll_scored(api, admin, "PROC-1", (60, 60, 60), name="Ерте")
    later = enroll_scored(api, admin, "PROC-1", (60, 60, 60), name="Кейін")
    assert ok(api(PROCTORING, {"input": {"available": True, "system": "Examus",
                                         "effectiveFrom": "2026-06-20"}}, token=admin),
              "setOnlineProctoring") is False  # not yet in force on 2026-06-15
    state = ok(api(PROCTORING_STATE), "onlineProctoring")
    assert state == {"available": False, "system": None, "changes": [
        {"effectiveFrom": "2026-06-20", "available": True}]}
    clock.set(datetime(2026, 6, 25, 6, 0, tzinfo=UTC))  # exams are recorded after the fact
    message = refused(api, "PROCTORING_UNAVAILABLE", EXAM, {"input": {
        "enrollmentId": early["id"], "points": 80, "mode": "ONLINE_PROCTORED",
        "date": "2026-06-19"}}, admin)
    assert "2026-06-19" in message
    done = ok(api(EXAM, {"input": {"enrollmentId": later["id"], "points": 80,
                                   "mode": "ONLINE_PROCTORED", "date": "2026-06-20"}},
                  token=admin), "recordFinalExam")
    assert done["passed"] is True


def test_a_business_trip_learner_from_enrolment_to_exam(api: Api, admin: str,
                                                         dean: str) -> None:
    walk_to_published(api, admin, "TRIP-1")
    enrollment = enroll_scored(api, admin, "TRIP-1", (70, 70, 70), name="Іссапардағы")
    learner_id = enrollment["learner"]["id"]
    trip = ok(api(TRIP, {"input": {"learnerId": learner_id, "start": "2026-02-01",
                                   "end": "2026-05-31"}}, token=admin), "recordBusinessTrip")
    assert trip["businessTrip"] == {"start": "2026-02-01", "end": "2026-05-31"}
    exam = {"enrollmentId": enrollment["id"], "points": 75, "mode": "ON_CAMPUS"}
    assert "restoration" in refused(api, "STUDIES_NOT_RESTORED", EXAM, {"input": exam}, admin)
    refused(api, "FORBIDDEN", RESTORE, {"input": {"learnerId": learner_id,
                                                  "orderNumber": "R-1",
                                                  "orderedOn": "2026-06-01"}}, admin_inet(api))
    restored = ok(api(RESTORE, {"input": {"learnerId": learner_id, "orderNumber": "ДБ-112",
                                          "orderedOn": "2026-06-01"}}, token=dean),
                  "restoreStudies")
    assert restored["studiesRestoration"] == {"number": "ДБ-112", "issuedOn": "2026-06-01"}
    ok(api(PROCTORING, {"input": {"available": True}}, token=admin), "setOnlineProctoring")
    assert "ON_CAMPUS" in refused(api, "INVALID_INPUT", EXAM,
                                  {"input": {**exam, "mode": "ONLINE_PROCTORED"}}, admin)
    sat = ok(api(EXAM, {"input": exam}, token=admin), "recordFinalExam")
    assert sat["finalGrade"] == {"numeric": 72, "letter": "C+"} and sat["passed"]


def admin_inet(api: Api) -> str:
    return api.token("inet", "INET clerk")


def test_a_learner_back_from_abroad(api: Api, admin: str, dean: str) -> None:
    walk_to_published(api, admin, "ABR-1")
    walk_to_published(api, admin, "ABR-2")
    first = enroll_scored(api, admin, "ABR-1", (70, 70, 70), name="Шетелден оралған")
    learner_id = first["learner"]["id"]
    second = ok(api(ENROLL, {"input": {"learnerId": learner_id, "moocCode": "ABR-2"}},
                    token=admin), "enroll")
    for component in ("RATING_1", "MIDTERM", "RATING_2"):
        ok(api(SCORE, {"input": {"enrollmentId": second["id"], "component": component,
                                 "points": 70}}, token=admin), "recordScore")
    ok(api(ABROAD, {"input": {"learnerId": learner_id, "start": "2026-01-10",
                              "end": "2026-05-20"}}, token=admin), "recordTripAbroad")
    exam = {"enrollmentId": first["id"], "points": 80, "mode": "ON_CAMPUS"}
    assert "return order" in refused(api, "RETURN_ORDER_MISSING", EXAM, {"input": exam}, admin)
    ok(api(RETURN, {"input": {"learnerId": learner_id, "orderNumber": "Б-77",
                              "orderedOn": "2026-05-25",
                              "application": "Өтініш №15, 2026-05-21"}}, token=dean),
       "recordReturnOrder")
    assert "directive" in refused(api, "RETURN_ORDER_MISSING", EXAM, {"input": exam}, admin)
    directed = ok(api(DIRECTIVE, {"input": {"learnerId": learner_id, "directiveNumber": "Ө-3",
                                            "issuedOn": "2026-05-26",
                                            "disciplines": ["ABR-1"]}}, token=dean),
                  "recordDeanDirective")
    assert directed["deanDirective"] == {"number": "Ө-3", "disciplines": ["ABR-1"]}
    assert ok(api(EXAM, {"input": exam}, token=admin), "recordFinalExam")["passed"]
    assert "does not list ABR-2" in refused(api, "RETURN_ORDER_MISSING", EXAM, {"input": {
        "enrollmentId": second["id"], "points": 80, "mode": "ON_CAMPUS"}}, admin)


def test_return_order_without_a_trip_abroad_is_out_of_order(api: Api, admin: str,
                                                             dean: str) -> None:
    learner = ok(api(REGISTER, {"input": {"fullName": "Үйде"}}, token=admin), "registerLearner")
    refused(api, "INVALID_TRANSITION", RETURN, {"input": {
        "learnerId": learner["id"], "orderNumber": "Б-1", "orderedOn": "2026-05-25",
        "application": "№1"}}, dean)
    refused(api, "INVALID_TRANSITION", RESTORE, {"input": {
        "learnerId": learner["id"], "orderNumber": "R-1", "orderedOn": "2026-05-25"}}, dean)


# -- R8: internship abroad -------------------------------------------------------------------

def test_an_intern_whose_window_closes(api: Api, admin: str, clock: FixedClock) -> None:
    walk_to_published(api, admin, "INT-1")
    enrollment = enroll_scored(api, admin, "INT-1", (60, 60, 60), name="Тәжірибеші")
    learner_id = enrollment["learner"]["id"]
    intern = ok(api(INTERNSHIP, {"input": {"learnerId": learner_id, "start": "2026-03-01",
                                           "end": "2026-06-30"}}, token=admin),
                "recordInternshipAbroad")
    assert intern["studyWindow"] == {"start": "2026-03-01", "end": "2026-06-30"}
    clock.set(datetime(2026, 7, 10, 6, 0, tzinfo=UTC))  # scores are recorded after the fact
    inside = {"enrollmentId": enrollment["id"], "component": "MIDTERM", "points": 65,
              "reason": "late test", "date": "2026-06-30"}
    assert ok(api(SCORE, {"input": inside}, token=admin), "recordScore")["totalPoints"] == 185
    message = refused(api, "OUTSIDE_STUDY_WINDOW", SCORE,
                      {"input": {**inside, "date": "2026-07-01"}}, admin)
    assert "2026-03-01" in message and "2026-06-30" in message
    refused(api, "OUTSIDE_STUDY_WINDOW", EXAM, {"input": {
        "enrollmentId": enrollment["id"], "points": 90, "mode": "ON_CAMPUS",
        "date": "2026-07-02"}}, admin)
    refused(api, "INVALID_INPUT", INTERNSHIP, {"input": {"learnerId": learner_id,
                                                         "start": "2026-07-01",
                                                         "end": "2026-03-01"}}, admin)
    assert ok(api(EXAM, {"input": {"enrollmentId": enrollment["id"], "points": 90,
                                   "mode": "ON_CAMPUS", "date": "2026-06-29"}}, token=admin),
              "recordFinalExam")["passed"]


# -- the lists staff screens need -------------------------------------------------------------

LEARNERS = """query($search: String, $first: Int, $after: String) {
  learners(search: $search, first: $first, after: $after) {
    totalCount edges { cursor node { fullName } } pageInfo { hasNextPage endCursor } } }"""
MOOCS = """query($status: MoocStatus) { moocs(status: $status) { totalCount nodes { code } } }"""
ENROLLMENTS = """query($moocCode: String, $admitted: Boolean, $passed: Boolean) {
  enrollments(moocCode: $moocCode, admitted: $admitted, passed: $passed) {
    totalCount nodes { learner { fullName } totalPoints } } }"""
PLATFORMS = """query($kind: PlatformKind) { platforms(kind: $kind) { totalCount nodes { code } } }"""


def test_lists_page_filter_and_search_kazakh_letters(api: Api, admin: str) -> None:
    for name in ("Әсел Қасымова", "Ғалым Өтегенов", "Aidos Serikuly", "ӘСЕМ Нұрова"):
        ok(api(REGISTER, {"input": {"fullName": name}}, token=admin), "registerLearner")
    found = ok(api(LEARNERS, {"search": "әс"}, token=admin), "learners")
    assert found["totalCount"] == 2
    assert {e["node"]["fullName"] for e in found["edges"]} == {"Әсел Қасымова", "ӘСЕМ Нұрова"}
    assert ok(api(LEARNERS, {"search": "ҒАЛЫМ"}, token=admin), "learners")["totalCount"] == 1

    page = ok(api(LEARNERS, {"first": 3}, token=admin), "learners")
    assert page["totalCount"] == 4 and len(page["edges"]) == 3 and page["pageInfo"]["hasNextPage"]
    rest = ok(api(LEARNERS, {"first": 3, "after": page["pageInfo"]["endCursor"]}, token=admin),
              "learners")
    assert len(rest["edges"]) == 1 and not rest["pageInfo"]["hasNextPage"]
    names = [e["node"]["fullName"] for e in page["edges"] + rest["edges"]]
    assert len(set(names)) == 4

    walk_to_published(api, admin, "LIST-1")
    ok(api(DRAFT, {"input": {"code": "LIST-0", "title": {"en": "x"}, "language": "en",
                             "credits": 1}}, token=admin), "draftMooc")
    assert ok(api(MOOCS, {"status": "PUBLISHED"}), "moocs")["nodes"] == [{"code": "LIST-1"}]
    assert ok(api(MOOCS, {}), "moocs")["totalCount"] == 2
    enroll_scored(api, admin, "LIST-1", (50, 50, 49), name="Төмен")
    enroll_scored(api, admin, "LIST-1", (90, 90, 90), name="Жоғары")
    admitted = ok(api(ENROLLMENTS, {"moocCode": "LIST-1", "admitted": True}, token=admin),
                  "enrollments")
    assert admitted["totalCount"] == 1 and admitted["nodes"][0]["learner"]["fullName"] == \
        "Жоғары"
    assert ok(api(ENROLLMENTS, {"passed": False}, token=admin), "enrollments")["totalCount"] == 2
    assert ok(api(PLATFORMS, {"kind": "MOOC_PLATFORM"}), "platforms")["totalCount"] == 2
    bad = api(LEARNERS, {"after": "not-a-cursor"}, token=admin)
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert api(LEARNERS, {})["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_learner_lists_only_their_own_enrolments(api: Api, admin: str) -> None:
    walk_to_published(api, admin, "OWN-1")
    mine = enroll_scored(api, admin, "OWN-1", (50, 50, 50), name="Менікі")
    enroll_scored(api, admin, "OWN-1", (50, 50, 50), name="Басқаныкі")
    token = api.token("learner", "Менікі", learner=mine["learner"]["id"])
    listed = ok(api(ENROLLMENTS, {"moocCode": "OWN-1"}, token=token), "enrollments")
    assert listed["totalCount"] == 1
    assert listed["nodes"][0]["learner"]["fullName"] == "Менікі"
    assert api(LEARNERS, {}, token=token)["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_events_record_on_whose_behalf_and_the_request_id(api: Api, admin: str) -> None:
    committee_clerk = api.token("committee", "Committee secretary")
    platform = {"code": "edx.org", "name": "edX", "url": "https://edx.org",
                "kind": "MOOC_PLATFORM", "ownership": "EXTERNAL"}
    ok(api(REGISTER_PLATFORM, {"input": platform}, token=admin), "registerPlatform")
    response = api.client.post(
        "/graphql",
        json={"query": """mutation { approvePlatform(input: {code: "edx.org",
              decisionNumber: "AC-9", decidedOn: "2026-06-10"}) { approved } }"""},
        headers={"Authorization": f"Bearer {committee_clerk}",
                 "X-On-Behalf-Of": "Academic Committee", "X-Request-ID": "req-42"},
    )
    assert response.json()["data"]["approvePlatform"]["approved"] is True
    history = ok(api("""{ platform(code: "edx.org") { history { type onBehalfOf correlationId
                 actor { name role } } } }""", token=admin), "platform")["history"]
    assert history[-1] == {"type": "Approved", "onBehalfOf": "Academic Committee",
                           "correlationId": "req-42",
                           "actor": {"name": "Committee secretary", "role": "committee"}}


def test_grade_weights_are_configurable_and_recorded_with_the_exam(
    sqlite_settings: Any, clock: Any
) -> None:
    import dataclasses

    from apiclient import make_client

    from registry.domain.grading import GradeWeights

    halves = dataclasses.replace(sqlite_settings, grade_weights=GradeWeights(50, 50))
    with make_client(halves, clock) as client:
        api = Api(client)
        admin = api.token("admin")
        walk_to_published(api, admin, "W-1")
        enrollment = enroll_scored(api, admin, "W-1", (70, 70, 70))  # rating 70
        graded = ok(api(EXAM, {"input": {"enrollmentId": enrollment["id"], "points": 81,
                                         "mode": "ON_CAMPUS"}}, token=admin), "recordFinalExam")
        assert graded["finalGrade"] == {"numeric": 76, "letter": "B-"}  # 0.5*70 + 0.5*81 = 75.5
    with make_client(sqlite_settings, clock) as client:  # default 60/40 now
        api = Api(client)
        again = ok(api("""query($id: ID!) { enrollment(id: $id) { finalGrade { numeric } } }""",
                       {"id": enrollment["id"]}, token=api.token("auditor")), "enrollment")
        assert again["finalGrade"]["numeric"] == 76  # the weights in force at the exam


def test_a_teacher_records_scores_only_for_its_own_moocs(api: Api, admin: str) -> None:
    walk_to_published(api, admin, "MINE-1")
    walk_to_published(api, admin, "THEIRS-1")
    mine = enroll_scored(api, admin, "MINE-1", (50, 50, 50), name="Менің студентім")
    theirs = enroll_scored(api, admin, "THEIRS-1", (50, 50, 50), name="Басқа студент")
    teacher = api.token("teacher", "Prof. Сейтқали", courses=["MINE-1"])
    correction = {"component": "MIDTERM", "points": 60, "reason": "re-marked"}
    assert ok(api(SCORE, {"input": {"enrollmentId": mine["id"], **correction}}, token=teacher),
              "recordScore")["totalPoints"] == 160
    message = refused(api, "FORBIDDEN", SCORE,
                      {"input": {"enrollmentId": theirs["id"], **correction}}, teacher)
    assert "MINE-1" in message and "THEIRS-1" in message and "--course" in message
    unscoped = api.token("teacher", "Prof. Жаңа")
    refused(api, "FORBIDDEN", SCORE, {"input": {"enrollmentId": mine["id"], **correction}},
            unscoped)
    refused(api, "FORBIDDEN", USE, {"input": {"discipline": "THEIRS-1",
                                              "platformCode": "dl.kaznu.kz"}}, teacher)
