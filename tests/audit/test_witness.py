"""The tlog-witness protocol from both sides (issue 16), on SQLite and PostgreSQL.

The witness side: ``WitnessService`` (behind ``POST /witness/add-checkpoint``) answers every
status of c2sp.org/tlog-witness — 404 unknown origin, 403 bad signature, 400 malformed or old
size beyond the checkpoint, 409 with its size (stale old size, rollback, fork at the same
size), 422 bad proof (fork at a larger size), 200 with a cosignature that verifies — and keeps
its state by compare-and-swap. The log side: ``Witnessing`` resends after a 409, reports
403/404/422 without retrying, backs off from a dead witness, keeps only cosignatures that
verify, and serves the newest checkpoint that reached the quorum."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from support import OnPostgres, OnSQLite, StorageCase, registered

from registry.application.context import CommandContext
from registry.application.witnesses import WitnessCommands
from registry.audit import merkle
from registry.audit.cosignature import WitnessSigner, verify_cosignatures
from registry.audit.merkle import CompactRange, Node
from registry.audit.note import Checkpoint, Signer, read_checkpoint
from registry.audit.witness import parse_submission
from registry.audit.witnessing import request_body
from registry.bootstrap import Container
from registry.config import ConfigError, Settings
from registry.domain.errors import AlreadyExists, InvalidInput, NotFound
from registry.storage.witness_sql import WitnessState

OPERATOR = CommandContext(actor_name="registry-cli", actor_role="operator")
PARTNER = "registry.partner.kz/log"


class MemoryLog:
    """Another university's log, in memory: entries, every Merkle node, its signer."""

    def __init__(self, signer: Signer, tag: str = "") -> None:
        self.signer = signer
        self.tag = tag
        self.nodes: dict[Node, bytes] = {}
        self.compact = CompactRange()

    def grow(self, count: int) -> MemoryLog:
        for _ in range(count):
            entry = f"{self.tag}entry {self.compact.size}".encode()
            for level, idx, value in self.compact.append(merkle.leaf_hash(entry)):
                self.nodes[(level, idx)] = value
        return self

    def fetch(self, keys: Any) -> dict[Node, bytes]:
        return {key: self.nodes[key] for key in keys if key in self.nodes}

    def note(self, size: int | None = None) -> str:
        size = self.compact.size if size is None else size
        root = merkle.root(size, self.fetch) if size else merkle.EMPTY_ROOT
        return self.signer.sign(Checkpoint(self.signer.name, size, root).body())

    def request(self, old: int, size: int | None = None) -> bytes:
        size = self.compact.size if size is None else size
        proof = merkle.consistency_proof(old, size, self.fetch) if 0 < old < size else []
        return request_body(old, proof, self.note(size))


def trust(registry: Container, signer: Signer, origin: str = PARTNER) -> None:
    registry.service.execute(OPERATOR, lambda _: WitnessCommands(registry.app).trust(
        origin=origin, vkey=signer.verifier.vkey))


def add_witness(registry: Container, url: str, signer: WitnessSigner) -> None:
    registry.service.execute(OPERATOR, lambda _: WitnessCommands(registry.app).add(
        url=url, vkey=signer.verifier.vkey))
    registry.witnessing.witnesses(fresh=True)


