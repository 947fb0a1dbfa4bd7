"""Time travel that holds for nested fields (SPEC §9, issue 12 capability 4): a record read
``asOf`` a moment answers its relations as of the same moment — the related record as it stood
then (null, or left out of a list, if it did not exist yet) — and its history only up to that
moment; a figure kept for today only (``Mooc.statistics``) is refused, never mixed in. On both
back-ends."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api.apiclient import Api, make_client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import (
    ADMIN,
    certified,
    enrolled,
    examined,
    issued,
    published_mooc,
    registered,
    revoked,
    scored,
)

from registry.application.timeline import AsOf
from registry.clock import FixedClock
from registry.config import Settings
from registry.domain.certificates import Certificate
from registry.domain.errors import DomainError
from registry.domain.moocs import Mooc

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)  # the clock fixture's start (conftest)


@pytest.fixture
def api(backend_settings: Settings, clock: FixedClock) -> Iterator[Api]:
    with make_client(backend_settings, clock) as client:
        yield Api(client)


@pytest.fixture
def admin(api: Api) -> str:
    return api.token("admin", "Test Admin")


def data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]
    return result


def code(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    return str(body["errors"][0]["extensions"]["code"])


def head(api: Api) -> int:
    position: int = api.container.app.last_notification_id()
    return position


def reissued(api: Api, number: str, full_name: str | None = None) -> str:
    new: str = api.container.service.run(ADMIN, lambda cmd: cmd.certificates.reissue(
        number=number, full_name=full_name, reason="name corrected"))
    return new


def enroll(api: Api, learner_id: str, mooc_code: str) -> str:
    key: str = api.container.service.run(ADMIN, lambda cmd: cmd.enrollments.enroll(
        learner_id=uuid.UUID(learner_id), mooc_code=mooc_code))
    return key


ENROLLMENT = """query($id: ID!, $asOf: AsOfInput) { enrollment(id: $id, asOf: $asOf) {
  id passed
  learner { id fullName }
  mooc { code status platform { code suspended suspensionReason } }
  certificate { number status revocationReason supersededBy { number } } } }"""


def test_a_certificate_revoked_today_is_active_on_its_enrolment_as_of_yesterday(
        api: Api, admin: str, clock: FixedClock) -> None:
    service = api.container.service
    cert = certified(service)
    before_revocation = head(api)
    clock.set(NOW + timedelta(days=1))
    revoked(service, cert["number"], "forged exam record")
    service.run(ADMIN, lambda cmd: cmd.moocs.close(cert["moocCode"]))
    service.run(ADMIN, lambda cmd: cmd.platforms.suspend(code="moocs.kz", reason="audit"))
    variables: dict[str, Any] = {"id": cert["enrollmentId"]}
    yesterday = {"time": (NOW + timedelta(hours=1)).isoformat()}

    then = data(api(ENROLLMENT, {**variables, "asOf": yesterday}, token=admin))["enrollment"]
    assert then["certificate"] == {"number": cert["number"], "status": "ACTIVE",
                                   "revocationReason": None, "supersededBy": None}
    assert then["mooc"] == {"code": cert["moocCode"], "status": "PUBLISHED", "platform": {
        "code": "moocs.kz", "suspended": False, "suspensionReason": None}}
    assert then["learner"]["id"] == cert["learnerId"] and then["passed"]

    now = data(api(ENROLLMENT, {**variables, "asOf": None}, token=admin))["enrollment"]
    assert now["certificate"]["status"] == "REVOKED"
    assert now["certificate"]["revocationReason"] == "forged exam record"
    assert now["mooc"]["status"] == "CLOSED" and now["mooc"]["platform"]["suspended"]
    # as of a position too: after the issue, before the revocation
    at_issue = data(api(ENROLLMENT, {**variables, "asOf": {"position": before_revocation}},
                        token=admin))["enrollment"]
    assert at_issue["certificate"]["status"] == "ACTIVE"
    assert at_issue["mooc"]["status"] == "PUBLISHED"


def test_before_a_reissue_superseded_by_is_null(api: Api, admin: str) -> None:
    service = api.container.service
    old = certified(service)
    before = head(api)
    new = reissued(api, old["number"], "Әлия Құрманова-Жанқызы")
    after_reissue = head(api)
    revoked(service, new, "issued in error")
    query = """query($number: String!, $asOf: AsOfInput) {
      certificate(number: $number, asOf: $asOf) { number status fullName
        supersededBy { number status fullName supersedes { number status } }
        supersedes { number } } }"""

    def read(number: str, at: int | None) -> Any:
        as_of = None if at is None else {"position": at}
        return data(api(query, {"number": number, "asOf": as_of}, token=admin))["certificate"]

    then = read(old["number"], before)
    assert then["status"] == "ACTIVE" and then["supersededBy"] is None
    assert read(new, before) is None  # the reissue did not exist yet
    right_after = read(old["number"], after_reissue)
    assert right_after["status"] == "SUPERSEDED"
    assert right_after["supersededBy"] == {
        "number": new, "status": "ACTIVE", "fullName": "Әлия Құрманова-Жанқызы",
        "supersedes": {"number": old["number"], "status": "SUPERSEDED"}}
    assert read(old["number"], None)["supersededBy"]["status"] == "REVOKED"  # today's
    assert read(new, after_reissue)["supersedes"] == {"number": old["number"]}


LEARNER = """query($id: ID!, $asOf: AsOfInput) { learner(id: $id, asOf: $asOf) {
  id
  enrollments { totalCount nodes { id totalPoints mooc { code } certificate { number } } }
  certificates { totalCount nodes { number status } } } }"""


def test_a_learners_enrolments_as_of_before_an_enrolment_leave_it_out(api: Api,
                                                                      admin: str) -> None:
    service = api.container.service
    first = examined(service, scored(service, enrolled(service,
                                                       published_mooc(service)["code"])))
    learner_id = first["learnerId"]
    published_mooc(service, "LATER-101")
    before = head(api)
    second = enroll(api, learner_id, "LATER-101")
    scored(service, service.doc("enrollments", second), (90, 90, 90))
    cert = issued(service, first)

    def read(as_of: dict[str, Any] | None) -> Any:
        return data(api(LEARNER, {"id": learner_id, "asOf": as_of}, token=admin))["learner"]

    then = read({"position": before})
    assert then["enrollments"] == {"totalCount": 1, "nodes": [
        {"id": first["id"], "totalPoints": first["totalPoints"],
         "mooc": {"code": "KAZLIT-101"}, "certificate": None}]}
    assert then["certificates"] == {"totalCount": 0, "nodes": []}
    now = read(None)
    assert sorted(n["id"] for n in now["enrollments"]["nodes"]) == sorted([first["id"], second])
    assert now["certificates"]["nodes"] == [{"number": cert["number"], "status": "ACTIVE"}]
    enrolled_second = read({"position": before + 1})["enrollments"]["nodes"]
    assert {n["id"]: n["totalPoints"] for n in enrolled_second} == {
        first["id"]: first["totalPoints"], second: 0}  # its scores came later
    assert read({"position": 0}) is None  # before the learner was registered


def test_history_as_of_a_position_ends_at_that_position(api: Api, admin: str,
                                                        clock: FixedClock) -> None:
    service = api.container.service
    cert = certified(service)
    number = cert["number"]
    issued_at = head(api)
    clock.set(NOW + timedelta(days=1))
    revoked(service, number, "forged exam record")
    query = """query($number: String!, $enrollment: ID!, $code: String!, $asOf: AsOfInput) {
      certificate(number: $number, asOf: $asOf) { history { version type } }
      enrollment(id: $enrollment, asOf: $asOf) { history { type }
        certificate { history { type } } mooc { history { type } } }
      mooc(code: $code, asOf: $asOf) { history { type } platform { history { type } } } }"""
    variables = {"number": number, "enrollment": cert["enrollmentId"],
                 "code": cert["moocCode"]}

    def read(as_of: dict[str, Any] | None) -> Any:
        return data(api(query, {**variables, "asOf": as_of}, token=admin))

    now, then = read(None), read({"position": issued_at})
    assert now["certificate"]["history"] == [{"version": 1, "type": "Issued"},
                                             {"version": 2, "type": "Revoked"}]
    assert then["certificate"]["history"] == [{"version": 1, "type": "Issued"}]
    assert then["enrollment"]["certificate"]["history"] == [{"type": "Issued"}]
    by_time = read({"time": (NOW + timedelta(hours=1)).isoformat()})
    assert by_time["certificate"]["history"] == then["certificate"]["history"]
    # Each history ends at the position: exactly the events stored up to it.
    stored = api.container.app.recorder.select_notifications(start=1, limit=100_000)
    mooc_id = Mooc.create_id(cert["moocCode"])
    for position in (issued_at - 5, issued_at - 1, issued_at):
        types = [n.topic.rpartition(".")[2] for n in stored
                 if n.originator_id == mooc_id and n.id <= position]
        answer = read({"position": position})
        assert [h["type"] for h in answer["mooc"]["history"]] == types, position
        assert answer["enrollment"]["mooc"]["history"] == answer["mooc"]["history"]
        enrollment_types = [n.topic.rpartition(".")[2] for n in stored
                            if str(n.originator_id) == cert["enrollmentId"] and n.id <= position]
        assert [h["type"] for h in answer["enrollment"]["history"]] == enrollment_types


def test_figures_kept_for_today_only_are_refused_as_of_a_moment(api: Api, admin: str) -> None:
    service = api.container.service
    cert = certified(service)
    auditor = api.token("auditor")
    query = """query($code: String!, $asOf: AsOfInput) {
      mooc(code: $code, asOf: $asOf) { code statistics { enrolled } } }"""
    at = {"position": head(api)}
    body = api(query, {"code": cert["moocCode"], "asOf": at}, token=auditor)
    assert code(body) == "AS_OF_UNSUPPORTED"
    assert body["errors"][0]["path"] == ["mooc", "statistics"]
    assert body["data"] == {"mooc": None}  # never today's figures on a record of then
    now = data(api(query, {"code": cert["moocCode"], "asOf": None}, token=auditor))
    assert now["mooc"]["statistics"] == {"enrolled": 1}
    nested = """query($id: ID!, $asOf: AsOfInput) {
      enrollment(id: $id, asOf: $asOf) { mooc { statistics { enrolled } } } }"""
    assert code(api(nested, {"id": cert["enrollmentId"], "asOf": at},
                    token=admin)) == "AS_OF_UNSUPPORTED"
    # permission first: a caller who may not read statistics at all is told that
    assert code(api(query, {"code": cert["moocCode"], "asOf": at})) == "UNAUTHENTICATED"


def test_nested_as_of_keeps_the_visibility_rules(api: Api) -> None:
    service = api.container.service
    cert = certified(service)
    learner_id = cert["learnerId"]
    published_mooc(service, "OTHER-101")
    enroll(api, learner_id, "OTHER-101")
    at = {"position": head(api)}
    teacher = api.token("teacher", courses=["OTHER-101"])
    mine = api.token("learner", learner=learner_id)
    seen = data(api(LEARNER, {"id": learner_id, "asOf": at}, token=teacher))["learner"]
    assert [n["mooc"]["code"] for n in seen["enrollments"]["nodes"]] == ["OTHER-101"]
    assert seen["certificates"]["nodes"] == []  # its certificate is in a MOOC it does not teach
    own = data(api(LEARNER, {"id": learner_id, "asOf": at}, token=mine))["learner"]
    assert own["enrollments"]["totalCount"] == 2
    assert own["certificates"]["nodes"] == [{"number": cert["number"], "status": "ACTIVE"}]
    history = """query($id: ID!, $asOf: AsOfInput) {
      learner(id: $id, asOf: $asOf) { enrollments { nodes { history { type } } } } }"""
    assert code(api(history, {"id": learner_id, "asOf": at}, token=mine)) == "FORBIDDEN"
    email = """query($id: ID!, $asOf: AsOfInput) {
      enrollment(id: $id, asOf: $asOf) { learner { email } } }"""
    auditor = api.token("auditor")
    answer = data(api(email, {"id": cert["enrollmentId"], "asOf": at}, token=auditor))
    assert answer["enrollment"]["learner"]["email"] is None  # as without asOf
    other = registered(service, "Басқа Адам")
    assert code(api(LEARNER, {"id": other["id"], "asOf": at}, token=mine)) == "FORBIDDEN"


def test_relations_as_of_are_read_in_batches(api: Api, admin: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    service = api.container.service
    learner_id = registered(service)["id"]
    for index in range(4):
        mooc = published_mooc(service, f"BATCH-{index}")["code"]
        enrollment = service.doc("enrollments", enroll(api, learner_id, mooc))
        issued(service, examined(service, scored(service, enrollment)))
    timeline = service.timeline
    calls: list[tuple[str, int]] = []
    present_many = timeline.present_many

    def counted(table: str, keys: Any, at: AsOf) -> Any:
        calls.append((table, len(keys)))
        return present_many(table, keys, at)

    monkeypatch.setattr(timeline, "present_many", counted)
    query = """query($id: ID!, $asOf: AsOfInput) { learner(id: $id, asOf: $asOf) {
      enrollments { nodes { mooc { code platform { code } } certificate { number }
                            learner { id } history { type } } }
      certificates { nodes { number supersedes { number } } } } }"""
    answer = data(api(query, {"id": learner_id, "asOf": {"position": head(api)}},
                      token=admin))["learner"]
    assert len(answer["enrollments"]["nodes"]) == 4 == len(answer["certificates"]["nodes"])
    # one read per table and level, the certificates of both lists read once
    assert sorted(calls) == [("certificates", 4), ("enrollments", 4), ("learners", 1),
                             ("moocs", 4), ("platforms", 1)], calls


# -- the property: nested answers equal the single-record answers ----------------------------

STEP = st.one_of(
    st.tuples(st.just("score"), st.integers(0, 1),
              st.sampled_from(["RATING_1", "MIDTERM", "RATING_2"]), st.integers(0, 100)),
    st.tuples(st.just("pass"), st.integers(0, 1)),
    st.tuples(st.just("issue"), st.integers(0, 1)),
    st.tuples(st.just("revoke"), st.integers(0, 1)),
    st.tuples(st.just("reissue"), st.integers(0, 1),
              st.sampled_from([None, "Әлия Құрманова-Жанқызы"])),
    st.tuples(st.just("reissue"), st.just(0), st.none()),  # the certified one, more often
    st.tuples(st.just("close"), st.integers(0, 1)),
    st.tuples(st.just("enroll"), st.just(1)),
)

# Most random scores never lead to a certificate, let alone a reissue: some examples start
# with one.
CERTIFIED: list[tuple[Any, ...]] = [("pass", 0), ("issue", 0)]
STARTS: list[list[tuple[Any, ...]]] = [
    [], CERTIFIED, [*CERTIFIED, ("reissue", 0, None)],
    [*CERTIFIED, ("reissue", 0, None), ("revoke", 0)]]

FLAT = {
    "learner": "id fullName fullNameLatin email",
    "enrollment": "id totalPoints admitted passed finalGrade { numeric letter } "
                  "scores { component points } exam { points mode }",
    "mooc": "code status remarks",
    "certificate": "number status revocationReason fullName",
}
KEY_ARG = {"learner": "id", "enrollment": "id", "mooc": "code", "certificate": "number"}

NESTED = f"""query($id: ID!, $asOf: AsOfInput) {{ learner(id: $id, asOf: $asOf) {{
  {FLAT["learner"]} history {{ version type }}
  enrollments {{ nodes {{ {FLAT["enrollment"]} history {{ version type }}
    learner {{ {FLAT["learner"]} }}
    mooc {{ {FLAT["mooc"]} history {{ version type }} }}
    certificate {{ ...C }} }} }}
  certificates {{ nodes {{ ...C }} }} }} }}
