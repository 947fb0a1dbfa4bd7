"""Denial-of-service limits on GraphQL documents (SPEC §10, ``QUERY_TOO_COMPLEX``): every attack
document is refused before any resolver runs, every legitimate query still passes, and a real
server keeps answering while it is under attack."""

from __future__ import annotations

import dataclasses
import json
import re
import socket
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import pytest
from attacks import fragment_chain, many_aliases, nested_enrollments
from graphql import get_introspection_query, parse
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from strawberry.extensions import SchemaExtension
from support import ADMIN, published_mooc, registered, token

from registry.api.limits import Limits, check
from registry.api.schema import schema
from registry.clock import FixedClock
from registry.config import Settings
from registry.web.app import create_app

README = Path(__file__).resolve().parents[2] / "README.md"
Call = Callable[..., dict[str, Any]]


class ResolverSpy(SchemaExtension):
    """Records every field that is resolved."""

    calls: ClassVar[list[str]] = []

    def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        ResolverSpy.calls.append(info.field_name)
        return _next(root, info, *args, **kwargs)


@pytest.fixture
def resolved(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setattr(schema, "extensions", [*schema.extensions, ResolverSpy])
    ResolverSpy.calls = []
    return ResolverSpy.calls


@pytest.fixture
def client(sqlite_settings: Settings, clock: FixedClock) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_settings, clock=clock, poll_interval=0.05)) as client:
        yield client


