"""The read cache (``registry/application/readcache.py``): a record read again while its views
have not moved is answered without reading the views — and any write that reaches them (a
revocation, a key compromise, an erasure) is seen by the very next read."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from apiclient import Api, view_reads
from support import ADMIN, certified, eventually

from registry.domain.certificates import encode_number

CERTIFICATE = """query($n: String!) { certificate(number: $n) { number status fullName
  revocationReason } }"""


def read(api: Api, number: str) -> dict[str, Any]:
    body = api(CERTIFICATE, {"n": number})
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"]["certificate"]
    return found


def test_a_certificate_read_again_reads_no_view(api: Api) -> None:
    number = certified(api.container.service)["number"]
    assert read(api, number)["status"] == "ACTIVE"
    with view_reads(api) as seen:
        for _ in range(5):
            assert read(api, number)["status"] == "ACTIVE"
    assert seen == []


def test_a_revocation_is_seen_by_the_next_read(api: Api) -> None:
    service = api.container.service
    number = certified(service)["number"]
    assert read(api, number)["status"] == "ACTIVE"
    service.run(ADMIN, lambda cmd: cmd.certificates.revoke(number=number, reason="Forged exam"))
    shown = read(api, number)
    assert shown["status"] == "REVOKED" and shown["revocationReason"] == "Forged exam"


def test_a_key_compromise_is_seen_by_the_next_read(api: Api) -> None:
    service = api.container.service
    number = certified(service)["number"]
    assert read(api, number)["status"] == "ACTIVE"
    kid = service.get("certificates", number)["kid"]  # type: ignore[index]
    service.run(ADMIN, lambda cmd: cmd.keys.compromise(kid, date(2020, 1, 1), "leaked"))
    assert read(api, number)["status"] == "REVOKED"


def test_an_erasure_is_seen_by_the_next_read(api: Api) -> None:
    service = api.container.service
    cert = certified(service)
    assert read(api, cert["number"])["fullName"] != ""
    service.erase_personal_data(ADMIN, uuid.UUID(cert["learnerId"]), "Request 2026/117")
    assert read(api, cert["number"])["fullName"] == ""


# -- /api/verify and verifyCertificate answered from memory (issue 15) --------------------------

VERIFY = "query($t: String!) { verifyCertificate(token: $t) { status reason } }"


def verified(api: Api, token: str) -> dict[str, Any]:
    answer = api.client.post("/api/verify", json={"token": token})
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def verified_number(api: Api, number: str) -> dict[str, Any]:
    found: dict[str, Any] = api.client.post("/api/verify", json={"number": number}).json()
    return found


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The thread hops /api/verify and the GraphQL resolvers take meanwhile."""
    import registry.api.context as context
    import registry.web.app as web

    seen: list[str] = []

    def counting(module: Any) -> Any:
        real = module.run_in_threadpool

        async def hop(fn: Any, *args: Any, **kwargs: Any) -> Any:
            seen.append(getattr(fn, "__name__", repr(fn)))
            return await real(fn, *args, **kwargs)
        return hop

    for module in (web, context):
        monkeypatch.setattr(module, "run_in_threadpool", counting(module))
    return seen


def warm(api: Api) -> dict[str, Any]:
    """A certificate whose issuance the log has taken, verified once (the caches filled)."""
    cert = certified(api.container.service)
    eventually(lambda: verified(api, cert["token"])["log_index"] is not None,
               "the issuance is in the log")
    return cert


def test_a_verification_asked_again_takes_no_thread_hop_and_reads_no_view(
        api: Api, hops: list[str]) -> None:
    cert = warm(api)
    hops.clear()
    with view_reads(api) as seen:
        for _ in range(5):
            answer = verified(api, cert["token"])
            assert answer["status"] == "VALID" and answer["certificate"]["number"] == cert["number"]
            assert api(VERIFY, {"t": cert["token"]})["data"]["verifyCertificate"]["status"] \
                == "VALID"
    assert seen == [] and hops == []


def test_a_verification_from_memory_says_what_the_blocking_one_says(api: Api) -> None:
    cert = warm(api)
    quick = api.container.service.verification(token=cert["token"])[0]
    assert quick == api.container.service.verify_token(cert["token"])
    by_number = api.container.service.verification(number=cert["number"])[0]
    assert by_number == api.container.service.verify_number(cert["number"])
    forged = cert["token"][:-4] + ("AAAA" if not cert["token"].endswith("AAAA") else "BBBB")
    assert verified(api, forged)["status"] == "INVALID"


def test_a_revocation_is_seen_by_the_next_verification(api: Api, hops: list[str]) -> None:
    service = api.container.service
    cert = warm(api)
    service.run(ADMIN, lambda cmd: cmd.certificates.revoke(number=cert["number"],
                                                           reason="Forged exam"))
    answer = verified(api, cert["token"])
    assert answer["status"] == "REVOKED"
    assert api(VERIFY, {"t": cert["token"]})["data"]["verifyCertificate"]["status"] == "REVOKED"


def test_a_key_compromise_is_seen_by_the_next_verification(api: Api) -> None:
    service = api.container.service
    cert = warm(api)
    kid = service.get("certificates", cert["number"])["kid"]  # type: ignore[index]
    service.run(ADMIN, lambda cmd: cmd.keys.compromise(kid, date(2020, 1, 1), "leaked"))
    assert verified(api, cert["token"])["status"] == "REVOKED"
    assert api(VERIFY, {"t": cert["token"]})["data"]["verifyCertificate"]["status"] == "REVOKED"


def test_a_number_unknown_until_issued_is_not_kept_unknown(api: Api) -> None:
    service = api.container.service
    cert = warm(api)
    assert verified_number(api, cert["number"])["status"] == "VALID"
    unknown = encode_number(bytes(10))  # well formed, never issued: the views are asked
    assert service.verification(number=unknown)[0] is None
    assert verified_number(api, unknown)["status"] == "INVALID"
    assert service.verification(number=unknown)[0] is None  # still asked: may be issued
    malformed = service.verification(number="KZ-0000-0000-0")[0]  # needs no row at all
    assert malformed is not None and malformed["status"] == "INVALID"


@pytest.fixture
def signature_checks(api: Api, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tokens whose signature the service checks."""
    service = api.container.service
    real = service._check_signature
    seen: list[str] = []

    def counting(token: str, jwks: dict[str, Any]) -> Any:
        seen.append(token)
        return real(token, jwks)
    monkeypatch.setattr(service, "_check_signature", counting)
    return seen


def test_a_verification_missing_its_row_reads_it_without_checking_the_signature_again(
        api: Api, hops: list[str], signature_checks: list[str]) -> None:
    cert = warm(api)
    api.container.service.read_cache._rows.clear()  # the certificate's row is not in memory
    hops.clear()
    signature_checks.clear()
    assert verified(api, cert["token"])["status"] == "VALID"
    assert len(hops) == 1 and signature_checks == [cert["token"]]  # checked once, on the loop
    api.container.service.read_cache._rows.clear()
    signature_checks.clear()
    assert api(VERIFY, {"t": cert["token"]})["data"]["verifyCertificate"]["status"] == "VALID"
    assert signature_checks == [cert["token"]]
    # and a cold verification of a revoked certificate answers what the views say
    api.container.service.read_cache._rows.clear()
    api.container.service.run(ADMIN, lambda cmd: cmd.certificates.revoke(
        number=cert["number"], reason="Forged exam"))
    assert verified(api, cert["token"])["status"] == "REVOKED"
