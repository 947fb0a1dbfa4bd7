"""The GraphQL view reads a POST of ``application/json`` itself (without strawberry's
``email``-based header parsing): for every body, content type and ``Accept`` header it reads
exactly what strawberry's own ``parse_http_body`` reads — the same operation, or the same
refusal (status and reason)."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from cross_web import HTTPException, StarletteRequestAdapter
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.requests import Request
from strawberry.http.async_base_view import AsyncBaseHTTPView

from registry.api.schema import schema
from registry.web.graphql import PARSED_ON_LOOP_MAX
from registry.web.graphql_http import GuardedGraphQL

VIEW = GuardedGraphQL(lambda _: None, max_message_bytes=1 << 20, schema=schema,
                      multipart_uploads_enabled=True)

CONTENT_TYPES = ["application/json", "application/json; charset=utf-8",
                 "application/json;charset=UTF-8", " application/json ", "Application/JSON",
                 "application/graphql-response+json", "text/plain", "", "application/jsonx"]
ACCEPTS = [None, "application/json", "*/*", "multipart/mixed", "Multipart/Mixed",
           'multipart/mixed;subscriptionSpec="1.0", application/json', "text/event-stream",
           "application/json, TEXT/EVENT-STREAM;q=0.5", "text/html"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                               max_size=3),
    max_leaves=6)
# each member well-typed, null, or of any other JSON type
scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=8)
other_types = st.one_of(scalars, st.lists(scalars, max_size=2),
                        st.dictionaries(st.text(max_size=4), scalars, max_size=2))
members = st.fixed_dictionaries({}, optional={
    "query": st.one_of(st.just("{ __typename }"), other_types),
    "variables": st.one_of(st.just({"n": "KZ-1"}), other_types),
    "extensions": st.one_of(st.just({"persistedQuery": {}}), other_types),
    "operationName": st.one_of(st.just("Q"), other_types),
    "other": json_values,
})
bodies = st.one_of(
    members.map(lambda d: json.dumps(d).encode()),
    members.map(lambda d: json.dumps(d).encode()),
    st.lists(members, max_size=2).map(lambda d: json.dumps(d).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.sampled_from([b"", b"{", b"\xff\xfe{}", b"[" * 5000, b'{"query": "{ a }"} x']),
)


def adapter(body: bytes, content_type: str, accept: str | None, method: str
            ) -> StarletteRequestAdapter:
    headers = [(b"content-type", content_type.encode())]
    if accept is not None:
        headers.append((b"accept", accept.encode()))
    scope = {"type": "http", "method": method, "path": "/graphql", "query_string": b"",
             "headers": headers}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    return StarletteRequestAdapter(Request(scope, receive))


def outcome(reader: Any, body: bytes, content_type: str, accept: str | None,
            method: str = "POST") -> Any:
    try:
        return asyncio.run(reader(adapter(body, content_type, accept, method)))
    except HTTPException as refusal:
        return ("refused", refusal.status_code, refusal.reason)


def strawberrys(request: StarletteRequestAdapter) -> Any:
    return AsyncBaseHTTPView.parse_http_body(VIEW, request)


@settings(max_examples=300, deadline=None)
@given(body=bodies,
       # the common request half the time, so that the view's own reading is tried often
       content_type=st.one_of(st.just("application/json"), st.sampled_from(CONTENT_TYPES)),
       accept=st.one_of(st.none(), st.sampled_from(ACCEPTS)))
def test_a_post_reads_as_strawberry_reads_it(body: bytes, content_type: str,
                                             accept: str | None) -> None:
    assert outcome(VIEW.parse_http_body, body, content_type, accept) == \
        outcome(strawberrys, body, content_type, accept)


def test_the_common_request_is_read_without_strawberrys_path() -> None:
    """The cases the view reads itself (so the property above compares two readers, not one
    with itself), and a case it leaves to strawberry."""
    body = json.dumps({"query": "query Q { __typename }", "variables": {"n": 1},
                       "operationName": "Q"}).encode()
    for content_type in ("application/json", "application/json; charset=utf-8"):
        read, _ = asyncio.run(VIEW._plain_json(adapter(body, content_type, "*/*", "POST")))
        assert read is not None
        assert (read.query, read.variables, read.operation_name, read.protocol) == \
            ("query Q { __typename }", {"n": 1}, "Q", "http")
    assert asyncio.run(VIEW._plain_json(adapter(body, "application/json", "multipart/mixed",
                                                "POST")))[0] is None
    assert asyncio.run(VIEW._plain_json(adapter(b"[]", "application/json", None,
                                                "POST")))[0] is None


def test_a_body_left_to_strawberry_is_parsed_once(monkeypatch: Any) -> None:
    """A batch or a wrongly typed member goes strawberry's way with the body already parsed:
    a large body costs the event loop one parse, not two."""
    parses: list[object] = []
    real = VIEW.decode_json

    def counting(data: str | bytes) -> object:
        parses.append(data)
        return real(data)
    monkeypatch.setattr(VIEW, "decode_json", counting)
    for body in (b'[{"query": "{ a }"}, {"query": "{ b }"}]', b'{"query": 1}',
                 b'{"query": "{ a }", "variables": []}'):
        parses.clear()
        outcome(VIEW.parse_http_body, body, "application/json", None)
        assert len(parses) == 1, body
    parses.clear()
    outcome(VIEW.parse_http_body, b'{"query": "{ a }"}', "application/json", None)
    assert len(parses) == 1


def test_a_large_body_is_parsed_off_the_event_loop(monkeypatch: Any) -> None:
    threads: list[str] = []
    real = VIEW.decode_json

    def recording(data: str | bytes) -> object:
        threads.append(threading.current_thread().name)
        return real(data)
    monkeypatch.setattr(VIEW, "decode_json", recording)
    small = json.dumps({"query": "{ __typename }"}).encode()
    large = json.dumps({"query": "{ __typename }", "variables": {"x": "ы" * 40_000}}).encode()
    assert len(small) <= PARSED_ON_LOOP_MAX < len(large)
    for body in (small, large, b"[" + large + b"]"):
        outcome(VIEW.parse_http_body, body, "application/json", None)
    main = threading.main_thread().name
    assert threads == [main, threads[1], threads[2]] and main not in threads[1:]
