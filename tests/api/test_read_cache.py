"""The read cache (``registry/application/readcache.py``): a record read again while its views
have not moved is answered without reading the views — and any write that reaches them (a
revocation, a key compromise, an erasure) is seen by the very next read."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from apiclient import Api, view_reads
from support import ADMIN, certified

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
