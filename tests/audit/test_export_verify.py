"""``registry audit export`` and ``registry audit verify``: the offline auditor's path, and
every kind of tampering named by its first bad index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import certified

from registry.bootstrap import build
from registry.cli import main
from registry.clock import FixedClock
from registry.config import Settings


@pytest.fixture
def exported(sqlite_settings: Settings, clock: FixedClock, tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch) -> Path:
    container = build(sqlite_settings, clock, poll_interval=0.05)
    try:
        certified(container.service)
    finally:
        container.close()
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(sqlite_settings.data_dir))
    monkeypatch.setenv("REGISTRY_PUBLIC_URL", sqlite_settings.public_url)
    monkeypatch.delenv("REGISTRY_DATABASE_URL", raising=False)
    out = tmp_path / "audit"
    out.mkdir()
    assert main(["audit", "export", "--out", str(out / "export.jsonl"),
                 "--personal", str(out / "personal.jsonl")]) == 0
    return out


def cli_output(capsysbinary: pytest.CaptureFixture[bytes], *argv: str) -> bytes:
    assert main(list(argv)) == 0
    return capsysbinary.readouterr().out


@pytest.fixture
def signed(exported: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> Path:
    (exported / "note").write_bytes(cli_output(capsysbinary, "audit", "checkpoint"))
    (exported / "vkey").write_bytes(cli_output(capsysbinary, "audit", "vkey"))
    return exported


def verify(folder: Path, export: str = "export.jsonl", *extra: str) -> int:
    return main(["audit", "verify", str(folder / export), "--checkpoint", str(folder / "note"),
                 "--vkey", str(folder / "vkey"), *extra])


def tampered(folder: Path, lines: list[bytes]) -> str:
    (folder / "tampered.jsonl").write_bytes(b"".join(lines))
    return "tampered.jsonl"


def first_bad(capsysbinary: pytest.CaptureFixture[bytes]) -> int:
    err = capsysbinary.readouterr().err.decode()
    assert "FAILED (first bad index: " in err, err
    return int(err.split("first bad index: ")[1].split(")")[0])


def test_stdout_carries_the_exact_bytes_and_nothing_else(
    exported: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    out = cli_output(capsysbinary, "audit", "export")
    assert out == (exported / "export.jsonl").read_bytes()
    lines = out.split(b"\n")
    assert lines[-1] == b"" and all(json.loads(line) for line in lines[:-1])
    tail = cli_output(capsysbinary, "audit", "export", "--from", "10")
    assert tail == b"".join(line + b"\n" for line in lines[10:-1])


def test_an_untouched_export_verifies_with_its_personal_parts(
    signed: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert verify(signed, "export.jsonl", "--personal", str(signed / "personal.jsonl")) == 0
    err = capsysbinary.readouterr().err.decode()
    entries = len((signed / "export.jsonl").read_bytes().splitlines())
    assert err.startswith(f"OK: {entries} entries") and "2 personal parts match" in err
    personal = [json.loads(line) for line in (signed / "personal.jsonl").read_text().splitlines()]
    assert {p["personal"].get("full_name") for p in personal} == {"Әлия Ғабитқызы Құрманова"}


def test_a_changed_personal_part_is_named(signed: Path,
                                          capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    items = [json.loads(line) for line in (signed / "personal.jsonl").read_text().splitlines()]
    items[0]["personal"]["full_name"] = "Someone Else"
    (signed / "forged.jsonl").write_text("".join(json.dumps(i) + "\n" for i in items))
    assert verify(signed, "export.jsonl", "--personal", str(signed / "forged.jsonl")) == 1
    assert first_bad(capsysbinary) == items[0]["index"]


@pytest.mark.parametrize("index", [0, 5, 14, 15])
def test_one_changed_byte_is_named(signed: Path, capsysbinary: pytest.CaptureFixture[bytes],
                                   index: int) -> None:
    lines = (signed / "export.jsonl").read_bytes().splitlines(keepends=True)
    entry = json.loads(lines[index])
    actor = entry["meta"]["actor_name"].encode()
    lines[index] = lines[index].replace(actor, actor[:-1] + b"X", 1)  # still canonical JSON
    assert verify(signed, tampered(signed, lines)) == 1
    assert first_bad(capsysbinary) == index


@pytest.mark.parametrize("index", [3, 15])
def test_a_changed_link_is_named(signed: Path, capsysbinary: pytest.CaptureFixture[bytes],
                                 index: int) -> None:
    lines = (signed / "export.jsonl").read_bytes().splitlines(keepends=True)
    entry = json.loads(lines[index])
    previous = entry["previous"].encode()
    forged = (b"A" if previous[:1] != b"A" else b"B") + previous[1:]
    lines[index] = lines[index].replace(previous, forged)
    assert verify(signed, tampered(signed, lines)) == 1
    assert first_bad(capsysbinary) == index


@pytest.mark.parametrize("index", [0, 7])
def test_a_broken_or_non_canonical_line_is_named(
    signed: Path, capsysbinary: pytest.CaptureFixture[bytes], index: int
) -> None:
    lines = (signed / "export.jsonl").read_bytes().splitlines(keepends=True)
    lines[index] = lines[index].replace(b'"index":', b'"index" :', 1)
    assert verify(signed, tampered(signed, lines)) == 1
    assert first_bad(capsysbinary) == index


def test_a_deleted_entry_is_named(signed: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    lines = (signed / "export.jsonl").read_bytes().splitlines(keepends=True)
    del lines[6]
    assert verify(signed, tampered(signed, lines)) == 1
    assert first_bad(capsysbinary) == 6


def test_swapped_entries_are_named(signed: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    lines = (signed / "export.jsonl").read_bytes().splitlines(keepends=True)
    lines[4], lines[9] = lines[9], lines[4]
    assert verify(signed, tampered(signed, lines)) == 1
    assert first_bad(capsysbinary) == 4


def test_a_truncated_export_is_named(signed: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    data = (signed / "export.jsonl").read_bytes()
    lines = data.splitlines(keepends=True)
    assert verify(signed, tampered(signed, lines[:12])) == 1
    assert first_bad(capsysbinary) == 12
    cut = sum(len(line) for line in lines[:12]) + 40
    (signed / "cut.jsonl").write_bytes(data[:cut])
    assert verify(signed, "cut.jsonl") == 1
    assert first_bad(capsysbinary) == 12


def test_a_forged_checkpoint_or_another_key_fails(signed: Path,
                                                  capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    note = (signed / "note").read_text()
    lines = note.split("\n")
    lines[1] = str(int(lines[1]) - 1)
    (signed / "note").write_text("\n".join(lines))
    assert verify(signed) == 1
    assert "does not verify" in capsysbinary.readouterr().err.decode()
