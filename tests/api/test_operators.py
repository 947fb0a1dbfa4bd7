"""Issue 14, capability 2 and the found bugs: what an operator's tools read, and answers a
person can read — /readyz, /metrics, request ids and JSON logs, UTF-8 JSON, GraphiQL offline.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from apiclient import Api, make_client
from prometheus_client.parser import text_string_to_metric_families
from support import KAZAKH_TITLE, published_mooc

from registry.clock import FixedClock
from registry.config import Settings
from registry.web.logs import JsonFormatter, request_id

MOOC_TITLE = "query Title($code: String!) { mooc(code: $code) { code title { kk } } }"


@pytest.fixture
def api(backend_settings: Settings, clock: FixedClock) -> Iterator[Api]:
    with make_client(replace(backend_settings, ready_max_lag=3), clock) as client:
        yield Api(client)


def samples(api: Api) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = api.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(response.text)
            for s in family.samples}


def value(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str,
          **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


# -- /readyz ---------------------------------------------------------------------------------

@pytest.mark.parametrize("backend_settings", ["sqlite", "postgres"], indirect=True)
def test_readyz_is_ready_when_the_store_answers_the_views_keep_up_and_the_key_is_here(
        api: Api) -> None:
    api.container.wait_for_views()
    response = api.client.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert {name for name, check in body["checks"].items() if check["ok"]} == {
        "database", "projections", "signingKey"}


@pytest.mark.parametrize("backend_settings", ["sqlite", "postgres"], indirect=True)
def test_readyz_degrades_when_the_projections_stop(api: Api) -> None:
    api.container.wait_for_views()
    assert api.client.get("/readyz").status_code == 200
    assert api.container.daemon is not None
    api.container.daemon.stop()
    for code in ("MOOC-1", "MOOC-2"):  # each draft and publish: more than 3 events
        published_mooc(api.container.service, code)
    response = api.client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert not body["checks"]["projections"]["ok"]
    assert "REGISTRY_READY_MAX_LAG" in body["checks"]["projections"]["reason"]
    assert body["checks"]["database"]["ok"] and body["checks"]["signingKey"]["ok"]


@pytest.mark.parametrize("backend_settings", ["sqlite"], indirect=True)
def test_readyz_is_not_ready_without_the_active_keys_private_half(api: Api) -> None:
    keys = api.container.keys
    for path in keys.directory.glob("certificate-signing*.pem"):
        path.unlink()
    keys._keys.clear()  # what a fresh process would find on this disk
    response = api.client.get("/readyz")
    assert response.status_code == 503
    assert "has no private key" in response.json()["checks"]["signingKey"]["reason"]


# -- /metrics --------------------------------------------------------------------------------

@pytest.mark.parametrize("backend_settings", ["sqlite", "postgres"], indirect=True)
def test_metrics_count_requests_operations_errors_events_and_verdicts(api: Api) -> None:
    before = samples(api)
    admin = api.token("admin", "Ops")
    published_mooc(api.container.service)
    api.client.post("/graphql", json={"query": MOOC_TITLE, "operationName": "Title",
                                      "variables": {"code": "KAZLIT-101"}})
    api.client.post("/graphql", json={"query": "{ nothing }"}, headers={
        "Authorization": f"Bearer {admin}"})
    api.client.post("/api/verify", json={"number": "NO-SUCH-NUMBER"})
    api.client.get("/log/checkpoint")
    api.container.wait_for_views()
    after = samples(api)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("registry_http_requests_total", route="/graphql", method="POST",
                operation="Title", status="200") == 1
    assert grew("registry_http_request_duration_seconds_count", route="/graphql",
                operation="Title") == 1
    assert grew("registry_graphql_errors_total", code="INVALID_INPUT") == 1
    assert grew("registry_events_appended_total", type="Mooc.Published") == 1
    verdicts = {dict(labels)["verdict"] for name, labels in after
                if name == "registry_verifications_total"}
    grown = {v: grew("registry_verifications_total", verdict=v) for v in verdicts}
    assert [v for v, n in grown.items() if n] == ["INVALID"] and grown["INVALID"] == 1
    lags = {dict(labels)["projection"]: v for (name, labels), v in after.items()
            if name == "registry_projection_lag_events"}
    assert lags and all(lag == 0 for lag in lags.values())
    assert 0 <= value(after, "registry_audit_checkpoint_age_seconds") < 600


@pytest.mark.parametrize("backend_settings", ["sqlite"], indirect=True)
def test_metrics_label_routes_by_template_not_by_what_a_client_typed(api: Api) -> None:
    for number in ("A-1", "B-2", "C-3"):
        api.client.get(f"/certificates/{number}.pdf")
    api.client.get("/no/such/page")
    found = samples(api)
    routes = {dict(labels)["route"] for name, labels in found
              if name == "registry_http_requests_total"}
    assert "/certificates/{number}.pdf" in routes and "unmatched" in routes
    assert not any("A-1" in route or "/no/such" in route for route in routes)


@pytest.mark.parametrize("backend_settings", ["sqlite"], indirect=True)
def test_a_client_cannot_mint_operation_labels_at_will(api: Api) -> None:
    api.client.post("/graphql", json={"query": "query x { __typename }",
                                      "operationName": "x" * 500})
    found = samples(api)
    operations = {dict(labels)["operation"] for name, labels in found
                  if name == "registry_http_requests_total"}
    assert "x" * 500 not in operations and "other" in operations


# -- request ids and JSON logs ---------------------------------------------------------------

@pytest.mark.parametrize("backend_settings", ["sqlite"], indirect=True)
def test_every_answer_carries_a_request_id(api: Api) -> None:
    given = api.client.get("/healthz", headers={"X-Request-Id": "req-42"})
    assert given.headers["x-request-id"] == "req-42"
    made = {api.client.get("/healthz").headers["x-request-id"] for _ in range(3)}
    assert len(made) == 3 and all(re.fullmatch(r"[0-9a-f]{32}", rid) for rid in made)


def test_a_json_log_line_has_the_request_id_and_the_access_fields() -> None:
    token = request_id.set("req-7")
    try:
        record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                                   '%s - "%s %s HTTP/%s" %d',
                                   ("127.0.0.1:5000", "GET", "/v?…", "1.1", 200), None)
        line = JsonFormatter().format(record)
    finally:
        request_id.reset(token)
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["request_id"] == "req-7" and entry["level"] == "info"
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/v?…", 200)


def test_lean_log_records_still_say_everything_the_formats_show(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``registry serve`` skips the caller, thread and process look-ups; no line loses a field."""
    from registry.web.logs import lean_records

    for name in ("_srcfile", "logThreads", "logProcesses", "logMultiprocessing"):
        monkeypatch.setattr(logging, name, getattr(logging, name))  # restored afterwards
    lean_records()
    token = request_id.set("req-8")
    try:
        record = logging.getLogger("uvicorn.access").makeRecord(
            "uvicorn.access", logging.INFO, "(unknown file)", 0, '%s - "%s %s HTTP/%s" %d',
            ("127.0.0.1:5000", "POST", "/api/verify", "1.1", 200), None)
        entry = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)
    assert (entry["request_id"], entry["method"], entry["status"]) == ("req-8", "POST", 200)
    assert logging.Formatter("%(levelname)s %(name)s: %(message)s").format(record) == (
        'INFO uvicorn.access: 127.0.0.1:5000 - "POST /api/verify HTTP/1.1" 200')
    assert record.threadName is None and record.processName is None  # not looked up


