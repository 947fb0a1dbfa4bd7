"""Personal data at rest: sealed per learner, committed to (never carried) by the audit log,
X-On-Behalf-Of included; owner-only files; older plaintext rows still read, then sealed."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import sqlite3
import stat
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from personal_world import (
    A_NAME,
    A_ON_BEHALF_OF,
    ADMIN,
    PLATFORM_ON_BEHALF_OF,
    World,
    cli_env,
    execute,
    found_in,
    personal_rows,
    populate,
    refs_by_topic,
    table_rows,
)
from support import OnPostgres, OnSQLite, StorageCase

from registry.application.context import CommandContext
from registry.application.mapper import subject_rule
from registry.application.personal import SEALED, PersonalKeyError, new_record
from registry.bootstrap import SQLITE_FILE, Container, build
from registry.cli import main
from registry.clock import FixedClock
from registry.config import Settings
from registry.domain.access import ApiToken, Role


def in_thread(step: Any, errors: list[BaseException]) -> threading.Thread:
    """``step()`` started in a thread of its own; what it raises lands in ``errors``."""
    def guarded() -> None:
        try:
            step()
        except BaseException as error:  # noqa: B036 (reported by the test thread)
            errors.append(error)
    thread = threading.Thread(target=guarded)
    thread.start()
    return thread


def race(monkeypatch: pytest.MonkeyPatch, store: Any, pause_at: str, first: Any,
         second: Any) -> None:
    """``first`` started and held inside its transaction (at ``store.<pause_at>``), then
    ``second`` started against it: ``second`` must wait for ``first``; then both finish."""
    inside, resume = threading.Event(), threading.Event()
    statement = getattr(store, pause_at)

    def paused(*args: Any) -> Any:
        inside.set()
        resume.wait(10)
        return statement(*args)

    monkeypatch.setattr(store, pause_at, paused)
    errors: list[BaseException] = []
    held = in_thread(first, errors)
    assert inside.wait(10)
    waiting = in_thread(second, errors)
    waiting.join(0.5)
    assert waiting.is_alive()  # it waits for the other's row (or the database's lock)
    resume.set()
    for thread in (held, waiting):
        thread.join(10)
        assert not thread.is_alive()
    assert errors == []


class AtRestCase(StorageCase):
    @pytest.fixture
    def world(self, registry: Container) -> World:
        return populate(registry.service)

    def test_events_personal_store_and_log_hold_no_personal_data_in_the_clear(
        self, registry: Container, world: World
    ) -> None:
        registry.audit_runner.catch_up()
        raw = table_rows(registry.settings, views=False)
        assert found_in(raw, world.secrets) == []
        # Positive control: the same search finds what the read model shows in the clear.
        assert A_NAME in found_in(table_rows(registry.settings, views=True), [A_NAME])

    def test_every_personal_part_is_sealed_under_the_key_of_whom_it_is_about(
        self, registry: Container, world: World
    ) -> None:
        keys = {r["ref"]: r for r in personal_rows(registry)}
        assert all(r["scheme"] == SEALED and r["salt"] == b"" for r in keys.values())
        by_type: dict[str, set[str]] = {}
        for topic, ref in refs_by_topic(registry):
            by_type.setdefault(topic.rpartition(":")[2], set()).add(keys[ref]["key_id"])
        assert by_type["Learner.Registered"] == {world.learner_a, world.learner_b}
        assert by_type["Learner.IdentityVerified"] == {world.learner_a}  # its X-On-Behalf-Of
        assert by_type["Enrollment.ScoreRecorded"] == {world.learner_a}  # the correction
        assert by_type["Certificate.Revoked"] == {world.learner_a}
        assert by_type["Certificate.Issued"] == {world.learner_a, world.learner_b}
        assert by_type["Learner.NameCorrected"] == {world.learner_b}
        # An X-On-Behalf-Of on an event about nobody: a key of its own.
        (own,) = by_type["Proctoring.AvailabilitySet"]
        assert own.startswith("ref:")

    def test_the_part_reads_back_whole_and_matches_its_commitment(
        self, registry: Container, world: World
    ) -> None:
        learner = registry.commands.learners.get(uuid.UUID(world.learner_a))
        assert (learner.full_name, learner.iin) == (A_NAME, "900101300007")
        for topic, ref in refs_by_topic(registry):
            record = registry.app.personal_store.get(ref)
            assert record is not None and len(record.salt) == 16
        on_behalf = [registry.app.personal_store.get(ref) for topic, ref in refs_by_topic(registry)
                     if topic.endswith("Proctoring.AvailabilitySet")]
        assert [json.loads(r.data) for r in on_behalf if r] == [
            {"on_behalf_of": PLATFORM_ON_BEHALF_OF}]

    def test_without_its_data_key_a_part_is_gone_even_with_the_rows(
        self, registry: Container, world: World
    ) -> None:
        rows = personal_rows(registry, "WHERE key_id = ?", (world.learner_a,))
        assert rows
        refs = [r["ref"] for r in rows]
        assert len(registry.app.personal_store.get_many(refs)) == len(refs)
        execute(registry, "DELETE FROM {keys} WHERE key_id = ?", (world.learner_a,))
        assert registry.app.personal_store.get_many(refs) == {}
        assert personal_rows(registry, "WHERE key_id = ?", (world.learner_a,))  # rows remain
        assert registry.commands.learners.get(uuid.UUID(world.learner_a)).full_name == ""
        learner = registry.commands.learners.get(uuid.UUID(world.learner_b))
        assert learner.full_name == "Daniyar Seitkaliyev"

    def test_a_different_kek_is_refused_with_a_message_that_says_so(
        self, registry: Container, world: World, clock: FixedClock
    ) -> None:
        settings = dataclasses.replace(
            registry.settings,
            personal_kek=base64.b64encode(os.urandom(32)).decode())
        registry.close()
        other = build(settings, clock, poll_interval=0.05, seed=False)
        try:
            with pytest.raises(PersonalKeyError, match="REGISTRY_PERSONAL_KEK"):
                other.commands.learners.get(uuid.UUID(world.learner_a))
        finally:
            other.close()

    def test_rows_from_before_encryption_still_read_and_are_sealed_on_the_next_start(
        self, registry: Container, world: World, clock: FixedClock
    ) -> None:
        store = registry.app.personal_store
        rows = personal_rows(registry)
        for row in rows:  # the database as an older registry left it
            record = store.get(row["ref"])
            assert record is not None
            execute(registry, "UPDATE {data} SET scheme = 'plain', salt = ?, data = ?, "
                    "key_id = NULL WHERE ref = ?", (record.salt, record.data, row["ref"]))
        execute(registry, "DELETE FROM {keys}")
        execute(registry, "DELETE FROM {subjects}")
        assert registry.commands.learners.get(uuid.UUID(world.learner_a)).full_name == A_NAME
        settings = registry.settings
        registry.close()
        again = build(settings, clock, poll_interval=0.05)
        try:
            sealed = personal_rows(again)
            assert {r["scheme"] for r in sealed} == {SEALED} and len(sealed) == len(rows)
            assert found_in(table_rows(settings, views=False), [A_NAME, A_ON_BEHALF_OF]) == []
            assert again.commands.learners.get(uuid.UUID(world.learner_a)).full_name == A_NAME
            kinds = {o.kind for o in again.app.personal_store.originators_of(world.learner_a)}
            assert {"Certificate", "Enrollment"} <= kinds
        finally:
            again.close()

    def test_a_learners_token_and_its_later_events_belong_to_the_learner(
        self, registry: Container, world: World
    ) -> None:
        registry.service.run(ADMIN, lambda cmd: cmd.tokens.create(
            name="portal", role=Role.LEARNER, learner_id=uuid.UUID(world.learner_a)))
        kinds = {o.kind for o in registry.app.personal_store.originators_of(world.learner_a)}
        assert kinds == {"ApiToken", "Certificate", "Enrollment", "IinClaim"}
        # The rule itself, for events that carry the learner and events that do not.
        assert subject_rule(ApiToken.Created, "t", uuid.UUID(world.learner_a),
                            lambda _: None) == world.learner_a
        assert subject_rule(ApiToken.TiedToCourses, "t", None,
                            lambda oid: "from-table" if oid == "t" else None) == "from-table"
        assert subject_rule(ApiToken.TiedToCourses, "unknown", None, lambda _: None) is None


    def test_two_processes_sealing_for_a_new_learner_share_one_key(
        self, registry: Container, clock: FixedClock
    ) -> None:
        other = build(registry.settings, clock, poll_interval=0.05, seed=False)
        try:
            subject = str(uuid.uuid4())
            records = [new_record(str(uuid.uuid4()), {"n": str(i)}) for i in range(6)]
            for i, record in enumerate(records):
                (registry if i % 2 else other).app.personal_store.put(record, subject=subject)
            for container in (registry, other):
                found = container.app.personal_store.get_many(r.ref for r in records)
                assert {ref: r.data for ref, r in found.items()} == {
                    r.ref: r.data for r in records}
            assert len(personal_rows(registry, "WHERE key_id = ?", (subject,))) == 6
        finally:
            other.close()


    # -- a write that comes after (or races) an erasure -----------------------------------------

    def test_a_write_after_an_erasure_makes_no_new_key_and_stores_nothing(
        self, registry: Container, clock: FixedClock
    ) -> None:
        store = registry.app.personal_store
        subject = str(uuid.uuid4())
        before, after = (new_record(str(uuid.uuid4()), {"reason": "Айгерім's appeal"})
                         for _ in range(2))
        store.put(before, subject=subject)
        assert store.erase_subject(subject) == 1
        # a save loaded before the erasure and committed after it
        store.put(after, subject=subject)
        assert store.get_many([before.ref, after.ref]) == {}
        assert not store.has_key(subject)
        assert personal_rows(registry, "WHERE key_id = ?", (subject,)) == []
        assert store.erase_subject(subject) == 0  # again: harmless
        settings = registry.settings
        registry.close()
        again = build(settings, clock, poll_interval=0.05, seed=False)
        try:  # the erasure outlives the process: a restarted registry makes no key either
            late = new_record(str(uuid.uuid4()), {"reason": "later"})
            again.app.personal_store.put(late, subject=subject)
            assert again.app.personal_store.get(late.ref) is None
            assert not again.app.personal_store.has_key(subject)
        finally:
            again.close()

    def test_a_write_racing_an_erasure_waits_for_it_and_stores_nothing(
        self, registry: Container, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        store: Any = registry.app.personal_store
        subject = str(uuid.uuid4())
        store.put(new_record(str(uuid.uuid4()), {"n": "0"}), subject=subject)
        racing = new_record(str(uuid.uuid4()), {"reason": "typed while the erasure ran"})
        # the erasure stops mid-transaction, its key destroyed; the write must wait for it
        race(monkeypatch, store, "count_sealed_under", lambda: store.erase_subject(subject),
             lambda: store.put(racing, subject=subject))
        assert store.get(racing.ref) is None and not store.has_key(subject)
        assert personal_rows(registry, "WHERE key_id = ?", (subject,)) == []

    def test_an_erasure_waits_for_a_write_holding_the_key_and_destroys_what_it_stored(
        self, registry: Container, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        store: Any = registry.app.personal_store
        subject = str(uuid.uuid4())
        store.put(new_record(str(uuid.uuid4()), {"n": "0"}), subject=subject)  # a live key
        writing = new_record(str(uuid.uuid4()), {"reason": "sealed just before the erasure"})
        # the write has read the live key, not yet stored; the erasure must wait for it
        race(monkeypatch, store, "insert_sealed", lambda: store.put(writing, subject=subject),
             lambda: store.erase_subject(subject))
        assert store.get(writing.ref) is None and not store.has_key(subject)
        assert personal_rows(registry, "WHERE key_id = ?", (subject,)) == []

    def test_learners_erased_before_tombstones_are_erased_again_on_the_upgrade(
        self, registry: Container, world: World, clock: FixedClock
    ) -> None:
        learner = uuid.UUID(world.learner_a)
        registry.service.erase_personal_data(ADMIN, learner, "Request 2026/117")
        # The database as the registry before tombstones left it: the erased key's row gone,
        # and a write after the erasure (a revocation's reason) under a key made again.
        execute(registry, "DELETE FROM {keys} WHERE key_id = ?", (world.learner_a,))
        later = new_record(str(uuid.uuid4()), {"reason": "Withdrawn after the erasure"})
        registry.app.personal_store.put(later, subject=world.learner_a)
        assert registry.app.personal_store.get(later.ref) is not None
        execute(registry, "ALTER TABLE {keys} DROP COLUMN erased")
        settings = registry.settings
        registry.close()
        again = build(settings, clock, poll_interval=0.05, seed=False)
        try:
            store = again.app.personal_store
            assert store.get(later.ref) is None and not store.has_key(world.learner_a)
            assert personal_rows(again, "WHERE key_id = ?", (world.learner_a,)) == []
            assert store.has_key(world.learner_b)  # the others' keys untouched
            again.app.personal_store.put(new_record(str(uuid.uuid4()), {"n": "1"}),
                                         subject=world.learner_a)
            assert not store.has_key(world.learner_a)  # tombstoned for good
        finally:
            again.close()

    def test_erasing_a_part_with_a_key_of_its_own_leaves_a_tombstone_too(
        self, registry: Container
    ) -> None:
        store = registry.app.personal_store
        record = new_record(str(uuid.uuid4()), {"on_behalf_of": "Платформа"})
        store.put(record)
        assert store.erase(record.ref) and not store.erase(record.ref)
        store.put(record)  # the same ref written again: stays erased
        assert store.get(record.ref) is None


class TestSQLite(OnSQLite, AtRestCase):
    def test_a_personal_table_from_before_encryption_is_upgraded(
        self, sqlite_settings: Settings, clock: FixedClock
    ) -> None:
        sqlite_settings.data_dir.mkdir(parents=True)
        connection = sqlite3.connect(sqlite_settings.data_dir / SQLITE_FILE)
        connection.execute("CREATE TABLE personal_data (ref TEXT PRIMARY KEY, salt BLOB NOT "
                           "NULL, data BLOB NOT NULL)")
        connection.execute("INSERT INTO personal_data VALUES ('old', ?, ?)",
                           (b"s" * 16, b'{"reason":"old"}'))
        connection.commit()
        connection.close()
        container = build(sqlite_settings, clock, poll_interval=0.05)
        try:
            record = container.app.personal_store.get("old")
            assert record is not None and record.data == b'{"reason":"old"}'
        finally:
            container.close()


    def test_a_keys_table_from_before_tombstones_is_upgraded_and_its_keys_still_read(
        self, sqlite_settings: Settings, clock: FixedClock
    ) -> None:
        container = build(sqlite_settings, clock, poll_interval=0.05, seed=False)
        subject = str(uuid.uuid4())
        record = new_record(str(uuid.uuid4()), {"n": "1"})
        container.app.personal_store.put(record, subject=subject)
        container.close()
        connection = sqlite3.connect(sqlite_settings.data_dir / SQLITE_FILE)
        connection.execute("ALTER TABLE personal_keys DROP COLUMN erased")
        connection.commit()
        connection.close()
        container = build(sqlite_settings, clock, poll_interval=0.05, seed=False)
        try:
            store = container.app.personal_store
            assert store.get(record.ref) == record and store.has_key(subject)
            assert store.erase_subject(subject) == 1 and not store.has_key(subject)
        finally:
            container.close()

    def test_the_start_ups_search_for_rows_in_the_clear_reads_an_index_not_the_table(
        self, sqlite_settings: Settings, clock: FixedClock
    ) -> None:
        build(sqlite_settings, clock, poll_interval=0.05).close()
        store: Any = build(sqlite_settings, clock, poll_interval=0.05)
        try:
            statement, params = store.app.personal_store.select_plaintext(1)
            connection = sqlite3.connect(sqlite_settings.data_dir / SQLITE_FILE)
            plan = " ".join(str(row[-1]) for row in connection.execute(
                f"EXPLAIN QUERY PLAN {statement}", params))
            connection.close()
            # a full scan of every learner's row was most of a start-up at 100,000 learners
            assert "USING INDEX personal_data_plain_idx" in plan, plan
        finally:
            store.close()


class TestPostgres(OnPostgres, AtRestCase):
    pass


# -- owner-only files ------------------------------------------------------------------------

@pytest.fixture
def loose_umask() -> Iterator[None]:
    previous = os.umask(0o002)
    try:
        yield
    finally:
        os.umask(previous)


def modes(root: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = stat.S_IMODE(path.stat().st_mode)
    return found


def test_the_data_directory_is_readable_by_its_owner_only_whatever_the_umask(
    sqlite_settings: Settings, clock: FixedClock, loose_umask: None
) -> None:
    container = build(sqlite_settings, clock, poll_interval=0.05)
    try:
        populate(container.service)
        while_open = modes(sqlite_settings.data_dir)
    finally:
        container.close()
    assert {"registry.sqlite3", "registry.sqlite3-wal", "registry.sqlite3-shm",
            "keys", "keys/personal.kek"} <= set(while_open)
    loose = {name: oct(mode) for name, mode in {**while_open,
                                                 **modes(sqlite_settings.data_dir)}.items()
             if mode != (0o700 if (sqlite_settings.data_dir / name).is_dir() else 0o600)
             and (sqlite_settings.data_dir / name).exists()}
    assert loose == {}


def test_an_older_data_directory_is_tightened_on_start(
    sqlite_settings: Settings, clock: FixedClock, loose_umask: None
) -> None:
    data = sqlite_settings.data_dir
    data.mkdir(mode=0o755)
    (data / SQLITE_FILE).touch(mode=0o644)
    os.chmod(data / SQLITE_FILE, 0o644)
    build(sqlite_settings, clock, poll_interval=0.05).close()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / SQLITE_FILE).stat().st_mode) == 0o600


def test_a_kek_given_by_configuration_is_used_and_no_file_is_made(
    tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    kek = base64.b64encode(os.urandom(32)).decode()
    (tmp_path / "kek").write_text(kek)
    monkeypatch.setenv("REGISTRY_PERSONAL_KEK", str(tmp_path / "kek"))
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path / "var"))
    container = build(Settings.from_env(), clock, poll_interval=0.05)
    try:
        populate(container.service)
    finally:
        container.close()
    assert not (tmp_path / "var" / "keys" / "personal.kek").exists()
    monkeypatch.setenv("REGISTRY_PERSONAL_KEK", kek)  # the same KEK, given as base64
    again = build(Settings.from_env(), clock, poll_interval=0.05, seed=False)
    try:
        assert [d["fullName"] for d in again.service.find("learners", order_by="search")] == [
            "Daniyar Seitkaliyev", A_NAME]
        a = again.service.find("learners", search="әлия")[0]
        assert again.commands.learners.get(uuid.UUID(a["id"])).email == "aliya.kurmanova@example.kz"
    finally:
        again.close()
    monkeypatch.setenv("REGISTRY_PERSONAL_KEK", "not base64!")
    with pytest.raises(ValueError, match="REGISTRY_PERSONAL_KEK"):
        build(Settings.from_env(), clock, seed=False)


# -- X-On-Behalf-Of and the audit export ---------------------------------------------------------

def asgi_post(app: Any, path: str, body: bytes, headers: list[tuple[bytes, bytes]]) -> Any:
    """POST straight to the ASGI app, header bytes as they are (the test client re-encodes
    them as UTF-8, so it cannot send what a browser or proxy might); its lifespan must be
    running (a TestClient around it)."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 1), "server": ("testserver", 80), "app": app}
    anyio.run(app, scope, receive, send)
    return json.loads(b"".join(m.get("body", b"") for m in sent
                               if m["type"] == "http.response.body"))


