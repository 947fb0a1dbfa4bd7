"""Issue 16 capability 4: ``GET /certificates/{number}/proof`` (a ``c2sp.org/tlog-proof@v1``
of the certificate's issuance) and ``registry verify … --proof`` checking it offline, after
the server is stopped and with no network, against the log's key and witnesses' keys."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import pytest
from api import test_verify_offline
from api.apiclient import Api
from api.test_spine import certificate_for
from api.test_verify_offline import Started, cli_offline, run, save

from registry.audit.cosignature import WitnessSigner, cosign
from registry.audit.log import RECENT_SECONDS
from registry.audit.note import Checkpoint, Signer

started, offline = test_verify_offline.started, test_verify_offline.offline  # the fixtures


def logged(api: Api) -> None:
    container = api.container
    container.audit_runner.wait(container.app.last_notification_id())
    container.audit.sign()


def parts(text: str) -> tuple[list[str], str]:
    """The proof's lines before the blank line, and the checkpoint after it (tlog-proof)."""
    head, sep, checkpoint = text.partition("\n\n")
    assert sep
    return head.split("\n"), checkpoint


def with_cosignatures(proof: str, *witnesses: WitnessSigner, body_of: str | None = None) -> str:
    """The proof with each witness's cosignature line added to its checkpoint."""
    head, checkpoint = parts(proof)
    body = checkpoint.partition("\n\n")[0] + "\n"
    lines = "".join(cosign(body_of or body, w, int(time.time())) for w in witnesses)
    return "\n".join(head) + "\n\n" + checkpoint + lines


def test_the_proof_is_a_tlog_proof_of_the_issuance_against_the_served_checkpoint(
        api: Api, admin: str) -> None:
    cert = certificate_for(api, admin)
    logged(api)
    response = api.client.get(f"/certificates/{cert['number']}/proof")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert f'filename="{cert["number"]}.tlog-proof"' in response.headers["content-disposition"]
    head, checkpoint = parts(response.text)
    assert head[0] == "c2sp.org/tlog-proof@v1"
    assert head[1].startswith("extra ") and head[2].startswith("index ")
    assert checkpoint == api.client.get("/log/checkpoint").text  # verbatim
    envelope = base64.b64decode(head[1][6:])
    index = int(head[2][6:])
    entry = json.loads(envelope)
    assert entry["type"] == "Certificate.Issued" and entry["index"] == index
    assert entry["payload"]["number"] == cert["number"]
    size = int(checkpoint.split("\n")[1])
    served = api.client.get(f"/log/proof/inclusion?index={index}&size={size}").json()
    assert hashlib.sha256(b"\x00" + envelope).digest() == base64.b64decode(served["leaf_hash"])
    assert head[3:] == served["hashes"]  # the same path, one hash a line


def test_no_proof_until_a_signed_checkpoint_covers_the_issuance(api: Api, admin: str) -> None:
    container = api.container
    container.checkpointer.stop()
    logged(api)
    cert = certificate_for(api, admin)
    container.audit_runner.wait(container.app.last_notification_id())
    early = api.client.get(f"/certificates/{cert['number']}/proof")
    assert early.status_code == 404
    assert early.json()["code"] == "NOT_YET_IN_LOG"
    assert "not yet in a checkpoint the log serves" in early.json()["error"]
    container.audit.sign()
    assert api.client.get(f"/certificates/{cert['number']}/proof").status_code == 200
    for number in ("0000000000000", "nonsense", cert["number"][:-1] + "0"):
        missing = api.client.get(f"/certificates/{number}/proof")
        assert missing.status_code == 404, number
        assert missing.json()["code"] == "NO_SUCH_CERTIFICATE"


def proof_files(api: Api, folder: Path, cert: dict[str, Any]) -> dict[str, str]:
    logged(api)
    return {
        "jwks": save(folder, "jwks.json", api.client.get("/.well-known/jwks.json").text),
        "vkey": save(folder, "log.vkey", api.client.get("/log/vkey").text),
        "proof": save(folder, "cert.tlog-proof",
                      api.client.get(f"/certificates/{cert['number']}/proof").text),
    }


