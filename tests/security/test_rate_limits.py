"""Rate limits per client (SPEC §10): 429 with ``Retry-After`` past the budget, per client,
``X-Forwarded-For`` believed only from trusted proxies, bearer-token GraphQL outside the
anonymous budget, counters shared through Redis, and a Redis outage that never answers 500."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send
from support import certified, token

from registry.clock import FixedClock
from registry.config import Settings
from registry.web.app import create_app

REDIS_URL = "redis://127.0.0.1:6379/0"
TYPENAME = {"query": "{ __typename }"}


class Peer:
    """Puts the test's ``x-test-peer`` header in the ASGI scope as the connection's peer."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state = app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            peer = dict(scope["headers"]).get(b"x-test-peer")
            if peer:
                scope = {**scope, "client": (peer.decode(), 40000)}
        await self.app(scope, receive, send)


@pytest.fixture
def limited(sqlite_settings: Settings, clock: FixedClock
            ) -> Iterator[Any]:
    """``limited(**settings)`` → a test client on a registry with those settings."""
    clients: list[TestClient] = []

    def make(**changes: Any) -> TestClient:
        settings = replace(sqlite_settings, **changes)
        if clients:  # a second app on the same data directory: its own directory
            settings = replace(settings, data_dir=settings.data_dir.with_name(
                f"var-{len(clients)}"))
        client = TestClient(Peer(create_app(settings, clock=clock, poll_interval=0.05)))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def verify(client: TestClient, peer: str = "203.0.113.7", **headers: str) -> Any:
    return client.post("/api/verify", json={"number": "NOPE"},
                       headers={"x-test-peer": peer, **headers})


def graphql(client: TestClient, peer: str = "203.0.113.7", **headers: str) -> Any:
    return client.post("/graphql", json=TYPENAME, headers={"x-test-peer": peer, **headers})


def assert_limited(response: Any) -> None:
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["retry-after"]) <= 60


def test_verify_answers_429_with_retry_after_once_the_budget_is_spent(limited: Any) -> None:
    client = limited(rate_limit_verify="3/minute")
    assert [verify(client).status_code for _ in range(3)] == [200, 200, 200]
    refused = verify(client)
    assert_limited(refused)
    assert refused.json()["code"] == "RATE_LIMITED"
    assert "try again" in refused.json()["error"]


def test_the_public_budget_covers_the_page_the_pdf_the_qr_and_anonymous_graphql(
        limited: Any) -> None:
    client = limited(rate_limit_public="5/minute")
    number = certified(client.app.state.container.service)["number"]  # type: ignore[attr-defined]
    peer = {"x-test-peer": "198.51.100.20"}
    answers = [client.get("/v", headers=peer).status_code,
               client.get(f"/certificates/{number}.pdf", headers=peer).status_code,
               client.get(f"/certificates/{number}/qr.png", headers=peer).status_code,
               client.get(f"/certificates/{number}/qr.svg", headers=peer).status_code,
               graphql(client, "198.51.100.20").status_code]
    assert answers == [200] * 5
    for path in ("/v", f"/certificates/{number}.pdf", f"/certificates/{number}/qr.png"):
        assert_limited(client.get(path, headers=peer))
    refused = graphql(client, "198.51.100.20")
    assert_limited(refused)
    assert refused.json() == {"data": None, "errors": [{
        "message": refused.json()["errors"][0]["message"],
        "extensions": {"code": "RATE_LIMITED"}}]}
    # The verify budget and the endpoints outside the budgets are not spent by the public one.
    assert verify(client, "198.51.100.20").status_code == 200
    assert client.get("/healthz", headers=peer).status_code == 200
    assert client.get("/.well-known/jwks.json", headers=peer).status_code == 200


def test_each_client_has_its_own_budget(limited: Any) -> None:
    client = limited(rate_limit_verify="2/minute")
    for _ in range(2):
        assert verify(client, "203.0.113.1").status_code == 200
    assert_limited(verify(client, "203.0.113.1"))
    assert verify(client, "203.0.113.2").status_code == 200
    assert verify(client, "2001:db8:1::1").status_code == 200


def test_ipv6_clients_are_counted_per_64_network(limited: Any) -> None:
    client = limited(rate_limit_verify="2/minute")
    assert verify(client, "2001:db8:1::1").status_code == 200
    assert verify(client, "2001:db8:1::ffff").status_code == 200
    assert_limited(verify(client, "2001:db8:1:0:abcd::2"))
    assert verify(client, "2001:db8:2::1").status_code == 200


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(limited: Any) -> None:
    client = limited(rate_limit_verify="2/minute")
    for n in range(2):
        assert verify(client, "203.0.113.9", **{"x-forwarded-for": f"192.0.2.{n}"}
                      ).status_code == 200
    # A fresh address in the header does not buy a fresh budget.
    assert_limited(verify(client, "203.0.113.9", **{"x-forwarded-for": "192.0.2.99"}))


def test_x_forwarded_for_from_a_trusted_proxy_names_the_client(limited: Any) -> None:
    client = limited(rate_limit_verify="2/minute", trusted_proxies=("10.0.0.0/8", "::1"))
    proxy = "10.1.2.3"
    for _ in range(2):
        assert verify(client, proxy, **{"x-forwarded-for": "192.0.2.1"}).status_code == 200
    assert_limited(verify(client, proxy, **{"x-forwarded-for": "192.0.2.1"}))
    # Another client behind the same proxy has its own budget.
    assert verify(client, proxy, **{"x-forwarded-for": "192.0.2.2"}).status_code == 200
    # The right-most untrusted address counts: a client cannot prepend its way out, and a
    # chain of trusted proxies is walked through.
    assert_limited(verify(client, proxy, **{"x-forwarded-for": "198.51.100.1, 192.0.2.1"}))
    assert_limited(verify(client, "::1", **{"x-forwarded-for": "192.0.2.1, 10.9.9.9"}))


