"""The transparency log on each storage back-end: written once, run on SQLite and PostgreSQL.

Dense leaf indexes assigned by the log, exactly once across restarts and processes; proofs that
verify against signed checkpoints; personal data never in an envelope, and erasure changes
nothing; an event changed behind the registry's back stops the log from signing."""

from __future__ import annotations

import json

import pytest
from support import (
    KAZAKH_NAME,
    OnPostgres,
    OnSQLite,
    StorageCase,
    certified,
    enrolled,
    published_mooc,
)

from registry.audit import log as log_module
from registry.audit import merkle
from registry.audit.log import LogInconsistent
from registry.audit.note import read_checkpoint
from registry.bootstrap import Container, build
from registry.clock import FixedClock
from registry.config import Settings


def caught_up(container: Container) -> Container:
    container.audit_runner.wait(container.app.last_notification_id())
    return container


def envelopes(container: Container) -> list[dict]:
    return [json.loads(leaf.envelope) for leaf in container.audit.entries(0, 10_000)]


class AuditLogStorageCase(StorageCase):
    def test_every_event_gets_the_next_dense_index_in_global_order(
        self, registry: Container
    ) -> None:
        certified(registry.service)
        caught_up(registry)
        stored = registry.app.recorder.select_notifications(start=1, limit=10_000)
        leaves = registry.audit.entries(0, 10_000)
        assert [leaf.index for leaf in leaves] == list(range(len(stored)))
        assert [leaf.notification_id for leaf in leaves] == [n.id for n in stored]
        for leaf, notification in zip(leaves, stored, strict=True):
            entry = json.loads(leaf.envelope)
            assert entry["index"] == leaf.index
            assert entry["aggregate"]["id"] == str(notification.originator_id)
            assert entry["aggregate"]["version"] == notification.originator_version
            assert notification.topic.endswith(entry["type"])

    def test_proofs_verify_against_the_signed_checkpoint(self, registry: Container) -> None:
        certified(registry.service)
        caught_up(registry)
        signed = registry.audit.sign()
        checkpoint = read_checkpoint(signed.note, registry.audit.verifier)
        assert checkpoint.origin == "registry.example.kz/log"
        assert checkpoint.size == registry.audit.size()
        for index in range(checkpoint.size):
            leaf, proof = registry.audit.inclusion(index, checkpoint.size)
            assert leaf == merkle.leaf_hash(registry.audit.entries(index, 1)[0].envelope)
            merkle.verify_inclusion(index, checkpoint.size, leaf, proof, checkpoint.root)
        for old in range(1, checkpoint.size + 1):
            merkle.verify_consistency(old, checkpoint.size, registry.audit.root(old),
                                      checkpoint.root,
                                      registry.audit.consistency(old, checkpoint.size))

    def test_checkpoints_come_every_n_events_and_all_are_kept(
        self, settings: Settings, clock: FixedClock
    ) -> None:
        from dataclasses import replace

        container = build(replace(settings, checkpoint_every=4, checkpoint_seconds=3600),
                          clock, poll_interval=0.05)
        try:
            container.checkpointer.stop()  # driven by hand below
            at_start = container.app.last_notification_id()  # seeds and the first key
            earlier = [c.size for c in container.audit.view.checkpoints()]
            published_mooc(container.service)  # 6 events (the draft claims its code)
            first = caught_up(container).checkpointer.tick()
            assert first is not None and first.size == container.audit.size() == at_start + 6
            enrolled(container.service, "KAZLIT-101")  # 2 more events: fewer than 4
            assert caught_up(container).checkpointer.tick() is None
            published_mooc(container.service, "SECOND")
            second = caught_up(container).checkpointer.tick()
            assert second is not None and second.size == at_start + 14
            sizes = [c.size for c in container.audit.view.checkpoints()]
            assert sizes == [*earlier, at_start + 6, at_start + 14]
            for stored in container.audit.view.checkpoints():
                assert read_checkpoint(stored.note, container.audit.verifier).size == stored.size
        finally:
            container.close()

    def test_a_restart_keeps_indexes_and_neither_skips_nor_repeats(
        self, settings: Settings, clock: FixedClock
    ) -> None:
        first = build(settings, clock, poll_interval=0.05)
        published_mooc(first.service)
        before = [leaf.envelope for leaf in caught_up(first).audit.entries(0, 10_000)]
        first.audit_runner.stop()
        enrolled(first.service, "KAZLIT-101")  # written while the log is not running
        first.close()

        second = build(settings, clock, poll_interval=0.05)
        try:
            after = caught_up(second).audit.entries(0, 10_000)
            assert [leaf.envelope for leaf in after[:len(before)]] == before
            stored = second.app.recorder.select_notifications(start=1, limit=10_000)
            assert [leaf.notification_id for leaf in after] == [n.id for n in stored]
            assert second.audit_runner.catch_up() == 0
            second.audit.sign()
        finally:
            second.close()

    def test_two_processes_log_each_event_once(self, settings: Settings,
                                               clock: FixedClock) -> None:
        one = build(settings, clock, poll_interval=0.01)
        two = build(settings, clock, poll_interval=0.01)
        try:
            certified(one.service)
            caught_up(one)
            caught_up(two)
            stored = one.app.recorder.select_notifications(start=1, limit=10_000)
            leaves = two.audit.entries(0, 10_000)
            assert [leaf.notification_id for leaf in leaves] == [n.id for n in stored]
            assert one.audit.sign().root == two.audit.sign().root
        finally:
            one.close()
            two.close()

    def test_personal_data_never_enters_an_envelope_and_erasure_changes_nothing(
        self, registry: Container
    ) -> None:
        certificate = certified(registry.service)
        caught_up(registry)
        raw = b"".join(leaf.envelope for leaf in registry.audit.entries(0, 10_000))
        assert KAZAKH_NAME.encode() not in raw
        assert b"aliya@example.kz" not in raw and certificate["token"].encode() not in raw
        entries = envelopes(registry)
        registered = next(e for e in entries if e["type"] == "Learner.Registered")
        assert registered["payload"] == {}
        assert registered["personal_commitment"]
        assert "personal_ref" not in json.dumps(entries)
        signed = registry.audit.sign()

        stored = registry.app.recorder.select_notifications(start=1, limit=10_000)
        for notification in stored:
            ref = json.loads(notification.state).get("personal_ref")
            if ref:
                assert registry.app.personal_store.erase(ref)
        assert envelopes(registry) == entries
        published_mooc(registry.service, "AFTER-ERASURE")
        caught_up(registry)
        later = registry.audit.sign()  # still consistent: erasure changed no envelope
        assert later.size > signed.size
        merkle.verify_consistency(signed.size, later.size, signed.root, later.root,
                                  registry.audit.consistency(signed.size, later.size))

    def test_an_event_changed_behind_the_registrys_back_stops_the_signing(
        self, registry: Container, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(log_module, "SWEEP_SECONDS", 0.0)  # old leaves: at every signing
        registry.checkpointer.stop()  # signing is driven by hand here
        published_mooc(registry.service)
        caught_up(registry)
        good = registry.audit.sign()
        stored = registry.app.recorder.select_notifications(start=1, limit=10_000)
        leaf, notification = next((i, n) for i, n in enumerate(stored)
                                   if n.topic.endswith("Mooc.Drafted"))
        forged = notification.state.replace(b"Philology", b"Philosophy")
        assert forged != notification.state
        self.update_event_state(registry, notification.id, forged)
        enrolled(registry.service, "KAZLIT-101")
        caught_up(registry)
        for _attempt in range(2):  # it keeps refusing
            with pytest.raises(LogInconsistent, match=f"leaf {leaf}:"):
                registry.audit.sign()
        assert registry.audit.view.latest_checkpoint() == good
        assert registry.audit.problem and f"leaf {leaf}:" in registry.audit.problem

    def test_an_old_leaf_changed_is_caught_by_the_next_sweep_and_keeps_the_log_refusing(
        self, registry: Container
    ) -> None:
        registry.checkpointer.stop()
        published_mooc(registry.service)
        caught_up(registry)
        registry.audit.sign()
        enrolled(registry.service, "KAZLIT-101")
        caught_up(registry)
        registry.audit.sign()  # swept the old leaves just now
        stored = registry.app.recorder.select_notifications(start=1, limit=10_000)
        leaf, notification = next((i, n) for i, n in enumerate(stored)
                                   if n.topic.endswith("Mooc.Drafted"))
        self.update_event_state(registry, notification.id,
                                notification.state.replace(b"Philology", b"Philosophy"))
        published_mooc(registry.service, "SECOND-101")
        caught_up(registry)
        try:
            registry.audit.sign()  # within SWEEP_SECONDS of the last window: old leaves not read
        except LogInconsistent:
            pass  # a machine so slow that the interval was over already
        registry.audit._swept_at -= log_module.SWEEP_SECONDS  # … and now the interval is over
        published_mooc(registry.service, "LATER-101")
        caught_up(registry)
        for _attempt in range(2):  # found by the sweep, and refused until put right
            with pytest.raises(LogInconsistent, match=f"leaf {leaf}:"):
                registry.audit.sign()

    def update_event_state(self, registry: Container, notification_id: int,
                           state: bytes) -> None:
        raise NotImplementedError


class TestSQLiteAuditLog(OnSQLite, AuditLogStorageCase):
    def update_event_state(self, registry: Container, notification_id: int,
                           state: bytes) -> None:
        with registry.app.factory.datastore.transaction(commit=True) as c:
            c.execute("UPDATE stored_events SET state = ? WHERE rowid = ?",
                      [state, notification_id])


class TestPostgresAuditLog(OnPostgres, AuditLogStorageCase):
    def update_event_state(self, registry: Container, notification_id: int,
                           state: bytes) -> None:
        datastore = registry.app.factory.datastore
        with datastore.transaction(commit=True) as c:
            c.execute(f'UPDATE "{datastore.schema}".registry_events SET state = %s '
                      "WHERE notification_id = %s", [state, notification_id])
