"""The registry's open credentials (SPEC §11): each certificate's Open Badges 3.0
``OpenBadgeCredential``, the issuer's ``did:web`` document and the Bitstring Status Lists.

Everything here is plain data in, JSON out; signing is :mod:`.dataintegrity`. The credential
says what the paper says (R10): the university (issuer profile), the holder's full name, the
course, its criteria from the regulation, the credits, the issue date, and the certificate's
number and verification page. Every term is one the VC 2.0 or OB 3.0.3 context defines
(JSON-LD safe mode, SPEC §11 traps).
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any
from urllib.parse import quote, unquote, urlsplit
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ..domain.certificates import CertificateFacts
from ..domain.status import LIST_SIZE
from .dataintegrity import (
    InvalidProof,
    multikey,
    public_key_from_multikey,
    sign_document,
    verify_document,
)
from .keys import SigningKey, public_key_of

__all__ = ["CREDENTIAL_CONTEXT", "Issuer", "did_document", "did_web_document_url", "encode_list",
           "method_key", "open_badge", "revoked_in", "status_list_credential", "verify_issued"]

CREDENTIAL_CONTEXT = ["https://www.w3.org/ns/credentials/v2",
                      "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
DID_CONTEXT = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]

#: R10 and clauses 3.10–3.12: what a learner did to earn the certificate.
CRITERIA = ("Admitted to the final examination with at least 50 % of the course's total score "
            "(three assessed components), and passed the final examination (at least 50 of "
            "100 points) with a final grade of at least 50.")


@dataclass(frozen=True)
class Issuer:
    """The university as the credentials' issuer, at ``public_url``."""

    public_url: str
    names: Mapping[str, str]  # kk / ru / en
    timezone: str = "Asia/Almaty"

    @property
    def did(self) -> str:
        """``did:web`` of the public URL's authority, the port's colon as ``%3A``; a path
        becomes ``:``-separated segments (did:web §3.1)."""
        parts = urlsplit(self.public_url)
        host = parts.hostname or "localhost"
        default = {"http": 80, "https": 443}.get(parts.scheme)
        authority = host if parts.port in (None, default) else f"{host}%3A{parts.port}"
        path = [quote(segment, safe="") for segment in parts.path.split("/") if segment]
        return ":".join(["did:web", authority, *path])

    def method(self, kid: str) -> str:
        return f"{self.did}#{kid}"

    @property
    def did_document_path(self) -> str:
        """The path, under the public URL, where a did:web resolver looks for this DID's
        document: ``/.well-known/did.json`` for a bare authority, ``/did.json`` when the
        public URL has a path (did:web §3.2, Read: ``did:web:host:registry`` is
        ``https://host/registry/did.json``)."""
        has_path = bool(urlsplit(self.public_url).path.strip("/"))
        return "/did.json" if has_path else "/.well-known/did.json"

    def credential_url(self, number: str) -> str:
        return f"{self.public_url}/certificates/{number}/credential.json"

    def status_list_url(self, status_list: int) -> str:
        return f"{self.public_url}/status/lists/{status_list}"

    def profile(self) -> dict[str, Any]:
        """The OB 3.0 ``Profile``: its ``name`` is one string in OB 3.0's model, so English
        there and the Kazakh and Russian names in ``description``."""
        names = dict(self.names)
        return {
            "id": self.did,
            "type": ["Profile"],
            "name": names.get("en") or next(iter(names.values())),
            "url": self.public_url,
            "description": " · ".join(names[lang] for lang in ("kk", "ru") if lang in names),
        }

    def midnight(self, day: date) -> str:
        """``day``'s start in the registry's time zone, with its offset (``validFrom``)."""
        return datetime.combine(day, time(), ZoneInfo(self.timezone)).isoformat()


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def open_badge(issuer: Issuer, facts: CertificateFacts, verification_url: str, key: SigningKey,
               *, created: str | None = None) -> dict[str, Any]:
    """The certificate's signed ``OpenBadgeCredential``; ``verification_url`` is its page."""
    list_url = issuer.status_list_url(facts.status_list)
    credential = {
        "@context": CREDENTIAL_CONTEXT,
        "id": issuer.credential_url(facts.number),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer.profile(),
        "validFrom": issuer.midnight(facts.issued_on),
        "name": facts.course_title,
        "description": (f"Certificate {facts.number}: {facts.full_name} completed the massive "
                        f"open online course {facts.course_title!r} ({facts.credits} credits)."
                        f" Verify it at {verification_url}"),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{
                "type": "IdentityObject", "identityType": "name", "hashed": False,
                "identityHash": facts.full_name,
            }],
            "creditsEarned": facts.credits,
            "achievement": {
                "id": f"{issuer.public_url}/moocs/{quote(facts.mooc_code, safe='')}",
                "type": ["Achievement"],
                "name": facts.course_title,
                "description": (f"The massive open online course {facts.course_title!r} "
                                f"({facts.mooc_code}) of {issuer.profile()['name']}."),
                "criteria": {"narrative": CRITERIA},
                "creditsAvailable": facts.credits,
                "achievementType": "Course",
                "humanCode": facts.mooc_code,
            },
        },
        "credentialStatus": {
            "id": f"{list_url}#{facts.status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(facts.status_index),
            "statusListCredential": list_url,
        },
    }
    return sign_document(credential, key.private_key, verification_method=issuer.method(key.kid),
                         created=created or _now())


