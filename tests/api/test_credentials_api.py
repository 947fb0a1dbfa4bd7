"""Issue 13, capabilities 1–3 (SPEC §11): every certificate's Open Badges credential, the
issuer's did:web document and the status lists — served by the registry, checked by the
registry's own verifier and by Digital Bazaar's, on both storage back-ends."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from api.apiclient import Api
from api.test_keys import OPERATOR, REISSUE, at, rotate
from api.test_lists import admin, api  # noqa: F401 (on both back-ends)
from api.test_spine import certificate_for, enroll_scored, ok
from operations import EXAM, ISSUE, REVOKE
from unit.test_credentials import node_verify

from registry.clock import FixedClock
from registry.signing.credentials import bit, decode_list
from registry.signing.dataintegrity import public_key_from_multikey, verify_document

CREDENTIAL = """query($number: String!) { certificate(number: $number) {
  number credential credentialUrl } }"""


def served(api: Api, number: str) -> dict[str, Any]:
    response = api.client.get(f"/certificates/{number}/credential.json")
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    result: dict[str, Any] = response.json()
    return result


def did(api: Api) -> dict[str, Any]:
    result: dict[str, Any] = api.client.get("/.well-known/did.json").json()
    return result


def status_bit(api: Api, credential: dict[str, Any]) -> bool:
    entry = credential["credentialStatus"]
    path = entry["statusListCredential"].removeprefix(api.container.settings.public_url)
    listed = api.client.get(path).json()
    return bit(decode_list(listed["credentialSubject"]["encodedList"]),
               int(entry["statusListIndex"]))


def verified_by_registry(api: Api, credential: dict[str, Any]) -> None:
    methods = {m["id"]: m for m in did(api)["verificationMethod"]}
    method = methods[credential["proof"]["verificationMethod"]]
    verify_document(credential, public_key_from_multikey(method["publicKeyMultibase"]))


def issue_another(api: Api, admin: str, name: str) -> dict[str, Any]:
    enrollment = enroll_scored(api, admin, "KAZLIT-101", (90, 90, 90), name=name)
    ok(api(EXAM, {"input": {"enrollmentId": enrollment["id"], "points": 90,
                            "mode": "ON_CAMPUS"}}, token=admin), "recordFinalExam")
    return ok(api(ISSUE, {"input": {"enrollmentId": enrollment["id"]}}, token=admin),
              "issueCertificate")


def test_every_certificate_has_a_signed_credential_in_graphql_and_as_a_file(
        api: Api, admin: str) -> None:
    cert = certificate_for(api, admin)
    got = ok(api(CREDENTIAL, {"number": cert["number"]}, token=admin), "certificate")
    credential = got["credential"]
    assert got["credentialUrl"] == (f"{api.container.settings.public_url}/certificates/"
                                    f"{cert['number']}/credential.json")
    assert served(api, cert["number"]) == credential  # the file is the same, frozen one
    verified_by_registry(api, credential)
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    subject = credential["credentialSubject"]
    assert subject["identifier"][0]["identityHash"] == cert["fullName"]
    assert subject["achievement"]["name"] == cert["courseTitle"]
    assert subject["creditsEarned"] == cert["credits"]
    assert credential["validFrom"].startswith(cert["issuedOn"])
    assert cert["number"] in credential["description"]
    assert credential["issuer"]["id"] == did(api)["id"]


def test_the_did_document_keeps_a_rotated_keys_credentials_verifying(
        api: Api, admin: str, clock: FixedClock) -> None:
    before = served(api, certificate_for(api, admin)["number"])
    at(clock, "2026-07-01")
    rotate(api)
    after = served(api, issue_another(api, admin, "Кейінгі")["number"])
    document = did(api)
    assert len(document["assertionMethod"]) == 2
    assert before["proof"]["verificationMethod"] != after["proof"]["verificationMethod"]
    for credential in (before, after):
        assert credential["proof"]["verificationMethod"] in document["assertionMethod"]
        verified_by_registry(api, credential)


def test_status_slots_are_distinct_and_drawn_within_the_list(api: Api, admin: str) -> None:
    first = served(api, certificate_for(api, admin)["number"])
    second = served(api, issue_another(api, admin, "Екінші")["number"])
    entries = [c["credentialStatus"] for c in (first, second)]
    assert entries[0]["statusListCredential"] == entries[1]["statusListCredential"]
    assert entries[0]["statusListIndex"] != entries[1]["statusListIndex"]
    assert all(0 <= int(e["statusListIndex"]) < 131_072 for e in entries)


def test_revocation_sets_the_bit_and_the_list_changes_its_etag(api: Api, admin: str) -> None:
    cert = certificate_for(api, admin)
    credential = served(api, cert["number"])
    path = credential["credentialStatus"]["statusListCredential"].removeprefix(
        api.container.settings.public_url)
    first = api.client.get(path)
    assert first.headers["cache-control"] == "public, max-age=60"
    assert not status_bit(api, credential)
    again = api.client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    ok(api(REVOKE, {"input": {"number": cert["number"], "reason": "plagiarism"}},
           token=admin), "revokeCertificate")
    assert status_bit(api, credential)
    assert api.client.get(path, headers={"If-None-Match": first.headers["etag"]}
                          ).status_code == 200


def test_a_reissue_sets_the_old_bit_and_makes_a_new_credential(api: Api, admin: str) -> None:
    cert = certificate_for(api, admin)
    old = served(api, cert["number"])
    new_cert = ok(api(REISSUE, {"input": {"number": cert["number"], "fullName": "Жаңа Есім",
                                          "reason": "typo"}}, token=admin), "reissueCertificate")
    new = served(api, new_cert["number"])
    assert new["credentialSubject"]["identifier"][0]["identityHash"] == "Жаңа Есім"
    assert served(api, cert["number"]) == old  # frozen
    assert status_bit(api, old) and not status_bit(api, new)


def test_a_compromised_key_sets_the_bits_from_its_compromise_date(
        api: Api, admin: str, clock: FixedClock) -> None:
    before = served(api, certificate_for(api, admin)["number"])  # 2026-06-15
    at(clock, "2026-06-20")
    during = served(api, issue_another(api, admin, "Жиырмасында")["number"])
    kid = before["proof"]["verificationMethod"].rpartition("#")[2]
    api.container.service.run(OPERATOR, lambda cmd: cmd.keys.compromise(
        kid, date(2026, 6, 18), "laptop stolen"))
    assert not status_bit(api, before)
    assert status_bit(api, during)


def test_unknown_lists_and_certificates_are_not_found(api: Api) -> None:
    assert api.client.get("/status/lists/1").status_code == 404  # nothing issued yet
    assert api.client.get("/status/lists/x").status_code == 404
    assert api.client.get("/certificates/0123456789ABCDEFG/credential.json").status_code == 404


@pytest.mark.parametrize("backend_settings", ["sqlite"], indirect=True)
def test_digital_bazaars_verifier_checks_the_served_files(
        api: Api, admin: str, tmp_path: Path) -> None:
    cert = certificate_for(api, admin)
    credential = served(api, cert["number"])
    path = credential["credentialStatus"]["statusListCredential"].removeprefix(
        api.container.settings.public_url)
    assert node_verify(tmp_path, credential, did(api), api.client.get(path).json()) == {
        "verified": True, "status": False, "error": None}
    ok(api(REVOKE, {"input": {"number": cert["number"], "reason": "plagiarism"}},
           token=admin), "revokeCertificate")
    assert node_verify(tmp_path, credential, did(api), api.client.get(path).json()) == {
        "verified": True, "status": True, "error": None}
    credential["credentialSubject"]["creditsEarned"] = 50
    assert node_verify(tmp_path, credential, did(api))["verified"] is False
