"""Issue 2's path, end to end over HTTP: from a MOOC draft to a verified certificate."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest
from apiclient import Api, make_client
from operations import (
    APPROBATION,
    CERTIFICATE,
    DRAFT,
    ENROLL,
    ENROLLMENT,
    EXAM,
    ISSUE,
    MOOC,
    PLATFORM,
    PROCTORING,
    PUBLISH,
    REGISTER,
    REVIEW,
    REVOKE,
    SCORE,
    SUBMIT,
    VERIFY,
)

from registry.clock import FixedClock
from registry.config import Settings

NAME = "Әлия Ғабитқызы Құрманова"
TITLE = {"kk": "Қазақ әдебиетінің тарихы", "ru": "История казахской литературы", "en": None}


def ok(body: dict[str, Any], field: str) -> Any:
    assert "errors" not in body, body["errors"]
    return body["data"][field]


def walk_to_published(api: Api, token: str, code: str = "KAZLIT-101") -> dict[str, Any]:
    draft = ok(api(DRAFT, {"input": {"code": code, "title": TITLE, "language": "kk",
                                     "credits": 5, "hours": 150}}, token=token), "draftMooc")
    assert draft["status"] == "DRAFT" and draft["title"]["kk"] == TITLE["kk"]
    assert ok(api(SUBMIT, {"code": code}, token=token), "submitMoocForReview")["status"] == \
        "IN_REVIEW"
    review = {"code": code, "passed": True, "reviewer": "Prof. Ахметова"}
    assert ok(api(REVIEW, {"input": review}, token=token), "recordExpertReview")["status"] == \
        "IN_APPROBATION"
    approbation = {"code": code, "passed": True}
    assert ok(api(APPROBATION, {"input": approbation}, token=token),
              "recordApprobation")["status"] == "APPROVED"
    published = ok(api(PUBLISH, {"input": {"code": code, "platformCode": "moocs.kz"}},
                       token=token), "publishMooc")
    assert published == {"code": code, "status": "PUBLISHED",
                         "platform": {"code": "moocs.kz", "approved": True}}
    return published


def enroll_scored(api: Api, token: str, code: str, points: tuple[int, int, int],
                  name: str = NAME) -> dict[str, Any]:
    learner = ok(api(REGISTER, {"input": {"fullName": name, "fullNameLatin": "Aliya Kurmanova",
                                          "iin": None}}, token=token), "registerLearner")
    assert learner["fullName"] == name
    enrollment = ok(api(ENROLL, {"input": {"learnerId": learner["id"], "moocCode": code}},
                        token=token), "enroll")
    for component, value in zip(("RATING_1", "MIDTERM", "RATING_2"), points, strict=True):
        enrollment = ok(api(SCORE, {"input": {"enrollmentId": enrollment["id"],
                                              "component": component, "points": value}},
                            token=token), "recordScore")
    return enrollment


def test_the_whole_path_over_graphql(api: Api, admin: str) -> None:
    assert ok(api(PLATFORM, {"code": "moocs.kz"}), "platform") == {
        "code": "moocs.kz", "url": "https://moocs.kz", "kind": "MOOC_PLATFORM",
        "ownership": "UNIVERSITY", "approved": True}
    walk_to_published(api, admin)
    enrollment = enroll_scored(api, admin, "KAZLIT-101", (80, 90, 70))
    assert (enrollment["totalPoints"], enrollment["admitted"]) == (240, True)
    assert enrollment["finalGrade"] is None and enrollment["passed"] is False
    assert enrollment["learner"]["fullName"] == NAME

    refused = api(EXAM, {"input": {"enrollmentId": enrollment["id"], "points": 88,
                                   "mode": "ONLINE_PROCTORED"}}, token=admin)
    assert refused["errors"][0]["extensions"]["code"] == "PROCTORING_UNAVAILABLE"
    assert ok(api(PROCTORING, {"input": {"available": True, "system": "Examus"}}, token=admin),
              "setOnlineProctoring") is True
    examined = ok(api(EXAM, {"input": {"enrollmentId": enrollment["id"], "points": 88,
                                       "mode": "ONLINE_PROCTORED"}}, token=admin),
                  "recordFinalExam")
    assert examined["finalGrade"] == {"numeric": 83, "letter": "B"}  # (2*(240+176)+5)//10
    assert examined["passed"] is True

    certificate = ok(api(ISSUE, {"input": {"enrollmentId": enrollment["id"]}}, token=admin),
                     "issueCertificate")
    assert certificate["status"] == "ACTIVE"
    assert certificate["fullName"] == NAME
    assert certificate["courseTitle"] == TITLE["kk"]
    assert (certificate["credits"], certificate["issuedOn"]) == (5, "2026-06-15")
    assert certificate["verificationUrl"] == \
        f"https://registry.example.kz/v#{certificate['token']}"
    assert len(certificate["number"]) == 17

    verdict = api.client.post("/api/verify", json={"token": certificate["token"]}).json()
    verdict.pop("log_index")  # the issuance's audit-log entry: tests/api/test_audit_api.py
    verdict.pop("log_proof")
    assert verdict.pop("certificate_proof") in (None, f"/certificates/{certificate['number']}/proof")
    assert verdict.pop("log_witnesses") == 0  # no witness configured (tests/api/test_proof.py)
    header = json.loads(base64.urlsafe_b64decode(certificate["token"].split(".")[0] + "=="))
    assert verdict.pop("kid") == header["kid"]
    assert (verdict.pop("lang"), verdict.pop("reasons")) == ("en", None)  # nothing to explain
    assert verdict.pop("credential_url").endswith(  # for a wallet
        f"/certificates/{certificate['number']}/credential.json")
    assert verdict == {"status": "VALID", "reason": None, "certificate": {
        "number": certificate["number"], "fullName": NAME, "courseTitle": TITLE["kk"],
        "credits": 5, "issuedOn": "2026-06-15", "status": "ACTIVE", "supersededBy": None}}
    gql = ok(api(VERIFY, {"token": certificate["token"]}), "verifyCertificate")
    assert gql["status"] == "VALID" and gql["certificate"]["fullName"] == NAME

    reason = "Выдан по ошибке — қате берілген; see order №12/3"
    revoked = ok(api(REVOKE, {"input": {"number": certificate["number"], "reason": reason}},
                     token=admin), "revokeCertificate")
    assert (revoked["status"], revoked["revocationReason"]) == ("REVOKED", reason)
    verdict = api.client.post("/api/verify", json={"token": certificate["token"]}).json()
    assert (verdict["status"], verdict["reason"]) == ("REVOKED", reason)
    gql = ok(api(VERIFY, {"token": certificate["token"]}), "verifyCertificate")
    assert (gql["status"], gql["reason"]) == ("REVOKED", reason)
    by_number = api.client.post("/api/verify", json={"number": certificate["number"].lower()})
    assert by_number.json()["status"] == "REVOKED"

    again = ok(api(ENROLLMENT, {"id": enrollment["id"]}, token=admin), "enrollment")
    assert again["certificate"] == {"number": certificate["number"], "status": "REVOKED"}


def certificate_for(api: Api, token: str) -> dict[str, Any]:
    walk_to_published(api, token)
    enrollment = enroll_scored(api, token, "KAZLIT-101", (100, 100, 100))
    ok(api(EXAM, {"input": {"enrollmentId": enrollment["id"], "points": 95,
                            "mode": "ON_CAMPUS"}}, token=token), "recordFinalExam")
    return ok(api(ISSUE, {"input": {"enrollmentId": enrollment["id"]}}, token=token),
              "issueCertificate")


def test_the_qr_decodes_to_the_verification_url_and_verifies_elsewhere(
    api: Api, admin: str
) -> None:
    from jwcrypto import jwk, jws
    from PIL import Image
    from pyzbar.pyzbar import decode

    certificate = certificate_for(api, admin)
    png = api.client.get(f"/certificates/{certificate['number']}/qr.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    decoded = decode(Image.open(io.BytesIO(png.content)))
    assert [d.data.decode("utf-8") for d in decoded] == [certificate["verificationUrl"]]

    svg = api.client.get(f"/certificates/{certificate['number']}/qr.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert b"viewBox" in svg.content

    keys = api.client.get("/.well-known/jwks.json").json()["keys"]
    token = certificate["token"]
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    key = next(k for k in keys if k["kid"] == header["kid"])
    verifier = jws.JWS()
    verifier.deserialize(token)
    verifier.verify(jwk.JWK(**key), alg="Ed25519")  # a second JOSE library agrees
    payload = json.loads(verifier.payload)
    assert payload == {"v": 1, "n": certificate["number"], "f": NAME, "t": TITLE["kk"],
                       "c": 5, "d": "2026-06-15"}
    assert NAME.encode() in verifier.payload  # UTF-8, no \\u escapes


def tampered(token: str, **changes: Any) -> str:
    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=="))
    data.update(changes)
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return ".".join([header, base64.urlsafe_b64encode(raw).rstrip(b"=").decode(), signature])


@pytest.mark.parametrize("forge", [
    lambda t: tampered(t, f="Someone Else"),
    lambda t: tampered(t, c=60),
    lambda t: t[:-4] + ("AAAA" if not t.endswith("AAAA") else "BBBB"),
    lambda t: t.split(".")[0] + "." + t.split(".")[1] + ".",
    lambda t: "not a token at all",
    lambda t: "a.b.c",
    lambda t: "ℵ" * 5000,
])
def test_forged_or_broken_tokens_are_invalid_never_an_error(api: Api, admin: str, forge) -> None:  # type: ignore[no-untyped-def]
    certificate = certificate_for(api, admin)
    token = forge(certificate["token"])
    response = api.client.post("/api/verify", json={"token": token})
    assert response.status_code == 200
    assert response.json()["status"] == "INVALID"
    assert response.json()["certificate"] is None
    gql = ok(api(VERIFY, {"token": token}), "verifyCertificate")
    assert (gql["status"], gql["certificate"]) == ("INVALID", None)


@pytest.mark.parametrize(("body", "content_type"), [
    (b"not json", "application/json"), (b"[1,2]", "application/json"), (b"{}", "application/json"),
    (b'{"token": 5}', "application/json"),
])
def test_api_verify_answers_400_only_for_a_body_it_cannot_read(
    api: Api, body: bytes, content_type: str
) -> None:
    response = api.client.post("/api/verify", content=body, headers={"content-type": content_type})
    assert response.status_code == 400


def test_unknown_numbers_are_invalid_and_unknown_lookups_null(api: Api) -> None:
    response = api.client.post("/api/verify", json={"number": "0000000000000000" + "0"})
    assert response.json()["status"] == "INVALID"
    assert ok(api(CERTIFICATE, {"number": "0000000000000000" + "0"}), "certificate") is None
    assert ok(api(MOOC, {"code": "NOPE"}), "mooc") is None
    assert api.client.get("/certificates/00000000000000000/qr.png").status_code == 404


def test_a_restart_keeps_data_and_the_signing_key(sqlite_settings: Settings,
                                                   clock: FixedClock) -> None:
    with make_client(sqlite_settings, clock) as client:
        api = Api(client)
        certificate = certificate_for(api, api.token("admin"))
        jwks = client.get("/.well-known/jwks.json").json()
    with make_client(sqlite_settings, clock) as client:
        api = Api(client)
        assert client.get("/.well-known/jwks.json").json() == jwks
        assert ok(api(CERTIFICATE, {"number": certificate["number"]}), "certificate") == \
            certificate
        assert client.post("/api/verify", json={"token": certificate["token"]}).json()[
            "status"] == "VALID"


def test_health_and_the_verification_page(api: Api) -> None:
    health = api.client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    page = api.client.get("/v")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "/static/verify.js" in page.text
    assert api.client.get("/static/verify.js").status_code == 200


def test_graphiql_is_served_outside_production(api: Api) -> None:
    page = api.client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


def test_the_signing_key_file_is_readable_only_by_its_owner(api: Api) -> None:
    keys_dir = Path(api.container.settings.data_dir) / "keys"
    pem = keys_dir / "certificate-signing.pem"
    assert oct(pem.stat().st_mode & 0o777) == "0o600"


INTROSPECT = "{ __schema { queryType { name } } }"


def test_production_hides_graphiql_and_needs_a_token_for_introspection(
    sqlite_settings: Settings, clock: FixedClock
) -> None:
    import dataclasses

    production = dataclasses.replace(sqlite_settings, production=True)
    with make_client(production, clock) as client:
        api = Api(client)
        assert client.get("/graphql", headers={"accept": "text/html"}).status_code != 200
        refused = api(INTROSPECT)
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        allowed = api(INTROSPECT, token=api.token("auditor"))
        assert allowed["data"]["__schema"]["queryType"]["name"] == "Query"


def test_introspection_works_without_a_token_outside_production(api: Api) -> None:
    assert api(INTROSPECT)["data"]["__schema"]["queryType"]["name"] == "Query"
