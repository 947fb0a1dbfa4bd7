"""What the API and CLI call: run a command (retrying optimistic-concurrency conflicts), wait
until the views have seen it, and answer from the views.

Everything here is synchronous: eventsourcing has no async API. The web layer calls these
methods through a thread pool, never on the event loop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, PersistenceError

from ..domain.access import Principal
from ..domain.certificates import (
    CertificateStatus,
    VerificationStatus,
    judge,
    normalize_number,
    standing,
)
from ..domain.errors import Conflict, NotFound, Unavailable
from ..domain.keys import KeyWindow
from ..domain.personal import ON_BEHALF_OF
from ..projections.runner import CatchUpRunner
from ..projections.view import RegistryView
from ..retry import full_jitter
from ..storage.errors import unavailable_reason
from .commands import Commands
from .context import CommandContext, command_context
from .registry import Registry, Saved

log = logging.getLogger(__name__)

Doc = dict[str, Any]

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
        view: RegistryView,
        runner: CatchUpRunner,
        *,
        check_signature: SignatureCheck,
    ) -> None:
        self.app = app
        self.commands = commands
        self.view = view
        self.runner = runner
        self._check_signature = check_signature
        self._lock = threading.Lock()
        self.write_problem: str | None = None  # why the last command could not be stored

    # -- commands ------------------------------------------------------------------------

    def run(self, ctx: CommandContext, command: Callable[[Commands], Saved]) -> Any:
        """Run ``command(commands)`` in ``ctx``; retry lost races, then answer CONFLICT; answer
        UNAVAILABLE when the store cannot take writes; wait for the views so the answer (and
        any later query) sees the write. Returns the command's value (the key of what it
        created or changed)."""
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
        try:
            self.runner.wait(saved.position)
        except RuntimeError as error:
            self._unavailable(error, "The change was stored; it shows once the views can "
                                     "be updated")
        return saved.value

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
        self.app.personal_store.scrub()
        return erased

    def seed(self) -> None:
        self.run(CommandContext("registry", "system"), lambda cmd: cmd.platforms.seed())

    # -- reads ---------------------------------------------------------------------------

    def get(self, table: str, key: str) -> Doc | None:
        doc = self.view.get(table, key)
        return self._standing([doc])[0] if doc is not None and table == "certificates" else doc

    def doc(self, table: str, key: str) -> Doc:
        """A document a command just wrote (the runner has waited for it)."""
        doc = self.get(table, key)
        if doc is None:  # pragma: no cover - only if the view lost the row
            raise NotFound(f"{table} {key} does not exist.")
        return doc

    def find(self, table: str, where: Mapping[str, Any] | None = None, **kw: Any) -> list[Doc]:
        docs = self.view.find(table, where, **kw)
        return self._standing(docs) if table == "certificates" else docs

    def _standing(self, docs: list[Doc]) -> list[Doc]:
        """Certificates with the status every answer shows (``domain.certificates.standing``:
        a compromised key revokes what it signed from the compromise date on)."""
        if not docs:
            return docs
        if len(docs) == 1:  # one certificate: its own key, not the whole key ring
            kid = docs[0].get("kid", "")
            key_doc = self.view.get("keys", kid) if kid else None
            keys = {kid: key_window(key_doc)} if key_doc else {}
        else:
            keys = self.key_windows()
        shown = []
        for doc in docs:
            status, reason = standing(CertificateStatus(doc["status"]),
                                      doc.get("revocationReason"), keys.get(doc.get("kid", "")),
                                      date.fromisoformat(doc["issuedOn"]))
            shown.append(doc if status.value == doc["status"] else
                         {**doc, "status": status.value, "revocationReason": reason})
        return shown

    def count(self, table: str, where: Mapping[str, Any] | None = None, **kw: Any) -> int:
        return self.view.count(table, where, **kw)

    def certificate(self, number: str) -> Doc | None:
        canonical = normalize_number(number)
        return self.get("certificates", canonical) if canonical else None

    def history(self, aggregate_id: UUID) -> list[Doc]:
        """Every event of one aggregate, oldest first, with who caused it and when (R11)."""
        return [history_entry(event) for event in self.app.events.get(aggregate_id)]

    def authenticate(self, secret: str) -> Principal:
        """The caller a bearer token stands for; ``Unauthenticated`` (unknown, expired,
        revoked, or a sign-in the identity provider's rules refuse) otherwise."""
        return self.commands.tokens.authenticate(secret)

    # -- keys and verification (public) ----------------------------------------------------

    def key_windows(self) -> dict[str, KeyWindow]:
        return {doc["kid"]: key_window(doc) for doc in self.view.find("keys", limit=10_000)}

    def jwks(self) -> Doc:
        """Every certificate key ever used, retired ones included, with its active window
        (dates in the registry's time zone, both ends inclusive) and any compromise date."""
        return {"keys": [window.published() for window in self.key_windows().values()]}

    def verify_token(self, token: str) -> Doc:
        try:
            number, kid, issued_on, full_name = self._check_signature(token, self.jwks())
        except ValueError as invalid:
            return self._verdict(VerificationStatus.INVALID, str(invalid), None, None)
        result = self._judge(number, kid, issued_on)
        issued = result["certificate"]
        if issued is not None and issued.get("token") and issued["token"] != token:
            return self._verdict(
                VerificationStatus.INVALID,
                "The token is well signed but is not the one this registry issued for this "
                "number: its key may have been misused.", None, None)
        if issued is not None and issued.get("holderErased"):
            # The registry forgot the holder; the name shown is the one the token carries.
            result["certificate"] = {**issued, "fullName": full_name}
        return result

    def verify_number(self, number: str) -> Doc:
        canonical = normalize_number(number)
        cert = self.view.get("certificates", canonical) if canonical else None
        if cert is None:
            return self._verdict(
                VerificationStatus.INVALID,
                "This registry has not issued a certificate with this number: check it against "
                "the printed certificate.", None, None)
        return self._judge(cert["number"], cert["kid"], date.fromisoformat(cert["issuedOn"]))

    def _judge(self, number: str, kid: str, issued_on: date) -> Doc:
        key_doc = self.view.get("keys", kid)
        cert = self.get("certificates", number)
        status, reason = judge(
            key=key_window(key_doc) if key_doc else None,
            issued_on=issued_on,
            status=CertificateStatus(cert["status"]) if cert else None,
            revocation_reason=cert.get("revocationReason") if cert else None,
            superseded_by=cert.get("supersededBy") if cert else None,
            holder_erased=bool(cert and cert.get("holderErased")),
        )
        return self._verdict(status, reason, cert, kid)

    @staticmethod
    def _verdict(status: VerificationStatus, reason: str | None, cert: Doc | None,
                 kid: str | None) -> Doc:
        shown = None if status is VerificationStatus.INVALID else cert
        return {"status": status.value, "certificate": shown, "reason": reason,
                "kid": kid if shown else None}


def key_window(doc: Doc) -> KeyWindow:
    def day(value: str | None) -> date | None:
        return date.fromisoformat(value) if value else None

    return KeyWindow(
        kid=doc["kid"], public_jwk=doc["jwk"], active_from=date.fromisoformat(doc["activeFrom"]),
        active_until=day(doc["activeUntil"]), compromised_since=day(doc["compromisedSince"]),
        compromise_reason=doc["compromiseReason"],
    )
