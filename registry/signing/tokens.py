"""The certificate token: a compact JWS with a fixed, compact payload (SPEC §5).

Signing: **joserfc** (1.8). It implements RFC 9864's fully specified ``Ed25519`` algorithm
(``joserfc._rfc9864``) and registers it, but not among its "recommended" algorithms, so the
call passes ``algorithms=["Ed25519"]`` explicitly.

Verification takes the token apart itself: three base64url segments, a protected header of
exactly ``{"alg": "Ed25519", "kid": <str>}`` — we only ever issue that header, so anything
else (``crit``, ``b64``, ``jku``, ``x5u``…; ``none``, ``HS256`` with the public key as a secret,
the polymorphic ``EdDSA``) is refused rather than interpreted — then checks the
Ed25519 signature over ``header.payload`` (RFC 7515 §5.2) with **libsodium** (PyNaCl), whose
check costs 0.6 of OpenSSL's on these machines: the signature is the one cost of a
verification from memory that no cache may take away (``bench/README.md``). The payload must
be the canonical serialisation of valid claims, byte for byte, so a token has exactly one
encoding and offline verifiers can rely on the format. Interoperability both ways is proven
against verifiers and signers we did not write (jwcrypto, JS ``jose``: ``tests/js``).

Every failure surfaces as ``InvalidToken``: callers (``/api/verify``, ``verifyCertificate``)
map that one exception to ``INVALID`` and never see a library's exception types.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import json
import re
from dataclasses import dataclass
from typing import Any

import orjson
from joserfc import jws
from joserfc.jwk import OKPKey
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from .keys import SigningKey

__all__ = ["ALGORITHM", "CertificateClaims", "InvalidToken", "sign_certificate", "verify_token"]

#: RFC 9864 name of EdDSA over Ed25519; the only algorithm we issue or accept.
ALGORITHM = "Ed25519"
PAYLOAD_VERSION = 1
SIGNATURE_BYTES, PUBLIC_KEY_BYTES = 64, 32  # RFC 8032 §5.1

_B64URL_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PAYLOAD_KEYS = frozenset({"v", "n", "f", "t", "c", "d"})
#: Far more than any real certificate needs; bounds the work done on hostile input.
MAX_TOKEN_LENGTH = 8192


class InvalidToken(Exception):
    """The token is not a genuine certificate token; ``str(exc)`` says why, for people.
    ``kind``: ``malformed`` (not a token of this shape), ``signature`` (it does not verify)
    or ``unknown_key`` (it names no published key)."""

    def __init__(self, message: str, kind: str = "malformed") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class CertificateClaims:
    """What a certificate token asserts. The university is bound to the key, not repeated."""

    number: str
    full_name: str
    course_title: str
    credits: int
    issued_on: datetime.date

    def __post_init__(self) -> None:
        for name in ("number", "full_name", "course_title"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{name} must be a non-empty string")
        if type(self.credits) is not int or self.credits < 0:
            raise ValueError("credits must be a non-negative integer")
        if type(self.issued_on) is not datetime.date:
            raise ValueError("issued_on must be a datetime.date")

    def payload_bytes(self) -> bytes:
        """The JWS payload: fixed key order, UTF-8 without escapes or spaces (SPEC §5).

        Escaped Cyrillic would double the size of the QR code, hence no ``\\u`` escapes. The
        bytes are the standard library's ``json.dumps(…, ensure_ascii=False, separators=(",",
        ":"))``; orjson writes the same bytes for these fields (strings, a 64-bit integer —
        proven by a property test) several times faster, and the standard library writes what
        orjson refuses (credits beyond 64 bits).
        """
        fields = {
            "v": PAYLOAD_VERSION,
            "n": self.number,
            "f": self.full_name,
            "t": self.course_title,
            "c": self.credits,
            "d": self.issued_on.isoformat(),
        }
        try:
            return orjson.dumps(fields)
        except TypeError:  # an integer beyond 64 bits
            return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> CertificateClaims:
        """Claims from a decoded payload, refusing anything but a well-formed v1 payload."""
        if not isinstance(data, dict):
            raise InvalidToken("the token's payload is not a JSON object")
        if data.get("v") != PAYLOAD_VERSION or type(data.get("v")) is not int:
            raise InvalidToken(f"the token's payload version is not {PAYLOAD_VERSION}")
        if set(data) != _PAYLOAD_KEYS:
            raise InvalidToken(
                "the token's payload does not have exactly the fields v, n, f, t, c, d"
            )
        for field in ("n", "f", "t", "d"):
            if not isinstance(data[field], str):
                raise InvalidToken(f"the token's payload field {field!r} is not a string")
        if type(data["c"]) is not int:
            raise InvalidToken("the token's credits are not an integer")
        if not _ISO_DATE.fullmatch(data["d"]):
            raise InvalidToken("the token's issue date is not in YYYY-MM-DD form")
        try:
            issued_on = datetime.date.fromisoformat(data["d"])
            return cls(data["n"], data["f"], data["t"], data["c"], issued_on)
        except ValueError as exc:
            raise InvalidToken(f"the token's payload is invalid: {exc}") from None


def sign_certificate(key: SigningKey, claims: CertificateClaims) -> str:
    """A compact JWS over ``claims.payload_bytes()`` with header ``{"alg":"Ed25519","kid":…}``."""
    return jws.serialize_compact(
        {"alg": ALGORITHM, "kid": key.kid},
        claims.payload_bytes(),
        OKPKey.import_key(key.private_key),
        algorithms=[ALGORITHM],
    )


def verify_token(token: str, jwks: dict[str, Any]) -> tuple[CertificateClaims, str]:
    """Check ``token`` against the published key set; return its claims and ``kid``.

    Raises ``InvalidToken`` (and nothing else) for any token that is not a genuine,
    well-formed certificate token signed by a key in ``jwks``.
    """
    try:
        return _verify(token, jwks)
    except InvalidToken:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        # Library-level failures (a malformed key, a value libsodium refuses, …).
        raise InvalidToken(f"the token could not be verified: {exc}") from None


def _verify(token: str, jwks: dict[str, Any]) -> tuple[CertificateClaims, str]:
    if not isinstance(token, str):
        raise InvalidToken("the token is not a string")
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("the token is too long")
    segments = token.split(".")
    if len(segments) != 3:
        raise InvalidToken("the token is not a compact JWS (three dot-separated parts)")
    if not all(_B64URL_SEGMENT.fullmatch(segment) for segment in segments):
        raise InvalidToken("the token contains characters outside base64url")

    kid = _header_kid(segments[0])
    jwk = _find_jwk(jwks, kid)
    signature = _b64url_decode(segments[2])
    if len(signature) != SIGNATURE_BYTES:
        raise InvalidToken("the token's signature does not verify (not 64 bytes)", "signature")
    try:
        _public_key(jwk["kid"], jwk["x"]).verify(
            f"{segments[0]}.{segments[1]}".encode("ascii"), signature)
    except BadSignatureError:
        raise InvalidToken("the token's signature does not verify (bad signature)",
                           "signature") from None

    payload = _b64url_decode(segments[1])
    return _claims(payload), kid


@functools.lru_cache(maxsize=64)
def _header_kid(segment: str) -> str:
    """The ``kid`` of a header segment that is exactly ``{"alg": "Ed25519", "kid": …}``. A
    registry's tokens share a few header segments (one per signing key): each is checked
    once, not once per verification. A refused segment raises and is not kept."""
    header = _json_object(_b64url_decode(segment), "header")
    if header.get("alg") != ALGORITHM:
        raise InvalidToken(f"the token's algorithm is {header.get('alg')!r}, not {ALGORITHM!r}")
    kid = header.get("kid")
    if not isinstance(kid, str) or set(header) != {"alg", "kid"}:
        raise InvalidToken('the token\'s header is not exactly {"alg", "kid"}')
    return kid


def _claims(payload: bytes) -> CertificateClaims:
    """The claims of a signed payload in its one canonical form (SPEC §5). orjson reads it
    first (a tenth of the standard library's time); whatever that does not accept as
    canonical — a repeated field, a non-canonical spelling, anything malformed — is judged by
    the strict reader, which says why. Both readers agree on canonical text: it is plain JSON
    of strings and integers, and the bytes must equal what :meth:`CertificateClaims.
    payload_bytes` writes (``tests/unit/test_signing.py``)."""
    try:
        claims = CertificateClaims.from_payload(orjson.loads(payload))
        if claims.payload_bytes() == payload:
            return claims
    except (InvalidToken, orjson.JSONDecodeError):
        pass
    claims = CertificateClaims.from_payload(_json_object(payload, "payload"))
    if claims.payload_bytes() != payload:
        raise InvalidToken("the token's payload is not in the canonical form")
    return claims


@functools.lru_cache(maxsize=64)
def _public_key(kid: str, x: str) -> VerifyKey:
    """The public key, made once per key."""
    raw = _b64url_decode(x)
    if len(raw) != PUBLIC_KEY_BYTES:
        raise InvalidToken(f"key {kid!r} has no valid public key value")
    return VerifyKey(raw)


def _find_jwk(jwks: dict[str, Any], kid: str) -> dict[str, Any]:
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list):
        raise InvalidToken("no key set to verify the token against")
    for jwk in keys:
        if isinstance(jwk, dict) and jwk.get("kid") == kid:
            if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
                raise InvalidToken(f"key {kid!r} is not an Ed25519 key")
            if jwk.get("alg", ALGORITHM) != ALGORITHM or jwk.get("use", "sig") != "sig":
                raise InvalidToken(f"key {kid!r} is not published for {ALGORITHM} signatures")
            if not isinstance(jwk.get("x"), str) or not _B64URL_SEGMENT.fullmatch(jwk["x"]):
                raise InvalidToken(f"key {kid!r} has no valid public key value")
            # Only the public members: a set that leaked "d" must not turn into a signer here.
            return {name: jwk[name] for name in ("kty", "crv", "x", "kid")}
    raise InvalidToken(f"the token names an unknown key {kid!r}", "unknown_key")


def _b64url_decode(segment: str) -> bytes:
    """The bytes of a base64url segment without padding, in its one canonical spelling: a
    last character whose unused bits are not zero (Python's decoder ignores them) would let
    several spellings of one signature verify — a token has exactly one encoding."""
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise InvalidToken("the token is not valid base64url") from None
    if base64.urlsafe_b64encode(raw).rstrip(b"=") != segment.encode("ascii"):
        raise InvalidToken("the token is not in canonical base64url")
    return raw


def _json_object(data: bytes, part: str) -> dict[str, Any]:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            raise InvalidToken(f"the token's {part} repeats a field")
        return result

    try:
        value = json.loads(data.decode("utf-8"), object_pairs_hook=no_duplicates)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise InvalidToken(f"the token's {part} is not JSON") from None
    if not isinstance(value, dict):
        raise InvalidToken(f"the token's {part} is not a JSON object")
    return value
