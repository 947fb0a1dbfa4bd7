"""Issue 16 capabilities 1 and 4 together: with two witnesses and a quorum of two, a
certificate's proof exists only once both cosigned a checkpoint covering its issuance, carries
both cosignatures, and ``registry verify --witness … --quorum 2`` accepts it offline with the
server stopped. The witnesses answer the real tlog-witness requests of ``Witnessing``
(``witnessing.py``) in process, cosigning with ``cosignature.py``."""

from __future__ import annotations

from pathlib import Path

import pytest
from api import test_verify_offline
from api.test_proof import logged
from api.test_spine import certificate_for
from api.test_verify_offline import Started, cli_offline, run, save

pytest.importorskip("registry.audit.witnessing")  # the witness side (branch witness)

from registry.application.context import CommandContext  # noqa: E402
from registry.application.witnesses import WitnessCommands  # noqa: E402
from registry.audit.cosignature import WitnessSigner, cosign  # noqa: E402
from registry.audit.witness import parse_submission  # noqa: E402

started, offline = test_verify_offline.started, test_verify_offline.offline  # the fixtures
OPERATOR = CommandContext(actor_name="registry-cli", actor_role="operator")


@cli_offline
def test_the_proof_carries_the_quorums_cosignatures_and_verifies_offline(
        started: Started, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    witnesses = {f"https://w{i}.example/witness": WitnessSigner.generate(f"w{i}.example/witness")
                 for i in (1, 2)}
    answering = set(witnesses)

    def post(url: str, body: bytes, timeout: float) -> tuple[int, str, bytes]:
        prefix = url.removesuffix("/add-checkpoint")
        if prefix not in answering:
            raise OSError("the witness is down")
        request = parse_submission(body)
        return 200, "text/plain", cosign(request.body, witnesses[prefix],
                                         1_780_000_000).encode()

    with started() as (api, token):
        container = api.container
        container.witnessing.stop()  # ticked by hand below
        container.witnessing.post = post
        container.witnessing.configured_quorum = 2
        for url, signer in witnesses.items():
            container.service.execute(OPERATOR, lambda _, url=url, signer=signer: WitnessCommands(
                container.app).add(url=url, vkey=signer.verifier.vkey))
        container.witnessing.witnesses(fresh=True)
        cert = certificate_for(api, token)
        logged(api)
        answering.discard("https://w2.example/witness")
        container.witnessing.tick()  # one of two cosigns: no quorum
        early = api.client.get(f"/certificates/{cert['number']}/proof")
        assert early.status_code == 404 and early.json()["code"] == "NOT_YET_IN_LOG"
        answering.add("https://w2.example/witness")
        container.witnessing.status.clear()  # w2 is back: offered again at once
        container.witnessing.tick()
        response = api.client.get(f"/certificates/{cert['number']}/proof")
        assert response.status_code == 200, response.text
        assert response.text.endswith(api.client.get("/log/checkpoint").text)
        answer = api.client.post("/api/verify", json={"token": cert["token"]}).json()
        assert answer["log_witnesses"] == 2
        files = {
            "jwks": save(tmp_path, "jwks.json", api.client.get("/.well-known/jwks.json").text),
            "vkey": save(tmp_path, "log.vkey", api.client.get("/log/vkey").text),
            "proof": save(tmp_path, "cert.tlog-proof", response.text),
        }
    keys = [arg for signer in witnesses.values() for arg in ("--witness", signer.verifier.vkey)]
    code, out, err = run(capsys, cert["token"], "--jwks", files["jwks"], "--proof",
                         files["proof"], "--log-vkey", files["vkey"], *keys, "--quorum", "2")
    assert code == 0, out + err
    assert "witnesses     2 of 2 cosigned it (w1.example/witness, w2.example/witness); " \
           "2 needed" in out
