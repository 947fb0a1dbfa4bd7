"""Who sees which personal field (SPEC §10, README "Security"): every role against every field
of a learner, through GraphQL over HTTP, as each frontend would ask.

Two learners: ``ours`` is enrolled in KAZLIT-101, ``theirs`` in MATH-201. A teacher of
KAZLIT-101 reads only ``ours``; nobody but admin, inet and the learner itself sees an e-mail;
only admin, inet and auditor see events' personal parts and on-behalf-of."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from api.apiclient import Api, make_client
from support import ADMIN, published_mooc, registered

from registry.application.context import CommandContext
from registry.clock import FixedClock
from registry.config import Settings
from registry.domain.access import PERSONAL_FIELDS, PersonalField, Role, sees

EMAIL = "aliya@example.kz"
ON_BEHALF = "Dean's office, Philology"
NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)  # as tests/conftest.py

LEARNER = """query($id: ID!) { learner(id: $id) { id fullName fullNameLatin email
  businessTrip { start end } } }"""
LEARNER_HISTORY = """query($id: ID!) { learner(id: $id) { history { type personal onBehalfOf
  actor { role } } } }"""
LEARNERS = "{ learners(first: 100) { totalCount nodes { id fullName email } } }"
ENROLLMENTS = "{ enrollments(first: 100) { totalCount nodes { id totalPoints learner { id } } } }"
NESTED = """query($id: ID!) { learner(id: $id) { enrollments { nodes { id totalPoints
  mooc { code } } } certificates { totalCount } } }"""


@dataclass
class World:
    api: Api
    ours: str  # learner enrolled in KAZLIT-101
    theirs: str  # learner enrolled in MATH-201
    ours_enrollment: str
    theirs_enrollment: str
    tokens: dict[str, str | None]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("access") / "var",
                        public_url="https://registry.example.kz")
    clock = FixedClock(settings.tz, NOW)
    with make_client(settings, clock) as client:
        api = Api(client)
        service = api.container.service
        published_mooc(service, "KAZLIT-101")
        published_mooc(service, "MATH-201")
        on_behalf = CommandContext(actor_name="Test Admin", actor_role="admin",
                                   on_behalf_of=ON_BEHALF)
        ours = registered(service)["id"]
        theirs = registered(service, "Бауыржан Серікұлы")["id"]
        service.run(on_behalf, lambda cmd: cmd.learners.record_business_trip(
            learner_id=uuid.UUID(ours), start=date(2026, 3, 1), end=date(2026, 3, 20)))
        enrolled = {
            who: service.run(ADMIN, lambda cmd, lid=lid, code=code: cmd.enrollments.enroll(
                learner_id=uuid.UUID(lid), mooc_code=code))
            for who, lid, code in (("ours", ours, "KAZLIT-101"), ("theirs", theirs, "MATH-201"))
        }
        tokens: dict[str, str | None] = {
            role.value: api.token(role.value) for role in Role if role is not Role.LEARNER
            and role is not Role.TEACHER}
        tokens["teacher"] = api.token("teacher", courses=["KAZLIT-101"])
        tokens["teacher of another course"] = api.token("teacher", courses=["MATH-201"])
        tokens["learner"] = api.token("learner", learner=ours)
        tokens["other learner"] = api.token("learner", learner=theirs)
        tokens["anonymous"] = None
        yield World(api, ours, theirs, enrolled["ours"], enrolled["theirs"], tokens)


def role_of(caller: str) -> Role | None:
    return {"anonymous": None, "teacher of another course": Role.TEACHER,
            "other learner": Role.LEARNER}.get(caller) or Role(caller)


# Who reads ``ours`` at all: the roles that may read learners, a teacher only if it teaches
# KAZLIT-101, a learner only itself.
READS_OURS = {"admin", "inet", "auditor", "dean", "teacher", "learner"}
LISTS_LEARNERS = {"admin", "inet", "auditor", "dean", "teacher", "teacher of another course"}
CALLERS = sorted(READS_OURS | LISTS_LEARNERS | {"committee", "faculty", "other learner",
                                                 "anonymous"})


def code(body: dict[str, Any]) -> str | None:
    errors = body.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


@pytest.mark.parametrize("caller", CALLERS)
def test_a_learner_record_shows_each_field_to_the_roles_the_matrix_names(
        world: World, caller: str) -> None:
    body = world.api(LEARNER, {"id": world.ours}, token=world.tokens[caller])
    if caller == "anonymous":
        assert code(body) == "UNAUTHENTICATED"
        return
    if caller not in READS_OURS:
        assert code(body) == "FORBIDDEN", body
        assert body["data"] is None or body["data"]["learner"] is None
        return
    assert code(body) is None, body
    learner = body["data"]["learner"]
    role = role_of(caller)
    assert (learner["email"] == EMAIL) is (role in {Role.ADMIN, Role.INET, Role.LEARNER})
    assert learner["fullName"] == "Әлия Ғабитқызы Құрманова"  # every reader of a learner
    assert learner["fullNameLatin"] == "Aliya Kurmanova"
    trip = learner["businessTrip"]
    assert (trip is not None) is (role not in {Role.TEACHER})


@pytest.mark.parametrize("caller", CALLERS)
def test_history_personal_parts_and_on_behalf_of_only_for_admin_inet_and_auditor(
        world: World, caller: str) -> None:
    body = world.api(LEARNER_HISTORY, {"id": world.ours}, token=world.tokens[caller])
    # A learner token reads no history; roles that cannot read the learner are refused.
    if caller not in READS_OURS or caller == "learner":
        assert code(body) in {"FORBIDDEN", "UNAUTHENTICATED"}, body
        return
    assert code(body) is None, body
    history = body["data"]["learner"]["history"]
    registered_event = next(e for e in history if e["type"] == "Registered")
    trip = next(e for e in history if e["type"] == "BusinessTripRecorded")
    if caller in {"admin", "inet", "auditor"}:
        assert registered_event["personal"]["email"] == EMAIL
        assert trip["onBehalfOf"] == ON_BEHALF
    else:
        assert registered_event["personal"] is None
        assert trip["onBehalfOf"] is None
        assert EMAIL not in str(history)


@pytest.mark.parametrize("caller", CALLERS)
def test_lists_of_learners_and_enrolments_are_narrowed_to_the_callers_scope(
        world: World, caller: str) -> None:
    learners = world.api(LEARNERS, token=world.tokens[caller])
    enrollments = world.api(ENROLLMENTS, token=world.tokens[caller])
    if caller == "anonymous":
        assert code(learners) == code(enrollments) == "UNAUTHENTICATED"
        return
    if caller not in LISTS_LEARNERS:
        assert code(learners) == "FORBIDDEN"
    ids = {n["id"] for n in learners["data"]["learners"]["nodes"]} if not code(learners) \
        else None
    listed = {n["learner"]["id"] for n in enrollments["data"]["enrollments"]["nodes"]} \
        if not code(enrollments) else None
    expected = {
        "teacher": {world.ours}, "teacher of another course": {world.theirs},
        "learner": {world.ours}, "other learner": {world.theirs},
    }
    if caller in {"admin", "inet", "auditor", "dean"}:
        assert ids is not None and {world.ours, world.theirs} <= ids
        assert listed is not None and {world.ours, world.theirs} <= listed
    elif caller in expected:
        if caller in LISTS_LEARNERS:
            assert ids == expected[caller]
            assert learners["data"]["learners"]["totalCount"] == 1
        assert listed == expected[caller]
        assert enrollments["data"]["enrollments"]["totalCount"] == 1
    else:  # committee, faculty
        assert code(enrollments) == "FORBIDDEN"
    if ids is not None and caller not in {"admin", "inet"}:
        assert all(n["email"] is None for n in learners["data"]["learners"]["nodes"])


def test_a_teacher_reads_only_enrolments_of_what_it_teaches(world: World) -> None:
    teacher = world.tokens["teacher"]
    own = world.api("query($id: ID!) { enrollment(id: $id) { id learner { fullName email } } }",
                    {"id": world.ours_enrollment}, token=teacher)
    assert code(own) is None and own["data"]["enrollment"]["learner"] == {
        "fullName": "Әлия Ғабитқызы Құрманова", "email": None}
    other = world.api("query($id: ID!) { enrollment(id: $id) { id } }",
                      {"id": world.theirs_enrollment}, token=teacher)
    assert code(other) == "FORBIDDEN"
    assert "KAZLIT-101" in other["errors"][0]["message"]
    # Asking for another course's enrolments by filter gives nothing, not everything.
    filtered = world.api('{ enrollments(moocCode: "MATH-201") { totalCount } }', token=teacher)
    assert filtered["data"]["enrollments"]["totalCount"] == 0
    nested = world.api(NESTED, {"id": world.ours}, token=teacher)
    assert code(nested) is None, nested
    codes = {n["mooc"]["code"] for n in nested["data"]["learner"]["enrollments"]["nodes"]}
    assert codes == {"KAZLIT-101"}
    assert code(world.api(NESTED, {"id": world.theirs}, token=teacher)) == "FORBIDDEN"


def test_a_teacher_token_for_a_course_with_no_learners_reads_no_one(world: World) -> None:
    service = world.api.container.service
    published_mooc(service, "EMPTY-301")
    teacher = world.api.token("teacher", courses=["EMPTY-301"])
    assert world.api(LEARNERS, token=teacher)["data"]["learners"] == {"totalCount": 0,
                                                                      "nodes": []}
    assert code(world.api(LEARNER, {"id": world.ours}, token=teacher)) == "FORBIDDEN"


def test_the_matrix_keeps_email_and_iin_to_admin_inet_and_the_learner() -> None:
    for role, fields in PERSONAL_FIELDS.items():
        private = {PersonalField.EMAIL, PersonalField.IIN} & fields
        assert bool(private) is (role in {Role.ADMIN, Role.INET, Role.LEARNER}), role
        assert (PersonalField.EVENT_PERSONAL in fields) is (
            role in {Role.ADMIN, Role.INET, Role.AUDITOR}), role
    assert not sees(None, PersonalField.FULL_NAME)
