"""``registry backup`` while the registry writes, then ``registry restore``: the restored
registry's audit log signs the original's root at the backup's size, and its projections
rebuild to the same answers (issue 14, capability 2)."""

from __future__ import annotations

import dataclasses
import io
import json
import tarfile
import threading
import uuid
from pathlib import Path

import pytest
from support import ADMIN, eventually, published_mooc

from registry.audit.note import read_checkpoint
from registry.backup import BackupError, backup, restore
from registry.bootstrap import build
from registry.cli import main
from registry.clock import FixedClock
from registry.config import Settings
from registry.projections.engine import rebuild


def _learner(n: int) -> str:
    return f"Айгерім Нұрланқызы {n}"


def test_backup_while_writing_then_restore(sqlite_settings: Settings, clock: FixedClock,
                                           tmp_path: Path) -> None:
    original = build(sqlite_settings, clock, poll_interval=0.05)
    written: list[str] = []
    stop = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set():
            learner_id = original.service.run(ADMIN, lambda cmd, n=n: cmd.learners.register(
                full_name=_learner(n), email=f"l{n}@example.kz", iin=None,
                full_name_latin=None))
            written.append(str(learner_id))
            n += 1

    try:
        published_mooc(original.service)
        thread = threading.Thread(target=writer)
        thread.start()
        try:
            eventually(lambda: len(written) >= 5, "the writer has written")
            archive = tmp_path / "registry-backup.tar.gz"
            summary = backup(sqlite_settings, archive)
            after = len(written)
            eventually(lambda: len(written) >= after + 5, "the writer went on writing")
        finally:
            stop.set()
            thread.join()
        assert archive.stat().st_mode & 0o777 == 0o600  # it holds private keys
        with tarfile.open(archive) as tar:
            names = set(tar.getnames())
            manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
        assert {"manifest.json", "registry.sqlite3", "keys/transparency-log.key",
                "keys/certificate-signing.pem", "keys/personal.kek"} <= names
        assert manifest["eventsPosition"] == summary.events
        assert manifest["auditLog"]["name"] == original.audit.origin

        target = tmp_path / "restored"
        assert restore(archive, target)["eventsPosition"] == summary.events
        restored = build(dataclasses.replace(sqlite_settings, data_dir=target), clock,
                         poll_interval=0.05, seed=False)
        try:
            # The restored log catches up to the backup's events and signs them …
            eventually(lambda: restored.audit.size() == summary.events,
                       "the restored log has every backed-up event")
            signed = restored.audit.sign()
            assert signed.size == summary.events
            # … with the original's key, and the root the original's tree has at that size.
            checkpoint = read_checkpoint(signed.note, original.audit.verifier)
            eventually(lambda: original.audit.size() >= summary.events,
                       "the original log has the backed-up events")
            assert checkpoint.root == original.audit.root(summary.events)

            # The restored registry holds exactly the learners written before the backup.
            restored.wait_for_views(timeout=30)
            present = [key for key in written if restored.service.get("learners", key)]
            assert present == written[:len(present)] and 5 <= len(present) < len(written)
            before = {key: restored.service.doc("learners", key) for key in present}
            assert restored.daemon is not None
            rebuild(restored.daemon, ["learners", "moocs"])
            assert {key: restored.service.doc("learners", key, fresh=True)
                    for key in present} == before
            assert restored.service.doc("moocs", "KAZLIT-101") == \
                original.service.doc("moocs", "KAZLIT-101")
        finally:
            restored.close()
    finally:
        original.close()


def test_restore_refuses_a_folder_that_is_not_empty(sqlite_settings: Settings,
                                                    clock: FixedClock, tmp_path: Path) -> None:
    build(sqlite_settings, clock, poll_interval=0.05).close()
    archive = tmp_path / "b.tar.gz"
    backup(sqlite_settings, archive)
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("mine")
    with pytest.raises(BackupError, match="is not empty"):
        restore(archive, occupied)
    assert [p.name for p in occupied.iterdir()] == ["notes.txt"]


def test_restore_refuses_a_damaged_backup(sqlite_settings: Settings, clock: FixedClock,
                                          tmp_path: Path) -> None:
    build(sqlite_settings, clock, poll_interval=0.05).close()
    archive = tmp_path / "b.tar.gz"
    backup(sqlite_settings, archive)
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as copy:
        for member in source.getmembers():
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "keys/transparency-log.key":
                data = data.replace(b"PRIVATE", b"PRIVATX")
            member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    with pytest.raises(BackupError, match="does not match its SHA-256"):
        restore(damaged, tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_the_commands_in_one_line(sqlite_settings: Settings, clock: FixedClock, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    build(sqlite_settings, clock, poll_interval=0.05).close()
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(sqlite_settings.data_dir))
    monkeypatch.setenv("REGISTRY_PUBLIC_URL", sqlite_settings.public_url)
    archive = tmp_path / "b.tar.gz"
    assert main(["backup", str(archive)]) == 0
    assert "the audit log 'registry.example.kz/log'" in capsys.readouterr().err
    assert main(["backup", str(archive)]) == 2  # never overwrites
    assert "exists" in capsys.readouterr().err
    assert main(["restore", str(archive), str(tmp_path / "r")]) == 0
    assert "REGISTRY_DATA_DIR=" in capsys.readouterr().err
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path / "elsewhere"))
    assert main(["backup", str(tmp_path / "none.tar.gz")]) == 2
    assert "registry: no registry in" in capsys.readouterr().err
    assert not (tmp_path / "elsewhere").exists()  # nothing founded by accident
    monkeypatch.setenv("REGISTRY_DATABASE_URL",
                       f"postgresql://127.0.0.1:1/{uuid.uuid4().hex[:8]}")
    assert main(["backup", str(tmp_path / "pg.tar.gz")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "pg_dump" in err
