"""The revocation snapshot's rules (SPEC §11, issue 13 capability 4): hashed ids, per-key
groups, a key's compromise date, and a signature that any change breaks."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, date, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.domain.certificates import CertificateStatus, VerificationStatus, encode_number
from registry.domain.keys import KeyWindow
from registry.domain.revocations import BadSnapshot, Snapshot, revocation_id
from registry.signing import SigningKey
from registry.signing.revocations import InvalidSnapshot, sign_snapshot, verify_snapshot

KEY = SigningKey.from_private_key(Ed25519PrivateKey.generate())
OLD = SigningKey.from_private_key(Ed25519PrivateKey.generate())
MADE = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
WINDOWS = {
    OLD.kid: KeyWindow(OLD.kid, OLD.public_jwk, date(2026, 1, 1), date(2026, 6, 30),
                       compromised_since=date(2026, 6, 1), compromise_reason="laptop stolen"),
    KEY.kid: KeyWindow(KEY.kid, KEY.public_jwk, date(2026, 6, 30)),
}
JWKS = {"keys": [window.published() for window in WINDOWS.values()]}


def verdict(judged: tuple[VerificationStatus, str] | None) -> VerificationStatus | None:
    return None if judged is None else judged[0]


def number() -> str:
    return encode_number(secrets.token_bytes(10))


def test_an_id_is_short_and_does_not_show_the_number() -> None:
    n = number()
    assert len(revocation_id(n)) == 11 and revocation_id(n) == revocation_id(n)
    assert n not in revocation_id(n) and revocation_id(n) != revocation_id(number())


def test_the_snapshot_judges_revoked_superseded_compromised_and_unlisted() -> None:
    revoked, superseded, fine = number(), number(), number()
    snapshot = Snapshot.of("https://registry.kaznu.kz", MADE, WINDOWS, [
        (revoked, KEY.kid, CertificateStatus.REVOKED),
        (superseded, KEY.kid, CertificateStatus.SUPERSEDED)])
    day = date(2026, 7, 1)
    assert verdict(snapshot.judge(KEY.kid, revoked, day)) is VerificationStatus.REVOKED
    assert verdict(snapshot.judge(KEY.kid, superseded, day)) is VerificationStatus.SUPERSEDED
    assert snapshot.judge(KEY.kid, fine, day) is None
    assert snapshot.judge(OLD.kid, revoked, date(2026, 5, 1)) is None  # ids are per key
    # the old key's compromise: from its date on, listed or not; before it, nothing changed
    assert verdict(snapshot.judge(OLD.kid, fine, date(2026, 6, 1))) is VerificationStatus.REVOKED
    assert snapshot.judge(OLD.kid, fine, date(2026, 5, 31)) is None
    text = json.dumps(snapshot.as_dict())
    assert revoked not in text and superseded not in text
    assert snapshot.as_dict()["keys"][OLD.kid]["compromisedSince"] == "2026-06-01"


def test_a_signed_snapshot_reads_back_and_any_change_is_refused() -> None:
    n = number()
    snapshot = Snapshot.of("https://registry.kaznu.kz", MADE, WINDOWS,
                           [(n, KEY.kid, CertificateStatus.REVOKED)])
    signed = sign_snapshot(snapshot, KEY)
    back, kid = verify_snapshot(signed, JWKS)
    assert kid == KEY.kid and back == snapshot
    header, payload, signature = signed.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["keys"][KEY.kid]["revoked"] = []
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidSnapshot, match="signature"):
        verify_snapshot(f"{header}.{forged}.{signature}", JWKS)
    stranger = SigningKey.from_private_key(Ed25519PrivateKey.generate())
    with pytest.raises(InvalidSnapshot, match="unknown key"):
        verify_snapshot(sign_snapshot(snapshot, stranger), JWKS)


@pytest.mark.parametrize("data", [None, [], {"v": 2}, {"v": 1, "method": "sha1"},
                                  {"v": 1, "method": "sha256-64", "made": "yesterday"},
                                  {"v": 1, "method": "sha256-64", "made": "2026-12-02T09:30Z",
                                   "iss": "x", "keys": {"k": {"revoked": 5}}}])
def test_a_document_not_in_the_format_is_refused(data: object) -> None:
    with pytest.raises(BadSnapshot):
        Snapshot.from_dict(data)


def test_a_second_jose_library_checks_the_snapshot_with_the_published_key() -> None:
    from jwcrypto import jwk, jws

    n = number()
    signed = sign_snapshot(Snapshot.of("https://registry.kaznu.kz", MADE, WINDOWS,
                                       [(n, KEY.kid, CertificateStatus.REVOKED)]), KEY)
    verifier = jws.JWS()
    verifier.deserialize(signed)
    verifier.verify(jwk.JWK(**KEY.public_jwk), alg="Ed25519")
    body = json.loads(verifier.payload)
    assert body["keys"][KEY.kid]["revoked"] == [revocation_id(n)]
    assert body["made"] == "2026-12-02T09:30:00Z"