@cli_offline
def test_verify_checks_the_proof_offline_with_the_server_stopped(
        started: Started, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with started() as (api, token):
        cert = certificate_for(api, token)
        files = proof_files(api, tmp_path, cert)
        origin = api.container.audit.origin
        from api.test_credentials_api import issue_another

        other = issue_another(api, token, "Екінші")
        logged(api)
        other_proof = save(tmp_path, "other.tlog-proof",
                           api.client.get(f"/certificates/{other['number']}/proof").text)
    # the server is stopped; the employer has the certificate, the proof and two keys
    code, out, err = run(capsys, cert["token"], "--jwks", files["jwks"],
                         "--proof", files["proof"], "--log-vkey", files["vkey"])
    assert code == 0, out + err
    assert out.startswith("VALID (signature)")
    assert "log           recorded: entry " in out and origin in out
    assert "witnesses     NOT checked" in out

    # the proof of another certificate does not vouch for this one
    code, out, _ = run(capsys, cert["token"], "--jwks", files["jwks"],
                       "--proof", other_proof, "--log-vkey", files["vkey"])
    assert code == 1 and "not the issuance of certificate" in out

    # a number typed from the paper: what the log recorded for it
    code, out, _ = run(capsys, cert["number"], "--proof", files["proof"],
                       "--log-vkey", files["vkey"])
    assert code == 0 and out.startswith("RECORDED: the university's log holds the issuance")
    assert "signature     NOT checked" in out

    # another log's key
    stranger = save(tmp_path, "stranger.vkey", Signer.generate(origin).verifier.vkey)
    code, out, _ = run(capsys, cert["token"], "--jwks", files["jwks"],
                       "--proof", files["proof"], "--log-vkey", stranger)
    assert code == 1 and "the checkpoint is not the log's" in out

    # a changed entry, index or path
    proof = Path(files["proof"]).read_text(encoding="utf-8")
    head, checkpoint = parts(proof)
    entry = json.loads(base64.b64decode(head[1][6:]))
    entry["payload"]["credits"] += 1
    forged = json.dumps(entry, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    changes = {
        "entry": [head[0], "extra " + base64.b64encode(forged.encode()).decode(), *head[2:]],
        "index": [*head[:2], f"index {int(head[2][6:]) + 1}", *head[3:]],
        "path": [*head[:3], *head[4:]],
    }
    for what, lines in changes.items():
        bad = save(tmp_path, f"{what}.tlog-proof", "\n".join(lines) + "\n\n" + checkpoint)
        code, out, _ = run(capsys, cert["token"], "--jwks", files["jwks"],
                           "--proof", bad, "--log-vkey", files["vkey"])
        assert code == 1 and "INVALID: the log proof:" in out, what
    for broken in ("", "c2sp.org/tlog-proof@v2\nindex 0\n\n" + checkpoint, "garbage"):
        bad = save(tmp_path, "broken.tlog-proof", broken)
        code, out, _ = run(capsys, cert["token"], "--jwks", files["jwks"],
                           "--proof", bad, "--log-vkey", files["vkey"])
        assert code == 1 and "INVALID: the log proof:" in out

    code, _, err = run(capsys, cert["token"], "--jwks", files["jwks"], "--proof", files["proof"])
    assert code == 2 and "--log-vkey" in err


@cli_offline
def test_verify_counts_the_witnesses_that_cosigned(
        started: Started, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with started() as (api, token):
        cert = certificate_for(api, token)
        files = proof_files(api, tmp_path, cert)
    first, second = WitnessSigner.generate("w1.example"), WitnessSigner.generate("w2.example")
    keys = []
    for w in (first, second):
        keys += ["--witness", save(tmp_path, f"{w.name}.vkey", w.verifier.vkey)]
    proof = Path(files["proof"]).read_text(encoding="utf-8")
    one = save(tmp_path, "one.tlog-proof", with_cosignatures(proof, first))
    both = save(tmp_path, "both.tlog-proof", with_cosignatures(proof, first, second))
    base = [cert["token"], "--jwks", files["jwks"], "--log-vkey", files["vkey"], *keys]

    code, out, _ = run(capsys, *base, "--proof", both, "--quorum", "2")
    assert code == 0, out
    assert "witnesses     2 of 2 cosigned it (w1.example, w2.example); 2 needed" in out
    code, out, _ = run(capsys, *base, "--proof", one)  # quorum 1 by default
    assert code == 0 and "1 of 2 cosigned it (w1.example); 1 needed" in out
    code, out, _ = run(capsys, *base, "--proof", one, "--quorum", "2")
    assert code == 1 and "cosigned by 1 of the 2 witnesses given (w1.example); 2 are needed" \
        in out
    code, out, _ = run(capsys, *base, "--proof", files["proof"])
    assert code == 1 and "cosigned by 0 of the 2" in out

    # a cosignature of another checkpoint, under a known witness's name and key id
    head, checkpoint = parts(proof)
    body = checkpoint.partition("\n\n")[0] + "\n"
    other = Checkpoint.parse(body)
    elsewhere = Checkpoint(other.origin, other.size + 1, other.root).body()
    wrong = save(tmp_path, "wrong.tlog-proof", with_cosignatures(proof, first, body_of=elsewhere))
    code, out, _ = run(capsys, *base, "--proof", wrong)
    assert code == 1 and "does not verify" in out

    code, _, err = run(capsys, *base, "--proof", both, "--quorum", "3")
    assert code == 2 and "--quorum 3 needs at least 3 --witness keys" in err


def test_the_verdict_says_where_the_proof_is_and_how_many_witnesses_cosigned(
        api: Api, admin: str) -> None:
    container = api.container
    container.checkpointer.stop()
    logged(api)
    cert = certificate_for(api, admin)
    container.audit_runner.wait(container.app.last_notification_id())
    answer = api.client.post("/api/verify", json={"token": cert["token"]}).json()
    assert (answer["certificate_proof"], answer["log_witnesses"]) == (None, 0)  # not signed yet
    latest = container.audit.sign()
    time.sleep(RECENT_SECONDS)  # /api/verify names the served checkpoint read ≤ 1 s ago
    answer = api.client.post("/api/verify", json={"number": cert["number"]}).json()
    assert answer["certificate_proof"] == f"/certificates/{cert['number']}/proof"
    assert answer["log_witnesses"] == 0
    # the checkpoint as stored with two witnesses' cosignatures (the witness round trip's job)
    signers = [WitnessSigner.generate(n) for n in ("w1.example", "w2.example")]
    body = latest.note.partition("\n\n")[0] + "\n"
    view: Any = container.audit.view
    with view.datastore.transaction(commit=True) as c:
        c.execute(view.sql(f"UPDATE {view.checkpoints_table()} SET note = ? WHERE tree_size = ?"),
                  [latest.note + "".join(cosign(body, s, 1_780_000_000) for s in signers),
                   latest.size])
    time.sleep(RECENT_SECONDS)
    answer = api.client.post("/api/verify", json={"token": cert["token"]}).json()
    assert answer["log_witnesses"] == 2
    forged = api.client.post("/api/verify", json={"token": cert["token"][:-4] + "AAAA"}).json()
    assert forged["status"] == "INVALID" and forged["certificate_proof"] is None
