"""API tokens: created by the CLI, known to the registry only by their SHA-256; listed, revoked
and expired by events. Bearer JWTs from the university's identity provider (OIDC) are checked
here too, when one is configured.

Authentication reads a token's events once, then confirms every cached token at most every
:data:`CACHE_SECONDS` per process, in one statement (has any of them new events?), so a
revocation recorded by any process (or the CLI) is refused everywhere within that time.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.utils import get_topic

from ..domain.access import ApiToken, Principal, Role
from ..domain.errors import InvalidInput, NotFound, Unauthenticated
from ..domain.materials import DisciplineMaterials
from ..domain.moocs import Mooc
from ..domain.teaching import DisciplineTeaching
from ..domain.text import check_code
from .learners import LearnerCommands
from .registry import Registry, Saved

CACHE_SECONDS = 0.5  # how stale a process's view of a token may be (revocation takes effect)
CACHE_ENTRIES = 4096
MIN_ID_PREFIX = 4

Doc = dict[str, Any]


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class OidcIdentity(Protocol):
    @property
    def subject(self) -> str: ...

    @property
    def role(self) -> Role: ...

    @property
    def learner_key(self) -> str | None: ...  # the learner claim (an IIN), for a learner


class OidcSignIn(Protocol):
    """Checks a bearer JWT; raises ``Unauthenticated`` (registry.oidc.OidcVerifier)."""

    @property
    def learner_claim(self) -> str: ...

    def looks_like_jwt(self, token: str) -> bool: ...

    def identify(self, token: str) -> OidcIdentity: ...


class _TokenCache:
    """Tokens by digest (``None``: a known unknown), each with the version it was read at.

    An entry is answered for ``seconds`` after it was read, or after the last time every
    entry was *confirmed* — one statement asking each cached token's newest version
    (``confirm``): entries whose token has new events since (a revocation, recorded by any
    process) or that now exist are dropped and read again. So a revocation is seen within
    ``seconds`` everywhere, and keeping many tokens current costs one statement per period,
    not one read of each token's history. Without ``confirm`` each entry is read again."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic,
                 confirm: Callable[[Sequence[UUID]], Mapping[UUID, int]] | None = None
                 ) -> None:
        self.seconds = seconds
        self.clock = clock
        self.confirm = confirm
        self._entries: dict[str, _Entry] = {}
        self._confirmed = float("-inf")  # when every entry then cached was last confirmed
        self._lock = threading.Lock()
        self._confirming = threading.Lock()  # one thread confirms, the others wait for it
        self.confirmations = 0

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _fresh(self, entry: _Entry | None, now: float) -> bool:
        return entry is not None and now - max(entry.read_at, self._confirmed) < self.seconds

    def peek(self, digest: str) -> tuple[ApiToken | None] | None:
        """The entry for ``digest`` if it is fresh (a 1-tuple: its token may be ``None``,
        a known unknown), else ``None`` — nothing is read."""
        with self._lock:
            entry = self._entries.get(digest)
        return (entry.token,) if entry is not None and self._fresh(entry, self.clock()) \
            else None

    def get(self, digest: str, load: Callable[[], ApiToken | None]) -> ApiToken | None:
        with self._lock:
            entry = self._entries.get(digest)
        if self._fresh(entry, self.clock()):
            assert entry is not None
            return entry.token
        if entry is not None and self.confirm is not None:
            self._confirm_all()
            with self._lock:
                entry = self._entries.get(digest)
            if self._fresh(entry, self.clock()):
                assert entry is not None
                return entry.token
        read_at = self.clock()
        token = load()
        with self._lock:
            if len(self._entries) >= CACHE_ENTRIES:
                self._entries.clear()
            self._entries[digest] = _Entry(read_at, token, token.version if token else 0,
                                           ApiToken.create_id(digest))
        return token

    def _confirm_all(self) -> None:
        assert self.confirm is not None
        with self._confirming:
            started = self.clock()
            if started - self._confirmed < self.seconds:
                return  # another thread has just confirmed them
            with self._lock:
                entries = dict(self._entries)
            versions = self.confirm([entry.id for entry in entries.values()])
            with self._lock:
                for digest, entry in entries.items():
                    if versions.get(entry.id, 0) != entry.version \
                            and self._entries.get(digest) is entry:
                        del self._entries[digest]
                self._confirmed = started  # what was not dropped was current at ``started``
                self.confirmations += 1