def encode_list(indices: Iterable[int], size: int = LIST_SIZE) -> str:
    """``encodedList``: the bits (index 0 the most significant bit of the first byte), GZIP,
    multibase base64url without padding (``u…``)."""
    bits = bytearray(size // 8)
    for index in indices:
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")


def decode_list(encoded: str) -> bytes:
    if not encoded.startswith("u"):
        raise ValueError("encodedList is not multibase base64url")
    data = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))


def bit(bits: bytes, index: int) -> bool:
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def status_list_credential(issuer: Issuer, status_list: int, revoked: Iterable[int],
                           key: SigningKey, *, created: str | None = None) -> dict[str, Any]:
    """The signed ``BitstringStatusListCredential`` of list ``status_list``."""
    url = issuer.status_list_url(status_list)
    created = created or _now()
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer.did,
        "validFrom": created,
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_list(revoked),
        },
    }
    return sign_document(credential, key.private_key, verification_method=issuer.method(key.kid),
                         created=created)


def did_document(issuer: Issuer, jwks: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The issuer's DID document: every key of the JWKS (every certificate key ever used,
    retired ones included) as a Multikey in ``assertionMethod``."""
    did = issuer.did
    methods = [{"id": issuer.method(jwk["kid"]), "type": "Multikey", "controller": did,
                "publicKeyMultibase": multikey(public_key_of(jwk))} for jwk in jwks]
    return {"@context": DID_CONTEXT, "id": did, "verificationMethod": methods,
            "assertionMethod": [method["id"] for method in methods]}


def did_web_document_url(did: str) -> str:
    """The HTTPS URL of the document of ``did`` (did:web §3.2, Read): the method-specific id's
    ``:``-separated parts percent-decoded (``%3A`` is the port's colon) and joined by ``/``,
    then ``/.well-known/did.json`` for a bare authority or ``/did.json`` after a path.
    ``ValueError`` for anything but a did:web."""
    specific = did.removeprefix("did:web:")
    parts = specific.split(":")
    if specific == did or "#" in did or "/" in did or not all(parts):
        raise ValueError(f"{did!r} is not a did:web")
    authority, *path = (unquote(part) for part in parts)
    location = "/".join([authority, *path])
    return f"https://{location}/did.json" if path else f"https://{location}/.well-known/did.json"


def credential_text(credential: dict[str, Any]) -> str:
    """The stored (and served) form of a credential: compact UTF-8 JSON."""
    return json.dumps(credential, ensure_ascii=False, separators=(",", ":"))


def method_key(did: Mapping[str, Any], method: str) -> Ed25519PublicKey:
    """The public key of verification method ``method`` in the DID document ``did``, if the
    document lists it for ``assertionMethod`` and controls it; :class:`InvalidProof` if not."""
    doc_id = did.get("id")
    if not isinstance(doc_id, str) or not method.startswith(f"{doc_id}#"):
        raise InvalidProof(f"the key {method} is not one of the DID document {doc_id}'s")
    if method not in (did.get("assertionMethod") or []):
        raise InvalidProof(f"the DID document does not list {method} for assertionMethod")
    for entry in did.get("verificationMethod") or []:
        if isinstance(entry, dict) and entry.get("id") == method:
            if entry.get("controller") != doc_id or entry.get("type") != "Multikey":
                raise InvalidProof(f"{method} is not a Multikey controlled by {doc_id}")
            return public_key_from_multikey(str(entry.get("publicKeyMultibase")))
    raise InvalidProof(f"the DID document has no verification method {method}")


def verify_issued(document: dict[str, Any], did: Mapping[str, Any]) -> dict[str, Any]:
    """Check a credential (or a status list credential) issued by the DID ``did`` describes:
    the issuer is that DID, the proof's key is one of its assertion methods, the proof
    verifies. Its proof, or :class:`InvalidProof`."""
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer_id != did.get("id"):
        raise InvalidProof(f"it is issued by {issuer_id!r}, not by {did.get('id')!r} (the DID "
                           "document's subject)")
    proof = document.get("proof")
    method = proof.get("verificationMethod") if isinstance(proof, dict) else None
    if not isinstance(method, str):
        raise InvalidProof("the document has no single embedded proof with a key")
    return verify_document(document, method_key(did, method))


def revoked_in(credential: Mapping[str, Any], status_list: Mapping[str, Any]) -> bool:
    """Whether ``status_list`` (a checked ``BitstringStatusListCredential``) sets the
    revocation bit of ``credential``; ``ValueError`` when it is not that credential's list."""
    entry = credential.get("credentialStatus")
    if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
        raise ValueError("the credential has no BitstringStatusListEntry")
    if entry.get("statusListCredential") != status_list.get("id"):
        raise ValueError(f"the status list is {status_list.get('id')}, not the credential's "
                         f"{entry.get('statusListCredential')}")
    subject = status_list.get("credentialSubject")
    if (not isinstance(subject, dict) or subject.get("type") != "BitstringStatusList"
            or subject.get("statusPurpose") != "revocation"
            or entry.get("statusPurpose") != "revocation"):
        raise ValueError("it is not a revocation BitstringStatusList")
    index = int(entry["statusListIndex"])
    bits = decode_list(str(subject["encodedList"]))
    if not 0 <= index < len(bits) * 8:
        raise ValueError(f"the credential's index {index} is outside its status list")
    return bit(bits, index)
