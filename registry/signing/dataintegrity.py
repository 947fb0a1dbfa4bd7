"""Data Integrity proofs, cryptosuite ``eddsa-rdfc-2022`` (W3C vc-di-eddsa §3.3), and the
Multikey / multibase encodings they use.

The proof signs ``SHA-256(canonical proof options) ‖ SHA-256(canonical document)``, both
canonicalised with RDFC-1.0 (:mod:`.jsonld`); ``proofValue`` is the Ed25519 signature in
multibase base58btc (``z…``). A public key is published as a Multikey: multibase base58btc of
the multicodec ``ed25519-pub`` prefix ``0xed 0x01`` and the 32 raw bytes (``z6Mk…``).
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from .jsonld import UnsafeDocument, canonicalize

__all__ = ["CRYPTOSUITE", "InvalidProof", "multikey", "public_key_from_multikey",
           "sign_document", "verify_document"]

CRYPTOSUITE = "eddsa-rdfc-2022"
_ED25519_PUB = b"\xed\x01"
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


class InvalidProof(Exception):
    """The document's proof does not verify; ``str(exc)`` says why."""


def base58btc(data: bytes) -> str:
    value = int.from_bytes(data, "big")
    digits = ""
    while value:
        value, rest = divmod(value, 58)
        digits = _BASE58[rest] + digits
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + digits


def base58btc_decode(text: str) -> bytes:
    value = 0
    for char in text:
        index = _BASE58.find(char)
        if index < 0:
            raise ValueError(f"{char!r} is not a base58btc digit")
        value = value * 58 + index
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + value.to_bytes((value.bit_length() + 7) // 8, "big")


def multikey(public_key: Ed25519PublicKey) -> str:
    """``publicKeyMultibase`` of an Ed25519 key: ``z6Mk…``."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + base58btc(_ED25519_PUB + raw)


def public_key_from_multikey(value: str) -> Ed25519PublicKey:
    if not value.startswith("z"):
        raise InvalidProof("a Multikey is multibase base58btc (starts with 'z')")
    try:
        data = base58btc_decode(value[1:])
    except ValueError as error:
        raise InvalidProof(str(error)) from None
    if len(data) != 34 or not data.startswith(_ED25519_PUB):
        raise InvalidProof("the Multikey is not an Ed25519 public key")
    return Ed25519PublicKey.from_public_bytes(data[2:])


def _hash_data(document: dict[str, Any], options: dict[str, Any],
               extra: dict[str, dict[str, Any]] | None) -> bytes:
    unsigned = {key: value for key, value in document.items() if key != "proof"}
    config = {"@context": document["@context"], **options}
    options_hash = (_options_hash(json.dumps(config, sort_keys=True)) if extra is None else
                    hashlib.sha256(canonicalize(config, extra=extra).encode()).digest())
    return options_hash + hashlib.sha256(canonicalize(unsigned, extra=extra).encode()).digest()


@lru_cache(maxsize=64)
def _options_hash(config: str) -> bytes:
    """SHA-256 of the canonical proof options (JSON text in, a pure function): the options
    differ only in ``created`` (to the second) and the key, so certificates issued in the same
    second — a batch, a busy term — canonicalise them once (about a quarter of a signature's
    cost once the processed contexts are memoised, registry/signing/jsonld.py)."""
    return hashlib.sha256(canonicalize(json.loads(config)).encode()).digest()


def sign_document(document: dict[str, Any], private_key: Ed25519PrivateKey, *,
                  verification_method: str, created: str,
                  extra: dict[str, dict[str, Any]] | None = None,
                  purpose: str = "assertionMethod", challenge: str | None = None
                  ) -> dict[str, Any]:
    """``document`` with an embedded ``DataIntegrityProof`` for ``purpose`` (with
    ``challenge``, for an ``authentication``)."""
    options = {"type": "DataIntegrityProof", "cryptosuite": CRYPTOSUITE, "created": created,
               "verificationMethod": verification_method, "proofPurpose": purpose}
    if challenge is not None:
        options["challenge"] = challenge
    signature = private_key.sign(_hash_data(document, options, extra))
    return {**document, "proof": {**options, "proofValue": "z" + base58btc(signature)}}


def verify_document(document: dict[str, Any], public_key: Ed25519PublicKey, *,
                    extra: dict[str, dict[str, Any]] | None = None,
                    ed25519_2020: bool = False) -> dict[str, Any]:
    """Check ``document``'s ``eddsa-rdfc-2022`` proof under ``public_key``; its proof, or
    :class:`InvalidProof`. With ``ed25519_2020`` an ``Ed25519Signature2020`` proof (the older
    Linked Data suite wallets still sign presentations with) is accepted too: it signs the
    same ``SHA-256(proof options) ‖ SHA-256(document)``, both RDFC-1.0, under the document's
    contexts."""
    proof = document.get("proof")
    if not isinstance(proof, dict):
        raise InvalidProof("the document has no single embedded proof")
    legacy = ed25519_2020 and proof.get("type") == "Ed25519Signature2020"
    if not legacy and (proof.get("type") != "DataIntegrityProof"
                       or proof.get("cryptosuite") != CRYPTOSUITE):
        raise InvalidProof(f"the proof is not a DataIntegrityProof with {CRYPTOSUITE}"
                           + (" nor an Ed25519Signature2020" if ed25519_2020 else ""))
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        raise InvalidProof("the proof has no multibase base58btc proofValue")
    options = {key: item for key, item in proof.items() if key != "proofValue"}
    try:
        signature = base58btc_decode(value[1:])
        public_key.verify(signature, _hash_data(document, options, extra))
    except (InvalidSignature, ValueError) as error:
        if isinstance(error, UnsafeDocument):
            raise InvalidProof(str(error)) from None
        raise InvalidProof("the proof's signature does not verify") from None
    return proof
