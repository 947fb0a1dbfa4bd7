"""Live updates (SPEC §9, issue 12 §5): GraphQL subscriptions over WebSocket with the
``graphql-transport-ws`` protocol, tried as a client would — a real WebSocket client against
a real uvicorn server (in a thread; on PostgreSQL also a second server process): the token in
``connection_init`` or the upgrade header, ``events`` filtered and refused by role,
``certificateChanged`` on a revocation, the Origin allow-list, the message-size and cost
limits, and a subscriber that stops reading dropped while the others go on."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from support import ADMIN, certified, eventually, registered, revoked, token
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.frames import Frame, Opcode
from websockets.sync.client import ClientConnection, connect
from websockets.uri import parse_uri

from registry.application.service import RegistryService
from registry.application.tokens import token_digest
from registry.clock import FixedClock
from registry.config import Settings
from registry.domain.access import ApiToken
from registry.domain.certificates import Certificate
from registry.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = "graphql-transport-ws"
ARRIVAL = 1.0  # seconds: an event reaches its subscribers within a second of being stored

EVENTS = """subscription($aggregateType: String, $type: String) {
  events(aggregateType: $aggregateType, type: $type) {
    position aggregateType aggregateId type actor { name role } data personal logIndex } }"""
CERTIFICATE = """subscription($number: String!) {
  certificateChanged(number: $number) { number status revocationReason fullName } }"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmallBuffers(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol with a few kilobytes of send buffer instead of megabytes,
    so that a client that stops reading blocks the server's sends after a few messages (what
    a real one does after a few megabytes)."""

    def connection_made(self, transport: Any) -> None:
        transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        transport.set_write_buffer_limits(high=4096)
        super().connection_made(transport)


class LiveServer:
    """The registry under uvicorn on a free loopback port, in a thread."""

    def __init__(self, settings: Settings, clock: FixedClock, ws: Any = "websockets-sansio"
                 ) -> None:
        self.app = create_app(settings, clock=clock, poll_interval=0.05)
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, ws=ws, log_level="warning",
            ws_max_size=settings.max_ws_message_bytes * 4))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        eventually(lambda: self.server.started, "the server started")
        return self

    def __exit__(self, *_: Any) -> None:
        self.server.should_exit = True
        self.thread.join(15)

    @property
    def service(self) -> RegistryService:
        service: RegistryService = self.app.state.container.service
        return service

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"


def healthz(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        body: dict[str, Any] = json.load(response)
        return body


def subscribers(port: int, count: int) -> None:
    """Wait until ``count`` subscriptions are registered with the server's hub (the protocol
    has no acknowledgement of a subscribe)."""
    eventually(lambda: healthz(port)["live"]["subscribers"] == count,
               f"{count} subscriber(s) registered", timeout=10)


class Session:
    """One graphql-transport-ws connection: subscribe, and read messages by operation id."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.pending: list[dict[str, Any]] = []

    def send(self, message: dict[str, Any]) -> None:
        self.connection.send(json.dumps(message))

    def init(self, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        self.send({"type": "connection_init", **({"payload": payload} if payload else {})})
        return self.receive()

    def subscribe(self, id: str, query: str, variables: dict[str, Any] | None = None) -> None:
        self.send({"type": "subscribe", "id": id,
                   "payload": {"query": query, "variables": variables or {}}})

    def receive(self, id: str | None = None, timeout: float = 10.0) -> dict[str, Any]:
        for i, message in enumerate(self.pending):
            if id is None or message.get("id") == id:
                return self.pending.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.connection.recv(max(0.0, deadline - time.monotonic())))
            if id is None or message.get("id") == id:
                return dict(message)
            self.pending.append(message)

    def next(self, id: str, timeout: float = 10.0) -> dict[str, Any]:
        message = self.receive(id, timeout)
        assert message["type"] == "next", message
        data: dict[str, Any] = message["payload"]["data"]
        return data

    def silent(self, id: str, seconds: float) -> bool:
        """Nothing arrives for ``id`` within ``seconds``."""
        try:
            self.receive(id, seconds)
        except TimeoutError:
            return True
        return False


