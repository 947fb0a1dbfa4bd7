"""DID authentication as the Learner Credential Wallet signs it (issue 13, capability 5's first
piece): presentations made by the wallet's own libraries (@digitalcredentials/vc +
ed25519-signature-2020, tests/js/make-didauth.mjs) verified by registry/signing/didauth.py."""

from __future__ import annotations

import copy
import json
import subprocess
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from unit.test_credentials import JS, node_with

from registry.signing.dataintegrity import InvalidProof, multikey, sign_document
from registry.signing.didauth import verify_did_auth

CHALLENGE = "5f0c2b64-0d3e-4c55-9a7e-3b1f5d2c9e41"


@pytest.fixture(scope="module")
def wallet_auth() -> dict[str, Any]:
    """A DIDAuth presentation signed by the wallet's libraries for CHALLENGE."""
    node = node_with("@digitalcredentials/ed25519-signature-2020")
    run = subprocess.run([node, str(JS / "make-didauth.mjs"), CHALLENGE, "registry.example.kz"],
                         capture_output=True, text=True, check=True, timeout=60)
    presentation: dict[str, Any] = json.loads(run.stdout)
    return presentation


def test_the_wallets_did_authentication_verifies_and_names_its_holder(
        wallet_auth: dict[str, Any]) -> None:
    assert wallet_auth["proof"]["type"] == "Ed25519Signature2020"
    holder = verify_did_auth(wallet_auth, challenge=CHALLENGE, domain="registry.example.kz")
    assert holder == wallet_auth["holder"] and holder.startswith("did:key:z6Mk")


@pytest.mark.parametrize("change, reason", [
    (lambda p: p["proof"].update(challenge="another"), "another challenge"),
    (lambda p: p["proof"].update(proofPurpose="assertionMethod"), "not for authentication"),
    (lambda p: p.update(holder="did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"),
     "not by the holder's key"),
    (lambda p: p["proof"].update(created="2020-01-01T00:00:00Z"), "does not verify"),
    (lambda p: p.update(type=["VerifiableCredential"]), "not a Verifiable Presentation"),
    (lambda p: p.update(holder="did:web:example.org"), "not an Ed25519 did:key"),
    (lambda p: p.update(favouriteColour="blue"), "favouriteColour"),
])
def test_a_changed_did_authentication_is_refused_with_its_reason(
        wallet_auth: dict[str, Any], change: Any, reason: str) -> None:
    changed = copy.deepcopy(wallet_auth)
    change(changed)
    with pytest.raises(InvalidProof, match=reason):
        verify_did_auth(changed, challenge=CHALLENGE)


def test_the_challenge_the_registry_expects_is_the_one_checked(
        wallet_auth: dict[str, Any]) -> None:
    with pytest.raises(InvalidProof, match="another challenge"):
        verify_did_auth(wallet_auth, challenge="the exchange's own challenge")
    with pytest.raises(InvalidProof, match="domain"):
        verify_did_auth(wallet_auth, challenge=CHALLENGE, domain="elsewhere.example")


def test_a_data_integrity_did_authentication_verifies_too() -> None:
    key = Ed25519PrivateKey.generate()
    fingerprint = multikey(key.public_key())
    holder = f"did:key:{fingerprint}"
    unsigned = {"@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiablePresentation"], "holder": holder}
    signed = sign_document(unsigned, key, verification_method=f"{holder}#{fingerprint}",
                           created="2026-12-02T10:00:00Z", purpose="authentication",
                           challenge=CHALLENGE)
    assert verify_did_auth(signed, challenge=CHALLENGE) == holder
    signed["holder"] = "did:key:" + multikey(Ed25519PrivateKey.generate().public_key())
    with pytest.raises(InvalidProof, match="not by the holder's key"):
        verify_did_auth(signed, challenge=CHALLENGE)