fragment C on Certificate {{ {FLAT["certificate"]} history {{ version type }}
  supersedes {{ {FLAT["certificate"]} }} supersededBy {{ {FLAT["certificate"]} }} }}"""

_codes = itertools.count(1)


class Scenario:
    """One learner in two MOOCs (the second enrolment perhaps never, or late), commands run
    at random; what today's views list of the learner's records."""

    def __init__(self, api: Api) -> None:
        self.api = api
        service = api.container.service
        self.codes = [f"NEST-{next(_codes)}", f"NEST-{next(_codes)}"]
        for mooc in self.codes:
            published_mooc(service, mooc)
        self.start = head(api)  # the learner's records start after this
        self.learner_id = registered(service)["id"]
        self.enrollments: list[str | None] = [enroll(api, self.learner_id, self.codes[0]), None]
        self.certificates: set[str] = set()

    def run(self, step: tuple[Any, ...]) -> None:
        service = self.api.container.service
        kind, which = step[0], step[1]
        if kind == "enroll":
            if self.enrollments[1] is None:
                self.enrollments[1] = enroll(self.api, self.learner_id, self.codes[1])
            return
        if kind == "close":
            service.run(ADMIN, lambda cmd: cmd.moocs.close(self.codes[which]))
            return
        key = self.enrollments[which]
        if key is None:
            return
        eid = uuid.UUID(key)
        if kind == "score":
            service.run(ADMIN, lambda cmd: cmd.enrollments.record_score(
                enrollment_id=eid, component=step[2], points=step[3], reason="correction"))
        elif kind == "pass":
            for component in ("RATING_1", "MIDTERM", "RATING_2"):
                service.run(ADMIN, lambda cmd, c=component: cmd.enrollments.record_score(
                    enrollment_id=eid, component=c, points=90, reason="correction"))
            service.run(ADMIN, lambda cmd: cmd.enrollments.record_final_exam(
                enrollment_id=eid, points=90, mode="ON_CAMPUS"))
        elif kind == "issue":
            self.certificates.add(service.run(ADMIN, lambda cmd: cmd.certificates.issue(
                enrollment_id=eid)))
        else:
            latest = service.doc("enrollments", key)["certificateNumber"]
            if latest is None:
                return
            if kind == "revoke":
                service.run(ADMIN, lambda cmd: cmd.certificates.revoke(number=latest,
                                                                       reason="forged"))
            else:
                self.certificates.add(reissued(self.api, latest, step[2]))

    def singles(self, token: str, position: int) -> dict[str, Any]:
        """Every related record read by itself as of ``position`` (one document, aliased)."""
        wanted = [("learner", self.learner_id), *[("mooc", c) for c in self.codes],
                  *[("enrollment", e) for e in self.enrollments if e],
                  *[("certificate", n) for n in sorted(self.certificates)]]
        fields = " ".join(f'r{i}: {kind}({KEY_ARG[kind]}: "{key}", asOf: $asOf) '
                          f'{{ {FLAT[kind]} }}' for i, (kind, key) in enumerate(wanted))
        answer = data(self.api(f"query($asOf: AsOfInput) {{ {fields} }}",
                               {"asOf": {"position": position}}, token=token))
        return {key: answer[f"r{i}"] for i, (_, key) in enumerate(wanted)}

    def history(self, aggregate_id: uuid.UUID, position: int) -> list[dict[str, Any]]:
        """The aggregate's events stored up to ``position``, read off the notification log."""
        stored = self.api.container.app.recorder.select_notifications(
            start=1, limit=100_000, stop=position)
        return [{"version": n.originator_version, "type": n.topic.rpartition(".")[2]}
                for n in stored if n.originator_id == aggregate_id]

    def expected(self, token: str, position: int) -> dict[str, Any] | None:
        """The learner as of ``position``, assembled from the single-record answers."""
        single = self.singles(token, position)
        if single[self.learner_id] is None:
            return None
        timeline = self.api.container.service.timeline
        at = AsOf(position=position)

        def certificate(number: str | None) -> dict[str, Any] | None:
            if number is None or single[number] is None:
                return None
            doc = timeline.present("certificates", number, at)
            assert doc is not None
            return {**single[number],
                    "history": self.history(Certificate.create_id(number), position),
                    "supersedes": single[doc["supersedes"]] if doc["supersedes"] else None,
                    "supersededBy": single[doc["supersededBy"]] if doc["supersededBy"]
                    else None}

        enrollments = []
        for key in sorted(e for e in self.enrollments if e):
            if single[key] is None:
                continue  # it did not exist then: left out
            doc = timeline.present("enrollments", key, at)
            assert doc is not None
            enrollments.append({
                **single[key], "history": self.history(uuid.UUID(key), position),
                "learner": single[self.learner_id],
                "mooc": {**single[doc["moocCode"]],
                         "history": self.history(Mooc.create_id(doc["moocCode"]), position)},
                "certificate": certificate(doc["certificateNumber"])})
        certificates = [certificate(n) for n in self.certificates if single[n] is not None]
        return {**single[self.learner_id],
                "history": self.history(uuid.UUID(self.learner_id), position),
                "enrollments": {"nodes": enrollments},
                "certificates": {"nodes": sorted(certificates, key=_number)}}


def _number(doc: dict[str, Any] | None) -> str:
    assert doc is not None
    return str(doc["number"])


@settings(max_examples=10, deadline=None,
          # one registry per back-end, a fresh learner and MOOCs per example
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.differing_executors])
@given(start=st.sampled_from(STARTS), steps=st.lists(STEP, min_size=1, max_size=8))
def test_nested_answers_equal_the_single_record_answers(
        api: Api, admin: str, start: list[tuple[Any, ...]], steps: list[tuple[Any, ...]]
) -> None:
    steps = [*start, *steps]
    scenario = Scenario(api)
    for step in steps:
        try:
            scenario.run(step)
        except DomainError:
            continue
    # every position from before the learner existed on (each a moment between two events)
    for position in range(scenario.start, head(api) + 1):
        body = api(NESTED, {"id": scenario.learner_id, "asOf": {"position": position}},
                   token=admin)
        nested = data(body)["learner"]
        if nested is not None:
            nested["certificates"]["nodes"].sort(key=_number)
        assert nested == scenario.expected(admin, position), position
