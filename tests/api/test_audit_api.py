"""The transparency log over HTTP and GraphQL (SPEC §6)."""

from __future__ import annotations

import base64
import json

from apiclient import Api
from support import certified

from registry.audit import merkle
from registry.audit.note import Verifier, read_checkpoint


def logged(api: Api) -> None:
    container = api.container
    container.audit_runner.wait(container.app.last_notification_id())
    container.audit.sign()


def b64(text: str) -> bytes:
    return base64.b64decode(text)


def test_checkpoint_vkey_and_proofs_are_public_and_verify(api: Api) -> None:
    certified(api.container.service)
    logged(api)
    vkey = api.client.get("/log/vkey")
    assert vkey.status_code == 200 and vkey.headers["content-type"].startswith("text/plain")
    verifier = Verifier.parse(vkey.text)
    assert verifier.name == "registry.example.kz/log"
    response = api.client.get("/log/checkpoint")
    assert response.status_code == 200
    checkpoint = read_checkpoint(response.text, verifier)
    assert checkpoint.size == api.event_count()  # every event is a leaf
    assert checkpoint.size >= 16

    for index in (0, 7, 15):
        proof = api.client.get(f"/log/proof/inclusion?index={index}&size={checkpoint.size}")
        assert proof.status_code == 200
        body = proof.json()
        merkle.verify_inclusion(index, checkpoint.size, b64(body["leaf_hash"]),
                                [b64(h) for h in body["hashes"]], checkpoint.root)
    consistency = api.client.get(f"/log/proof/consistency?old=5&new={checkpoint.size}").json()
    old_root = api.container.audit.root(5)
    merkle.verify_consistency(5, checkpoint.size, old_root, checkpoint.root,
                              [b64(h) for h in consistency["hashes"]])


def test_impossible_proofs_are_400(api: Api) -> None:
    logged(api)
    size = api.container.audit.size()
    for path in (f"/log/proof/inclusion?index={size}&size={size}",
                 f"/log/proof/inclusion?index=0&size={size + 1}",
                 "/log/proof/inclusion?index=-1&size=1",
                 "/log/proof/inclusion?size=1",
                 f"/log/proof/consistency?old=0&new={size}",
                 f"/log/proof/consistency?old={size}&new=1"):
        response = api.client.get(path)
        assert response.status_code == 400, path
        assert response.json()["error"]


def test_entries_are_for_auditors_and_admins_only(api: Api, admin: str) -> None:
    certified(api.container.service)
    logged(api)
    assert api.client.get("/log/entries").status_code == 401
    assert api.client.get("/log/entries",
                          headers={"Authorization": "Bearer nonsense"}).status_code == 401
    inet = api.token("inet")
    assert api.client.get("/log/entries",
                          headers={"Authorization": f"Bearer {inet}"}).status_code == 403
    auditor = api.token("auditor", "Ms Auditor")
    response = api.client.get("/log/entries?start=2&limit=5",
                              headers={"Authorization": f"Bearer {auditor}"})
    assert response.status_code == 200
    lines = response.content.split(b"\n")
    assert lines[-1] == b"" and len(lines) == 6
    assert [json.loads(line)["index"] for line in lines[:-1]] == [2, 3, 4, 5, 6]
    stored = api.container.audit.entries(2, 5)
    assert lines[:-1] == [leaf.envelope for leaf in stored]
    everything = api.client.get("/log/entries?limit=1000",
                                headers={"Authorization": f"Bearer {admin}"}).content
    assert "Әлия".encode() not in everything


def test_graphql_gives_the_same_and_the_certificates_log_index(api: Api, admin: str) -> None:
    certificate = certified(api.container.service)
    logged(api)
    query = """query($token: String!) {
      logCheckpoint { origin size rootHash note }
      logVerifierKey
      logInclusionProof(index: 3, size: 10) { leafHash hashes }
      logConsistencyProof(old: 4, new: 10) { hashes }
      verifyCertificate(token: $token) { status logIndex }
    }"""
    data = api(query, {"token": certificate["token"]})["data"]
    checkpoint = read_checkpoint(data["logCheckpoint"]["note"],
                                 Verifier.parse(data["logVerifierKey"]))
    assert data["logCheckpoint"]["size"] == checkpoint.size == api.container.audit.size()
    assert b64(data["logCheckpoint"]["rootHash"]) == checkpoint.root
    proof = data["logInclusionProof"]
    merkle.verify_inclusion(3, 10, b64(proof["leafHash"]), [b64(h) for h in proof["hashes"]],
                            api.container.audit.root(10))
    index = data["verifyCertificate"]["logIndex"]
    entry = json.loads(api.container.audit.entries(index, 1)[0].envelope)
    assert entry["type"] == "Certificate.Issued"
    assert entry["payload"]["number"] == certificate["number"]

    verdict = api.client.post("/api/verify", json={"number": certificate["number"]}).json()
    assert verdict["status"] == "VALID" and verdict["log_index"] == index
    unknown = api.client.post("/api/verify", json={"number": "0000-0000-0000-0000-0"}).json()
    assert unknown["log_index"] is None


def test_graphql_entries_need_the_audit_role(api: Api, admin: str) -> None:
    logged(api)
    query = "{ logEntries(start: 0, limit: 2) { index envelope leafHash } }"
    assert api(query)["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    inet = api.token("inet")
    assert api(query, token=inet)["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    entries = api(query, token=api.token("auditor"))["data"]["logEntries"]
    assert [e["index"] for e in entries] == [0, 1]
    first = entries[0]["envelope"].encode()
    assert b64(entries[0]["leafHash"]) == merkle.leaf_hash(first)
    bad = api("{ logInclusionProof(index: 99, size: 100) { hashes } }")
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


def test_api_verify_links_the_issuance_to_its_inclusion_proof(api: Api) -> None:
    cert = certified(api.container.service)
    logged(api)
    answer = api.client.post("/api/verify", json={"token": cert["token"]}).json()
    assert isinstance(answer["log_index"], int)
    proof = api.client.get(answer["log_proof"])
    assert proof.status_code == 200
    checkpoint = read_checkpoint(api.client.get("/log/checkpoint").text,
                                 Verifier.parse(api.client.get("/log/vkey").text))
    body = proof.json()
    merkle.verify_inclusion(answer["log_index"], checkpoint.size, b64(body["leaf_hash"]),
                            [b64(h) for h in body["hashes"]], checkpoint.root)
    health = api.client.get("/healthz").json()
    assert health["status"] == "ok" and health["log"] == {"size": checkpoint.size,
                                                          "problem": None}