@dataclass(frozen=True, slots=True)
class _Entry:
    read_at: float
    token: ApiToken | None
    version: int  # the token's version when read (0: it had no events)
    id: UUID


class TokenCommands:
    def __init__(self, app: Registry, *, learners: LearnerCommands,
                 oidc: OidcSignIn | None = None, lifetime_days: int = 0) -> None:
        self.app = app
        self.learners = learners
        self.oidc = oidc  # the university's sign-in, when OIDC is configured
        self.lifetime_days = lifetime_days  # REGISTRY_TOKEN_LIFETIME_DAYS; 0: never expire
        self._cache = _TokenCache(CACHE_SECONDS, confirm=app.read_versions)

    # -- commands ------------------------------------------------------------------------

    def create(self, *, name: str, role: Role, learner_id: UUID | None,
               faculty: str | None = None, courses: list[str] | None = None,
               expires_on: date | None = None, never_expires: bool = False) -> Saved:
        """A new bearer token: returned once (as the value), stored only as its SHA-256.
        Without ``expires_on`` it expires after the configured lifetime (if any)."""
        if learner_id is not None:
            self.learners.get(learner_id)
        for code in courses or []:
            self.check_course_exists(code)
        today = self.app.today()
        if expires_on is None and not never_expires and self.lifetime_days > 0:
            expires_on = today + timedelta(days=self.lifetime_days)
        secret = "det_" + secrets.token_urlsafe(32)
        token = ApiToken.create(token_sha256=token_digest(secret), name=name, role=role,
                                learner_id=learner_id, faculty=faculty, courses=courses,
                                expires_on=expires_on, today=today)
        return self.app.commit(token, value=secret)

    def check_course_exists(self, code: str) -> None:
        """A teacher token teaches MOOCs and disciplines the registry knows (SPEC §4)."""
        code = check_code(code, "course")
        known = (Mooc.create_id(code), DisciplineMaterials.create_id(code),
                 DisciplineTeaching.create_id(code))
        if not any(self.app.exists(aggregate_id) for aggregate_id in known):
            raise NotFound(
                f"{code} is not in the registry: no MOOC or discipline has that code. Draft "
                "the MOOC, or record the discipline's teaching materials or teaching "
                "platform, first.", course=code)

    def revoke(self, ref: str) -> Saved:
        """Revoke the token ``ref`` names (its id or a unique prefix). The value: the token's
        id and whether it was already revoked (then nothing is recorded)."""
        token = self.find(ref)
        revoked_now = token.revoke(at=self.app.now())
        saved = self.app.commit(token if revoked_now else None, value=(token.id, not revoked_now))
        self._cache.clear()  # this process refuses it at once; others within the TTL
        return saved

    # -- queries -------------------------------------------------------------------------

    def ids(self) -> list[UUID]:
        """Every token's id, oldest first (the store's ``ApiToken.Created`` events)."""
        topic = get_topic(ApiToken.Created)
        ids: list[UUID] = []
        start: int | None = None
        while True:
            page = self.app.recorder.select_notifications(start=start, limit=500, topics=[topic],
                                                      inclusive_of_start=start is None)
            ids.extend(UUID(str(n.originator_id)) for n in page)
            if len(page) < 500:
                return ids
            start = page[-1].id

    def find(self, ref: str) -> ApiToken:
        """A token by its id, or by a prefix of it that only one token has."""
        wanted = ref.strip().lower()
        if len(wanted) < MIN_ID_PREFIX:
            raise InvalidInput(f"A token id (or at least {MIN_ID_PREFIX} of its first "
                               "characters) is needed; see 'registry token list'.")
        matches = [tid for tid in self.ids() if str(tid).startswith(wanted)]
        if not matches:
            raise NotFound(f"No token has the id {ref!r}; see 'registry token list'.")
        if len(matches) > 1:
            raise InvalidInput(f"{ref!r} is the start of {len(matches)} token ids "
                               f"({', '.join(str(m) for m in matches)}); give more of it.")
        token: ApiToken = self.app.load(ApiToken, matches[0], f"Token {ref}")
        return token

    def list_all(self) -> list[Doc]:
        """What an operator may know of each token: never its secret, nor the secret's hash."""
        docs = []
        for token_id in self.ids():
            events: list[Any] = list(self.app.events.get(token_id))
            token = self.app.load(ApiToken, token_id, f"Token {token_id}")
            meta = getattr(events[0], "meta", None) or {}
            docs.append({
                "id": str(token.id), "name": token.holder_name, "role": token.role.value,
                "learner": str(token.learner_id) if token.learner_id else None,
                "faculty": token.faculty, "courses": sorted(token.courses),
                "created": meta.get("recorded_at") or events[0].timestamp.isoformat(),
                "expires": token.expires_on.isoformat() if token.expires_on else None,
                "revoked": token.revoked_at.isoformat() if token.revoked_at else None,
            })
        return docs

    # -- authentication ------------------------------------------------------------------

    def authenticate(self, secret: str) -> Principal:
        """The caller a bearer token stands for; ``Unauthenticated`` saying why not."""
        if self.oidc is not None and self.oidc.looks_like_jwt(secret):
            return self._oidc_principal(secret)
        digest = token_digest(secret)
        return self._principal(self._cache.get(digest, lambda: self._load_token(digest)))

    def cached(self, secret: str) -> Principal | None:
        """:meth:`authenticate`'s answer from this process's token cache alone — no read, so
        no thread hop for the event loop (``None``: not cached; call ``authenticate``). The
        cache is as fresh as ``authenticate``'s own: a revocation is seen within
        :data:`CACHE_SECONDS`, at once in the process that recorded it."""
        if self.oidc is not None and self.oidc.looks_like_jwt(secret):
            return None  # a sign-in's signature and claims are checked each time
        hit = self._cache.peek(token_digest(secret))
        return None if hit is None else self._principal(hit[0])

    def _principal(self, token: ApiToken | None) -> Principal:
        if token is None:
            raise Unauthenticated(
                "This bearer token is not known to the registry: check that it was copied "
                "whole, or create one with 'registry token create'.", reason="unknown")
        token.check_usable(self.app.today())
        return token.principal

    def principal_for(self, secret: str) -> Principal | None:
        """The caller, or ``None`` for any token that is not usable."""
        try:
            return self.authenticate(secret)
        except Unauthenticated:
            return None

    def _load_token(self, digest: str) -> ApiToken | None:
        try:
            aggregate: Any = self.app.repository.get(ApiToken.create_id(digest))
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, ApiToken) else None

    def _oidc_principal(self, jwt: str) -> Principal:
        assert self.oidc is not None
        identity = self.oidc.identify(jwt)
        learner_id = None
        if identity.role is Role.LEARNER:
            learner_id = self.learners.by_iin(identity.learner_key or "")
            if learner_id is None:
                raise Unauthenticated(
                    f"No learner in the registry has the IIN in this sign-in's "
                    f"'{self.oidc.learner_claim}' claim: INET registers the learner (with "
                    "that IIN) first.", reason="unknown-learner")
        return Principal(name=f"oidc:{identity.subject}", role=identity.role,
                         learner_id=learner_id)
