"""The auditors' event feed and time travel in GraphQL (SPEC §9, issue 12 capability 4)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from apiclient import Api
from programme_ops import OTHER_FACULTY, attach, create, faculty_token
from support import ADMIN, certified, enrolled, examined, issued, published_mooc, revoked, scored

from registry.api.timeline import Event, encode_cursor
from registry.clock import FixedClock
from registry.domain.access import Principal, Role
from registry.domain.certificates import Certificate

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)  # the clock fixture's start (conftest)

EVENTS = """query($aggregateType: String, $aggregateId: ID, $type: String, $actorRole: String,
                 $actorName: String, $from: DateTime, $to: DateTime, $first: Int, $after: String) {
  events(aggregateType: $aggregateType, aggregateId: $aggregateId, type: $type,
         actorRole: $actorRole, actorName: $actorName, from: $from, to: $to, first: $first,
         after: $after) {
    edges { cursor node { position aggregateType aggregateId version type schemaVersion
                          recordedAt actor { name role } onBehalfOf correlationId data
                          personal logIndex } }
    nodes { position }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""

CERT_AS_OF = """query($number: String!, $asOf: AsOfInput) {
  certificate(number: $number, asOf: $asOf) { number status revocationReason fullName } }"""


def code(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    return str(body["errors"][0]["extensions"]["code"])


def feed(api: Api, token: str, **variables: Any) -> dict[str, Any]:
    body = api(EVENTS, variables, token=token)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["events"]
    return result


def all_positions(api: Api, token: str, page: int = 7, **filters: Any) -> list[int]:
    positions: list[int] = []
    after = None
    while True:
        result = feed(api, token, first=page, after=after, **filters)
        positions += [e["node"]["position"] for e in result["edges"]]
        if not result["pageInfo"]["hasNextPage"]:
            return positions
        after = result["pageInfo"]["endCursor"]


@pytest.fixture
def auditor(api: Api) -> str:
    return api.token("auditor", "Audit Office")


def test_the_feed_is_for_auditors_and_admins_only(api: Api, admin: str, auditor: str) -> None:
    assert feed(api, auditor, first=1)["edges"]
    assert feed(api, admin, first=1)["edges"]
    for role in ("inet", "teacher", "dean", "committee", "faculty"):
        assert code(api(EVENTS, {}, token=api.token(role))) == "FORBIDDEN", role
    assert code(api(EVENTS, {})) == "UNAUTHENTICATED"


def test_every_event_in_global_order_with_its_place(api: Api, auditor: str) -> None:
    certified(api.container.service)
    stored = api.container.app.recorder.select_notifications(start=1, limit=10_000)
    positions = all_positions(api, auditor)
    assert positions == [n.id for n in stored]
    first = feed(api, auditor, first=100)["edges"]
    cert = next(e["node"] for e in first if e["node"]["aggregateType"] == "Certificate")
    assert cert["type"] == "Issued" and cert["version"] == 1 and cert["schemaVersion"] == 1
    assert cert["actor"] == {"name": "Test Admin", "role": "admin"}
    assert cert["data"]["number"] and "personal_ref" not in cert["data"]


def test_filters_are_anded(api: Api, auditor: str, clock: FixedClock) -> None:
    service = api.container.service
    cert = certified(service)
    clock.set(NOW + timedelta(days=1))
    revoked(service, cert["number"], "forged exam record")
    certs = feed(api, auditor, aggregateType="Certificate")["edges"]
    assert [e["node"]["type"] for e in certs] == ["Issued", "Revoked"]
    revocations = feed(api, auditor, type="Revoked")["edges"]
    assert [(e["node"]["aggregateType"], e["node"]["type"]) for e in revocations] == [
        ("Certificate", "Revoked")]
    assert feed(api, auditor, aggregateType="Mooc", type="Revoked")["edges"] == []
    mine = feed(api, auditor, aggregateId=str(Certificate.create_id(cert["number"])),
                first=1)
    assert [e["node"]["type"] for e in mine["edges"]] == ["Issued"]
    assert mine["pageInfo"]["hasNextPage"]
    rest = feed(api, auditor, aggregateId=str(Certificate.create_id(cert["number"])),
                after=mine["pageInfo"]["endCursor"])
    assert [e["node"]["type"] for e in rest["edges"]] == ["Revoked"]
    by_system = feed(api, auditor, actorRole="system", first=100)["edges"]
    assert by_system and all(e["node"]["actor"]["role"] == "system" for e in by_system)
    admin_certs = feed(api, auditor, actorName="Test Admin", aggregateType="Certificate")
    assert len(admin_certs["edges"]) == 2
    assert feed(api, auditor, actorName="nobody")["edges"] == []
    later = NOW + timedelta(hours=12)
    since = feed(api, auditor, **{"from": later.isoformat()}, first=100)["edges"]
    assert [e["node"]["type"] for e in since] == ["Revoked"]
    until = feed(api, auditor, to=NOW.isoformat(), type="Revoked")["edges"]
    assert until == []
    exact = feed(api, auditor, **{"from": (NOW + timedelta(days=1)).isoformat()},
                 to=(NOW + timedelta(days=1)).isoformat())["edges"]  # both ends inclusive
    assert [e["node"]["type"] for e in exact] == ["Revoked"]


def test_keyset_pages_skip_and_repeat_nothing_while_others_write(api: Api, auditor: str
                                                                  ) -> None:
    service = api.container.service
    mooc = published_mooc(service)
    first = feed(api, auditor, first=5, aggregateType="Enrollment")
    assert first["edges"] == []
    enrolled(service, mooc["code"], "Learner One")
    enrolled(service, mooc["code"], "Learner Two")
    page = feed(api, auditor, first=1, aggregateType="Enrollment")
    seen = [e["node"]["position"] for e in page["edges"]]
    # Others write between two page requests.
    enrolled(service, mooc["code"], "Learner Three")
    after = page["pageInfo"]["endCursor"]
    while True:
        page = feed(api, auditor, first=1, after=after, aggregateType="Enrollment")
        seen += [e["node"]["position"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        if len(seen) < 3:
            enrolled(service, mooc["code"], f"Learner {len(seen) + 3}")
    every = [n.id for n in api.container.app.recorder.select_notifications(start=1, limit=10_000)
             if ":Enrollment." in n.topic and n.originator_version == 1]
    assert seen == every and len(seen) == len(set(seen)) >= 4


def test_bad_pages_are_invalid_input(api: Api, auditor: str) -> None:
    assert code(api(EVENTS, {"first": 101}, token=auditor)) == "INVALID_INPUT"
    assert code(api(EVENTS, {"first": -1}, token=auditor)) == "INVALID_INPUT"
    assert code(api(EVENTS, {"after": "bm90IGEgY3Vyc29y"}, token=auditor)) == "INVALID_INPUT"
    assert code(api(EVENTS, {"after": "%%%"}, token=auditor)) == "INVALID_INPUT"
    assert code(api(EVENTS, {"aggregateType": "Nothing"}, token=auditor)) == "INVALID_INPUT"
    assert code(api(EVENTS, {"type": "NoSuchEvent"}, token=auditor)) == "INVALID_INPUT"
    assert code(api(EVENTS, {"from": "2026-06-15T10:00:00"}, token=auditor)) == "INVALID_INPUT"
    assert feed(api, auditor, first=0)["edges"] == []
    beyond = feed(api, auditor, after=encode_cursor(10**9))
    assert beyond["edges"] == [] and not beyond["pageInfo"]["hasNextPage"]


def test_personal_parts_only_for_the_roles_that_may_see_them(api: Api, auditor: str,
                                                             admin: str) -> None:
    enrolled(api.container.service, published_mooc(api.container.service)["code"])
    for token in (auditor, admin):
        learners = feed(api, token, aggregateType="Learner", first=100)["edges"]
        assert any(e["node"]["personal"] for e in learners), token
    doc = {"position": 1, "aggregateType": "Learner", "aggregateId": str(uuid.uuid4()),
           "version": 1, "type": "Registered", "schemaVersion": 1,
           "recordedAt": NOW.isoformat(), "actorName": "x", "actorRole": "inet",
           "onBehalfOf": "Dean's office", "correlationId": None, "causationId": None,
           "data": {}, "personal": {"full_name": "Әлия"}}
    for role in Role:
        event = Event.from_doc(doc, Principal("p", role), None)
        allowed = role in (Role.ADMIN, Role.INET, Role.AUDITOR)
        assert (event.personal is not None) is allowed, role
        assert (event.on_behalf_of is not None) is allowed, role


def test_log_index_once_logged(api: Api, auditor: str) -> None:
    container = api.container
    certified(container.service)
    container.audit_runner.wait(container.app.last_notification_id())
    nodes = [e["node"] for e in feed(api, auditor, first=100)["edges"]]
    for node in nodes:
        expected = container.audit.log_index(uuid.UUID(node["aggregateId"]), node["version"])
        assert node["logIndex"] == expected is not None


# -- time travel ------------------------------------------------------------------------------


def test_a_certificate_revoked_today_was_active_before(api: Api, auditor: str,
                                                       clock: FixedClock) -> None:
    service = api.container.service
    cert = certified(service)
    cert_id = Certificate.create_id(cert["number"])
    issued_at = service.timeline.positions.positions(cert_id)[0][1]
    clock.set(NOW + timedelta(days=1))
    revoked(service, cert["number"], "forged exam record")
    number = cert["number"]

    def status(as_of: dict[str, Any] | None, token: str | None = None) -> Any:
        body = api(CERT_AS_OF, {"number": number, "asOf": as_of}, token=token)
        assert "errors" not in body, body
        return body["data"]["certificate"] and body["data"]["certificate"]["status"]

    assert status(None) == "REVOKED"
    assert status({"position": issued_at}) == "ACTIVE"
    assert status({"position": api.container.app.last_notification_id()}) == "REVOKED"
    assert status({"time": (NOW + timedelta(hours=1)).isoformat()}) == "ACTIVE"
    assert status({"time": (NOW + timedelta(days=1)).isoformat()}) == "REVOKED"
    assert status({"position": issued_at - 1}) is None  # before it existed
    assert status({"time": (NOW - timedelta(days=1)).isoformat()}) is None
    both = {"position": issued_at, "time": NOW.isoformat()}
    assert code(api(CERT_AS_OF, {"number": number, "asOf": both})) == "INVALID_INPUT"
    assert code(api(CERT_AS_OF, {"number": number, "asOf": {}})) == "INVALID_INPUT"
    assert code(api(CERT_AS_OF, {"number": number, "asOf": {"position": -1}})) == "INVALID_INPUT"
    naive = {"time": "2026-06-15T12:00:00"}
    assert code(api(CERT_AS_OF, {"number": number, "asOf": naive})) == "INVALID_INPUT"


def test_a_compromised_key_is_judged_as_it_stood_then(api: Api, clock: FixedClock) -> None:
    service = api.container.service
    cert = certified(service)
    before = api.container.app.last_notification_id()
    clock.set(NOW + timedelta(days=2))
    service.run(ADMIN, lambda cmd: cmd.keys.compromise(cert["kid"], since=NOW.date(),
                                                       reason="key leaked"))
    body = api(CERT_AS_OF, {"number": cert["number"], "asOf": None})
    assert body["data"]["certificate"]["status"] == "REVOKED"
    body = api(CERT_AS_OF, {"number": cert["number"], "asOf": {"position": before}})
    assert body["data"]["certificate"]["status"] == "ACTIVE"


def test_as_of_on_every_single_record_query(api: Api, admin: str) -> None:
    service = api.container.service
    mooc = published_mooc(service, "ASOF-101")
    enrollment = enrolled(service, mooc["code"])
    before_scores = api.container.app.last_notification_id()
    enrollment = examined(service, scored(service, enrollment))
    cert = issued(service, enrollment)
    query = """query($code: String!, $learner: ID!, $enrollment: ID!, $number: String!,
                     $asOf: AsOfInput) {
      mooc(code: $code, asOf: $asOf) { code status }
      learner(id: $learner, asOf: $asOf) { id fullName }
      enrollment(id: $enrollment, asOf: $asOf) { id totalPoints admitted passed
                                                 finalGrade { numeric } }
      certificate(number: $number, asOf: $asOf) { number status } }"""
    variables = {"code": mooc["code"], "learner": enrollment["learnerId"],
                 "enrollment": enrollment["id"], "number": cert["number"]}
    then = api(query, {**variables, "asOf": {"position": before_scores}}, token=admin)
    assert "errors" not in then, then
    data = then["data"]
    assert data["mooc"]["status"] == "PUBLISHED"
    assert data["learner"]["fullName"] == enrollment_name(api, admin, enrollment["learnerId"])
    assert data["enrollment"] == {"id": enrollment["id"], "totalPoints": 0, "admitted": False,
                                  "passed": False, "finalGrade": None}
    assert data["certificate"] is None
    now = api(query, {**variables, "asOf": None}, token=admin)["data"]
    assert now["enrollment"]["passed"] and now["certificate"]["status"] == "ACTIVE"
    first = api(query, {**variables, "asOf": {"position": 1}}, token=admin)["data"]
    assert first == {"mooc": None, "learner": None, "enrollment": None, "certificate": None}


def enrollment_name(api: Api, token: str, learner_id: str) -> str:
    body = api("query($id: ID!) { learner(id: $id) { fullName } }", {"id": learner_id},
               token=token)
    return str(body["data"]["learner"]["fullName"])


def test_as_of_keeps_the_visibility_rules(api: Api) -> None:
    service = api.container.service
    enrollment = enrolled(service, published_mooc(service)["code"])
    other = enrolled(service, "KAZLIT-101", "Other Learner")
    mine = api.token("learner", learner=enrollment["learnerId"])
    at = {"position": api.container.app.last_notification_id()}
    learner = "query($id: ID!, $asOf: AsOfInput) { learner(id: $id, asOf: $asOf) { id email } }"
    own = api(learner, {"id": enrollment["learnerId"], "asOf": at}, token=mine)
    assert own["data"]["learner"]["id"] == enrollment["learnerId"]
    assert code(api(learner, {"id": other["learnerId"], "asOf": at}, token=mine)) == "FORBIDDEN"
    assert code(api(learner, {"id": other["learnerId"], "asOf": at})) == "UNAUTHENTICATED"
    query = "query($id: ID!, $asOf: AsOfInput) { enrollment(id: $id, asOf: $asOf) { id } }"
    assert code(api(query, {"id": other["id"], "asOf": at}, token=mine)) == "FORBIDDEN"
    published_mooc(service, "OTHER-101")
    teacher = api.token("teacher", courses=["OTHER-101"])
    assert code(api(query, {"id": other["id"], "asOf": at}, token=teacher)) == "FORBIDDEN"
    auditor = api.token("auditor")
    seen = api(learner, {"id": other["learnerId"], "asOf": at}, token=auditor)
    assert seen["data"]["learner"]["email"] is None  # the auditor sees no e-mail, then or now


def test_certificate_history_for_staff_and_auditors(api: Api, auditor: str,
                                                     clock: FixedClock) -> None:
    service = api.container.service
    cert = certified(service)
    clock.set(NOW + timedelta(days=1))
    revoked(service, cert["number"], "forged exam record")
    query = """query($number: String!) { certificate(number: $number) {
      history { version type recordedAt actor { name role } onBehalfOf data personal } } }"""
    body = api(query, {"number": cert["number"]}, token=auditor)
    history = body["data"]["certificate"]["history"]
    assert [h["type"] for h in history] == ["Issued", "Revoked"]
    assert history[1]["actor"] == {"name": "Test Admin", "role": "admin"}
    assert history[1]["recordedAt"].startswith("2026-06-16")
    for role in ("inet", "teacher", "dean"):
        assert "errors" not in api(query, {"number": cert["number"]}, token=api.token(role))
    learner = api.token("learner", learner=cert["learnerId"])
    assert code(api(query, {"number": cert["number"]}, token=learner)) == "FORBIDDEN"
    assert code(api(query, {"number": cert["number"]})) == "UNAUTHENTICATED"


def test_a_programme_package_as_of_before_its_documents(api: Api) -> None:
    token = faculty_token(api)
    package = create(api, token)
    created = api.container.app.last_notification_id()
    attach(api, token, package["id"], "SYLLABUS", discipline="Strategic Management",
           hasDistanceLearningPart=True)
    query = """query($id: ID!, $asOf: AsOfInput) { programSubmission(id: $id, asOf: $asOf) {
      id status documents { kind } } }"""
    then = api(query, {"id": package["id"], "asOf": {"position": created}}, token=token)
    assert then["data"]["programSubmission"]["documents"] == []
    now = api(query, {"id": package["id"], "asOf": None}, token=token)
    assert [d["kind"] for d in now["data"]["programSubmission"]["documents"]] == ["SYLLABUS"]
    other = faculty_token(api, OTHER_FACULTY, "Philology")
    at = {"position": created}
    assert code(api(query, {"id": package["id"], "asOf": at}, token=other)) == "FORBIDDEN"