class WitnessCase(StorageCase):
    @pytest.fixture(autouse=True)
    def _by_hand(self, registry: Container) -> None:
        registry.witnessing.stop()  # the tests tick it themselves (no pool: in turn)

    # -- the witness side --------------------------------------------------------------------

    def test_every_status_of_the_witness_protocol(self, registry: Container) -> None:
        witness = registry.witness
        partner = MemoryLog(Signer.generate(PARTNER)).grow(5)

        unknown = witness.add_checkpoint(partner.request(0))
        assert unknown.status == 404
        trust(registry, partner.signer)

        impostor = MemoryLog(Signer.generate(PARTNER)).grow(5)  # same name, another key
        assert witness.add_checkpoint(impostor.request(0)).status == 403

        first = witness.add_checkpoint(partner.request(0))
        assert first.status == 200
        note = partner.note() + first.body
        assert set(verify_cosignatures(note, [witness.signer.verifier])) == {
            witness.signer.name}
        assert witness.signer.name == "registry.example.kz/witness"

        stale = witness.add_checkpoint(partner.request(0))  # it has 5 now
        assert (stale.status, stale.body, stale.content_type) == (409, "5\n",
                                                                  "text/x.tlog.size")
        same = witness.add_checkpoint(partner.request(5))  # old = size: cosigned again
        assert same.status == 200

        partner.grow(7)  # 12 entries
        grown = witness.add_checkpoint(partner.request(5))
        assert grown.status == 200
        assert registry.witness.store.state(PARTNER).size == 12  # type: ignore[union-attr]

        # A rollback: a smaller tree than the one cosigned.
        assert witness.add_checkpoint(partner.request(12, 8)).status == 400
        assert witness.add_checkpoint(partner.request(8, 8)).status == 409

        # A fork: the same key signs another tree.
        fork = MemoryLog(partner.signer, tag="forged ").grow(12)
        forked_same = witness.add_checkpoint(fork.request(12))
        assert (forked_same.status, forked_same.body) == (409, "12\n")
        fork.grow(3)
        forked_larger = witness.add_checkpoint(request_body(
            12, merkle.consistency_proof(12, 15, fork.fetch), fork.note()))
        assert forked_larger.status == 422
        bogus_proof = witness.add_checkpoint(request_body(12, [b"\0" * 32], partner.note()))
        assert bogus_proof.status == 422
        assert registry.witness.store.state(PARTNER).size == 12  # type: ignore[union-attr]

        for malformed in (b"", b"old 01\n\n" + partner.note().encode(),
                          b"old 12\nnot base64!\n\n" + partner.note().encode(),
                          b"old 12\n\nnot a note\n", b"\xff\xfe"):
            assert witness.add_checkpoint(malformed).status == 400

    def test_two_racing_requests_from_one_size_get_one_cosignature(
            self, registry: Container) -> None:
        import threading

        partner = MemoryLog(Signer.generate(PARTNER)).grow(5)
        trust(registry, partner.signer)
        assert registry.witness.add_checkpoint(partner.request(0)).status == 200
        partner.grow(7)
        requests = [partner.request(5, 8), partner.request(5, 12)]
        barrier = threading.Barrier(2)
        answers: list[int] = []

        def send(body: bytes) -> None:
            barrier.wait()
            answers.append(registry.witness.add_checkpoint(body).status)

        threads = [threading.Thread(target=send, args=(body,)) for body in requests]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(answers) == [200, 409]
        state = registry.witness.store.state(PARTNER)
        assert state is not None and state.size in (8, 12)

    def test_the_c2sp_example_request_parses(self) -> None:
        import json
        from pathlib import Path

        vectors = json.loads((Path(__file__).parents[1] / "vectors" / "signed-note"
                              / "c2sp.json").read_text())
        submission = parse_submission(vectors["add_checkpoint_request"].encode())
        assert (submission.old, len(submission.proof)) == (20852014, 4)
        assert submission.checkpoint.size == 20852163
        assert [name for name, _ in submission.signatures] == ["example.com/behind-the-sofa"] * 2

    def test_the_state_moves_by_compare_and_swap(self, registry: Container) -> None:
        store = registry.witness.store
        first = WitnessState("a.example/log", 3, b"\1" * 32, "n3")
        assert store.advance(None, first, "t")
        assert not store.advance(None, first, "t")  # a second "first" loses
        four = WitnessState("a.example/log", 4, b"\2" * 32, "n4")
        five = WitnessState("a.example/log", 5, b"\3" * 32, "n5")
        assert store.advance(first, five, "t")
        assert not store.advance(first, four, "t")  # checked against 3, but it moved: no rollback
        assert store.state("a.example/log") == five

    # -- the log side ------------------------------------------------------------------------

    def test_the_log_resends_after_409_and_serves_witnessed_checkpoints(
            self, registry: Container) -> None:
        witness_key = WitnessSigner.generate("w1.example/witness")
        seen: list[bytes] = []
        cosigned_upto = {"size": 0}

        def post(url: str, body: bytes, timeout: float) -> tuple[int, str, bytes]:
            seen.append(body)
            request = parse_submission(body)
            if request.old != cosigned_upto["size"]:
                return 409, "text/x.tlog.size", f"{cosigned_upto['size']}\n".encode()
            cosigned_upto["size"] = request.checkpoint.size
            from registry.audit.cosignature import cosign
            return 200, "text/plain", cosign(request.body, witness_key, 1_700_000_000).encode()

        registry.witnessing.post = post
        add_witness(registry, "https://w1.example/witness", witness_key)
        assert registry.witnessing.checkpoint_note() is None  # nothing witnessed yet
        registered(registry.service)
        first = sign_now(registry)
        cosigned_upto["size"] = 1  # the witness cosigned a tree of 1 before (another process)
        registry.witnessing.tick()
        assert [parse_submission(b).old for b in seen] == [0, 1]  # 409, then resent from 1
        assert registry.witnessing.status["w1.example/witness"].size == first.size
        note = registry.witnessing.checkpoint_note()
        assert note is not None and note.startswith(first.note)
        assert read_checkpoint(note, registry.audit.verifier).size == first.size
        assert verify_cosignatures(note, [witness_key.verifier]) == {
            "w1.example/witness": 1_700_000_000}
        assert registry.witnessing.status["w1.example/witness"].outcomes == {
            "resend": 1, "cosigned": 1}

        registered(registry.service, name="Асқар Нұрланұлы")
        second = sign_now(registry)
        registry.witnessing.tick()
        assert parse_submission(seen[-1]).old == first.size
        assert len(parse_submission(seen[-1]).proof) > 0
        assert registry.witnessing.checkpoint_note().startswith(second.note)  # type: ignore[union-attr]

    def test_refusals_are_reported_not_retried_and_a_dead_witness_backs_off(
            self, registry: Container) -> None:
        answers: dict[str, Callable[[], tuple[int, str, bytes]]] = {}
        calls: dict[str, int] = {}

        def post(url: str, body: bytes, timeout: float) -> tuple[int, str, bytes]:
            calls[url] = calls.get(url, 0) + 1
            return answers[url]()

        def dead() -> tuple[int, str, bytes]:
            raise TimeoutError("timed out")

        keys = {name: WitnessSigner.generate(f"{name}.example/w")
                for name in ("w404", "w403", "w422", "wdead", "w500", "wbad")}
        answers = {
            "https://w404.example/add-checkpoint": lambda: (404, "text/plain", b"unknown log"),
            "https://w403.example/add-checkpoint": lambda: (403, "text/plain", b"bad sig"),
            "https://w422.example/add-checkpoint": lambda: (422, "text/plain", b"bad proof"),
            "https://wdead.example/add-checkpoint": dead,
            "https://w500.example/add-checkpoint": lambda: (503, "text/plain", b"busy"),
            "https://wbad.example/add-checkpoint": lambda: (200, "text/plain",
                                                            b"\xe2\x80\x94 wbad.example/w AAAA\n"),
        }
        registry.witnessing.post = post
        for name, key in keys.items():
            add_witness(registry, f"https://{name}.example", key)
        registered(registry.service)
        sign_now(registry)
        registry.witnessing.tick()
        registry.witnessing.tick()  # nothing is offered again at once
        assert all(count == 1 for count in calls.values()) and len(calls) == 6
        problems = registry.witnessing.problems()
        assert "does not know this log's origin" in problems["w404.example/w"]
        assert "/log/vkey" in problems["w403.example/w"]
        assert "consistency proof" in problems["w422.example/w"]
        assert "unreachable" in problems["wdead.example/w"]
        assert "unreachable" in problems["w500.example/w"]
        assert "without a valid cosignature" in problems["wbad.example/w"]
        assert registry.witnessing.checkpoint_note() is None  # no quorum
        dead_status = registry.witnessing.status["wdead.example/w"]
        refused_status = registry.witnessing.status["w404.example/w"]
        import time
        assert dead_status.next_try - time.monotonic() < 300  # backoff: soon
        assert refused_status.next_try - time.monotonic() > 300  # refusal: the operator acts

    def test_a_quorum_beyond_the_witnesses_is_reported(self, registry: Container) -> None:
        registry.witnessing.configured_quorum = 2
        add_witness(registry, "https://w.example", WitnessSigner.generate("w.example/w"))
        assert "REGISTRY_WITNESS_QUORUM=2" in registry.witnessing.problems()["quorum"]

    def test_witness_commands_are_events_and_refuse_what_they_cannot_use(
            self, registry: Container) -> None:
        key = WitnessSigner.generate("w.example/witness")
        add_witness(registry, "https://w.example/", key)
        with pytest.raises(AlreadyExists):
            add_witness(registry, "https://other.example", key)
        with pytest.raises(InvalidInput, match="witness's verifier key"):
            add_witness(registry, "https://x.example", Signer.generate("x")  # type: ignore[arg-type]
                        )
        with pytest.raises(InvalidInput, match="not a witness URL"):
            add_witness(registry, "ftp://x.example?q", WitnessSigner.generate("y.example/w"))
        with pytest.raises(NotFound):
            registry.service.execute(OPERATOR, lambda _: WitnessCommands(
                registry.app).remove("nobody"))
        (only,) = registry.witnessing.witnesses(fresh=True)
        assert (only.name, only.url) == ("w.example/witness", "https://w.example")
        registry.service.execute(OPERATOR, lambda _: WitnessCommands(registry.app).remove(
            "w.example/witness"))
        assert registry.witnessing.witnesses(fresh=True) == []
        registry.audit_runner.wait(registry.app.last_notification_id())
        types = [leaf.envelope for leaf in registry.audit.entries(0, 100)]
        assert sum(b'"Witnesses.Added"' in t for t in types) == 1
        assert sum(b'"Witnesses.Removed"' in t for t in types) == 1