# -- UTF-8 answers ---------------------------------------------------------------------------

@pytest.mark.parametrize("backend_settings", ["sqlite", "postgres"], indirect=True)
def test_graphql_answers_kazakh_letters_as_utf8_not_escapes(api: Api) -> None:
    published_mooc(api.container.service)
    answer = api.client.post("/graphql", json={"query": MOOC_TITLE,
                                               "variables": {"code": "KAZLIT-101"}})
    assert KAZAKH_TITLE.encode() in answer.content
    assert b"\\u04" not in answer.content
    refused = api.client.post("/graphql", json={
        "query": "query($code: String!) { mooc(code: $code) { code } }",
        "variables": {"code": ["Әліппе"]}})
    assert "Әліппе".encode() in refused.content and b"\\u04" not in refused.content


# -- GraphiQL offline ------------------------------------------------------------------------

@pytest.mark.parametrize("backend_settings", ["sqlite"], indirect=True)
def test_graphiql_loads_every_script_from_the_registry_itself(api: Api) -> None:
    page = api.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    tags = re.findall(r'<(?:script|link)\b[^>]*?(?:src|href)="([^"]+)"[^>]*?'
                      r'integrity="([^"]+)"', page.text, re.DOTALL)
    assert len(tags) == 7
    assert "unpkg.com" not in page.text and "jsdelivr" not in page.text
    for url, integrity in tags:
        assert url.startswith("/static/graphiql/"), url
        served = api.client.get(url)
        assert served.status_code == 200, url
        digest = base64.b64encode(hashlib.sha384(served.content).digest()).decode()
        assert integrity == f"sha384-{digest}", url


