"""Certificate-signing keys: identity (``kid``), storage and the published JWKS.

Why this module looks the way it does:

* The ``kid`` is derived from the key itself (RFC 7638 thumbprint, first 16 characters) so an
  offline verifier can tell which published key a token names without trusting anything else,
  and so two processes that load the same key always agree on its name (SPEC §5).
* Several API processes may start together on a fresh data directory. Each would otherwise
  generate its own key and sign certificates nobody else can verify. So the key file is created
  with :func:`registry.files.create_exclusive` ("first writer wins", atomically).
* The store keeps a ``kid -> key`` map and an "active" pointer, so that rotation (several key
  files, old keys kept for verification) can be added later without changing the callers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import stat
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ..files import create_exclusive

__all__ = ["KeyStore", "KeyStoreError", "SigningKey", "b64url", "key_id", "public_key_of"]

log = logging.getLogger(__name__)

#: File name of the (single, for now) certificate-signing key inside the key directory.
ACTIVE_KEY_FILE = "certificate-signing.pem"

#: Length of a ``kid``: 16 base64url characters = 96 bits of the thumbprint, plenty to tell
#: keys apart while keeping the JWS header (and so the QR code) short.
KID_LENGTH = 16


def b64url(data: bytes) -> str:
    """Base64url without padding, as JOSE uses everywhere (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _raw_public_bytes(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    """The first 16 characters of the RFC 7638 SHA-256 thumbprint of the key's public JWK.

    RFC 7638 §3.2: the required members only (``crv``, ``kty``, ``x`` for OKP), in
    lexicographic order, no whitespace.
    """
    canonical = json.dumps(
        {"crv": "Ed25519", "kty": "OKP", "x": b64url(_raw_public_bytes(public_key))},
        separators=(",", ":"),
        sort_keys=True,
    ).encode("ascii")
    return b64url(hashlib.sha256(canonical).digest())[:KID_LENGTH]


def public_key_of(jwk: Mapping[str, Any]) -> Ed25519PublicKey:
    """The Ed25519 key of a public JWK (``x``)."""
    x = str(jwk["x"])
    return Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)))


class KeyStoreError(Exception):
    """A key file exists but cannot be used (wrong type, unreadable, corrupt)."""


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key together with its ``kid``."""

    kid: str
    private_key: Ed25519PrivateKey

    @classmethod
    def from_private_key(cls, private_key: Ed25519PrivateKey) -> SigningKey:
        """Wrap a key, deriving its ``kid`` so the two can never disagree."""
        return cls(kid=key_id(private_key.public_key()), private_key=private_key)

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    @property
    def public_jwk(self) -> dict[str, Any]:
        """The public JWK as published at ``/.well-known/jwks.json``.

        ``alg`` is RFC 9864's fully specified ``Ed25519`` (not the polymorphic ``EdDSA``), so
        verifiers pin the curve from the key as well as from the token header.
        """
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64url(_raw_public_bytes(self.public_key)),
            "kid": self.kid,
            "alg": "Ed25519",
            "use": "sig",
        }

    def public_pem(self) -> bytes:
        """SubjectPublicKeyInfo PEM, for tools such as ``openssl pkeyutl``."""
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def private_pem(self, password: bytes | None = None) -> bytes:
        """PKCS#8 PEM, encrypted when a password is given."""
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )


class KeyStore:
    """The private halves of the certificate-signing keys, one PEM file each, in one directory.

    The first key has a fixed name, ``certificate-signing.pem``, so that processes starting
    together on a fresh data directory create exactly one (``ensure_key``); keys made by a
    rotation are named by their ``kid`` (``certificate-signing-<kid>.pem``). Which key is
    active, and when each one was, is recorded by the registry (``registry.domain.keys``), not
    here.
    """

    def __init__(self, directory: Path, *, password: bytes | None = None) -> None:
        self.directory = Path(directory)
        self._password = password
        self._lock = threading.Lock()
        self._keys: dict[str, SigningKey] = {}

    @property
    def first_key_path(self) -> Path:
        return self.directory / ACTIVE_KEY_FILE

    def ensure_key(self) -> SigningKey:
        """The first key, created if no process has yet. Safe to call from several threads
        and processes at once: all of them end up with the same key."""
        with self._lock:
            path = self.first_key_path
            try:
                key = self._load(path)
            except FileNotFoundError:
                key = self._create(path)
            self._keys[key.kid] = key
            return key

    def create_key(self) -> SigningKey:
        """A new key in its own file (for a rotation)."""
        key = SigningKey.from_private_key(Ed25519PrivateKey.generate())
        path = self.directory / f"{ACTIVE_KEY_FILE.removesuffix('.pem')}-{key.kid}.pem"
        if not create_exclusive(path, key.private_pem(self._password)):
            raise KeyStoreError(f"{path} exists already")
        with self._lock:
            self._keys[key.kid] = key
        log.info("created certificate-signing key %s at %s", key.kid, path)
        return key

    def get(self, kid: str) -> SigningKey:
        """The key named ``kid``; :class:`KeyStoreError` if no file here holds it."""
        key = self.find(kid)
        if key is None:
            raise KeyStoreError(f"no private key {kid} in {self.directory}: copy its file "
                                "from the host that made it")
        return key

    def find(self, kid: str) -> SigningKey | None:
        with self._lock:
            if kid not in self._keys:
                self._load_all()
            return self._keys.get(kid)

    def keys(self) -> list[SigningKey]:
        """Every key this directory holds."""
        with self._lock:
            self._load_all()
            return list(self._keys.values())

    def jwks(self) -> dict[str, Any]:
        """The public JWK Set of every key held here: ``{"keys": [public_jwk, ...]}``."""
        return {"keys": [key.public_jwk for key in self.keys()]}

    # -- internals -------------------------------------------------------------------------

    def _load_all(self) -> None:
        for path in sorted(self.directory.glob(f"{ACTIVE_KEY_FILE.removesuffix('.pem')}*.pem")):
            key = self._load(path)
            self._keys.setdefault(key.kid, key)

    def _load(self, path: Path) -> SigningKey:
        """Load a key file; ``FileNotFoundError`` when there is none yet."""
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            log.warning("key file %s has mode %04o; it should be 0600", path, mode)
        data = path.read_bytes()
        try:
            private_key = serialization.load_pem_private_key(data, password=self._password)
        except (ValueError, TypeError) as exc:
            raise KeyStoreError(f"cannot load signing key from {path}: {exc}") from exc
        if not isinstance(private_key, Ed25519PrivateKey):
            raise KeyStoreError(
                f"{path} holds a {type(private_key).__name__}, not an Ed25519 private key"
            )
        return SigningKey.from_private_key(private_key)

    def _create(self, path: Path) -> SigningKey:
        """Create the key file atomically; if another process wins the race, use its key."""
        key = SigningKey.from_private_key(Ed25519PrivateKey.generate())
        if not create_exclusive(path, key.private_pem(self._password)):
            log.info("another process created %s first; using its key", path)
            return self._load(path)
        log.info("created certificate-signing key %s at %s", key.kid, path)
        return key