def sign_now(registry: Container) -> Any:
    registry.audit_runner.wait(registry.app.last_notification_id())
    return registry.audit.sign()


class TestWitnessOnSQLite(OnSQLite, WitnessCase):
    pass


class TestWitnessOnPostgres(OnPostgres, WitnessCase):
    pass



def test_the_quorum_and_timeout_are_validated_like_other_settings() -> None:
    assert Settings.from_env({}).witness_quorum is None  # 1 once a witness is configured
    assert Settings.from_env({"REGISTRY_WITNESS_QUORUM": "2"}).witness_quorum == 2
    for bad in ("0", "two", "-1"):
        with pytest.raises(ConfigError, match="REGISTRY_WITNESS_QUORUM"):
            Settings.from_env({"REGISTRY_WITNESS_QUORUM": bad})
    with pytest.raises(ConfigError, match="REGISTRY_WITNESS_TIMEOUT_SECONDS"):
        Settings.from_env({"REGISTRY_WITNESS_TIMEOUT_SECONDS": "0"})


def test_the_witness_commands_of_the_cli(sqlite_settings: Settings, monkeypatch: Any,
                                         capsys: Any) -> None:
    from support import cli_env

    from registry.bootstrap import build
    from registry.cli import main

    cli_env(monkeypatch, sqlite_settings)
    build(sqlite_settings, seed=False).close()  # found it
    key = WitnessSigner.generate("w.example/witness")
    assert main(["audit", "witness", "add", "--url", "https://w.example/",
                 "--vkey", key.verifier.vkey]) == 0
    assert main(["audit", "witness", "add", "--url", "https://w.example",
                 "--vkey", key.verifier.vkey]) == 1  # ALREADY_EXISTS, said on stderr
    assert "configured already" in capsys.readouterr().err
    assert main(["audit", "witness", "list", "--json"]) == 0
    import json
    assert json.loads(capsys.readouterr().out) == [{
        "name": "w.example/witness", "url": "https://w.example", "vkey": key.verifier.vkey,
        "cosignedSize": 0}]
    assert main(["audit", "witness", "remove", "w.example/witness"]) == 0
    assert main(["audit", "witness", "remove", "w.example/witness"]) == 1
    partner = Signer.generate(PARTNER)
    assert main(["witness", "trust", "--origin", PARTNER, "--vkey",
                 partner.verifier.vkey]) == 0
    capsys.readouterr()
    assert main(["witness", "vkey"]) == 0
    vkey = capsys.readouterr().out.strip()
    assert vkey.startswith("registry.example.kz/witness+")
    key_file = sqlite_settings.data_dir / "keys" / "transparency-witness.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    container = build(sqlite_settings, seed=False)
    try:
        assert container.witness.signer.verifier.vkey == vkey
        answer = container.witness.add_checkpoint(MemoryLog(partner).grow(3).request(0))
        assert answer.status == 200
    finally:
        container.close()