@pytest.mark.parametrize("backend_settings", ["sqlite"], indirect=True)
def test_the_metrics_cost_of_a_request_is_small(api: Api) -> None:
    """The edge's own work per request (request id, metrics), against a bare `{ __typename }`
    round trip."""
    from registry.web.edge import Edge

    async def bare(scope: object, receive: object, send: object) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b""})  # type: ignore[operator]

    import asyncio

    async def noop(message: object) -> None:
        return None

    wrapped = Edge(bare)  # type: ignore[arg-type]
    scope = {"type": "http", "method": "POST", "path": "/graphql"}

    async def run(app: object, n: int) -> float:
        started = time.perf_counter()
        for _ in range(n):
            await app(dict(scope), None, noop)  # type: ignore[operator]
        return (time.perf_counter() - started) / n

    per_request = asyncio.run(run(wrapped, 5000)) - asyncio.run(run(bare, 5000))
    started = time.perf_counter()
    for _ in range(50):
        api.client.post("/graphql", json={"query": "{ __typename }"})
    round_trip = (time.perf_counter() - started) / 50
    assert per_request < round_trip / 20, (per_request, round_trip)


def test_request_ids_made_by_a_forked_process_are_its_own() -> None:
    import os

    from registry.web.logs import new_request_id

    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        os.write(write, new_request_id().encode())
        os._exit(0)
    os.waitpid(child, 0)
    theirs = os.read(read, 64).decode()
    ours = {new_request_id() for _ in range(3)}
    assert len(ours) == 3 and theirs not in ours and theirs[:16] != next(iter(ours))[:16]


# -- the served heap -------------------------------------------------------------------------

def test_the_served_app_hides_what_it_built_from_the_collector_until_it_stops(
        backend_settings: Settings, clock: FixedClock) -> None:
    """``registry serve``'s app (``freeze_heap``): the objects it built at start are frozen
    out of the collector's generations while it serves, and given back when it stops; the
    app the tests and embedders build freezes nothing."""
    import gc

    from starlette.testclient import TestClient

    from registry.web.app import create_app

    assert gc.get_freeze_count() == 0
    with make_client(backend_settings, clock) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() == 0
    app = create_app(backend_settings, clock=clock, poll_interval=0.05, freeze_heap=True)
    with TestClient(app) as client:
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the schema, the modules, the registry's structures
        assert client.post("/graphql", json={"query": "{ __typename }"}).json() == {
            "data": {"__typename": "Query"}}
    assert gc.get_freeze_count() == 0

