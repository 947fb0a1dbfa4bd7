"""No N+1 (issue 12, capability 3): a page of enrolments with each one's learner, MOOC,
platform and certificate reads the views with the same few statements whatever the page size
— each relation is one batched ``WHERE key IN …`` (``registry/api/loaders.py``) — on both
back-ends. Statements are counted on the views' engines with SQLAlchemy's
``before_cursor_execute``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from api.apiclient import Api, make_client, view_reads
from support import ADMIN, published_mooc

from registry.application.service import RegistryService
from registry.clock import FixedClock
from registry.config import Settings

LEARNERS = 100
CERTIFIED = range(0, LEARNERS, 7)  # every seventh enrolment has a certificate

ENROLLMENTS = """query($first: Int) {
  enrollments(first: $first) { edges { node {
    id totalPoints admitted passed
    learner { fullName }
    mooc { code platform { name } }
    certificate { number status supersedes { number } }
  } } } }"""

LEARNER_LISTS = """query($first: Int) {
  learners(first: $first) { nodes {
    fullName
    enrollments(first: 5) { totalCount nodes { id mooc { code statistics { enrolled } } } }
    certificates { nodes { number } }
  } } }"""

# What one such page reads, whatever its size: the page, then one batch per relation —
# learners, MOOCs, platforms, certificates and the key ring their status is judged with
# (``RegistryService._standing``). Reads of ``projection_builds`` (which build serves each
# view, re-read at most twice a second whatever the traffic) are not the page's and are left
# out, as are SQLite's ``BEGIN``s, one per read.
ENROLLMENT_READS = 6
# The learners, their first pages of enrolments, the enrolments' counts, the MOOCs, the
# courses' statistics, the learners' certificates and the key ring.
LEARNER_READS = 7


@pytest.fixture
def api(backend_settings: Settings, clock: FixedClock) -> Iterator[Api]:
    with make_client(backend_settings, clock) as client:
        api = Api(client)
        populate(api.container.service)
        yield api


def populate(service: RegistryService) -> None:
    """LEARNERS learners, each enrolled in one of two MOOCs; some certified. The commands are
    stored without waiting for the views, which are waited for once at the end."""
    published_mooc(service, "ALG-101")
    published_mooc(service, "BIO-101")
    position = 0
    for i in range(LEARNERS):
        learner = service.execute(ADMIN, lambda cmd, i=i: cmd.learners.register(
            full_name=f"Learner {i:03}", email=None, iin=None, full_name_latin=None)).value
        code = ("ALG-101", "BIO-101")[i % 2]
        saved = service.execute(ADMIN, lambda cmd, lid=learner, code=code: cmd.enrollments.enroll(
            learner_id=uuid.UUID(lid), mooc_code=code))
        position = saved.position
        if i in CERTIFIED:
            position = certify(service, uuid.UUID(saved.value))
    assert service.wait_for(position).current


def certify(service: RegistryService, enrollment_id: uuid.UUID) -> int:
    for component, points in (("RATING_1", 80), ("MIDTERM", 90), ("RATING_2", 70)):
        service.execute(ADMIN, lambda cmd, c=component, p=points: cmd.enrollments.record_score(
            enrollment_id=enrollment_id, component=c, points=p, reason=None))
    service.execute(ADMIN, lambda cmd: cmd.enrollments.record_final_exam(
        enrollment_id=enrollment_id, points=88, mode="ON_CAMPUS"))
    return service.execute(ADMIN, lambda cmd: cmd.certificates.issue(
        enrollment_id=enrollment_id)).position


def reads_of(api: Api, query: str, first: int, token: str) -> tuple[list[str], dict[str, Any]]:
    api(query, {"first": first}, token=token)  # warm: a first request may build caches
    with view_reads(api) as seen:
        body = api(query, {"first": first}, token=token)
    assert "errors" not in body, body
    return list(seen), body["data"]


def test_a_page_of_enrolments_with_their_relations_reads_the_views_a_fixed_number_of_times(
        api: Api) -> None:
    admin = api.token("admin")
    small, ten = reads_of(api, ENROLLMENTS, 10, admin)
    large, hundred = reads_of(api, ENROLLMENTS, 100, admin)

    nodes = [edge["node"] for edge in hundred["enrollments"]["edges"]]
    assert len(nodes) == LEARNERS
    assert [e["node"]["id"] for e in ten["enrollments"]["edges"]] == [n["id"] for n in nodes[:10]]
    assert {n["learner"]["fullName"] for n in nodes} == {f"Learner {i:03}"
                                                         for i in range(LEARNERS)}
    assert {n["mooc"]["platform"]["name"] for n in nodes} != {None}
    certified = [n for n in nodes if n["certificate"]]
    assert len(certified) == len(CERTIFIED)
    assert all(n["certificate"]["status"] == "ACTIVE" for n in certified)
    assert any(n["certificate"] for n in nodes[:10])  # the small page reads certificates too

    assert len(small) == len(large), (small, large)
    assert len(large) <= ENROLLMENT_READS, large


def test_a_page_and_the_rows_its_nodes_relations_need_share_one_connection(api: Api) -> None:
    """The page of enrolments and its learners are read in one thread hop through one
    connection of the views' pool, not one checkout per read."""
    from sqlalchemy import event

    admin = api.token("admin")
    query = "{ enrollments(first: 100) { nodes { id learner { fullName } } } }"
    api(query, token=admin)
    pool = api.container.views.read_engine.pool
    checkouts: list[object] = []
    listener = lambda *_: checkouts.append(None)  # noqa: E731
    event.listen(pool, "checkout", listener)
    try:
        with view_reads(api) as seen:
            body = api(query, token=admin)
    finally:
        event.remove(pool, "checkout", listener)
    nodes = body["data"]["enrollments"]["nodes"]
    assert len(nodes) == LEARNERS and all(n["learner"]["fullName"] for n in nodes)
    assert len(seen) == 2, seen  # the page, its learners
    assert len(checkouts) == 1


def test_a_page_of_learners_with_their_lists_reads_the_views_a_fixed_number_of_times(
        api: Api) -> None:
    admin = api.token("admin")
    small, _ = reads_of(api, LEARNER_LISTS, 10, admin)
    large, data = reads_of(api, LEARNER_LISTS, 100, admin)

    learners = data["learners"]["nodes"]
    assert len(learners) == LEARNERS
    assert all(len(l["enrollments"]["nodes"]) == 1 for l in learners)
    assert all(l["enrollments"]["totalCount"] == 1 for l in learners)
    assert sum(len(l["certificates"]["nodes"]) for l in learners) == len(CERTIFIED)
    enrolled = {n["mooc"]["code"]: n["mooc"]["statistics"]["enrolled"]
                for l in learners for n in l["enrollments"]["nodes"]}
    assert enrolled == {"ALG-101": LEARNERS // 2, "BIO-101": LEARNERS // 2}

    assert len(small) == len(large), (small, large)
    assert len(large) <= LEARNER_READS, large


def test_histories_read_together_are_each_record_s_own_events_in_order(api: Api) -> None:
    admin = api.token("admin")
    data = api("""{ enrollments(first: 30) { nodes { id history { version type } } } }""",
               token=admin)["data"]
    service = api.container.service
    for node in data["enrollments"]["nodes"]:
        own = service.history(uuid.UUID(node["id"]))
        assert node["history"] == [{"version": e["version"], "type": e["type"]} for e in own]
    assert {len(n["history"]) for n in data["enrollments"]["nodes"]} == {1, 6}