@contextmanager
def session(server: LiveServer, payload: dict[str, Any] | None = None, *,
            headers: dict[str, str] | None = None) -> Iterator[Session]:
    with connect(server.url, subprotocols=[PROTOCOL], additional_headers=headers) as ws:
        live = Session(ws)
        assert live.init(payload) == {"type": "connection_ack"}
        yield live


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def codes(message: dict[str, Any]) -> list[str]:
    assert message["type"] == "error", message
    return [error["extensions"]["code"] for error in message["payload"]]


@pytest.fixture
def server(backend_settings: Settings, clock: FixedClock) -> Iterator[LiveServer]:
    with LiveServer(backend_settings, clock) as live:
        yield live


@pytest.fixture
def sqlite_server(sqlite_settings: Settings, clock: FixedClock) -> Iterator[LiveServer]:
    settings = dataclasses.replace(sqlite_settings, max_ws_message_bytes=4096,
                                   cors_origins=("https://portal.example.kz",))
    with LiveServer(settings, clock) as live:
        yield live


# -- events ------------------------------------------------------------------------------


def test_an_auditor_sees_new_events_as_they_are_stored_filtered_by_aggregate_and_type(
        server: LiveServer) -> None:
    auditor = token(server.service, "auditor", "Auditor Әлия")
    with session(server, bearer(auditor)) as live:
        live.subscribe("certificates", EVENTS, {"aggregateType": "Certificate"})
        live.subscribe("revocations", EVENTS, {"type": "Revoked"})
        live.subscribe("everything", EVENTS)
        subscribers(server.port, 3)
        issued = certified(server.service)
        first = live.next("certificates")["events"]
        assert (first["aggregateType"], first["type"]) == ("Certificate", "Issued")
        assert first["data"]["number"] == issued["number"]
        assert first["actor"] == {"name": "Test Admin", "role": "admin"}

        revoked(server.service, issued["number"], "Экзамен пересдан")
        stored = time.monotonic()
        revocation = live.next("revocations", ARRIVAL)["events"]
        assert time.monotonic() - stored < ARRIVAL
        assert revocation["type"] == "Revoked"
        assert revocation["personal"]["reason"] == "Экзамен пересдан"  # an auditor sees it
        second = live.next("certificates")["events"]
        assert second["position"] == revocation["position"] > first["position"]
        # Nothing else matched either filter; the unfiltered feed had every event, in order.
        assert live.silent("certificates", 0.3) and live.silent("revocations", 0.1)
        positions = []
        while positions[-1:] != [revocation["position"]]:
            positions.append(live.next("everything")["events"]["position"])
        assert positions == sorted(set(positions)) and first["position"] in positions
        assert len(positions) == positions[-1] - positions[0] + 1  # none skipped


def test_the_token_can_come_in_the_upgrade_requests_header_instead(server: LiveServer) -> None:
    inet = token(server.service, "inet", "INET operator")
    with session(server, headers=bearer(inet)) as live:
        live.subscribe("mine", EVENTS, {"aggregateType": "Learner"})
        subscribers(server.port, 1)
        learner = registered(server.service)
        event = live.next("mine")["events"]
        assert event["aggregateId"] == learner["id"]
        assert event["actor"]["role"] == "admin"


def test_who_may_watch_the_event_feed(sqlite_server: LiveServer) -> None:
    service = sqlite_server.service
    learner = registered(service)
    import uuid

    learner_token = token(service, "learner", "Learner", uuid.UUID(learner["id"]))
    with session(sqlite_server) as anonymous:
        anonymous.subscribe("1", EVENTS)
        assert codes(anonymous.receive("1")) == ["UNAUTHENTICATED"]
    with session(sqlite_server, bearer(learner_token)) as live:
        live.subscribe("1", EVENTS)
        assert codes(live.receive("1")) == ["FORBIDDEN"]
    with session(sqlite_server, bearer("not-a-token")) as live:
        live.subscribe("1", EVENTS)
        assert codes(live.receive("1")) == ["UNAUTHENTICATED"]
    with session(sqlite_server, {"Authorization": "Basic abc"}) as live:
        live.subscribe("1", EVENTS)
        assert codes(live.receive("1")) == ["UNAUTHENTICATED"]
    admin = token(service, "admin", "Admin")
    with session(sqlite_server, bearer(admin)) as live:
        live.subscribe("1", EVENTS, {"aggregateType": "Unicorn"})
        assert codes(live.receive("1")) == ["INVALID_INPUT"]
    assert healthz(sqlite_server.port)["live"]["subscribers"] == 0  # refusals hold nothing


