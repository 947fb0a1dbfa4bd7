"""OIDC sign-in (clause 3.5.4): bearer JWTs from the university's identity provider.

With ``REGISTRY_OIDC_ISSUER``, ``REGISTRY_OIDC_AUDIENCE`` and ``REGISTRY_OIDC_JWKS`` set, a
bearer token shaped like a JWT is checked here (JOSE: joserfc): signed with RS256, ES256 or
EdDSA only (never ``none`` or an HMAC), by a key of the provider's key set, for this issuer and
audience, within ``exp``/``nbf`` (±:data:`LEEWAY_SECONDS`). Its registry role is the first
value of the role claim that is a role name; a learner-role JWT names its learner by the
learner claim (an IIN). Every refusal is ``Unauthenticated`` with a message that says what to
fix.

The key set comes from a file (re-read when it changes) or an https URL (fetched with the
standard library, cached for :data:`JWKS_TTL_SECONDS`, fetched again early when a token names a
key it lacks — the provider rotated keys). Fetching happens in the caller's thread: the web
layer authenticates in the thread pool, never on the event loop.

Bad configuration (a missing or unreadable key-set file, a set with no usable key) raises
:class:`OidcConfigError` at start-up with a one-line message.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import logging
import os
import re
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from joserfc import jws
from joserfc.errors import InvalidKeyTypeError, JoseError
from joserfc.jwk import Key, import_key

from .config import Settings
from .domain.access import Role
from .domain.errors import Unauthenticated

log = logging.getLogger(__name__)

ALGORITHMS = ("RS256", "ES256", "EdDSA")
LEEWAY_SECONDS = 60
JWKS_TTL_SECONDS = 600.0  # an https key set is fetched again after this long …
JWKS_REFRESH_SECONDS = 30.0  # … or when a token names an unknown key, at most this often
FILE_CHECK_SECONDS = 2.0  # a key-set file is looked at (mtime) at most this often
MAX_TOKEN_BYTES = 16 * 1024
MAX_JWKS_BYTES = 1024 * 1024
FETCH_TIMEOUT_SECONDS = 5.0

_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
_ROLE_NAMES = frozenset(role.value for role in Role)



def _registry() -> jws.JWSRegistry:
    """joserfc's JWS registry limited to :data:`ALGORITHMS`. joserfc warns on each use of
    "EdDSA" (RFC 9864 supersedes it with "Ed25519"); identity providers still sign with
    "EdDSA", so ours is the same algorithm without the warning."""
    eddsa = copy.copy(jws.JWSRegistry.algorithms["EdDSA"])
    eddsa.security_warning = None

    class Registry(jws.JWSRegistry):
        algorithms = {**jws.JWSRegistry.algorithms, "EdDSA": eddsa}

    return Registry(algorithms=list(ALGORITHMS))


_JWS = _registry()


class OidcConfigError(ValueError):
    """``REGISTRY_OIDC_…: <value>: <what is expected>`` (one line, for start-up)."""


@dataclass(frozen=True)
class OidcIdentity:
    subject: str
    role: Role
    learner_key: str | None  # the learner claim's value, for a learner-role JWT


def _refuse(problem: str) -> Unauthenticated:
    return Unauthenticated(f"This sign-in token is refused: {problem}.", reason="oidc")


def _b64json(segment: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _refuse(f"its {what} is not base64url JSON") from None
    if not isinstance(value, dict):
        raise _refuse(f"its {what} is not a JSON object")
    return value


def _keys(data: Any, source: str) -> dict[str | None, Key]:
    """The usable verification keys of a JWKS document, by ``kid``."""
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise ValueError(f"{source} is not a JWKS document ({{\"keys\": [...]}})")
    keys: dict[str | None, Key] = {}
    for entry in data["keys"]:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        public = {k: v for k, v in entry.items() if k not in {"d", "p", "q", "dp", "dq", "qi"}}
        try:
            key = import_key(public)
        except (JoseError, ValueError, TypeError, KeyError) as error:
            log.warning("OIDC key set %s: key %r skipped: %s", source, entry.get("kid"), error)
            continue
        kid = entry.get("kid")
        keys[kid if isinstance(kid, str) else None] = key
    if not keys:
        raise ValueError(f"{source} has no usable signing key (RSA, EC P-256 or OKP)")
    return keys


class KeySetSource:
    """The provider's keys; ``keys(refresh=…)`` answers the current set."""

    def keys(self, *, refresh: bool = False) -> dict[str | None, Key]:
        raise NotImplementedError


