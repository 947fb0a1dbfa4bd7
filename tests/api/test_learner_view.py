"""The learner's view (SPEC §4 role ``learner``): with a learner token, ``me`` and its enrolments
and certificates — its own only; staff read any learner's certificates."""

from __future__ import annotations

from typing import Any

from apiclient import Api
from support import ADMIN, certified

ME = """{ me { id fullName
  enrollments { totalCount nodes { id passed } }
  certificates { totalCount nodes { number status courseTitle } } } }"""
CERTIFICATES_OF = """query($id: ID!, $first: Int, $after: String) { learner(id: $id) {
  certificates(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { number status } } } }"""


def code_of(body: dict[str, Any]) -> str:
    assert body["data"] is None or body["errors"], body
    code: str = body["errors"][0]["extensions"]["code"]
    return code


def test_a_learner_token_lists_its_own_enrollments_and_certificates(api: Api) -> None:
    service = api.container.service
    mine = certified(service, "KAZLIT-101")
    theirs = certified(service, "KAZLIT-102")
    token = api.token("learner", "Aliya", learner=mine["learnerId"])

    me = api(ME, token=token)["data"]["me"]
    assert me["id"] == mine["learnerId"]
    assert me["enrollments"]["totalCount"] == 1
    assert me["certificates"]["totalCount"] == 1
    assert me["certificates"]["nodes"][0]["number"] == mine["number"]
    assert me["certificates"]["nodes"][0]["status"] == "ACTIVE"
    assert theirs["number"] not in str(me)

    own = api(CERTIFICATES_OF, {"id": mine["learnerId"]}, token=token)
    assert [n["number"] for n in own["data"]["learner"]["certificates"]["nodes"]] == [
        mine["number"]]
    other = api(CERTIFICATES_OF, {"id": theirs["learnerId"]}, token=token)
    assert code_of(other) == "FORBIDDEN"
    assert theirs["number"] not in str(other)


def test_staff_list_any_learners_certificates_newest_first_whatever_their_status(
    api: Api,
) -> None:
    service = api.container.service
    first = certified(service)
    reissued = service.run(ADMIN, lambda cmd: cmd.certificates.reissue(
        number=first["number"], full_name="Әлия Ғабитқызы Құрманова-Сейітова",
        reason="name corrected"))
    for role in ("inet", "auditor", "admin"):
        body = api(CERTIFICATES_OF, {"id": first["learnerId"]}, token=api.token(role))
        page = body["data"]["learner"]["certificates"]
        assert page["totalCount"] == 2
        assert [(n["number"], n["status"]) for n in page["nodes"]] == [
            (reissued, "ACTIVE"), (first["number"], "SUPERSEDED")]

    token = api.token("inet")
    one = api(CERTIFICATES_OF, {"id": first["learnerId"], "first": 1}, token=token)
    page = one["data"]["learner"]["certificates"]
    assert [n["number"] for n in page["nodes"]] == [reissued]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = api(CERTIFICATES_OF, {"id": first["learnerId"], "first": 1,
                                 "after": page["pageInfo"]["endCursor"]}, token=token)
    page = rest["data"]["learner"]["certificates"]
    assert [n["number"] for n in page["nodes"]] == [first["number"]]
    assert page["pageInfo"]["hasNextPage"] is False
    too_many = api(CERTIFICATES_OF, {"id": first["learnerId"], "first": 1000}, token=token)
    assert code_of(too_many) == "INVALID_INPUT"


def test_me_is_null_for_staff_and_needs_a_token(api: Api) -> None:
    assert api("{ me { id } }", token=api.token("inet"))["data"]["me"] is None
    assert code_of(api("{ me { id } }")) == "UNAUTHENTICATED"


def test_roles_that_may_not_read_learners_cannot_list_certificates(api: Api) -> None:
    cert = certified(api.container.service)
    body = api(CERTIFICATES_OF, {"id": cert["learnerId"]}, token=api.token("faculty"))
    assert code_of(body) == "FORBIDDEN"
    assert code_of(api(CERTIFICATES_OF, {"id": cert["learnerId"]})) == "UNAUTHENTICATED"