def caller(client: TestClient) -> Call:
    def call(query: str, variables: dict[str, Any] | None = None, *,
             token: str | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = client.post("/graphql", json={"query": query, "variables": variables},
                               headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body
    return call


@pytest.fixture
def gql(client: TestClient) -> Call:
    return caller(client)


def refused(body: dict[str, Any], limit: str) -> str:
    assert body["data"] is None, body
    error = body["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX", error
    assert error["extensions"]["details"]["limit"] == limit
    message: str = error["message"]
    assert "The query is too complex: its " in message and "over the maximum of" in message
    return message


# -- the attack documents --------------------------------------------------------------------

def test_the_doubling_fragment_chain_is_refused_before_any_resolver(
        gql: Call, resolved: list[str]) -> None:
    message = refused(gql(fragment_chain(40)), "fragmentSpreads")
    assert "more than 1,000,000,000,000" in message
    assert resolved == []


def test_a_megabyte_of_aliases_is_refused_at_the_token_limit(gql: Call, resolved: list[str]) -> None:
    document = many_aliases()
    assert len(document) > 1_000_000
    message = refused(gql(document), "tokens")
    assert "more than 2,000" in message
    assert resolved == []


@pytest.fixture
def learner_token(client: TestClient) -> str:
    service = client.app.state.container.service  # type: ignore[attr-defined]
    learner = registered(service)
    for code in ("KAZLIT-101", "KAZLIT-102"):
        published_mooc(service, code)
        service.run(ADMIN, lambda cmd, code=code: cmd.enrollments.enroll(
            learner_id=uuid.UUID(learner["id"]), mooc_code=code))
    return token(service, "learner", "Әлия", uuid.UUID(learner["id"]))


def test_nested_enrolments_with_aliases_are_refused_for_a_learner(
        gql: Call, learner_token: str, resolved: list[str]) -> None:
    message = refused(gql(nested_enrollments(3, 30), token=learner_token), "cost")
    assert "first/last" in message
    assert resolved == []
    one_level = gql(nested_enrollments(1, 1), token=learner_token)
    assert "errors" not in one_level
    assert len(one_level["data"]["me"]["e0"]["nodes"]) == 2


# -- what counts -----------------------------------------------------------------------------

def cost_of(query: str) -> int:
    error = check(schema._schema, parse(query), Limits(cost=0))
    assert error is not None and error.original_error is not None
    value: int = error.original_error.details["value"]  # type: ignore[attr-defined]
    return value


def test_a_list_counts_its_fields_once_per_item_of_its_page() -> None:
    assert cost_of("{ logVerifierKey }") == 1
    two = "{ learners(first: 2) { nodes { id fullName } } }"
    assert cost_of(two) == 1 + 1 + 2 * 2  # learners, nodes, two fields of each of 2 nodes
    assert cost_of("{ learners { nodes { id fullName } } }") == 1 + 1 + 20 * 2  # default 20
    assert cost_of("{ learners(first: 5000) { nodes { id } } }") == 1 + 1 + 100  # capped
    assert cost_of("query($n: Int) { learners(first: $n) { nodes { id } } }") == 1 + 1 + 100
    assert cost_of("{ logEntries(limit: 7) { index leafHash } }") == 1 + 7 * 2
    assert cost_of("{ mooc(code: \"X\") { history { type actor { name } } } }") == 1 + 1 + 20 * 3
    # totalCount and pageInfo are counted once, not once per item
    assert cost_of("{ learners(first: 50) { totalCount pageInfo { endCursor } } }") == 4
    # a fragment on the connection counts like the fields written out
    assert cost_of("{ learners(first: 2) { ...Page } } "
                   "fragment Page on LearnerConnection { nodes { id fullName } }") == 6


def test_a_deep_but_cheap_query_passes_and_a_wide_nested_one_is_refused(
        gql: Call, client: TestClient) -> None:
    service = client.app.state.container.service  # type: ignore[attr-defined]
    admin = token(service, "admin")
    deep = ("{ learners(first: 1) { nodes { enrollments(first: 1) { nodes { learner { "
            "enrollments(first: 1) { nodes { mooc { platform { code } } } } } } } } } }")
    assert "errors" not in gql(deep, token=admin)
    wide = ("{ learners(first: 100) { nodes { enrollments(first: 100) { nodes { id "
            "totalPoints } } } } }")
    message = refused(gql(wide, token=admin), "cost")
    assert "its cost is 20,202, over the maximum of 10,000" in message
    assert cost_of(wide) == 1 + 1 + 100 * (1 + 1 + 100 * 2)  # 20,202


def test_the_depth_limit(gql: Call) -> None:
    def supersedes(levels: int) -> str:
        return ('{ certificate(number: "DET-0") { '
                + "supersedes { " * levels + "number" + " }" * levels + " } }")

    assert gql(supersedes(10)) == {"data": {"certificate": None}}  # depth 12
    message = refused(gql(supersedes(11)), "depth")
    assert "its depth is 13, over the maximum of 12" in message
    # a fragment's depth counts where it is spread
    spread = ('{ certificate(number: "DET-0") { ...S } } fragment S on Certificate { '
              + "supersedes { " * 11 + "number" + " }" * 11 + " }")
    refused(gql(spread), "depth")


def test_the_alias_limit(gql: Call) -> None:
    assert "errors" not in gql(many_aliases(30))
    refused(gql(many_aliases(31)), "aliases")
    # an aliased field in a fragment counts each time the fragment is spread
    fragment = "fragment A on Query { " + " ".join(f"k{i}: logVerifierKey" for i in range(8)) + " }"
    refused(gql("{ ...A ...B } " + fragment + " fragment B on Query { ...A ...A ...A }"),
            "aliases")


def test_the_token_limit_counts_comments_too(gql: Call) -> None:
    assert "errors" not in gql("{ logVerifierKey " + "# note\n" * 1990 + "}")
    refused(gql("{ " + "logVerifierKey " * 2001 + "}"), "tokens")
    refused(gql("{ logVerifierKey " + "# note\n" * 2001 + "}"), "tokens")


def test_nesting_beyond_the_parser_is_too_complex_not_a_crash(gql: Call) -> None:
    refused(gql("{ a" + " { a" * 300 + " }" * 301), "nesting")


def test_a_fragment_cycle_is_refused_by_graphql_not_looped_on(gql: Call) -> None:
    body = gql("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A logVerifierKey }")
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert "within itself" in body["errors"][0]["message"]


def test_when_graphql_gives_up_validating_it_is_too_complex_too(gql: Call) -> None:
    body = gql("{ " + "logVerifierKey " * 1990 + "}")  # same-named fields, pairwise compared
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "send fewer fields" in body["errors"][0]["message"]


def test_what_an_unknown_field_selects_counts_too(gql: Call) -> None:
    refused(gql("{ nope { " + " ".join(f"a{i}: x" for i in range(31)) + " } }"),
            "aliases")


# -- what passes -----------------------------------------------------------------------------

BLOCKS = re.findall(r"```graphql\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


@pytest.mark.parametrize("block", BLOCKS, ids=[b.split("{")[0].strip() for b in BLOCKS])
def test_every_readme_query_is_within_the_limits(block: str) -> None:
    assert check(schema._schema, parse(block, max_tokens=Limits().tokens), Limits()) is None


def test_graphiqls_introspection_query_is_within_the_limits(gql: Call) -> None:
    query = get_introspection_query(descriptions=True, specified_by_url=True,
                                    directive_is_repeatable=True, schema_description=True,
                                    input_value_deprecation=True)
    body = gql(query)
    assert "errors" not in body and body["data"]["__schema"]["queryType"]["name"] == "Query"


def test_introspection_nested_through_its_lists_is_refused(gql: Call) -> None:
    query = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
    refused(gql(query), "introspectionDepth")
    assert "errors" not in gql("{ __type(name: \"Query\") { fields { type { name } } } }")


def test_the_limits_come_from_the_environment() -> None:
    settings = Settings.from_env({"REGISTRY_MAX_QUERY_COST": "500", "REGISTRY_MAX_QUERY_DEPTH": "6",
                                  "REGISTRY_MAX_ALIASES": "3", "REGISTRY_MAX_FRAGMENT_SPREADS": "7",
                                  "REGISTRY_MAX_QUERY_TOKENS": "900"})
    assert Limits.of(settings) == Limits(cost=500, depth=6, aliases=3, fragment_spreads=7,
                                         tokens=900)
    assert Limits.of(Settings.from_env({})) == Limits()
    with pytest.raises(ValueError, match="REGISTRY_MAX_ALIASES"):
        Settings.from_env({"REGISTRY_MAX_ALIASES": "-1"})


def test_lower_limits_from_the_settings_apply(sqlite_settings: Settings, clock: FixedClock) -> None:
    strict = dataclasses.replace(sqlite_settings, max_aliases=2, max_query_tokens=50)
    with TestClient(create_app(strict, clock=clock)) as client:
        call = caller(client)
        assert "errors" not in call(many_aliases(2))
        refused(call(many_aliases(3)), "aliases")
        refused(call("{ " + "logVerifierKey " * 60 + "}"), "tokens")


# -- production ------------------------------------------------------------------------------

@pytest.fixture
def production(sqlite_settings: Settings, clock: FixedClock) -> Iterator[TestClient]:
    settings = dataclasses.replace(sqlite_settings, production=True)
    with TestClient(create_app(settings, clock=clock)) as client:
        yield client


def test_production_suggests_no_field_names(production: TestClient, gql: Call) -> None:
    typo = "{ mooc(code: \"X\") { cod } }"
    enum = "query($s: MoocStatus) { moocs(status: $s) { totalCount } }"
    assert "Did you mean" in gql(typo)["errors"][0]["message"]  # outside production it helps
    for body in (caller(production)(typo), caller(production)(enum, {"s": "PUBLISH"})):
        message = body["errors"][0]["message"]
        assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
        assert "Did you mean" not in message and "PUBLISHED" not in message and message


def test_a_cached_validation_never_lets_anonymous_introspection_through(
        production: TestClient) -> None:
    call = caller(production)
    auditor = token(production.app.state.container.service, "auditor")  # type: ignore[attr-defined]
    query = "{ __schema { queryType { name } } }"
    for _ in range(2):
        assert call(query, token=auditor)["data"]["__schema"]["queryType"]["name"] == "Query"
        body = call(query)
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert body["errors"][0]["message"] == "In production, introspection needs a bearer token."
    hidden = "{ ...F } fragment F on Query { __type(name: \"Query\") { name } }"
    assert call(hidden)["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "errors" not in call("{ logVerifierKey __typename }")


# -- transports ------------------------------------------------------------------------------

def test_graphql_over_websocket_is_refused(client: TestClient) -> None:
    for protocol in ("graphql-transport-ws", "graphql-ws"):
        with pytest.raises(WebSocketDisconnect), \
                client.websocket_connect("/graphql", subprotocols=[protocol]) as ws:
            ws.receive_text()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[str]:
    import uvicorn

    port = _free_port()
    settings = Settings(data_dir=tmp_path / "var", public_url=f"http://127.0.0.1:{port}")
    server = uvicorn.Server(uvicorn.Config(create_app(settings, poll_interval=0.05),
                                           host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, name="registry-dos", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def post(url: str, query: str) -> dict[str, Any]:
    request = urllib.request.Request(url + "/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        body: dict[str, Any] = json.loads(response.read())
        return body


def test_health_and_a_normal_query_answer_while_16_connections_attack(live_server: str) -> None:
    attacks = [fragment_chain(40), many_aliases(), nested_enrollments(6, 30),
               "{ logVerifierKey(x: \"" + "x" * 1_000_000 + "\") }"]

    def attacker(n: int) -> list[str]:
        return [post(live_server, attacks[(n + i) % len(attacks)])["errors"][0]["extensions"]
                ["code"] for i in range(6)]

    answered = 0
    with ThreadPoolExecutor(16) as pool:
        futures = [pool.submit(attacker, n) for n in range(16)]
        while answered < 3 or (answered < 200 and not all(f.done() for f in futures)):
            with urllib.request.urlopen(live_server + "/healthz", timeout=30) as health:
                assert json.loads(health.read())["status"] == "ok"
            assert post(live_server, "{ logVerifierKey }")["data"]["logVerifierKey"]
            answered += 1
        codes = [code for future in futures for code in future.result()]
    assert len(codes) == 16 * 6 and set(codes) <= {"QUERY_TOO_COMPLEX", "INVALID_INPUT"}
    assert "QUERY_TOO_COMPLEX" in codes
