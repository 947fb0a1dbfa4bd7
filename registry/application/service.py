"""What the API and CLI call: run a command (retrying optimistic-concurrency conflicts), wait
until the views have seen it, and answer from the views.

Everything here is synchronous: eventsourcing has no async API. The web layer calls these
methods through a thread pool, never on the event loop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime
from enum import Enum
from functools import partial
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, PersistenceError

from ..domain.access import Principal
from ..domain.certificates import (
    CertificateStatus,
    VerificationStatus,
    judge,
    normalize_number,
    read_number,
    standing,
)
from ..domain.errors import Conflict, InvalidInput, NotFound, Unavailable
from ..domain.keys import KeyWindow
from ..domain.personal import ON_BEHALF_OF
from ..domain.revocations import Snapshot
from ..domain.verdicts import Reason, Unverifiable, token_reason
from ..projections.engine import Consistency, PositionBoard
from ..projections.projection import AggregateProjection
from ..projections.statistics import GLOBAL, counters, month_scope, mooc_scope
from ..projections.store import BadCursor, ProjectionStore, ViewNotReady
from ..retry import full_jitter
from ..storage.errors import unavailable_reason
from .commands import Commands
from .context import CommandContext, command_context
from .readcache import ReadCache
from .registry import Registry, Saved

if TYPE_CHECKING:
    from .timeline import AsOf, EventFilter, FeedPage, Timeline

log = logging.getLogger(__name__)

Doc = dict[str, Any]
# A token's checked signature: its number, key id, issue date and holder's name.
_Signed = tuple[str, str, date, str]

# Checks certificate tokens; implemented by registry.signing, injected by bootstrap.
# (token, JWKS) → (number, kid, issue date, full name) of a well-signed token; ValueError
# otherwise.
SignatureCheck = Callable[[str, Doc], tuple[str, str, date, str]]


_INTERNAL_KEYS = {"originator_id", "originator_version", "originator_topic", "timestamp", "meta",
                  "personal", "personal_ref", "personal_commitment"}


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def history_entry(event: Any) -> Doc:
    state = vars(event)
    meta = state.get("meta") or {}
    personal = state.get("personal")
    on_behalf_of = meta.get("on_behalf_of")  # events stored before it became personal
    if personal is not None and ON_BEHALF_OF in personal:
        personal = dict(personal)
        on_behalf_of = personal.pop(ON_BEHALF_OF)
        personal = personal or None
    return {
        "version": event.originator_version,
        "type": type(event).__name__,
        "recordedAt": meta.get("recorded_at") or event.timestamp.isoformat(),
        "actorName": meta.get("actor_name"),
        "actorRole": meta.get("actor_role"),
        "onBehalfOf": on_behalf_of,
        "correlationId": meta.get("correlation_id"),
        "causationId": meta.get("causation_id"),
        "data": _plain({k: v for k, v in state.items() if k not in _INTERNAL_KEYS}),
        "personal": personal,
    }


@contextmanager
def views_ready() -> Iterator[None]:
    """A read of a projection that has never served yet answers UNAVAILABLE (SPEC §10)."""
    try:
        yield
    except ViewNotReady as not_ready:
        raise Unavailable(f"The registry is still building its views ({not_ready}); "
                          "try again in a moment.", reason=str(not_ready)) from None


class _NotCached(LookupError):
    """A row a verdict from memory needs is not in the read cache."""


class RegistryService:
    # A lost optimistic-concurrency race is retried after a pause with full jitter, growing
    # from CONFLICT_BASE to CONFLICT_CAP: 16 attempts wait about 2.5 s in all on average (5 s
    # at most), enough for a burst of 20 writers on one record to get through one after
    # another; CONFLICT_BUDGET bounds the whole when the commands themselves are slow.
    CONFLICT_ATTEMPTS = 16
    CONFLICT_BASE = 0.01
    CONFLICT_CAP = 0.4
    CONFLICT_BUDGET = 6.0

    def __init__(
        self,
        app: Registry,
        commands: Commands,
        views: ProjectionStore,
        board: PositionBoard,
        *,
        check_signature: SignatureCheck,
        prompt: Callable[[], None] | None = None,
        wait_seconds: float = 5.0,
        timeline: Timeline | None = None,
    ) -> None:
        self.app = app
        self.commands = commands
        self.views = views
        self.board = board
        self.read_cache = ReadCache(board)
        self.prompt = prompt or (lambda: None)
        self.wait_seconds = wait_seconds
        self._check_signature = check_signature
        self._timeline = timeline
        self._lock = threading.Lock()
        self.write_problem: str | None = None  # why the last command could not be stored

    # -- commands ------------------------------------------------------------------------

    def execute(self, ctx: CommandContext, command: Callable[[Commands], Saved]) -> Saved:
        """Store ``command(commands)``'s events in ``ctx``: lost races are retried, then
        answered CONFLICT; a store that cannot take writes answers UNAVAILABLE. Does not wait
        for the views (the caller does, without holding a thread: ``board.wait_async``)."""
        deadline = time.monotonic() + self.CONFLICT_BUDGET
        saved: Saved | None = None
        for attempt in range(1, self.CONFLICT_ATTEMPTS + 1):
            try:
                with command_context(ctx):
                    saved = command(self.commands)
                break
            except IntegrityError:
                pause = full_jitter(attempt, base=self.CONFLICT_BASE, cap=self.CONFLICT_CAP)
                if attempt == self.CONFLICT_ATTEMPTS or time.monotonic() + pause > deadline:
                    break
                log.info("concurrent write (attempt %d); retrying in %.0f ms", attempt,
                         pause * 1000)
                time.sleep(pause)  # let the winner finish
            except PersistenceError as error:
                self._unavailable(error, "Nothing was changed")
        if saved is None:
            raise Conflict(
                "Someone else changed the same record at the same moment; "
                "read it again and retry."
            )
        self._wrote()
        self.prompt()
        return saved

    def run(self, ctx: CommandContext, command: Callable[[Commands], Saved]) -> Any:
        """``execute``, then wait (bounded) until the views show the write, so the answer and
        any later query see it (SPEC §2). Returns the command's value (the key of what it
        created or changed); ``last_consistency`` says whether the views caught up."""
        saved = self.execute(ctx, command)
        self.last_consistency = self.wait_for(saved.position)
        return saved.value

    def wait_for(self, position: int) -> Consistency:
        return self.board.wait(position, self.wait_seconds)

    last_consistency: Consistency | None = None

    def _unavailable(self, error: BaseException, outcome: str) -> None:
        """Raise UNAVAILABLE for a store that cannot take writes now; anything else is a
        bug and goes on as it is."""
        reason = unavailable_reason(error)
        if reason is None:
            raise error
        with self._lock:
            if self.write_problem != reason:
                log.warning("the store cannot take writes: %s", reason)
            self.write_problem = reason
        raise Unavailable(f"The registry cannot store changes now: {reason}. {outcome}; "
                          "try again later.", reason=reason) from error

    def _wrote(self) -> None:
        with self._lock:
            if self.write_problem is not None:
                log.warning("the store takes writes again")
            self.write_problem = None

    def erase_personal_data(self, ctx: CommandContext, learner_id: UUID, reason: str) -> str:
        """Erase a learner's personal data (SPEC §10); once the views have forgotten it too,
        the back-end drops its leftover copies. Returns the learner id."""
        erased: str = self.run(ctx, lambda cmd: cmd.learners.erase_personal_data(
            learner_id=learner_id, reason=reason))
        self.views.compact_search()
        self.app.personal_store.scrub()
        return erased

    def seed(self) -> None:
        self.run(CommandContext("registry", "system"), lambda cmd: cmd.platforms.seed())

    # -- reads ---------------------------------------------------------------------------

    def get(self, table: str, key: str) -> Doc | None:
        return self.get_many(table, [key]).get(key)

    def get_many(self, table: str, keys: Sequence[str]) -> dict[str, Doc]:
        """``get`` for several keys in one read (``WHERE key IN …``): those the view has
        (kept in the read cache while their views do not move)."""
        stamp = self.read_cache.stamp(self._read_from(table))
        with views_ready():
            found = (self.views.get_many(table, keys) if len(keys) != 1 else
                     {keys[0]: doc} if (doc := self.views.get(table, keys[0])) else {})
        if table == "certificates" and found:
            found = dict(zip(found, self._standing(list(found.values())), strict=True))
        self.read_cache.put(table, found, stamp)
        return found

    def cached(self, table: str, key: str) -> Doc | None:
        """Row ``key`` of ``table`` from the read cache, if its views have not moved since
        it was read (``None``: read it) — answered without a thread hop."""
        return self.read_cache.get(table, key, self._read_from(table))

    def _read_from(self, table: str) -> tuple[str, ...]:
        """The views a row of ``table`` is made of (a certificate's status: the keys too)."""
        name = self.views.by_table[table][0].name
        return (name, "keys") if table == "certificates" else (name,)

    def doc(self, table: str, key: str, *, fresh: bool = False) -> Doc:
        """A document a command just wrote. From the view once it has caught up; with
        ``fresh`` (its view is behind) or when the view has no row yet, presented straight
        from the aggregate — the answer to a write shows the write, never a stale row."""
        doc = None if fresh else self.get(table, key)
        if doc is None:
            doc = self.present(table, key)
            if doc is not None and table == "certificates":
                doc = self._standing([doc])[0]
        if doc is None:
            raise NotFound(f"{table} {key} does not exist.")
        return doc

    def present(self, table: str, key: str) -> Doc | None:
        """``table``'s row ``key`` as its projection would write it now, from the aggregate."""
        projection, _ = self.views.by_table[table]
        if not isinstance(projection, AggregateProjection):
            return None
        locate = type(projection).locate.get(table)
        aggregate_id = locate(key) if locate else None
        if aggregate_id is None or not self.app.repository.__contains__(aggregate_id):
            return None
        aggregate: Any = self.app.repository.get(aggregate_id)
        for row in projection.present(aggregate):
            if row.table == table and row.key == key:
                return dict(row.doc)
        return None

    def learner_id_by_iin(self, iin: str) -> str | None:
        found = self.commands.learners.by_iin(iin.strip())
        return None if found is None else str(found)

    def learner_ids_by_iin(self, iins: Sequence[str]) -> dict[str, str]:
        """IIN → learner id for the registered ones among ``iins`` (their claims read
        together)."""
        return {iin: str(i) for iin, i in self.commands.learners.by_iins(iins).items()}

    def learner_ids_by_email(self, emails: Sequence[str]) -> dict[str, str]:
        """E-mail → learner id for the registered ones among ``emails``, as registered
        (the learners view, 500 at a time)."""
        wanted = sorted(set(emails))
        found: dict[str, str] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            for doc in self.find("learners", {"email": chunk}, limit=2 * len(chunk)):
                found.setdefault(doc["email"], doc["id"])
        return found

    def projection_of(self, table: str) -> str:
        return self.views.by_table[table][0].name

    def find(self, table: str, where: Mapping[str, Any] | None = None, **kw: Any) -> list[Doc]:
        with views_ready():
            docs = self.views.find(table, where, **kw)
        return self._standing(docs) if table == "certificates" else docs

    def together(self) -> AbstractContextManager[None]:
        """Reads of the views in the block share one connection (blocking: in the block's
        thread)."""
        return self.views.together()

    def page(self, table: str, where: Mapping[str, Any] | None = None, **kw: Any
             ) -> list[tuple[Doc, Any, str]]:
        """A keyset page (``ProjectionStore.page``), certificates with their standing."""
        with views_ready():
            try:
                found = self.views.page(table, where, **kw)
            except BadCursor:
                raise InvalidInput("That is not a cursor of this list.",
                                   field="after") from None
        if table != "certificates" or not found:
            return found
        shown = self._standing([doc for doc, _, _ in found])
        return [(doc, value, key) for doc, (_, value, key) in zip(shown, found, strict=True)]

    def _standing(self, docs: list[Doc]) -> list[Doc]:
        """Certificates with the status every answer shows (``domain.certificates.standing``:
        a compromised key revokes what it signed from the compromise date on)."""
        if not docs:
            return docs
        keys = self.current_key_windows()
        shown = []
        for doc in docs:
            status, reason = standing(CertificateStatus(doc["status"]),
                                      doc.get("revocationReason"), keys.get(doc.get("kid", "")),
                                      date.fromisoformat(doc["issuedOn"]))
            shown.append(doc if status.value == doc["status"] else
                         {**doc, "status": status.value, "revocationReason": reason})
        return shown

    def count(self, table: str, where: Mapping[str, Any] | None = None, **kw: Any) -> int:
        with views_ready():
            return self.views.count(table, where, **kw)

    def first_pages(self, table: str, by: str, values: Sequence[str],
                    where: Mapping[str, Any] | None = None, *, limit: int
                    ) -> dict[Any, list[tuple[Doc, Any, str]]]:
        """The first page of each of several lists (``ProjectionStore.first_pages``)."""
        with views_ready():
            return self.views.first_pages(table, by, values, where, limit=limit)

    def count_by(self, table: str, by: str, values: Sequence[str],
                 where: Mapping[str, Any] | None = None) -> dict[Any, int]:
        with views_ready():
            return self.views.count_by(table, by, values, where)

    # -- dashboards (SPEC §9), kept by the statistics projection ---------------------------

    def _counters(self, scope: str) -> dict[str, int]:
        return counters(self.views.find("stat_counts", {"scope": scope}, limit=10_000))

    def statistics(self, months: tuple[str, str] | None = None) -> Doc:
        """Registry-wide counts; ``months`` (``YYYY-MM``, inclusive) limits the issuances
        per month."""
        found = self._counters(GLOBAL)
        by_month = []
        rows = self.views.find("stat_counts", {"metric": "certificates.issued"},
                               order_by="scope", limit=10_000)
        for row in rows:
            scope = row["scope"]
            if not scope.startswith(month_scope("")) or not row["value"]:
                continue
            month = scope.removeprefix(month_scope(""))
            if months is None or months[0] <= month <= months[1]:
                by_month.append({"month": month, "count": int(row["value"])})
        return {
            "moocsByStatus": {k.removeprefix("moocs."): v for k, v in found.items()
                              if k.startswith("moocs.") and v},
            "learners": found.get("learners", 0),
            "activeCertificates": (found.get("certificates.active", 0)
                                   - self._compromised_active(None).get(None, 0)),
            "certificatesIssued": found.get("certificates.issued", 0),
            "certificatesIssuedByMonth": by_month,
            "packagesAwaitingInet": found.get("packages.SUBMITTED", 0),
            "disciplinesWithIncompleteMaterials": found.get("disciplines.incomplete", 0),
        }

    def mooc_statistics(self, code: str) -> Doc:
        """One course's counts and rates (SPEC §9: each rate null when its divisor is 0)."""
        return self.moocs_statistics([code])[code]

    def moocs_statistics(self, codes: Sequence[str]) -> dict[str, Doc]:
        """``mooc_statistics`` of several courses in one read."""
        scopes = {mooc_scope(code): code for code in codes}
        rows = self.views.find("stat_counts", {"scope": sorted(scopes)},
                               limit=10_000 * max(len(scopes), 1)) if scopes else []
        by_scope: dict[str, list[Doc]] = {scope: [] for scope in scopes}
        for row in rows:
            by_scope[row["scope"]].append(row)
        lapsed = self._compromised_active(list(codes))
        return {scopes[scope]: course_figures(counters(found), lapsed.get(scopes[scope], 0))
                for scope, found in by_scope.items()}

    def _compromised_active(self, codes: list[str] | None) -> dict[str | None, int]:
        """Certificates the statistics count as active whose key was compromised by their
        issue date — every answer shows them REVOKED (``domain.certificates.standing``), so
        the dashboards must not count them: per MOOC of ``codes``, or in all (key ``None``).
        A compromise is an event of the key, not of each certificate, so the statistics
        projection cannot see it; these are counted at read time, one statement per
        compromised key (there are few, usually none)."""
        lapsed: dict[str | None, int] = {}
        for kid, window in self.current_key_windows().items():
            if window.compromised_since is None:
                continue
            where = {"kid": kid, "status": "ACTIVE"}
            ranges = {"issued_on": (window.compromised_since.isoformat(), None)}
            if codes is None:
                lapsed[None] = lapsed.get(None, 0) + self.views.count(
                    "certificates", where, ranges=ranges)
                continue
            for code, amount in self.views.count_by("certificates", "mooc_code", codes, where,
                                                    ranges=ranges).items():
                lapsed[code] = lapsed.get(code, 0) + amount
        return lapsed

    def certificate(self, number: str) -> Doc | None:
        canonical = normalize_number(number)
        return self.get("certificates", canonical) if canonical else None

    def history(self, aggregate_id: UUID) -> list[Doc]:
        """Every event of one aggregate, oldest first, with who caused it and when (R11)."""
        return [history_entry(event) for event in self.app.events.get(aggregate_id)]

    def histories(self, aggregate_ids: Sequence[UUID]) -> dict[UUID, list[Doc]]:
        """``history`` of several aggregates: one read of their stored events, one of their
        personal parts."""
        if self._timeline is None:
            return {i: self.history(i) for i in aggregate_ids}
        stored = self._timeline.positions.stored_events(aggregate_ids)
        flat = [event for events in stored.values() for event in events]
        mapper: Any = self.app.mapper
        decoded = iter(mapper.to_domain_events(flat) if hasattr(mapper, "to_domain_events")
                       else map(mapper.to_domain_event, flat))
        return {i: [history_entry(next(decoded)) for _ in events]
                for i, events in stored.items()}

    # -- the event store as it is (SPEC §9: the feed and time travel) -------------------------

    @property
    def timeline(self) -> Timeline:
        if self._timeline is None:
            raise Unavailable("This registry was built without its timeline (the event feed "
                              "and asOf).", reason="no timeline")
        return self._timeline

    def events(self, where: EventFilter, after: int, limit: int) -> FeedPage:
        """Stored events after position ``after`` that ``where`` admits, in global order."""
        return self.timeline.feed(where, after, limit)

    def as_of(self, table: str, key: str, at: AsOf) -> Doc | None:
        """Row ``key`` of ``table`` as it stood at ``at``, rebuilt from the event store."""
        return self.timeline.present(table, key, at)

    def certificate_as_of(self, number: str, at: AsOf) -> Doc | None:
        canonical = normalize_number(number)
        return self.as_of("certificates", canonical, at) if canonical else None

    def authenticate(self, secret: str) -> Principal:
        """The caller a bearer token stands for; ``Unauthenticated`` (unknown, expired,
        revoked, or a sign-in the identity provider's rules refuse) otherwise."""
        return self.commands.tokens.authenticate(secret)

    def cached_principal(self, secret: str) -> Principal | None:
        """``authenticate`` from the token cache alone (``None``: not cached) — safe on the
        event loop, it reads nothing."""
        return self.commands.tokens.cached(secret)

    # -- keys and verification (public) ----------------------------------------------------

    def key_windows(self) -> dict[str, KeyWindow]:
        return {doc["kid"]: key_window(doc) for doc in self.views.find("keys", limit=10_000)}

    _key_cache: tuple[tuple[int, ...], dict[str, KeyWindow], Doc] | None = None

    def current_key_windows(self) -> dict[str, KeyWindow]:
        """The key ring's windows, read again only when the keys view has moved (stamped as
        the read cache stamps rows): a certificate's status needs its key's compromise date,
        and reading the key ring for every certificate shown doubled a verification's cost."""
        return self._key_ring()[0]

    def _key_ring(self) -> tuple[dict[str, KeyWindow], Doc]:
        """The windows and the JWKS made of them, kept while the keys view has not moved."""
        cached = self._cached_key_ring()
        if cached is not None:
            return cached
        stamp = self.read_cache.stamp(("keys",))
        windows = self.key_windows()
        jwks = {"keys": [window.published() for window in windows.values()]}
        if stamp is not None:
            self._key_cache = (stamp, windows, jwks)
        return windows, jwks

    def _cached_key_ring(self) -> tuple[dict[str, KeyWindow], Doc] | None:
        stamp = self.read_cache.stamp(("keys",))
        cached = self._key_cache
        if cached is not None and stamp is not None and cached[0] == stamp:
            return cached[1], cached[2]
        return None

    def jwks(self) -> Doc:
        """Every certificate key ever used, retired ones included, with its active window
        (dates in the registry's time zone, both ends inclusive) and any compromise date."""
        return {"keys": [window.published() for window in self.key_windows().values()]}

    def lapsed(self, windows: Mapping[str, KeyWindow] | None = None) -> list[Doc]:
        """Every certificate that is not active by ``standing`` — revoked, superseded by a
        reissue, or signed by a key compromised by its issue date — with that status."""
        windows = self.key_windows() if windows is None else windows
        lapsed = self.views.find("certificates", {"status": ["REVOKED", "SUPERSEDED"]},
                                 limit=10_000_000)
        for kid, window in windows.items():
            if window.compromised_since is None:
                continue
            for doc in self.views.find("certificates", {"kid": kid}, limit=10_000_000):
                status, reason = standing(CertificateStatus(doc["status"]),
                                          doc.get("revocationReason"), window,
                                          date.fromisoformat(doc["issuedOn"]))
                if doc["status"] == "ACTIVE" and status is not CertificateStatus.ACTIVE:
                    lapsed.append({**doc, "status": status.value, "revocationReason": reason})
        return lapsed

    def revoked_slots(self, status_list: int) -> list[int] | None:
        """The indices whose revocation bit is set in ``status_list`` (SPEC §11): every
        certificate ``lapsed``. ``None``: no such list yet."""
        if not self.views.find("status_slots", {"status_list": status_list}, limit=1):
            return None
        slots = self.views.get_many("status_slots", [doc["number"] for doc in self.lapsed()])
        return sorted({slot["index"] for slot in slots.values()
                       if slot["statusList"] == status_list})

    def revocations(self, issuer: str, made: datetime) -> Snapshot:
        """The revocation snapshot for offline verifiers (SPEC §11): every certificate
        ``lapsed``, by hashed id and signing key, and every key's compromise date."""
        windows = self.key_windows()
        return Snapshot.of(issuer, made, windows, [
            (doc["number"], doc["kid"], CertificateStatus(doc["status"]))
            for doc in self.lapsed(windows)])

    def verify_token(self, token: str) -> Doc:
        """The verdict on a certificate's QR token (blocking: it may read the views)."""
        windows, jwks = self._key_ring()
        return self._verify_token(token, windows, jwks, self._certificate)

    def verify_number(self, number: str) -> Doc:
        """The verdict on a certificate's number typed in by hand (blocking)."""
        return self._verify_number(number, self.current_key_windows(), self._certificate)

    def verification(self, token: str | None = None, number: str | None = None
                     ) -> tuple[Doc | None, Callable[[], Doc]]:
        """:meth:`verify_token`'s (or :meth:`verify_number`'s) verdict from this process's
        caches alone — no read, so no thread hop for the event loop — or ``None`` when a row
        it needs is not cached; and the blocking call that answers then: the rest of the same
        verification (a token whose signature was checked here is not checked again in the
        thread pool — an Ed25519 check, ≈ 55 µs, and the token's parse —, only the missing
        row is read, and the caches are filled). As fresh as the blocking answer: the key ring
        and every certificate row are kept only while the views they came from have not moved
        (:class:`ReadCache`), so a revocation or a key's compromise is answered at once."""
        if token is None:
            assert number is not None
            return self._number_from_memory(number), partial(self.verify_number, number)
        ring = self._cached_key_ring()
        if ring is None:
            return None, partial(self.verify_token, token)
        signed = self._signed(token, ring[1])
        if isinstance(signed, dict):  # refused: no row is needed
            return signed, partial(dict, signed)
        try:
            return self._signed_verdict(token, signed, ring[0], self._cached_certificate), \
                partial(self._verify_signed, token, signed)
        except _NotCached:
            return None, partial(self._verify_signed, token, signed)

    def _number_from_memory(self, number: str) -> Doc | None:
        ring = self._cached_key_ring()
        if ring is None:
            return None
        try:
            return self._verify_number(number, ring[0], self._cached_certificate)
        except _NotCached:
            return None

    def _verify_signed(self, token: str, signed: _Signed) -> Doc:
        """The verdict on a token whose signature is checked (blocking: it may read)."""
        windows, _ = self._key_ring()
        return self._signed_verdict(token, signed, windows, self._certificate)

    def _certificate(self, number: str) -> Doc | None:
        return self.get("certificates", number)

    def _cached_certificate(self, number: str) -> Doc | None:
        found = self.cached("certificates", number)
        if found is None:
            raise _NotCached(number)  # unknown numbers are not kept: they may be issued yet
        return found

    def _verify_token(self, token: str, windows: Mapping[str, KeyWindow], jwks: Doc,
                      certificate: Callable[[str], Doc | None]) -> Doc:
        signed = self._signed(token, jwks)
        if isinstance(signed, dict):
            return signed
        return self._signed_verdict(token, signed, windows, certificate)

    def _signed(self, token: str, jwks: Doc) -> _Signed | Doc:
        """What the token's checked signature asserts, or the INVALID verdict."""
        try:
            return self._check_signature(token, jwks)
        except ValueError as invalid:
            reason = invalid.reason if isinstance(invalid, Unverifiable) else token_reason(
                "malformed", str(invalid))
            return self._verdict(VerificationStatus.INVALID, reason, None, None)

    def _signed_verdict(self, token: str, signed: _Signed, windows: Mapping[str, KeyWindow],
                        certificate: Callable[[str], Doc | None]) -> Doc:
        number, kid, issued_on, full_name = signed
        result = self._judge(number, kid, issued_on, windows, certificate(number))
        issued = result["certificate"]
        if issued is not None and issued.get("token") and issued["token"] != token:
            return self._verdict(VerificationStatus.INVALID, Reason.of("TOKEN_MISUSED"), None,
                                 None)
        if issued is not None and issued.get("holderErased"):
            # The registry forgot the holder; the name shown is the one the token carries.
            result["certificate"] = {**issued, "fullName": full_name}
        return result

    def _verify_number(self, number: str, windows: Mapping[str, KeyWindow],
                       certificate: Callable[[str], Doc | None]) -> Doc:
        canonical, problem = read_number(number)
        if canonical is None:
            return self._verdict(VerificationStatus.INVALID, problem, None, None)
        cert = certificate(canonical)
        if cert is None:
            return self._verdict(VerificationStatus.INVALID, Reason.of("NUMBER_UNKNOWN"), None,
                                 None)
        return self._judge(cert["number"], cert["kid"], date.fromisoformat(cert["issuedOn"]),
                           windows, cert)

    def _judge(self, number: str, kid: str, issued_on: date, windows: Mapping[str, KeyWindow],
               cert: Doc | None) -> Doc:
        status, reason = judge(
            key=windows.get(kid),
            issued_on=issued_on,
            status=CertificateStatus(cert["status"]) if cert else None,
            revocation_reason=cert.get("revocationReason") if cert else None,
            superseded_by=cert.get("supersededBy") if cert else None,
            holder_erased=bool(cert and cert.get("holderErased")),
        )
        return self._verdict(status, reason, cert, kid)

    @staticmethod
    def _verdict(status: VerificationStatus, reason: Reason | None, cert: Doc | None,
                 kid: str | None) -> Doc:
        """``reason``: the English sentence; ``explanation``: the :class:`Reason` itself, to
        be worded in another language (``explanation.text("kk")``)."""
        shown = None if status is VerificationStatus.INVALID else cert
        return {"status": status.value, "certificate": shown,
                "reason": str(reason) if reason else None, "explanation": reason,
                "kid": kid if shown else None}


def course_figures(found: Mapping[str, int], compromised: int = 0) -> Doc:
    """One course's counters → its counts and rates (SPEC §9: each rate null when its divisor
    is 0); ``compromised``: its active certificates a compromised key revokes."""
    enrolled, admitted = found.get("enrolled", 0), found.get("admitted", 0)
    examined, passed = found.get("examined", 0), found.get("passed", 0)
    return {
        "enrolled": enrolled, "admitted": admitted, "examined": examined, "passed": passed,
        "activeCertificates": found.get("certificates.active", 0) - compromised,
        "admissionRate": admitted / enrolled if enrolled else None,
        "passRate": passed / examined if examined else None,
        "averageFinal": found.get("finalSum", 0) / examined if examined else None,
    }


def key_window(doc: Doc) -> KeyWindow:
    def day(value: str | None) -> date | None:
        return date.fromisoformat(value) if value else None

    return KeyWindow(
        kid=doc["kid"], public_jwk=doc["jwk"], active_from=date.fromisoformat(doc["activeFrom"]),
        active_until=day(doc["activeUntil"]), compromised_since=day(doc["compromisedSince"]),
        compromise_reason=doc["compromiseReason"],
    )