class FileKeySet(KeySetSource):
    def __init__(self, path: Path, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self.clock = clock
        self._lock = threading.Lock()
        self._mtime, self._keys = self._read()  # at start-up: a bad file fails here
        self._checked = clock()

    def _read(self) -> tuple[float, dict[str | None, Key]]:
        try:
            mtime = os.stat(self.path).st_mtime
            data = json.loads(self.path.read_bytes()[:MAX_JWKS_BYTES])
        except OSError as error:
            raise OidcConfigError(f"REGISTRY_OIDC_JWKS: {self.path}: a readable JWKS file "
                                  f"({error.strerror or error})") from None
        except ValueError:
            raise OidcConfigError(f"REGISTRY_OIDC_JWKS: {self.path}: a JWKS file "
                                  "(it is not JSON)") from None
        try:
            return mtime, _keys(data, str(self.path))
        except ValueError as error:
            raise OidcConfigError(f"REGISTRY_OIDC_JWKS: {self.path}: {error}") from None

    def keys(self, *, refresh: bool = False) -> dict[str | None, Key]:
        now = self.clock()
        with self._lock:
            if now - self._checked >= FILE_CHECK_SECONDS or refresh:
                self._checked = now
                try:
                    if os.stat(self.path).st_mtime != self._mtime:
                        self._mtime, self._keys = self._read()
                except (OSError, OidcConfigError) as error:
                    log.warning("OIDC key set %s kept as it was: %s", self.path, error)
            return self._keys


class UrlKeySet(KeySetSource):
    def __init__(self, url: str, clock: Callable[[], float] = time.monotonic,
                 fetch: Callable[[str], bytes] | None = None) -> None:
        self.url = url
        self.clock = clock
        self._fetch = fetch or self._get
        self._lock = threading.Lock()
        self._keys: dict[str | None, Key] | None = None
        self._fetched = float("-inf")

    @staticmethod
    def _get(url: str) -> bytes:
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310
            body: bytes = response.read(MAX_JWKS_BYTES + 1)
        if len(body) > MAX_JWKS_BYTES:
            raise ValueError("the key set is larger than 1 MiB")
        return body

    def keys(self, *, refresh: bool = False) -> dict[str | None, Key]:
        with self._lock:
            age = self.clock() - self._fetched
            stale = self._keys is None or age >= JWKS_TTL_SECONDS
            if stale or (refresh and age >= JWKS_REFRESH_SECONDS):
                self._fetched = self.clock()
                try:
                    self._keys = _keys(json.loads(self._fetch(self.url)), self.url)
                except Exception as error:  # network, TLS, JSON: keep the set we had
                    log.warning("OIDC key set %s could not be fetched: %s", self.url, error)
                    if self._keys is None:
                        raise Unauthenticated(
                            "The identity provider's keys (REGISTRY_OIDC_JWKS) could not be "
                            "fetched, so no sign-in token can be checked now; try again "
                            "shortly.", reason="oidc") from None
            assert self._keys is not None
            return self._keys


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class OidcVerifier:
    issuer: str  # REGISTRY_OIDC_ISSUER
    audience: str  # REGISTRY_OIDC_AUDIENCE
    key_set: KeySetSource  # REGISTRY_OIDC_JWKS
    role_claim: str = "roles"  # REGISTRY_OIDC_ROLE_CLAIM
    learner_claim: str = "iin"  # REGISTRY_OIDC_LEARNER_CLAIM
    now: Callable[[], datetime] = _utcnow

    @staticmethod
    def looks_like_jwt(token: str) -> bool:
        return token.count(".") == 2 and token.startswith("ey")

    def identify(self, token: str) -> OidcIdentity:
        claims = self.verify(token)
        role = self._role(claims)
        learner_key = self._learner_key(claims) if role is Role.LEARNER else None
        return OidcIdentity(subject=claims["sub"], role=role, learner_key=learner_key)

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a well-signed, current JWT of this issuer for this audience."""
        if len(token) > MAX_TOKEN_BYTES:
            raise _refuse("it is longer than 16 KiB")
        segments = token.split(".")
        if len(segments) != 3 or not all(_SEGMENT.fullmatch(s) for s in segments[:2]) \
                or not _SEGMENT.fullmatch(segments[2] or "-"):
            raise _refuse("it is not a signed JWT (three base64url parts)")
        header = _b64json(segments[0], "header")
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise _refuse(f"it is signed with {alg!r}; only {', '.join(ALGORITHMS)} are "
                          "accepted (ask the identity provider's administrators)")
        if "crit" in header:
            raise _refuse("its header has critical extensions ('crit') the registry does "
                          "not implement")
        kid = header.get("kid")
        key = self._key(kid if isinstance(kid, str) else None)
        if key.alg is not None and key.alg != alg:
            raise _refuse(f"it is signed with {alg}, but the identity provider's key {kid!r} "
                          f"is for {key.alg}")
        try:
            jws.deserialize_compact(token, key, registry=_JWS)
        except InvalidKeyTypeError:
            raise _refuse(f"the identity provider's key {kid!r} is not a key for {alg}"
                          ) from None
        except JoseError:
            raise _refuse("its signature does not verify with the identity provider's key "
                          f"{kid!r}") from None
        claims = _b64json(segments[1], "payload")  # the payload just verified
        self._check_claims(claims)
        return claims

    def _key(self, kid: str | None) -> Key:
        keys = self.key_set.keys()
        if kid is None:
            if len(keys) == 1:
                return next(iter(keys.values()))
            raise _refuse("its header names no key ('kid') and the identity provider has "
                          f"{len(keys)} keys")
        if kid not in keys:
            keys = self.key_set.keys(refresh=True)  # the provider may have rotated its keys
        if kid not in keys:
            raise _refuse(f"it is signed with key {kid!r}, which is not in the identity "
                          "provider's key set (REGISTRY_OIDC_JWKS)")
        return keys[kid]

    def _check_claims(self, claims: dict[str, Any]) -> None:
        if claims.get("iss") != self.issuer:
            raise _refuse(f"it was issued by {claims.get('iss')!r}, not by "
                          f"{self.issuer!r} (REGISTRY_OIDC_ISSUER)")
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.audience not in audiences:
            raise _refuse(f"it is meant for {audience!r}, not for {self.audience!r} "
                          "(REGISTRY_OIDC_AUDIENCE)")
        now = self.now().timestamp()
        exp: Any = claims.get("exp")
        nbf: Any = claims.get("nbf")
        if not _is_number(exp):
            raise _refuse("it has no expiry time ('exp')")
        if now > exp + LEEWAY_SECONDS:
            raise _refuse(f"it expired at {_iso(exp)}: sign in again")
        if nbf is not None and not _is_number(nbf):
            raise _refuse("its 'nbf' claim is not a time")
        if nbf is not None and now + LEEWAY_SECONDS < nbf:
            raise _refuse(f"it is not valid before {_iso(nbf)} (check the clocks)")
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject.strip() or len(subject) > 255:
            raise _refuse("it names no subject ('sub')")

    def _role(self, claims: dict[str, Any]) -> Role:
        value = claims.get(self.role_claim)
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, str) and item in _ROLE_NAMES:
                return Role(item)
        names = ", ".join(role.value for role in Role)
        if value is None:
            raise _refuse(f"it has no {self.role_claim!r} claim (REGISTRY_OIDC_ROLE_CLAIM), "
                          f"so it carries no registry role ({names})")
        raise _refuse(f"its {self.role_claim!r} claim names no registry role ({names})")

    def _learner_key(self, claims: dict[str, Any]) -> str:
        value = claims.get(self.learner_claim)
        if not isinstance(value, str) or not value.strip():
            raise _refuse(f"a learner's sign-in needs the {self.learner_claim!r} claim "
                          "(REGISTRY_OIDC_LEARNER_CLAIM) to tell which learner it is")
        return value.strip()


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _iso(value: Any) -> str:
    if not _is_number(value):
        return repr(value)
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def from_settings(settings: Settings, now: Callable[[], datetime] | None = None
                  ) -> OidcVerifier | None:
    """The verifier the settings describe; ``None`` without OIDC. ``OidcConfigError`` when
    the key set cannot be used (checked now, so a bad file stops the start)."""
    if not (settings.oidc_issuer and settings.oidc_audience and settings.oidc_jwks):
        return None
    source = settings.oidc_jwks
    keys: KeySetSource
    if source.startswith("https://"):
        keys = UrlKeySet(source)
    else:
        keys = FileKeySet(Path(source).expanduser())
    return OidcVerifier(issuer=settings.oidc_issuer, audience=settings.oidc_audience,
                        key_set=keys, role_claim=settings.oidc_role_claim,
                        learner_claim=settings.oidc_learner_claim, now=now or _utcnow)