VERIFY_IDENTITY = """mutation($input: VerifyLearnerIdentityInput!) {
  verifyLearnerIdentity(input: $input) { id history { type onBehalfOf personal } } }"""


def test_x_on_behalf_of_keeps_its_kazakh_letters_and_stays_out_of_the_log(
    sqlite_settings: Settings, clock: FixedClock, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    from apiclient import Api, make_client

    text = "Сәуле Нұрланқызы (ғылыми кеңес, өкілі Үміт Һ. Ілиясова)"
    with make_client(sqlite_settings, clock) as client:
        api = Api(client)
        admin = api.token("admin", "Test Admin")
        learner = populate(api.container.service).learner_a

        def send(header: bytes) -> Any:
            body = json.dumps({"query": VERIFY_IDENTITY, "variables": {
                "input": {"learnerId": learner, "method": "IN_PERSON"}}}).encode()
            return asgi_post(client.app, "/graphql", body, [
                (b"authorization", f"Bearer {admin}".encode()),
                (b"content-type", b"application/json"), (b"x-on-behalf-of", header)])

        body = send(text.encode("utf-8"))
        assert "errors" not in body, body
        last = body["data"]["verifyLearnerIdentity"]["history"][-1]
        assert last == {"type": "IdentityVerified", "onBehalfOf": text, "personal": None}
        before = api.event_count()
        refused = send(b"\xff\xfe Latin-1 \xe9")
        assert refused["data"] is None
        assert refused["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
        assert api.event_count() == before
    cli_env(monkeypatch, sqlite_settings)
    assert main(["audit", "export", "--out", str(tmp_path / "export"),
                 "--personal", str(tmp_path / "personal")]) == 0
    export = (tmp_path / "export").read_bytes()
    assert found_in(export, [text]) == []
    assert all(json.loads(line)["meta"]["on_behalf_of"] is None
               for line in export.splitlines())
    assert found_in((tmp_path / "personal").read_bytes(), [text]) == [text]


def test_the_audit_export_holds_no_personal_data(
    sqlite_settings: Settings, clock: FixedClock, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    container = build(sqlite_settings, clock, poll_interval=0.05)
    try:
        world = populate(container.service)
        certificate = container.service.doc("certificates", world.active_a["number"])
    finally:
        container.close()
    cli_env(monkeypatch, sqlite_settings)
    assert main(["audit", "export", "--out", str(tmp_path / "export"),
                 "--personal", str(tmp_path / "personal")]) == 0
    export = (tmp_path / "export").read_bytes()
    assert export.count(b"\n") > 30
    assert found_in(export, world.secrets) == []
    # The separate personal file is where they are, and only there.
    personal = (tmp_path / "personal").read_bytes()
    assert found_in(personal, world.secrets) == world.secrets
    assert certificate["fullName"] == A_NAME


def test_a_staff_action_without_x_on_behalf_of_stores_no_personal_part(
    sqlite_settings: Settings, clock: FixedClock
) -> None:
    container = build(sqlite_settings, clock, poll_interval=0.05)
    try:
        before = len(refs_by_topic(container))
        container.service.run(CommandContext(actor_name="INET", actor_role="inet"),
                              lambda cmd: cmd.platforms.set_online_proctoring(available=False,
                                                                              system=None))
        assert len(refs_by_topic(container)) == before
    finally:
        container.close()
