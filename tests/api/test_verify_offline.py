"""Issue 13 capability 4 and issue 14's `registry verify` fixes: the signed revocation
snapshot (`/status/revocations`), and `registry verify` answering from saved files — a token,
a QR image, a PDF certificate, an Open Badges credential — with the server stopped and no
network at all."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from api import test_lists
from api.apiclient import Api, make_client, view_reads
from api.test_credentials_api import issue_another as issue
from api.test_keys import OPERATOR, REISSUE, at
from api.test_spine import certificate_for, ok
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from operations import REVOKE

from registry.cli import main
from registry.clock import FixedClock
from registry.config import Settings
from registry.domain.certificates import CHECK_SYMBOLS
from registry.domain.revocations import Snapshot, revocation_id
from registry.signing.keys import SigningKey
from registry.signing.revocations import sign_snapshot
from registry.signing.tokens import CertificateClaims, sign_certificate

api, admin = test_lists.api, test_lists.admin  # the fixtures, on both back-ends
SQLITE = pytest.mark.parametrize("backend_settings", ["sqlite"], indirect=True)


Started = Callable[[], AbstractContextManager[tuple[Api, str]]]


def cli_offline(test: Callable[..., None]) -> Any:
    """On SQLite (the command does not care where the registry kept its files), with no
    network once the test starts."""
    return pytest.mark.usefixtures("offline")(SQLITE(test))


@pytest.fixture
def started(backend_settings: Settings, clock: FixedClock) -> Started:
    """The registry, in-process, and an administrator's token; stopped on leaving."""
    @contextmanager
    def running() -> Iterator[tuple[Api, str]]:
        with make_client(backend_settings, clock) as client:
            registry = Api(client)
            yield registry, registry.token("admin", "Test Admin")

    return running


def revoke(api: Api, token: str, number: str) -> None:
    ok(api(REVOKE, {"input": {"number": number, "reason": "plagiarism"}}, token=token),
       "revokeCertificate")


def payload(jws: str) -> dict[str, Any]:
    part = jws.split(".")[1]
    result: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return result


