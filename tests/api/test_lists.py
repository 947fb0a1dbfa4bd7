"""The read API's lists (SPEC §9, contract v2): filters ANDed, orderBy with a direction,
keyset cursors (nothing skipped or repeated while others write), first/after and last/before,
totalCount only when asked — on both back-ends; and the dashboards kept by the statistics
projection."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from api.apiclient import Api, make_client
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

from registry.application.context import CommandContext
from registry.clock import FixedClock
from registry.config import Settings
from registry.domain.moocs import LocalizedText


@pytest.fixture
def api(backend_settings: Settings, clock: FixedClock) -> Iterator[Api]:
    with make_client(backend_settings, clock) as client:
        yield Api(client)


@pytest.fixture
def admin(api: Api) -> str:
    return api.token("admin", "Test Admin")


MOOCS = """query($first: Int, $after: String, $last: Int, $before: String,
                 $orderBy: MoocOrderInput, $status: MoocStatus, $search: String) {
  moocs(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy,
        status: $status, search: $search) {
    edges { cursor node { code credits title { kk en } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""

# code → (credits, English title, Kazakh title)
COURSES = {
    "ALG-1": (5, "Algebra", "Алгебра"), "BIO-1": (3, "Biology", "Биология"),
    "CHM-1": (4, "Chemistry", "Химия"), "DAT-1": (3, "Data", "Деректер"),
    "ECO-1": (6, "Economics", "Экономика"), "FIN-1": (2, "Finance", "Қаржы"),
    "GEO-1": (4, "Geography", "География"),
}


def draft(api: Any, code: str) -> None:
    credits, en, kk = COURSES[code] if code in COURSES else (1, code, None)
    api.container.service.run(ADMIN, lambda cmd: cmd.moocs.draft(
        code=code, title=LocalizedText(kk=kk, en=en), language="kk", credits=credits,
        hours=None, department="Science"))


def walk(api: Api, token: str, order: dict[str, str] | None, size: int,
         backwards: bool = False) -> list[str]:
    """Every code, page by page, following the cursors."""
    codes: list[str] = []
    cursor = None
    while True:
        variables: dict[str, Any] = {"orderBy": order}
        variables.update({"last": size, "before": cursor} if backwards
                         else {"first": size, "after": cursor})
        page = api(MOOCS, variables, token=token)["data"]["moocs"]
        found = [e["node"]["code"] for e in page["edges"]]
        codes = found + codes if backwards else codes + found
        info = page["pageInfo"]
        if not (info["hasPreviousPage"] if backwards else info["hasNextPage"]):
            return codes
        cursor = info["startCursor"] if backwards else info["endCursor"]


ORDERS = {
    "CODE": lambda code: code,
    "CREDITS": lambda code: (COURSES[code][0], code),
    "TITLE": lambda code: (COURSES[code][2].casefold(), code),
}


@pytest.mark.parametrize("field", ORDERS)
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("size", [1, 3, 7, 100])
def test_every_order_direction_and_page_size_walks_each_row_once(
        api: Api, admin: str, field: str, direction: str, size: int) -> None:
    for code in COURSES:
        draft(api, code)
    expected = sorted(COURSES, key=ORDERS[field], reverse=direction == "DESC")
    order = {"field": field, "direction": direction}
    assert walk(api, admin, order, size) == expected
    assert walk(api, admin, order, size, backwards=True) == expected


def test_no_row_is_skipped_or_repeated_while_others_write(api: Api, admin: str) -> None:
    for code in COURSES:
        draft(api, code)
    first = api(MOOCS, {"first": 3}, token=admin)["data"]["moocs"]
    seen = [e["node"]["code"] for e in first["edges"]]
    assert seen == ["ALG-1", "BIO-1", "CHM-1"]
    # Others write between the two requests: rows before the cursor and after it.
    draft(api, "AAA-0")
    draft(api, "BBB-0")
    draft(api, "ZZZ-9")
    rest = walk_from(api, admin, first["pageInfo"]["endCursor"])
    assert rest == ["DAT-1", "ECO-1", "FIN-1", "GEO-1", "ZZZ-9"]  # nothing repeated or lost


def walk_from(api: Api, token: str, cursor: str) -> list[str]:
    codes: list[str] = []
    while True:
        page = api(MOOCS, {"first": 2, "after": cursor}, token=token)["data"]["moocs"]
        codes += [e["node"]["code"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return codes
        cursor = page["pageInfo"]["endCursor"]


def test_a_cursor_of_another_order_or_a_bad_page_size_is_invalid_input(
        api: Api, admin: str) -> None:
    for code in COURSES:
        draft(api, code)
    by_code = api(MOOCS, {"first": 2}, token=admin)["data"]["moocs"]["pageInfo"]["endCursor"]
    body = api(MOOCS, {"first": 2, "after": by_code,
                       "orderBy": {"field": "CREDITS"}}, token=admin)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert "another order (CODE ASC)" in body["errors"][0]["message"]
    body = api(MOOCS, {"first": 2, "after": by_code,
                       "orderBy": {"field": "CODE", "direction": "DESC"}}, token=admin)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    for variables in ({"first": 101}, {"last": 101}, {"first": -1}, {"first": 2, "last": 2}):
        body = api(MOOCS, variables, token=admin)
        assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT", variables


def test_filters_are_anded_and_search_reads_every_language(api: Api, admin: str) -> None:
    for code in COURSES:
        draft(api, code)
    published_mooc(api.container.service, "PUB-1")
    found = api(MOOCS, {"search": "қаржы"}, token=admin)["data"]["moocs"]["edges"]
    assert [e["node"]["code"] for e in found] == ["FIN-1"]
    found = api(MOOCS, {"search": "e", "status": "PUBLISHED"}, token=admin)["data"]["moocs"]
    assert [e["node"]["code"] for e in found["edges"]] == ["PUB-1"]


def test_total_count_is_counted_only_when_asked(api: Api, admin: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    for code in COURSES:
        draft(api, code)
    service = api.container.service
    counted: list[str] = []
    count = service.count
    monkeypatch.setattr(service, "count", lambda table, *a, **kw: counted.append(table)
                        or count(table, *a, **kw))
    api(MOOCS, {"first": 2}, token=admin)
    assert counted == []
    body = api("{ moocs(first: 2) { totalCount } }", token=admin)
    assert body["data"]["moocs"]["totalCount"] == len(COURSES)
    assert counted == ["moocs"]


CERTIFICATES = """query($status: CertificateStatus, $from: Date, $to: Date, $search: String,
                        $learnerId: ID, $orderBy: CertificateOrderInput) {
  certificates(status: $status, issuedFrom: $from, issuedTo: $to, search: $search,
               learnerId: $learnerId, orderBy: $orderBy, first: 10) {
    totalCount nodes { number status fullName issuedOn } } }"""


def test_certificates_by_status_date_range_and_holder_name(api: Api, admin: str) -> None:
    service = api.container.service
    one = certified(service, "CERT-1")
    published_mooc(service, "CERT-2")
    two = issued(service, examined(service, scored(service, enrolled(service, "CERT-2",
                                                                     "Данияр Сейтқали"))))
    revoked(service, one["number"], "Issued in error")
    everyone = api(CERTIFICATES, {}, token=admin)["data"]["certificates"]
    assert everyone["totalCount"] == 2
    active = api(CERTIFICATES, {"status": "ACTIVE"}, token=admin)["data"]["certificates"]
    assert [c["number"] for c in active["nodes"]] == [two["number"]]
    named = api(CERTIFICATES, {"search": "СЕЙТҚАЛИ"}, token=admin)["data"]["certificates"]
    assert [c["number"] for c in named["nodes"]] == [two["number"]]
    on_day = api(CERTIFICATES, {"from": "2026-06-15", "to": "2026-06-15"},
                 token=admin)["data"]["certificates"]
    assert on_day["totalCount"] == 2
    before = api(CERTIFICATES, {"to": "2026-06-14"}, token=admin)["data"]["certificates"]
    assert before["totalCount"] == 0
    by_name = api(CERTIFICATES, {"orderBy": {"field": "FULL_NAME"}},
                  token=admin)["data"]["certificates"]["nodes"]
    assert [c["fullName"] for c in by_name] == sorted((c["fullName"] for c in by_name),
                                                      key=str.casefold)


def test_a_learner_lists_only_its_own_certificates_and_a_teacher_none(
        api: Api, admin: str) -> None:
    service = api.container.service
    mine = certified(service, "OWN-1")
    certified(service, "OTHER-1")
    learner = api.token("learner", learner=mine["learnerId"])
    own = api(CERTIFICATES, {}, token=learner)["data"]["certificates"]
    assert [c["number"] for c in own["nodes"]] == [mine["number"]]
    other = registered(service, "Басқа Адам")["id"]
    body = api(CERTIFICATES, {"learnerId": other}, token=learner)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = api(CERTIFICATES, {}, token=api.token("teacher", courses=["OWN-1"]))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


LEARNER_BY_IIN = "query($iin: String) { learners(iin: $iin) { nodes { id fullName } } }"


def test_learners_by_iin_for_the_roles_that_see_iins(api: Api, admin: str) -> None:
    learner = registered(api.container.service, iin="900101300007")
    found = api(LEARNER_BY_IIN, {"iin": "900101300007"}, token=admin)["data"]["learners"]
    assert [n["id"] for n in found["nodes"]] == [learner["id"]]
    none = api(LEARNER_BY_IIN, {"iin": "000000000000"}, token=admin)["data"]["learners"]
    assert none["nodes"] == []
    body = api(LEARNER_BY_IIN, {"iin": "900101300007"}, token=api.token("auditor"))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


ENROLLMENTS = """query($orderBy: EnrollmentOrderInput) {
  enrollments(orderBy: $orderBy, first: 10) { nodes { totalPoints finalGrade { numeric } } } }"""


def test_enrolments_by_points_and_final_grade(api: Api, admin: str) -> None:
    service = api.container.service
    published_mooc(service, "ORD-1")
    examined(service, scored(service, enrolled(service, "ORD-1", "Бір"), (90, 90, 90)), 90)
    scored(service, enrolled(service, "ORD-1", "Екі"), (60, 60, 60))
    enrolled(service, "ORD-1", "Үш")
    by_points = api(ENROLLMENTS, {"orderBy": {"field": "TOTAL_POINTS", "direction": "DESC"}},
                    token=admin)["data"]["enrollments"]["nodes"]
    assert [n["totalPoints"] for n in by_points] == [270, 180, 0]
    by_final = api(ENROLLMENTS, {"orderBy": {"field": "FINAL_NUMERIC", "direction": "DESC"}},
                   token=admin)["data"]["enrollments"]["nodes"]
    assert by_final[0]["finalGrade"] is not None
    assert [n["finalGrade"] for n in by_final[1:]] == [None, None]


STATISTICS = """{ statistics { moocsByStatus { status count } learners certificatesActive
  certificatesIssuedByMonth(from: "2026-01-01", to: "2026-12-31") { month count }
  programSubmissionsAwaitingInet incompleteTeachingMaterials } }"""
COURSE = """query($code: String!) { mooc(code: $code) { statistics {
  enrolled admitted examined passed certificatesActive admissionRate passRate averageFinal } } }"""


def test_dashboards_for_staff(api: Api, admin: str) -> None:
    service = api.container.service
    certified(service, "DASH-1")
    scored(service, enrolled(service, "DASH-1", "Екінші"), (10, 10, 10))
    inet = api.token("inet")
    stats = api(STATISTICS, token=inet)["data"]["statistics"]
    assert stats["learners"] == 2
    assert stats["certificatesActive"] == 1
    assert stats["certificatesIssuedByMonth"] == [{"month": "2026-06", "count": 1}]
    assert {"status": "PUBLISHED", "count": 1} in stats["moocsByStatus"]
    course = api(COURSE, {"code": "DASH-1"}, token=inet)["data"]["mooc"]["statistics"]
    assert course == {"enrolled": 2, "admitted": 1, "examined": 1, "passed": 1,
                      "certificatesActive": 1, "admissionRate": 0.5, "passRate": 1.0,
                      "averageFinal": course["averageFinal"]}
    assert course["averageFinal"] > 50
    for refused in (api.token("faculty", "Faculty"), None):
        body = api(STATISTICS, token=refused)
        assert body["errors"][0]["extensions"]["code"] in ("FORBIDDEN", "UNAUTHENTICATED")


def test_dashboards_do_not_count_certificates_a_compromised_key_revokes(
        api: Api, admin: str, clock: FixedClock) -> None:
    """Every answer shows a certificate signed by a key compromised by its issue date as
    REVOKED; the dashboards' active counts agree — registry-wide and per course."""
    service = api.container.service
    before = certified(service, "DASH-K")  # issued today, 2026-06-15
    clock.set(clock.at + datetime.timedelta(days=5))
    after = issued(service, examined(service, scored(service, enrolled(service, "DASH-K",
                                                                         "Кейінгі"))))
    inet = api.token("inet")

    def active() -> tuple[int, int]:
        stats = api(STATISTICS, token=inet)["data"]["statistics"]
        course = api(COURSE, {"code": "DASH-K"}, token=inet)["data"]["mooc"]["statistics"]
        return stats["certificatesActive"], course["certificatesActive"]

    assert active() == (2, 2)
    service.run(CommandContext("operator", "operator"), lambda cmd: cmd.keys.compromise(
        after["kid"], datetime.date(2026, 6, 18), "laptop stolen"))
    assert before["kid"] == after["kid"]
    assert active() == (1, 1)  # the one issued before the compromise date still stands
