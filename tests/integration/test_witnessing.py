"""Two registries witness each other over HTTP (issue 16): each submits its checkpoints to the
other's ``POST /witness/add-checkpoint``, serves ``GET /log/checkpoint`` with the other's
cosignature once the quorum is reached, shows it in ``/healthz`` and ``/metrics``, and an
auditor checks it offline with ``registry audit verify --witness``. A witness that never
answers holds no write back."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from support import eventually, registered

from registry.application.context import CommandContext
from registry.application.witnesses import WitnessCommands
from registry.audit.cosignature import verify_cosignatures
from registry.audit.note import read_checkpoint
from registry.bootstrap import Container
from registry.cli import main
from registry.clock import FixedClock
from registry.config import Settings
from registry.web.app import create_app

OPERATOR = CommandContext(actor_name="registry-cli", actor_role="operator")


def drop_schema(url: str, schema: str) -> None:
    """The root conftest's (not importable by name beside tests/api/conftest.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "root_conftest", Path(__file__).parents[1] / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.drop_schema(url, schema)


def _settings(base: Settings, name: str) -> Settings:
    return dataclasses.replace(base, data_dir=base.data_dir.parent / name,
                               public_url=f"https://{name}.example.kz", checkpoint_seconds=0.1)


@pytest.fixture
def pair(backend_settings: Settings, clock: FixedClock, tmp_path: Path
         ) -> Iterator[tuple[TestClient, TestClient]]:
    settings = [_settings(backend_settings, "a"), _settings(backend_settings, "b")]
    if backend_settings.database_url:  # one schema each
        settings[1] = dataclasses.replace(
            settings[1], database_url=backend_settings.database_url + "_b")
    try:
        with TestClient(create_app(settings[0], clock=clock, poll_interval=0.05)) as a, \
                TestClient(create_app(settings[1], clock=clock, poll_interval=0.05)) as b:
            yield a, b
    finally:
        if backend_settings.database_url:
            url, schema = backend_settings.database_url.rsplit("schema=", 1)
            drop_schema(url.rstrip("?&"), schema + "_b")


def container(client: TestClient) -> Container:
    found: Container = client.app.state.container  # type: ignore[attr-defined]
    return found


def over_http(client: TestClient) -> Any:
    """A submitter's ``post`` that reaches the other registry's app (any host)."""
    def post(url: str, body: bytes, timeout: float) -> tuple[int, str, bytes]:
        path = "/" + url.split("://", 1)[1].split("/", 1)[1]
        answer = client.post(path, content=body)
        return answer.status_code, answer.headers.get("content-type", ""), answer.content
    return post


def witness_each_other(a: TestClient, b: TestClient, *, a_posts: Any = None) -> None:
    """Each registry trusts the other's log and submits to it; ``a_posts``: how A's
    submitter posts instead (set before A's witness exists: its thread may submit at once)."""
    for log, witness, client in ((container(a), container(b), b), (container(b), container(a), a)):
        log.witnessing.post = a_posts if a_posts is not None and client is b else \
            over_http(client)
        witness.service.execute(OPERATOR, lambda _, w=witness, lg=log: WitnessCommands(
            w.app).trust(origin=lg.audit.origin, vkey=lg.audit.verifier.vkey))
        log.service.execute(OPERATOR, lambda _, w=witness, lg=log: WitnessCommands(
            lg.app).add(url=f"{w.settings.public_url}/witness",
                        vkey=w.witness.signer.verifier.vkey))
        log.witnessing.refresh = 0.0


def test_two_registries_witness_each_other(pair: tuple[TestClient, TestClient],
                                           tmp_path: Path, monkeypatch: Any) -> None:
    a, b = pair
    witness_each_other(a, b)
    for client, other in ((a, b), (b, a)):
        registered(container(client).service)
        log = container(client).audit
        witness_vkey = container(other).witness.signer.verifier.vkey

        def witnessed(client: TestClient = client) -> str | None:
            answer = client.get("/log/checkpoint")
            return answer.text if answer.status_code == 200 else None

        note = eventually(witnessed, f"{log.origin} witnessed")
        checkpoint = read_checkpoint(note, log.verifier)
        cosigner = container(other).witness.signer
        assert note.index(f"— {log.origin} ") < note.index(f"— {cosigner.name} ")
        assert list(verify_cosignatures(note, [cosigner.verifier])) == [
            f"{'b' if client is a else 'a'}.example.kz/witness"]

        health = client.get("/healthz").json()
        # the newest witnessed checkpoint: the one served above, or one witnessed since
        assert health["witnessed"]["size"] >= checkpoint.size
        assert health["witnessed"]["quorum"] == 1 and "witnesses" not in health["reasons"]
        metrics = client.get("/metrics").text
        assert "registry_witnessed_checkpoint_age_seconds" in metrics
        assert 'registry_witness_submissions_total{outcome="cosigned"' in metrics

        # The auditor, offline: the export against the witnessed checkpoint.
        export = tmp_path / f"{log.origin.split('.')[0]}.jsonl"
        export.write_bytes(b"".join(leaf.envelope + b"\n"
                                    for leaf in log.entries(0, checkpoint.size)))
        (tmp_path / "note").write_text(note)
        (tmp_path / "witness.vkey").write_text(witness_vkey)
        args = ["audit", "verify", str(export), "--checkpoint", str(tmp_path / "note"),
                "--vkey", log.verifier.vkey]
        assert main([*args, "--witness", str(tmp_path / "witness.vkey")]) == 0
        stranger = container(client).witness.signer.verifier.vkey  # did not cosign its own
        assert main([*args, "--witness", witness_vkey, "--witness", stranger,
                     "--quorum", "2"]) == 1
    # B, as a witness, keeps what it cosigned for A.
    assert container(b).witness.store.state(container(a).audit.origin) is not None


