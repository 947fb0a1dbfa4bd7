"""Issue 5 at the command line: `registry keys …` and `registry verify` (offline)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import certified

from registry import verify_cli
from registry.bootstrap import build
from registry.cli import main
from registry.config import Settings


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("REGISTRY_PUBLIC_URL", "https://registry.example.kz")
    for name in ("REGISTRY_DATABASE_URL", "REGISTRY_KEY_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "var"


def issue_one(data_dir: Path) -> dict[str, Any]:
    container = build(Settings.from_env())
    try:
        return certified(container.service)
    finally:
        container.close()


def test_rotate_list_compromise(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "generate"]) == 0
    first = capsys.readouterr().out.strip()
    assert main(["keys", "rotate"]) == 0
    second = capsys.readouterr().out.strip()
    assert second != first and len(second) == 16
    assert main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    assert f"{first}" in listing and "retired" in listing and "active" in listing
    assert "MISSING" not in listing
    # "--" because a kid is base64url and may begin with "-"
    assert main(["keys", "retire", "--", second]) == 1  # the active key: rotate instead
    assert "rotate" in capsys.readouterr().err
    assert main(["keys", "compromise", "--since", "2026-01-01", "--", second]) == 0
    third = capsys.readouterr().out.strip()
    assert third not in (first, second)  # it was active: a successor was made
    assert main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    assert "compromised" in listing
    for path in (data_dir / "keys").glob("certificate-signing*.pem"):
        assert path.stat().st_mode & 0o077 == 0


def test_an_encrypted_key_needs_its_passphrase(data_dir: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_KEY_PASSPHRASE", "correct horse battery staple")
    assert main(["keys", "generate", "--encrypt"]) == 0
    pem = (data_dir / "keys" / "certificate-signing.pem").read_text()
    assert "ENCRYPTED" in pem
    issue_one(data_dir)  # the server reads the passphrase from the environment
    monkeypatch.delenv("REGISTRY_KEY_PASSPHRASE")
    with pytest.raises(Exception, match="password|passphrase|encrypted"):
        build(Settings.from_env())


def test_offline_verify_of_a_token_a_url_and_a_qr_image(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from registry.signing import qr_png

    cert = issue_one(data_dir)
    container = build(Settings.from_env())
    jwks = container.service.jwks()
    container.close()
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(jwks))
    url = f"https://registry.example.kz/v#{cert['token']}"
    image = tmp_path / "qr.png"
    image.write_bytes(qr_png(url))
    for source in (cert["token"], url, str(image)):
        assert main(["verify", source, "--jwks", str(jwks_file)]) == 0
        out = capsys.readouterr().out
        assert out.startswith("VALID (signature)")
        assert cert["fullName"] in out and "NOT checked (offline)" in out

    header, payload, signature = cert["token"].split(".")
    assert main(["verify", f"{header}.{payload[:-4]}AAAA.{signature}",
                 "--jwks", str(jwks_file)]) == 1
    assert capsys.readouterr().out.startswith("INVALID")
    assert main(["verify", cert["token"]]) == 2  # no keys: cannot check offline
    assert "--jwks" in capsys.readouterr().err


def test_verify_asks_the_server_for_the_status_when_told(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cert = issue_one(data_dir)
    container = build(Settings.from_env())
    container.service.run(__import__("support").ADMIN, lambda cmd: cmd.certificates.revoke(
        number=cert["number"], reason="Issued in error"))

    def fake_http(url: str, body: dict[str, Any] | None = None) -> Any:
        from registry.web.app import public_verdict

        if url.endswith("/.well-known/jwks.json"):
            return container.service.jwks()
        assert body is not None
        return public_verdict(container.service.verify_token(body["token"]))

    monkeypatch.setattr(verify_cli, "_get_json", fake_http)
    try:
        assert main(["verify", cert["token"], "--server", "https://registry.example.kz"]) == 1
    finally:
        container.close()
    out = capsys.readouterr().out
    assert out.startswith("REVOKED: Issued in error")
    assert "checked online at registry.example.kz" in out