def save(folder: Path, name: str, content: str | bytes) -> str:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No network: any connection attempt fails the test."""
    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("registry verify tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    yield


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["verify", *argv])
    out, err = capsys.readouterr()
    return code, out, err


# -- the snapshot, served -------------------------------------------------------------------

def test_the_snapshot_is_signed_hashed_cached_and_changes_on_the_next_fetch(
        api: Api, admin: str) -> None:
    cert = certificate_for(api, admin)
    first = api.client.get("/status/revocations")
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("application/jose")
    assert first.headers["cache-control"] == "public, max-age=60"
    header = json.loads(base64.urlsafe_b64decode(first.text.split(".")[0] + "=="))
    assert header["typ"] == "det-revocations+json" and header["alg"] == "Ed25519"
    snapshot = payload(first.text)
    assert snapshot["made"].endswith("Z") and snapshot["method"] == "sha256-64"
    assert [entry["revoked"] for entry in snapshot["keys"].values()] == [[]]
    with view_reads(api) as reads:  # served from memory while nothing changed
        again = api.client.get("/status/revocations",
                               headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and reads == []

    revoke(api, admin, cert["number"])
    changed = api.client.get("/status/revocations",
                             headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200 and changed.headers["etag"] != first.headers["etag"]
    assert cert["number"] not in changed.text and cert["number"] not in str(payload(
        changed.text))  # hashed, not in clear
    listed = payload(changed.text)["keys"][header["kid"]]
    assert listed["revoked"] == [revocation_id(cert["number"])]


def test_the_snapshot_is_made_again_when_an_hour_old(
        api: Api, admin: str, clock: FixedClock) -> None:
    certificate_for(api, admin)
    first = api.client.get("/status/revocations")
    clock.set(clock.now() + timedelta(minutes=59))
    assert api.client.get("/status/revocations").headers["etag"] == first.headers["etag"]
    clock.set(clock.now() + timedelta(minutes=2))
    later = api.client.get("/status/revocations")
    assert later.headers["etag"] != first.headers["etag"]
    made = [datetime.fromisoformat(payload(r.text)["made"]) for r in (first, later)]
    assert made[1] - made[0] == timedelta(minutes=61)  # "as of" is never over an hour old


def test_the_snapshot_covers_a_reissue_and_a_compromised_key(
        api: Api, admin: str, clock: FixedClock) -> None:
    before = certificate_for(api, admin)  # 2026-06-15
    at(clock, "2026-06-20")
    during = issue(api, admin, "Жиырмасында")
    replaced = ok(api(REISSUE, {"input": {"number": before["number"], "fullName": "Жаңа Есім",
                                          "reason": "typo"}}, token=admin),
                  "reissueCertificate")
    kid = json.loads(base64.urlsafe_b64decode(during["token"].split(".")[0] + "=="))["kid"]
    api.container.service.run(OPERATOR, lambda cmd: cmd.keys.compromise(
        kid, date(2026, 6, 18), "laptop stolen"))
    entry = payload(api.client.get("/status/revocations").text)["keys"][kid]
    assert entry["compromisedSince"] == "2026-06-18"
    assert entry["superseded"] == [revocation_id(before["number"])]
    # signed from the compromise date on: the new one and the reissue, both revoked
    assert sorted(entry["revoked"]) == sorted([revocation_id(during["number"]),
                                               revocation_id(replaced["number"])])


# -- registry verify, offline ----------------------------------------------------------------

@cli_offline
def test_verify_with_saved_revocations_answers_with_the_server_stopped(
        started: Started, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with started() as (api, token):
        good, revoked, old = (certificate_for(api, token), issue(api, token, "Екінші"),
                              issue(api, token, "Үшінші"))
        jwks = save(tmp_path, "jwks.json", api.client.get("/.well-known/jwks.json").text)
        stale = save(tmp_path, "stale.jws", api.client.get("/status/revocations").text)
        revoke(api, token, revoked["number"])
        new = ok(api(REISSUE, {"input": {"number": old["number"], "fullName": "Жаңа Есім",
                                         "reason": "typo"}}, token=token), "reissueCertificate")
        new_token = api.container.service.certificate(new["number"])["token"]
        revocations = save(tmp_path, "revocations.jws", api.client.get("/status/revocations").text)
        image = save(tmp_path, "qr.png", api.client.get(f"/certificates/{revoked['number']}/qr.png"
                                                    ).content)
    # the server is stopped; the sockets refuse
    code, out, _ = run(capsys, good["token"], "--jwks", jwks, "--revocations", revocations)
    assert code == 0 and out.startswith("VALID: not revoked or superseded as of ")
    assert "checked offline" in out
    code, out, _ = run(capsys, revoked["token"], "--jwks", jwks, "--revocations", revocations)
    assert code == 1 and out.startswith("REVOKED")
    code, out, _ = run(capsys, image, "--jwks", jwks, "--revocations", revocations)
    assert code == 1 and out.startswith("REVOKED")  # the QR image too
    url = f"https://registry.example.kz/v#{old['token']}"
    code, out, _ = run(capsys, url, "--jwks", jwks, "--revocations", revocations)
    assert code == 1 and out.startswith("SUPERSEDED")  # and a URL
    assert run(capsys, new_token, "--jwks", jwks, "--revocations", revocations)[0] == 0
    # a snapshot made before the revocation does not know of it, and says when it was made
    code, out, _ = run(capsys, revoked["token"], "--jwks", jwks, "--revocations", stale)
    assert code == 0 and payload(Path(stale).read_text())["made"][:16] in out


@cli_offline
def test_a_compromised_key_revokes_offline_even_tokens_the_registry_never_issued(
        started: Started, clock: FixedClock, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    with started() as (api, token):
        before = certificate_for(api, token)  # 2026-06-15
        at(clock, "2026-06-20")
        during = issue(api, token, "Жиырмасында")
        # the employer saved the keys before the compromise was known
        jwks = save(tmp_path, "jwks.json", api.client.get("/.well-known/jwks.json").text)
        kid = json.loads(base64.urlsafe_b64decode(during["token"].split(".")[0] + "=="))["kid"]
        container = api.container
        container.service.run(OPERATOR, lambda cmd: cmd.keys.compromise(
            kid, date(2026, 6, 18), "laptop stolen"))
        stolen = container.keys.get(kid)
        revocations = save(tmp_path, "revocations.jws", api.client.get("/status/revocations").text)
    forged = sign_certificate(stolen, CertificateClaims(
        "0" * 16 + CHECK_SYMBOLS[0], "Forged Name", "Any course", 5, date(2026, 6, 19)))
    assert run(capsys, before["token"], "--jwks", jwks, "--revocations", revocations)[0] == 0
    for revoked in (during["token"], forged):
        code, out, _ = run(capsys, revoked, "--jwks", jwks, "--revocations", revocations)
        assert code == 1 and out.startswith("REVOKED") and "compromised since 2026-06-18" in out


@cli_offline
def test_a_revocations_file_that_does_not_verify_cannot_be_used(
        started: Started, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with started() as (api, token):
        cert = certificate_for(api, token)
        revoke(api, token, cert["number"])
        jwks = save(tmp_path, "jwks.json", api.client.get("/.well-known/jwks.json").text)
        genuine = api.client.get("/status/revocations").text
    header, body, signature = genuine.split(".")
    emptied = payload(genuine)
    for entry in emptied["keys"].values():
        entry["revoked"] = []  # the revocation taken out, the signature kept
    tampered_body = base64.urlsafe_b64encode(json.dumps(emptied).encode()).rstrip(b"=").decode()
    stranger = SigningKey.from_private_key(Ed25519PrivateKey.generate())
    unlisted = Snapshot.from_dict(payload(genuine))
    for name, text in (
            ("tampered.jws", f"{header}.{tampered_body}.{signature}"),
            ("a-token.jws", cert["token"]),  # a certificate token is not a snapshot
            ("garbage.jws", "not a snapshot"),
            ("stranger.jws", sign_snapshot(Snapshot(unlisted.issuer, unlisted.made, {}),
                                           stranger))):  # a key the registry never published
        path = save(tmp_path, name, text)
        code, out, err = run(capsys, cert["token"], "--jwks", jwks, "--revocations", path)
        assert code == 2 and out == "", name
        assert "could not check" in err and "cannot be trusted" in err


@cli_offline
def test_a_pdf_certificate_is_read_and_an_empty_key_file_cannot_check(
        started: Started, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with started() as (api, token):
        cert = certificate_for(api, token)
        response = api.client.get(f"/certificates/{cert['number']}.pdf")
        assert response.status_code == 200
        pdf = save(tmp_path, "cert.pdf", response.content)
        jwks = save(tmp_path, "jwks.json", api.client.get("/.well-known/jwks.json").text)
        revocations = save(tmp_path, "revocations.jws", api.client.get("/status/revocations").text)
    code, out, _ = run(capsys, pdf, "--jwks", jwks)
    assert code == 0 and out.startswith("VALID (signature)") and cert["fullName"] in out
    code, out, _ = run(capsys, pdf, "--jwks", jwks, "--revocations", revocations)
    assert code == 0 and out.startswith("VALID: not revoked")
    for empty in ("{}", '{"keys": []}', '{"keys": [{"kty": "RSA"}]}'):
        code, out, err = run(capsys, pdf, "--jwks", save(tmp_path, "empty.json", empty))
        assert code == 2 and out == "" and "no usable public key" in err
    not_a_pdf = save(tmp_path, "broken.pdf", b"%PDF-1.7 nothing here")
    code, _, err = run(capsys, not_a_pdf, "--jwks", jwks)
    assert code == 2 and "could not check" in err


def test_a_typo_in_the_check_symbol_is_called_a_typo(
        api: Api, admin: str, capsys: pytest.CaptureFixture[str]) -> None:
    number = certificate_for(api, admin)["number"]
    typo = number[:-1] + next(c for c in CHECK_SYMBOLS if c != number[-1] and c not in "U")
    answer = api.client.post("/api/verify", json={"number": typo}).json()
    assert answer["status"] == "INVALID" and "check symbol" in answer["reason"]
    assert "typo" in answer["reason"] and "not issued" not in answer["reason"]
    code, out, _ = run(capsys, typo)
    assert code == 1 and "check symbol" in out and "typo" in out
    never = "0" * 16 + CHECK_SYMBOLS[0]  # well formed, never issued
    assert "has not issued" in api.client.post("/api/verify", json={"number": never}
                                               ).json()["reason"]


# -- an Open Badges credential, offline ------------------------------------------------------

@cli_offline
def test_verify_a_credential_file_with_a_saved_did_and_status_list(
        started: Started, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with started() as (api, token):
        cert = certificate_for(api, token)
        text = api.client.get(f"/certificates/{cert['number']}/credential.json").text
        credential = save(tmp_path, "credential.json", text)
        did = save(tmp_path, "did.json", api.client.get("/.well-known/did.json").text)
        list_path = json.loads(text)["credentialStatus"]["statusListCredential"].removeprefix(
            api.container.settings.public_url)
        fresh = save(tmp_path, "list.json", api.client.get(list_path).text)
        revoke(api, token, cert["number"])
        after = save(tmp_path, "list-after.json", api.client.get(list_path).text)
    code, out, _ = run(capsys, credential, "--did", did, "--status-list", fresh)
    assert code == 0 and out.startswith("VALID: not revoked") and cert["fullName"] in out
    code, out, _ = run(capsys, credential, "--did", did)
    assert code == 0 and "NOT checked" in out
    code, out, _ = run(capsys, credential, "--did", did, "--status-list", after)
    assert code == 1 and out.startswith("REVOKED")

    changed = json.loads(text)
    changed["credentialSubject"]["creditsEarned"] = 50
    code, out, _ = run(capsys, save(tmp_path, "changed.json", json.dumps(changed)),
                       "--did", did, "--status-list", fresh)
    assert code == 1 and out.startswith("INVALID")
    flipped = json.loads(Path(after).read_text())
    flipped["credentialSubject"]["encodedList"] = json.loads(
        Path(fresh).read_text())["credentialSubject"]["encodedList"]  # the bit cleared
    code, out, err = run(capsys, credential, "--did", did, "--status-list",
                         save(tmp_path, "flipped.json", json.dumps(flipped)))
    assert code == 2 and out == "" and "status list" in err
    code, _, err = run(capsys, credential)
    assert code == 2 and "--did" in err
    assert "save https://registry.example.kz/.well-known/did.json once" in err  # its DID's URL
