"""Bad input at the edge answers a clear refusal, never a 500 (issue 10): bodies that are not
a JSON object on ``/graphql`` and ``/api/verify``, cursors with absurd offsets, and every
integer in a query string or argument — huge, negative, non-numeric, fractional."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from api.apiclient import Api, make_client
from support import certified

from registry.api.relay import Order, keyset_cursor
from registry.clock import FixedClock
from registry.config import Settings

BAD_BODIES = {
    "null": b"null",
    "a number": b"1",
    "a string": b'"x"',
    "an array": b"[]",
    "invalid UTF-8": b'{"query": "\xc3\x28"}',
    "invalid JSON": b"{bad",
    "empty": b"",
    "nested too deeply": b"[" * 100_000,
}


@pytest.fixture
def api(sqlite_settings: Settings, clock: FixedClock) -> Iterator[Api]:
    with make_client(sqlite_settings, clock) as client:
        yield Api(client)


@pytest.fixture
def admin(api: Api) -> str:
    return api.token("admin")


def invalid_input(body: dict[str, Any], *, nested: bool = False) -> str:
    """The message of a GraphQL ``INVALID_INPUT`` refusal (of a top-level field, unless
    ``nested``: then its parent answers null)."""
    assert body.get("data") is None or nested, body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT", error
    assert error["message"]
    return str(error["message"])


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_graphql_answers_400_json_for_a_body_that_is_not_a_json_object(
        api: Api, body: bytes) -> None:
    response = api.client.post("/graphql", content=body,
                               headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    invalid_input(response.json())


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_api_verify_answers_400_json_for_a_body_that_is_not_a_json_object(
        api: Api, body: bytes) -> None:
    response = api.client.post("/api/verify", content=body,
                               headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_INPUT"
    assert "JSON" in response.json()["error"]


@pytest.mark.parametrize("request_body", [
    {"query": 1}, {"query": None}, {"query": "{ __typename }", "variables": []},
    {"query": "{ __typename }", "variables": 1}, {"query": "{ __typename }", "extensions": "x"},
    {"query": "{ __typename }", "operationName": 1}, {"query": "{ __typename"},
])
def test_graphql_requests_with_wrong_shapes_are_invalid_input(
        api: Api, request_body: dict[str, Any]) -> None:
    response = api.client.post("/graphql", json=request_body)
    assert response.status_code in (200, 400)
    invalid_input(response.json())


@pytest.mark.parametrize("query", ["variables=1&query={__typename}", "variables=[",
                                   "query=", ""])
def test_graphql_get_with_bad_parameters_is_invalid_input(api: Api, query: str) -> None:
    response = api.client.get(f"/graphql?{query}", headers={"accept": "application/json"})
    assert response.status_code == 400
    invalid_input(response.json())


def test_other_content_types_and_methods_answer_json_refusals(api: Api) -> None:
    text = api.client.post("/graphql", content=b"{ __typename }",
                           headers={"content-type": "text/plain"})
    assert text.status_code == 400
    invalid_input(text.json())
    assert api.client.put("/graphql", json={}).status_code == 405


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32"])
def test_api_verify_reads_a_body_with_a_bom_or_in_utf_16_or_32_as_json(
        api: Api, encoding: str) -> None:
    # orjson reads UTF-8 only; what it refuses the standard library reads, as it always did
    body = json.dumps({"number": "KZ-0000-0000-0", "lang": "kk"}).encode(encoding)
    response = api.client.post("/api/verify", content=body,
                               headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "INVALID"


def test_api_verify_without_token_or_number_is_400(api: Api) -> None:
    for body in ({}, {"token": 1}, {"number": ["x"]}, {"token": ""}):
        response = api.client.post("/api/verify", json=body)
        assert response.status_code == 400
        assert response.json()["code"] == "INVALID_INPUT"


# -- cursors and integer arguments --------------------------------------------------------

LISTS = ["platforms", "moocs", "learners", "enrollments", "programSubmissions",
         "programSubmissionsAwaitingInet", "incompleteTeachingMaterials"]


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


BAD_CURSORS = {
    "an offset of 10^20": cursor(f"offset:{10**20}"),
    "an offset past 2^63": cursor(f"offset:{2**63}"),
    "an offset past 2^31": cursor(f"offset:{2**31}"),
    "a negative offset": cursor("offset:-1"),
    "a fractional offset": cursor("offset:1.5"),
    "non-ASCII digits": cursor("offset:٣"),
    "another kind": cursor("key:1"),
    "not base64": "%%%",
    "not ASCII": "ключ",
    "not UTF-8": base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    "long": "A" * 10_000,
}


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("after", BAD_CURSORS.values(), ids=BAD_CURSORS.keys())
def test_a_cursor_that_is_not_one_of_ours_is_invalid_input(
        api: Api, admin: str, name: str, after: str) -> None:
    body = api(f"query($after: String) {{ {name}(first: 2, after: $after) {{ totalCount }} }}",
               {"after": after}, token=admin)
    assert "not a cursor" in invalid_input(body)


def test_a_cursor_past_the_last_row_answers_an_empty_page(api: Api, admin: str) -> None:
    past = keyset_cursor(Order("KEY"), "\uffff", "\uffff")
    body = api("query($after: String) { platforms(after: $after) { edges { cursor } "
               "pageInfo { hasPreviousPage hasNextPage } } }", {"after": past}, token=admin)
    assert body["data"]["platforms"] == {
        "edges": [], "pageInfo": {"hasPreviousPage": False, "hasNextPage": False}}


@pytest.mark.parametrize("value", [10**20, 2**63, -(2**63), 1.5, True, None, "x"],
                         ids=repr)
def test_a_cursor_whose_value_does_not_fit_its_order_is_invalid_input(
        api: Api, admin: str, value: Any) -> None:
    made = keyset_cursor(Order("CREDITS", "credits"), value, "KEY-1")
    body = api("query($after: String) { moocs(first: 2, after: $after, "
               "orderBy: {field: CREDITS}) { totalCount } }", {"after": made}, token=admin)
    assert "cursor" in invalid_input(body)


def test_nested_lists_refuse_bad_cursors_too(api: Api, admin: str) -> None:
    number = certified(api.container.service)["number"]
    learner = api.container.service.certificate(number)["learnerId"]
    for field in ("enrollments", "certificates"):
        body = api(f"query($id: ID!, $after: String) {{ learner(id: $id) {{ "
                   f"{field}(after: $after) {{ totalCount }} }} }}",
                   {"id": learner, "after": BAD_CURSORS["an offset of 10^20"]}, token=admin)
        assert "not a cursor" in invalid_input(body, nested=True)


BAD_INTS: dict[str, Any] = {"negative": -1, "2^31": 2**31, "10^20": 10**20, "fractional": 1.5,
                            "a string": "1", "a boolean": True}


@pytest.mark.parametrize("value", BAD_INTS.values(), ids=BAD_INTS.keys())
@pytest.mark.parametrize("name", LISTS)
def test_page_sizes_outside_0_to_100_are_invalid_input(api: Api, admin: str, name: str,
                                                      value: Any) -> None:
    body = api(f"query($first: Int) {{ {name}(first: $first) {{ totalCount }} }}",
               {"first": value}, token=admin)
    invalid_input(body)


@pytest.mark.parametrize("query", [
    "{ logEntries(start: -1) { index } }",
    "{ logEntries(limit: 0) { index } }",
    "{ logEntries(limit: 1001) { index } }",
    "{ logEntries(start: 2147483648) { index } }",
    "{ logEntries(start: 1.5) { index } }",
    "{ logInclusionProof(index: -1, size: 1) { index } }",
    "{ logInclusionProof(index: 0, size: -1) { index } }",
    "{ logInclusionProof(index: 2147483647, size: 2147483647) { index } }",
    "{ logInclusionProof(index: 99999999999, size: 1) { index } }",
    "{ logConsistencyProof(old: -5, new: 1) { old } }",
    "{ logConsistencyProof(old: 1, new: 2147483647) { old } }",
    "{ logConsistencyProof(old: 0, new: 0) { old } }",
])
def test_log_numbers_out_of_range_are_invalid_input(api: Api, admin: str, query: str) -> None:
    invalid_input(api(query, token=admin))


@pytest.mark.parametrize("field,value", [
    ("points", -1), ("points", 101), ("points", 2**31), ("points", 2**40), ("points", 1.5),
    ("points", "50"), ("points", None),
])
def test_score_points_out_of_range_are_invalid_input(api: Api, admin: str, field: str,
                                                     value: Any) -> None:
    enrollment = api.container.service.find("enrollments", limit=1)
    enrollment_id = enrollment[0]["id"] if enrollment else "00000000-0000-0000-0000-000000000000"
    before = api.event_count()
    body = api("mutation($input: RecordScoreInput!) { recordScore(input: $input) { id } }",
               {"input": {"enrollmentId": enrollment_id, "component": "RATING_1",
                          field: value}}, token=admin)
    invalid_input(body)
    assert api.event_count() == before


@pytest.mark.parametrize("changes", [
    {"credits": 0}, {"credits": -3}, {"credits": 2**31}, {"credits": 2.5},
    {"hours": 0}, {"hours": -1}, {"hours": 10**12}, {"hours": "many"},
])
def test_mooc_credits_and_hours_out_of_range_are_invalid_input(
        api: Api, admin: str, changes: dict[str, Any]) -> None:
    before = api.event_count()
    body = api("mutation($input: DraftMoocInput!) { draftMooc(input: $input) { code } }",
               {"input": {"code": "NUM-1", "title": {"en": "Numbers"}, "language": "en",
                          "credits": 3, **changes}}, token=admin)
    invalid_input(body)
    assert api.event_count() == before


def test_exam_points_out_of_range_are_invalid_input(api: Api, admin: str) -> None:
    for points in (-1, 101, 2**31):
        body = api("mutation($input: RecordFinalExamInput!) { recordFinalExam(input: $input) "
                   "{ id } }", {"input": {"enrollmentId": "00000000-0000-0000-0000-000000000000",
                                         "points": points, "mode": "ON_CAMPUS"}}, token=admin)
        invalid_input(body)


# -- numbers in query strings ---------------------------------------------------------------

BAD_NUMBERS = ["100000000000000000000", "9223372036854775808", "2147483648", "-1", "1e5",
               "1.5", "%D9%A3", "", "abc", "+1", "0x10", "%201"]


@pytest.mark.parametrize("raw", BAD_NUMBERS)
@pytest.mark.parametrize("template", [
    "/log/entries?start={}", "/log/entries?limit={}", "/log/proof/inclusion?index={}&size=1",
    "/log/proof/inclusion?index=0&size={}", "/log/proof/consistency?old={}&new=1",
    "/log/proof/consistency?old=1&new={}",
])
def test_out_of_range_numbers_in_log_query_strings_answer_400(
        api: Api, admin: str, template: str, raw: str) -> None:
    response = api.client.get(template.format(raw), headers={"authorization": f"Bearer {admin}"})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "INVALID_INPUT"
    assert response.json()["error"]


def test_the_largest_log_numbers_answer_normally(api: Api, admin: str) -> None:
    auth = {"authorization": f"Bearer {admin}"}
    assert api.client.get("/log/entries?start=2147483647&limit=2147483647",
                          headers=auth).status_code == 200
    proof = api.client.get("/log/proof/inclusion?index=0&size=2147483647")
    assert proof.status_code == 400 and "entries" in proof.json()["error"]


@pytest.mark.parametrize("path", [
    "/certificates/%00.pdf", "/certificates/" + "9" * 5000 + ".pdf",
    "/certificates/../../etc/passwd.pdf", "/certificates/-1/qr.png",
    "/certificates/" + "Z" * 5000 + "/qr.svg", "/certificates/x/qr.gif",
    "/documents/" + "f" * 64, "/documents/zz", "/documents/" + "0" * 10_000,
])
def test_odd_paths_answer_4xx_never_500(api: Api, admin: str, path: str) -> None:
    response = api.client.get(path, headers={"authorization": f"Bearer {admin}"})
    assert 400 <= response.status_code < 500, response.text
