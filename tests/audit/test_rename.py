"""``registry audit rename`` (issue 14, capability 3): a registry started under the wrong
public URL gives its log the right name; checkpoints signed before stay valid under the old
verifier key, the tree goes on (a consistency proof spans the rename), and the rename is an
event in the log itself."""

from __future__ import annotations

import dataclasses
import json

import pytest
from support import certified

from registry.application.context import CommandContext
from registry.audit import merkle
from registry.audit.note import Verifier, existing_log_name, open_note, read_checkpoint
from registry.audit.rename import rename_log
from registry.bootstrap import build
from registry.cli import _check_start, main
from registry.clock import FixedClock
from registry.config import ConfigError, Settings
from registry.domain.errors import InvalidTransition

OPERATOR = CommandContext(actor_name="registry-cli", actor_role="operator")
RIGHT = "https://registry.kaznu.kz"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def wrong(request: pytest.FixtureRequest) -> Settings:
    """A quick start's settings: the log is named 127.0.0.1:8000/log for good."""
    settings: Settings = request.getfixturevalue(f"{request.param}_settings")
    return dataclasses.replace(settings, public_url="http://127.0.0.1:8000")


def _signed_under_wrong_name(settings: Settings, clock: FixedClock) -> tuple[str, Verifier]:
    container = build(settings, clock, poll_interval=0.05)
    try:
        certified(container.service)
        container.audit_runner.stop()
        container.checkpointer.stop()
        container.audit_runner.catch_up()
        note = container.audit.sign().note
        return note, container.audit.verifier
    finally:
        container.close()


def test_a_rename_keeps_old_checkpoints_valid_and_the_tree_growing(
        wrong: Settings, clock: FixedClock) -> None:
    old_note, old_verifier = _signed_under_wrong_name(wrong, clock)
    old = read_checkpoint(old_note, old_verifier)
    right = dataclasses.replace(wrong, public_url=RIGHT)
    with pytest.raises(ConfigError, match="registry audit rename"):
        _check_start(right, 1)  # serve refuses the new URL until the log is renamed

    done = rename_log(right, "Started under the quick-start address by mistake", OPERATOR)

    assert (done.old_name, done.new_name) == ("127.0.0.1:8000/log", "registry.kaznu.kz/log")
    assert done.old_size == old.size and done.new_size == old.size + 2  # Created, Renamed
    assert existing_log_name(wrong.data_dir / "keys") == "registry.kaznu.kz/log"
    _check_start(right, 1)  # serve now starts under the right URL …
    with pytest.raises(ConfigError):
        _check_start(wrong, 1)  # … and no longer under the old one

    container = build(right, clock, poll_interval=0.05, seed=False)
    try:
        log = container.audit
        new_verifier = Verifier.parse(done.new_vkey)
        latest = log.view.latest_checkpoint()
        assert latest is not None
        new = read_checkpoint(latest.note, new_verifier)
        assert (new.origin, new.size) == ("registry.kaznu.kz/log", done.new_size)
        # The old checkpoint still verifies under the old key, and its tree is a prefix.
        assert read_checkpoint(old_note, Verifier.parse(done.old_vkey)) == old
        merkle.verify_consistency(old.size, new.size, old.root, new.root,
                                  log.consistency(old.size, new.size))
        # The rename is an entry of the log, naming both keys.
        entries = [json.loads(leaf.envelope) for leaf in log.entries(old.size, 10)]
        assert [e["type"] for e in entries] == ["AuditLogName.Created", "AuditLogName.Renamed"]
        renamed = entries[-1]["payload"]
        assert (renamed["old_name"], renamed["new_name"]) == (done.old_name, done.new_name)
        assert (renamed["old_vkey"], renamed["new_vkey"]) == (done.old_vkey, done.new_vkey)
        assert (renamed["tree_size"], renamed["root"]) == (old.size, done.old_root)
        # The old key vouches for the new one: its hand-off verifies under the old vkey.
        assert open_note(renamed["handoff"], Verifier.parse(done.old_vkey)) == (
            f"127.0.0.1:8000/log\n{old.size}\n{done.old_root}\nrenamed to {done.new_vkey}\n")
        # And the log goes on signing under its new name.
        certified(container.service, "KAZLIT-102")
        container.audit_runner.stop()
        container.checkpointer.stop()
        container.audit_runner.catch_up()
        later = read_checkpoint(log.sign().note, new_verifier)
        assert later.size > new.size
    finally:
        container.close()


def test_renaming_to_the_same_name_is_refused_and_changes_nothing(
        wrong: Settings, clock: FixedClock) -> None:
    _signed_under_wrong_name(wrong, clock)
    keys = wrong.data_dir / "keys"
    before = (keys / "transparency-log.key").read_bytes()
    with pytest.raises(InvalidTransition, match="already named"):
        rename_log(wrong, "no change", OPERATOR)
    assert (keys / "transparency-log.key").read_bytes() == before
    assert not (keys / "transparency-log.previous").exists()


def test_the_command_prints_both_keys(wrong: Settings, clock: FixedClock,
                                      monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    _signed_under_wrong_name(wrong, clock)
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(wrong.data_dir))
    if wrong.database_url:
        monkeypatch.setenv("REGISTRY_DATABASE_URL", wrong.database_url)
    monkeypatch.setenv("REGISTRY_PUBLIC_URL", RIGHT)
    assert main(["audit", "rename", "--reason", "wrong address"]) == 0
    said = capsys.readouterr().err
    assert "named 'registry.kaznu.kz/log' from now on" in said
    assert main(["audit", "vkey", "--previous"]) == 0
    keys = capsys.readouterr().out.split()
    assert [k.split("+")[0] for k in keys] == ["127.0.0.1:8000/log", "registry.kaznu.kz/log"]
    assert main(["audit", "rename", "--reason", "again"]) == 1  # already so named
    assert "already named" in capsys.readouterr().err


def test_the_log_publishes_every_names_key(wrong: Settings, clock: FixedClock) -> None:
    from starlette.testclient import TestClient

    from registry.web.app import create_app

    _signed_under_wrong_name(wrong, clock)
    right = dataclasses.replace(wrong, public_url=RIGHT)
    done = rename_log(right, "wrong address", OPERATOR)
    with TestClient(create_app(right, clock=clock, poll_interval=0.05)) as client:
        assert client.get("/log/vkey").text == done.new_vkey + "\n"
        assert client.get("/log/vkeys").text == f"{done.old_vkey}\n{done.new_vkey}\n"