def test_a_token_revoked_while_subscribed_ends_the_event_feed(sqlite_server: LiveServer
                                                               ) -> None:
    service = sqlite_server.service
    auditor = token(service, "auditor", "Auditor")
    with session(sqlite_server, bearer(auditor)) as live:
        live.subscribe("feed", EVENTS, {"aggregateType": "Learner"})
        subscribers(sqlite_server.port, 1)
        registered(service, "Before Revocation")
        assert live.next("feed")["events"]["aggregateType"] == "Learner"
        service.run(ADMIN, lambda cmd: cmd.tokens.revoke(
            str(ApiToken.create_id(token_digest(auditor)))))
        registered(service, "After Revocation")
        message = live.receive("feed")
        assert message["type"] == "next" and message["payload"]["data"] is None
        assert [e["extensions"]["code"] for e in message["payload"]["errors"]] == [
            "UNAUTHENTICATED"]
        assert live.receive("feed")["type"] == "complete"


# -- one certificate ---------------------------------------------------------------------


def test_anyone_can_watch_one_certificate_and_sees_its_revocation(server: LiveServer) -> None:
    issued = certified(server.service)
    with session(server) as live:  # no token: public, like certificate(number)
        printed = "-".join(issued["number"][i:i + 4] for i in range(0, 17, 4)).lower()
        live.subscribe("cert", CERTIFICATE, {"number": printed})
        live.subscribe("unknown", CERTIFICATE, {"number": "XX"})
        assert codes(live.receive("unknown")) == ["INVALID_INPUT"]
        subscribers(server.port, 1)
        certified(server.service, "OTHER-101")  # another certificate: not this one's news
        assert live.silent("cert", 0.3)
        revoked(server.service, issued["number"], "Выдан ошибочно")
        stored = time.monotonic()
        changed = live.next("cert", ARRIVAL)["certificateChanged"]
        assert time.monotonic() - stored < ARRIVAL
        assert changed == {"number": issued["number"], "status": "REVOKED",
                           "revocationReason": "Выдан ошибочно",
                           "fullName": issued["fullName"]}


def test_a_compromised_signing_key_shows_as_a_change_of_the_certificates_it_revokes(
        sqlite_server: LiveServer) -> None:
    service = sqlite_server.service
    issued = certified(service)  # issued on 2026-06-15
    with session(sqlite_server) as live:
        live.subscribe("cert", CERTIFICATE, {"number": issued["number"]})
        subscribers(sqlite_server.port, 1)
        service.run(ADMIN, lambda cmd: cmd.keys.compromise(issued["kid"], date(2026, 6, 1),
                                                           "laptop stolen"))
        changed = live.next("cert")["certificateChanged"]
        assert changed["status"] == "REVOKED" and "laptop stolen" in changed["revocationReason"]


def test_a_certificate_that_does_not_exist_is_not_found(sqlite_server: LiveServer) -> None:
    with session(sqlite_server) as live:
        live.subscribe("cert", CERTIFICATE, {"number": "AFF24TMWPH6EWVVK4"})
        assert codes(live.receive("cert")) == ["NOT_FOUND"]


# -- limits ------------------------------------------------------------------------------


def test_an_upgrade_from_an_origin_not_allowed_is_refused(sqlite_server: LiveServer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(sqlite_server.url, subprotocols=[PROTOCOL], origin="https://evil.example")
    assert refused.value.response.status_code == 403
    for allowed in ("https://portal.example.kz", f"http://127.0.0.1:{sqlite_server.port}"):
        with connect(sqlite_server.url, subprotocols=[PROTOCOL], origin=allowed) as ws:
            assert Session(ws).init() == {"type": "connection_ack"}  # listed; same origin


def test_http_answers_cors_for_the_allowed_origins_only(sqlite_server: LiveServer) -> None:
    def preflight(origin: str) -> str | None:
        request = urllib.request.Request(
            f"http://127.0.0.1:{sqlite_server.port}/graphql", method="OPTIONS",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "authorization,content-type"})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.headers.get("access-control-allow-origin")
        except urllib.error.HTTPError as error:
            assert error.code == 400
            return error.headers.get("access-control-allow-origin")

    assert preflight("https://portal.example.kz") == "https://portal.example.kz"
    assert preflight("https://evil.example") is None


