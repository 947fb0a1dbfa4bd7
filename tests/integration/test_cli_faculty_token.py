"""`registry token create --faculty NAME`: a faculty token tied to its faculty (issue 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.bootstrap import build
from registry.cli import main
from registry.config import Settings


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("REGISTRY_PUBLIC_URL", "https://registry.example.kz")
    monkeypatch.delenv("REGISTRY_DATABASE_URL", raising=False)
    build(Settings.from_env()).close()  # token commands refuse to found a registry
    return tmp_path / "var"


def test_a_faculty_token_names_its_faculty(data_dir: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "create", "--role", "faculty", "--name", "HSEB dean's office",
                 "--faculty", "Higher School of Economics and Business"]) == 0
    secret = capsys.readouterr().out
    assert secret.count("\n") == 1 and secret.startswith("det_")  # the token, and nothing else
    assert main(["token", "create", "--role", "faculty", "--name", "old style"]) == 0
    unscoped = capsys.readouterr().out.strip()
    container = build(Settings.from_env())
    try:
        principal = container.service.authenticate(secret.strip())
        assert principal is not None and principal.role.value == "faculty"
        assert principal.faculty == "Higher School of Economics and Business"
        old = container.service.authenticate(unscoped)
        assert old is not None and old.faculty is None
    finally:
        container.close()


def test_only_a_faculty_token_takes_a_faculty(data_dir: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "create", "--role", "inet", "--name", "x", "--faculty", "Law"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "faculty" in captured.err
