"""DID authentication: a holder proves control of a ``did:key`` by signing a Verifiable
Presentation with the challenge the registry gave it (VC-API exchanges; the Learner Credential
Wallet's "DIDAuth").

The wallet signs with ``Ed25519Signature2020`` (``@digitalcredentials/vc`` +
``@digitalcredentials/ed25519-signature-2020``, its libraries) under the contexts
``https://www.w3.org/ns/credentials/v2`` and ``https://w3id.org/security/suites/ed25519-2020/v1``
(shipped, ``contexts/``); a ``DataIntegrityProof`` with ``eddsa-rdfc-2022`` is accepted as
well. Only Ed25519 ``did:key`` holders are understood: their key is in the DID itself, so
nothing is fetched. This is the first piece of the wallet exchange (issue 13, capability 5);
the exchange itself is not built yet (README).
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .dataintegrity import InvalidProof, public_key_from_multikey, verify_document

__all__ = ["verify_did_auth"]


def _holder_key(holder: str, method: str) -> Ed25519PublicKey:
    fingerprint = holder.removeprefix("did:key:")
    if fingerprint == holder or not fingerprint.startswith("z6Mk"):
        raise InvalidProof(f"the holder {holder!r} is not an Ed25519 did:key (did:key:z6Mk…)")
    if method != f"{holder}#{fingerprint}":
        raise InvalidProof(f"the proof is signed by {method!r}, not by the holder's key "
                           f"{holder}#{fingerprint}")
    return public_key_from_multikey(fingerprint)


def verify_did_auth(presentation: Any, *, challenge: str, domain: str | None = None) -> str:
    """The holder's DID, when ``presentation`` is a Verifiable Presentation signed by its
    holder's ``did:key`` for ``authentication`` with ``challenge`` (and ``domain``, when
    given); :class:`InvalidProof` saying what is wrong otherwise."""
    if not isinstance(presentation, dict):
        raise InvalidProof("the body is not a Verifiable Presentation (a JSON object)")
    types = presentation.get("type")
    if "VerifiablePresentation" not in (types if isinstance(types, list) else [types]):
        raise InvalidProof("the body is not a Verifiable Presentation (its type)")
    holder, proof = presentation.get("holder"), presentation.get("proof")
    if not isinstance(holder, str) or not isinstance(proof, dict):
        raise InvalidProof("the presentation has no holder or no single embedded proof")
    if proof.get("proofPurpose") != "authentication":
        raise InvalidProof("the presentation's proof is not for authentication")
    if proof.get("challenge") != challenge:
        raise InvalidProof("the presentation answers another challenge: start again from "
                           "the link the registry gave")
    if domain is not None and proof.get("domain") != domain:
        raise InvalidProof(f"the presentation is for the domain {proof.get('domain')!r}, not "
                           f"{domain!r}")
    key = _holder_key(holder, str(proof.get("verificationMethod")))
    verify_document(presentation, key, ed25519_2020=True)  # an undefined term: InvalidProof
    return holder