def test_a_message_over_the_size_limit_closes_the_connection(sqlite_server: LiveServer
                                                             ) -> None:
    with session(sqlite_server) as live:
        live.subscribe("big", CERTIFICATE, {"number": "x" * 5000})
        with pytest.raises(ConnectionClosed) as closed:
            live.receive()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


def test_subscriptions_have_the_same_cost_limits_as_queries(sqlite_server: LiveServer) -> None:
    fields = " ".join(f"a{i}: number" for i in range(31))  # REGISTRY_MAX_ALIASES is 30
    with session(sqlite_server) as live:
        live.subscribe("1", f'subscription {{ certificateChanged(number: "X") {{ {fields} }} }}')
        message = live.receive("1")
    assert codes(message) == ["QUERY_TOO_COMPLEX"]
    assert message["payload"][0]["extensions"]["details"]["limit"] == "aliases"


def test_subscriptions_go_over_websocket_and_queries_over_http(sqlite_server: LiveServer
                                                               ) -> None:
    with session(sqlite_server) as live:
        live.subscribe("q", "{ platforms { nodes { code } } }")
        message = live.receive("q")
        assert message["type"] == "error" and "not allowed" in message["payload"][0]["message"]
    request = urllib.request.Request(
        f"http://127.0.0.1:{sqlite_server.port}/graphql", method="POST",
        data=json.dumps({"query": 'subscription { certificateChanged(number: "X") '
                                  '{ number } }'}).encode(),
        headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    body = json.loads(refused.value.read())
    assert refused.value.code == 400 and body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


# -- a slow subscriber -------------------------------------------------------------------


class Stalled:
    """A client that subscribes and then never reads: a raw socket with a small receive
    buffer, speaking the protocol through websockets' sans-I/O client."""

    def __init__(self, url: str, payload: dict[str, Any], query: str) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        host, port = url.removeprefix("ws://").split("/")[0].split(":")
        self.sock.connect((host, int(port)))
        self.protocol = ClientProtocol(parse_uri(url), subprotocols=[PROTOCOL])  # type: ignore[list-item]
        self.protocol.send_request(self.protocol.connect())
        self._flush()
        while self.protocol.handshake_exc is None and self.protocol.state.name == "CONNECTING":
            self.protocol.receive_data(self.sock.recv(65536))
        assert self.protocol.handshake_exc is None
        for message in ({"type": "connection_init", "payload": payload},
                        {"type": "subscribe", "id": "slow", "payload": {"query": query}}):
            self.protocol.send_text(json.dumps(message).encode())
        self._flush()

    def _flush(self) -> None:
        self.sock.sendall(b"".join(self.protocol.data_to_send()))

    def read_to_the_end(self, timeout: float = 20.0) -> tuple[int, int | None]:
        """Read at last, answering as a client does, until the server ends the connection:
        (the updates that had been sent, the close code it sent if it could)."""
        self.sock.settimeout(timeout)
        updates = 0
        while data := self.sock.recv(65536):
            self.protocol.receive_data(data)
            for event in self.protocol.events_received():
                if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                    updates += json.loads(event.data)["type"] == "next"
            self._flush()  # e.g. the answer to a close frame
        closed = self.protocol.close_rcvd
        return updates, closed.code if closed is not None else None

    def close(self) -> None:
        self.sock.close()


def test_a_subscriber_that_stops_reading_is_dropped_and_the_others_go_on(
        sqlite_settings: Settings, clock: FixedClock) -> None:
    settings = dataclasses.replace(sqlite_settings, live_queue=2)
    wide = " ".join(f"p{i}: personal d{i}: data" for i in range(14))
    with LiveServer(settings, clock, ws=SmallBuffers) as server:
        auditor = token(server.service, "auditor", "Auditor")
        query = f'subscription {{ events(aggregateType: "Learner") {{ aggregateId {wide} }} }}'
        stalled = Stalled(server.url, bearer(auditor), query)
        try:
            with session(server, bearer(auditor)) as fast:  # the same work, read as it comes
                fast.subscribe("fast", query)
                subscribers(server.port, 2)
                written = []
                while healthz(server.port)["live"]["dropped"] == 0:
                    assert len(written) < 200, "the stalled subscriber was never dropped"
                    written.append(registered(server.service, f"Learner {len(written)}")["id"])
                for _ in range(3):  # and the fast one goes on after the drop
                    written.append(registered(server.service, f"Learner {len(written)}")["id"])
                got = [fast.next("fast")["events"]["aggregateId"] for _ in written]
                assert got == written
                assert healthz(server.port)["live"] == {"subscribers": 1, "dropped": 1}
            # What was already in the buffers arrives, then the end: well short of it all.
            updates, code = stalled.read_to_the_end()
            assert updates < len(written) and code in (1013, None)
        finally:
            stalled.close()


# -- several processes on PostgreSQL ----------------------------------------------------


@pytest.mark.postgres
def test_a_subscriber_on_one_process_sees_what_another_process_stored(
        postgres_settings: Settings, clock: FixedClock) -> None:
    with LiveServer(postgres_settings, clock) as writer:
        auditor = token(writer.service, "auditor", "Auditor")
        issued = certified(writer.service)
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT),
               "REGISTRY_DATABASE_URL": postgres_settings.database_url or "",
               "REGISTRY_DATA_DIR": str(postgres_settings.data_dir),
               "REGISTRY_PUBLIC_URL": postgres_settings.public_url}
        other = subprocess.Popen(
            [sys.executable, "-m", "registry.cli", "serve", "--host", "127.0.0.1",
             "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, cwd=ROOT)
        try:
            def up() -> bool:
                assert other.poll() is None, other.stderr.read().decode() if other.stderr else ""
                try:
                    return healthz(port)["status"] in ("ok", "degraded")
                except OSError:
                    return False

            eventually(up, "the second server answers", timeout=60)
            url = f"ws://127.0.0.1:{port}/graphql"
            with connect(url, subprotocols=[PROTOCOL]) as ws:
                live = Session(ws)
                assert live.init(bearer(auditor)) == {"type": "connection_ack"}
                live.subscribe("cert", CERTIFICATE, {"number": issued["number"]})
                live.subscribe("feed", EVENTS, {"type": "Revoked"})
                subscribers(port, 2)
                revoked(writer.service, issued["number"], "Written through the other process")
                stored = time.monotonic()
                event = live.next("feed", ARRIVAL)["events"]
                changed = live.next("cert", ARRIVAL)["certificateChanged"]
                assert time.monotonic() - stored < ARRIVAL
            assert event["aggregateId"] == str(Certificate.create_id(issued["number"]))
            assert changed["status"] == "REVOKED"
            assert healthz(writer.port)["live"]["subscribers"] == 0  # the writer had none
        finally:
            other.terminate()
            other.wait(15)


def test_anonymous_connections_spend_the_public_budget(sqlite_settings: Settings,
                                                       clock: FixedClock) -> None:
    settings = dataclasses.replace(sqlite_settings, rate_limit_public="2/minute")
    with LiveServer(settings, clock) as server:
        auditor = token(server.service, "auditor", "Auditor")
        for _ in range(2):
            with session(server):
                pass
        with session(server, bearer(auditor)):  # a caller with a token is not counted
            pass
        with connect(server.url, subprotocols=[PROTOCOL]) as ws:
            Session(ws).send({"type": "connection_init"})
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


# -- configuration -----------------------------------------------------------------------


def test_cors_origins_are_read_as_browsers_send_them() -> None:
    settings = Settings.from_env({"REGISTRY_CORS_ORIGINS": (
        " https://Portal.Example.kz:443 , http://localhost:5173,https://portal.example.kz")})
    assert settings.cors_origins == ("https://portal.example.kz", "http://localhost:5173")
    assert Settings.from_env({}).cors_origins == ()
    for wrong in ("portal.example.kz", "https://portal.example.kz/app", "ftp://x.kz",
                  "https://x.kz:99999"):
        with pytest.raises(ValueError, match="REGISTRY_CORS_ORIGINS"):
            Settings.from_env({"REGISTRY_CORS_ORIGINS": wrong})
    assert Settings.from_env({"REGISTRY_MAX_WS_MESSAGE_BYTES": "1024"}).max_ws_message_bytes \
        == 1024
    with pytest.raises(ValueError, match="REGISTRY_MAX_WS_MESSAGE_BYTES"):
        Settings.from_env({"REGISTRY_MAX_WS_MESSAGE_BYTES": "0"})