def test_addresses_are_kept_parsed_but_a_long_forwarded_text_is_not_kept(
        limited: Any) -> None:
    from registry.web import ratelimit

    client = limited(rate_limit_verify="100/minute", trusted_proxies=("10.0.0.0/8",))
    ratelimit._kept_address.cache_clear()
    for _ in range(3):
        assert verify(client, "10.1.2.3", **{"x-forwarded-for": "192.0.2.7"}).status_code \
            == 200
    kept = ratelimit._kept_address.cache_info()
    assert kept.currsize == 2 and kept.hits >= 4  # the proxy and the client, parsed once each
    long_hop = "x" * 500  # a client's own text, passed on by the proxy: parsed, never kept
    assert verify(client, "10.1.2.3", **{"x-forwarded-for": long_hop}).status_code == 200
    assert ratelimit._kept_address.cache_info().currsize == 2
    assert ratelimit._address(long_hop) is None
    assert str(ratelimit._address(" 192.0.2.7:5000 ")) == "192.0.2.7"


def test_a_bearer_token_is_outside_the_anonymous_budget_but_a_made_up_one_is_not(
        limited: Any) -> None:
    client = limited(rate_limit_public="2/minute")
    secret = token(client.app.state.container.service, "auditor")  # type: ignore[attr-defined]
    for _ in range(5):
        answer = graphql(client, **{"authorization": f"Bearer {secret}"})
        assert answer.status_code == 200
        assert answer.json() == {"data": {"__typename": "Query"}}
    for _ in range(2):
        assert graphql(client, **{"authorization": "Bearer made-up"}).status_code == 200
    assert_limited(graphql(client, **{"authorization": "Bearer made-up"}))
    assert_limited(graphql(client))


def test_zero_turns_a_limit_off(limited: Any) -> None:
    client = limited(rate_limit_verify="0", rate_limit_public="1/minute")
    assert all(verify(client).status_code == 200 for _ in range(5))
    assert graphql(client).status_code == 200
    assert_limited(graphql(client))


def test_the_settings_read_from_the_environment() -> None:
    settings = Settings.from_env({"REGISTRY_RATE_LIMIT_VERIFY": "10/second;100/hour",
                                  "REGISTRY_RATE_LIMIT_PUBLIC": "0",
                                  "REGISTRY_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1,::1",
                                  "REGISTRY_REDIS_URL": REDIS_URL})
    assert settings.rate_limit_verify == "10/second;100/hour"
    assert settings.rate_limit_public == "0"
    assert settings.trusted_proxies == ("10.0.0.0/8", "192.0.2.1", "::1")
    assert settings.redis_url == REDIS_URL
    defaults = Settings.from_env({})
    assert (defaults.rate_limit_verify, defaults.rate_limit_public) == ("60/minute",
                                                                        "120/minute")
    assert defaults.trusted_proxies == () and defaults.redis_url is None
    with pytest.raises(ValueError, match="REGISTRY_RATE_LIMIT_VERIFY"):
        Settings.from_env({"REGISTRY_RATE_LIMIT_VERIFY": "lots"})
    with pytest.raises(ValueError, match="REGISTRY_TRUSTED_PROXIES"):
        Settings.from_env({"REGISTRY_TRUSTED_PROXIES": "proxy.example"})


# -- Redis ------------------------------------------------------------------------------------


def redis_or_skip() -> None:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true: the shared-counter test must run, but no Redis on 6379")
        pytest.skip("no Redis on 127.0.0.1:6379")


def test_two_processes_share_their_counters_through_redis(limited: Any) -> None:
    redis_or_skip()
    shared = {"redis_url": REDIS_URL, "rate_limit_verify": "3/minute",
              "rate_limit_prefix": f"test-{uuid.uuid4().hex}"}
    first, second = limited(**shared), limited(**shared)
    assert verify(first).status_code == 200
    assert verify(second).status_code == 200
    assert verify(first).status_code == 200
    assert_limited(verify(second))
    assert_limited(verify(first))
    # Another deployment on the same Redis (another prefix) counts apart.
    other = limited(**{**shared, "rate_limit_prefix": f"test-{uuid.uuid4().hex}"})
    assert verify(other).status_code == 200


def test_an_unreachable_redis_counts_in_process_and_warns_once(
        limited: Any, caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    client = limited(redis_url=f"redis://127.0.0.1:{port}/0", rate_limit_verify="3/minute")
    with caplog.at_level(logging.WARNING, logger="registry.web.ratelimit"):
        answers = [verify(client).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    warnings = [r for r in caplog.records if r.name == "registry.web.ratelimit"]
    assert len(warnings) == 1
    assert "Redis is unreachable" in warnings[0].getMessage()


def test_a_certificates_proof_and_the_witness_endpoint_spend_the_public_budget() -> None:
    from registry.web.ratelimit import PUBLIC, budget_of

    for path, method in (("/certificates/3B2ZK41BYZT76BZ4H/proof", "GET"),
                         ("/witness/add-checkpoint", "POST"), ("/v", "GET")):
        assert budget_of({"type": "http", "path": path, "method": method}) == PUBLIC
    assert budget_of({"type": "http", "path": "/log/tile/0/000", "method": "GET"}) is None