def test_a_witness_that_never_answers_holds_no_write_back(
        pair: tuple[TestClient, TestClient]) -> None:
    a, b = pair
    entered, release = threading.Event(), threading.Event()

    def hanging(url: str, body: bytes, timeout: float) -> tuple[int, str, bytes]:
        entered.set()
        release.wait(60)
        raise TimeoutError("timed out")

    witness_each_other(a, b, a_posts=hanging)  # A's submissions hang from the first one
    log = container(a)
    registered(log.service)
    eventually(entered.is_set, "the submission started")
    for n in range(3):  # the witness is still "thinking": writes and checkpoints go on
        registered(log.service, name=f"Learner {n}")
    log.audit_runner.wait(log.app.last_notification_id())
    signed = log.audit.sign()
    assert signed.size == log.audit.size() and not release.is_set()
    assert a.get("/log/checkpoint").status_code == 503  # nothing witnessed yet, and it says so
    release.set()
    eventually(lambda: "unreachable" in str(a.get("/healthz").json()["reasons"].get(
        "witnesses")), "the dead witness is reported")


def test_the_log_reports_and_recovers_from_what_the_other_registry_refuses(
        pair: tuple[TestClient, TestClient]) -> None:
    from registry.audit.note import Signer
    from registry.audit.witnessing import request_body

    a, b = pair
    log, witness = container(a), container(b)
    log.witnessing.stop()  # ticked by hand below
    log.witnessing.refused_pause = 0.0
    log.witnessing.post = over_http(b)
    log.service.execute(OPERATOR, lambda _: WitnessCommands(log.app).add(
        url=f"{witness.settings.public_url}/witness", vkey=witness.witness.signer.verifier.vkey))
    log.witnessing.witnesses(fresh=True)
    registered(log.service)
    log.audit_runner.wait(log.app.last_notification_id())
    signed = log.audit.sign()
    name = witness.witness.signer.name

    log.witnessing.tick()  # B does not know A's log: 404
    assert "does not know this log's origin" in log.witnessing.problems()[name]
    wrong = Signer.generate(log.audit.origin).verifier.vkey
    witness.service.execute(OPERATOR, lambda _: WitnessCommands(witness.app).trust(
        origin=log.audit.origin, vkey=wrong))
    log.witnessing.tick()  # B knows another key for it: 403
    assert "/log/vkey" in log.witnessing.problems()[name]

    witness.service.execute(OPERATOR, lambda _: WitnessCommands(witness.app).trust(
        origin=log.audit.origin, vkey=log.audit.verifier.vkey))
    # B cosigned A's checkpoint already (another worker of A's, say): A's "old 0" gets 409.
    assert witness.witness.add_checkpoint(request_body(0, [], signed.note)).status == 200
    log.witnessing.tick()
    status = log.witnessing.status[name]
    assert status.outcomes.get("resend") == 1 and status.outcomes.get("cosigned") == 1
    assert name not in log.witnessing.problems()
    assert a.get("/log/checkpoint").text.startswith(signed.note)


def test_over_real_http_with_a_served_witness(sqlite_settings: Settings,
                                              clock: FixedClock) -> None:
    """The submitter's own HTTP client against a witness registry served by uvicorn."""
    from support import free_port, live_server

    from registry.bootstrap import build

    port = free_port()
    witness_settings = dataclasses.replace(_settings(sqlite_settings, "b"),
                                           public_url=f"http://127.0.0.1:{port}")
    witness_app = create_app(witness_settings, clock=clock, poll_interval=0.05)
    log = build(_settings(sqlite_settings, "a"), clock, poll_interval=0.05)
    try:
        with live_server(witness_app, port, "witness-b"):
            witness = witness_app.state.container
            witness.service.execute(OPERATOR, lambda _: WitnessCommands(witness.app).trust(
                origin=log.audit.origin, vkey=log.audit.verifier.vkey))
            log.service.execute(OPERATOR, lambda _: WitnessCommands(log.app).add(
                url=f"http://127.0.0.1:{port}/witness",
                vkey=witness.witness.signer.verifier.vkey))
            log.witnessing.refresh = 0.0
            registered(log.service)
            note = eventually(log.witnessing.checkpoint_note, "witnessed over HTTP")
            assert list(verify_cosignatures(note, [witness.witness.signer.verifier])) == [
                witness.witness.signer.name]
    finally:
        log.close()
