"""The transparency log: its projection (stored events → leaves), its reads (checkpoints,
proofs, entries) and its signer, which refuses to sign what it cannot re-derive.

* :class:`LogProjection` is driven by :class:`~registry.projections.runner.CatchUpRunner` in
  batch mode: it receives the *stored* notifications (never the domain events, which carry
  the personal data put back), and appends them to the view with their tracking record in one
  transaction. The leaf index is the view's own dense counter, not the notification id.
* :class:`TransparencyLog` answers the endpoints and signs checkpoints. Before signing size
  ``N`` after a checkpoint of size ``M`` it checks that the stored tree still has the signed
  root at ``M``; re-derives every new envelope from its stored event and rehashes it; checks
  that the stored nodes give the same root at ``N`` as the rehashed leaves; and re-derives a
  window of older leaves (all of them while the log is small), so an event changed behind the
  registry's back — an ``UPDATE`` in SQL — stops the log from signing anything further.
* :class:`Checkpointer` signs every ``every`` leaves or ``seconds`` seconds, in its own thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from cachetools import LRUCache

from ..application.mapper import PERSONAL_REF
from ..application.personal import PersonalRecord
from ..background import BackgroundLoop
from ..recent import Recent
from ..retry import Backoff
from ..storage.errors import unavailable_reason
from . import envelope, merkle
from .merkle import CompactRange
from .note import Checkpoint, NoteError, Signer, Verifier, read_checkpoint
from .view import AuditLogView, Leaf, StoredCheckpoint

log = logging.getLogger(__name__)

PAGE = 1000
ISSUANCE_LEAVES = 200_000  # certificates whose issuance leaf is kept in memory (~30 MB)
RECENT_SECONDS = 1.0  # how old the checkpoint a proof's link names may be
SWEEP_SECONDS = 5.0  # one window of old leaves re-derived at most this often


class LogInconsistent(RuntimeError):
    """The stored log or the event store no longer matches what the log has signed."""


class LogProjection:
    def __init__(self, app: Any, view: AuditLogView,
                 on_append: Callable[[int], None] | None = None) -> None:
        self.app = app
        self.view = view
        self.on_append = on_append

    def make_envelope(self, notification: Any, index: int, previous: bytes | None) -> bytes:
        state = envelope.stored_state(self.app.mapper, notification.state)
        return envelope.build(notification, state, index, previous)

    def process_notifications(self, notifications: Sequence[Any], after: int) -> None:
        size = self.view.append(notifications, after, self.make_envelope)
        if self.on_append is not None:
            self.on_append(size)


class TransparencyLog:
    def __init__(self, app: Any, view: AuditLogView, signer: Signer, *,
                 now: Callable[[], datetime], sweep: int = PAGE,
                 previous: Sequence[Verifier] = ()) -> None:
        self.app = app
        self.view = view
        self.signer = signer
        self.verifier = signer.verifier
        self.previous = tuple(previous)  # the verifier keys of the log's earlier names
        self.now = now
        self.sweep = sweep
        self.projection = LogProjection(app, view)
        self.problem: str | None = None
        self._lock = threading.Lock()
        self._sweep_from = 0
        self._issuance_leaves: LRUCache[str, int] = LRUCache(maxsize=ISSUANCE_LEAVES)
        self._recent = Recent(view.latest_checkpoint, RECENT_SECONDS)
        self._swept_at = float("-inf")

    @property
    def origin(self) -> str:
        return self.signer.name

    # -- reads -------------------------------------------------------------------------------

    def size(self) -> int:
        return self.view.size()

    def checkpoint(self) -> StoredCheckpoint:
        """The latest signed checkpoint (signing the first one if there is none yet)."""
        latest = self.view.latest_checkpoint()
        return latest if latest is not None else self.sign()

    def _require_size(self, size: int) -> None:
        current = self.size()
        if not 0 < size <= current:
            raise merkle.ProofError(f"the log has {current} entries; no tree of size {size}")

    def inclusion(self, index: int, size: int) -> tuple[bytes, list[bytes]]:
        """The leaf hash at ``index`` and its inclusion proof in the tree of ``size``."""
        self._require_size(size)
        if not 0 <= index < size:
            raise merkle.ProofError(f"leaf {index} is not in a tree of {size}")
        leaf = self.view.nodes([(0, index)])[(0, index)]
        return leaf, merkle.inclusion_proof(index, size, self.view.nodes)

    def consistency(self, old: int, new: int) -> list[bytes]:
        self._require_size(new)
        if not 0 < old <= new:
            raise merkle.ProofError(
                f"a consistency proof needs 0 < old ≤ new; got old={old}, new={new}")
        return merkle.consistency_proof(old, new, self.view.nodes)

    def root(self, size: int) -> bytes:
        return merkle.root(size, self.view.nodes)

    def entries(self, start: int, limit: int) -> list[Leaf]:
        return self.view.leaves(max(start, 0), max(min(limit, 10_000), 0))

    def iter_entries(self, start: int = 0) -> Iterator[list[Leaf]]:
        """Every entry from ``start``, a page at a time."""
        position = start
        while True:
            page = self.view.leaves(position, PAGE)
            if not page:
                return
            yield page
            position = page[-1].index + 1

    def personal_parts(self, leaves: Sequence[Leaf]) -> list[tuple[int, PersonalRecord | None]]:
        """The personal part and salt of each entry that has one; ``None`` where it was
        erased (the envelope still carries its commitment)."""
        events = self._events(leaves) if leaves else {}
        refs: dict[int, str] = {}
        for leaf in leaves:
            stored = events.get(leaf.notification_id)
            if stored is not None:
                ref = envelope.stored_state(self.app.mapper, stored.state).get(PERSONAL_REF)
                if ref:
                    refs[leaf.index] = ref
        records = self.app.personal_store.get_many(refs.values()) if refs else {}
        return [(index, records.get(ref)) for index, ref in refs.items()]

    def log_index(self, originator_id: UUID, version: int) -> int | None:
        return self.view.leaf_index(envelope.event_id(originator_id, version))

    def leaf_indexes(self, positions: Sequence[int]) -> dict[int, int]:
        """Notification id → leaf index of the events among ``positions`` already logged."""
        return self.view.leaf_indexes(positions) if positions else {}

    def certificate_log_index(self, number: str) -> int | None:
        """The leaf of a certificate's issuance (its aggregate's first event). A leaf's index
        never changes once logged, so found ones are kept (:meth:`known_certificate_index`)."""
        from ..domain.certificates import Certificate

        index = self.log_index(Certificate.create_id(number), 1)
        if index is not None:
            with self._lock:
                self._issuance_leaves[number] = index
        return index

    def known_certificate_index(self, number: str) -> int | None:
        """:meth:`certificate_log_index` from memory alone (``None``: not known here yet)."""
        return self._issuance_leaves.get(number)

    def recent_checkpoint(self) -> StoredCheckpoint | None:
        """The latest signed checkpoint as read at most :data:`RECENT_SECONDS` ago — for
        links to proofs, where a checkpoint a moment old is as good as the newest (its proofs
        stay valid for good); ``None`` while none is signed. Blocking when it reads."""
        return self._recent.get()

    def recent_checkpoint_in_memory(self) -> tuple[StoredCheckpoint | None] | None:
        """:meth:`recent_checkpoint` without a read: a 1-tuple of it, or ``None`` if it is
        not fresh in memory."""
        return self._recent.in_memory()

    # -- signing -------------------------------------------------------------------------------

    def sign(self) -> StoredCheckpoint:
        """Sign a checkpoint of everything logged so far, after checking it (see the module
        docstring). Returns the latest checkpoint; raises :class:`LogInconsistent`."""
        with self._lock:
            try:
                return self._sign()
            except LogInconsistent as problem:
                self.problem = str(problem)
                log.error("transparency log: refusing to sign: %s", problem)
                raise

    def _sign(self) -> StoredCheckpoint:
        size = self.view.size()
        latest = self.view.latest_checkpoint()
        old, old_root = 0, merkle.EMPTY_ROOT
        if latest is not None:
            try:
                signed = read_checkpoint(latest.note, self.verifier_of(latest.note))
            except NoteError as error:
                raise LogInconsistent(f"the latest checkpoint does not verify: {error}") from None
            if (signed.size, signed.root) != (latest.size, latest.root):
                raise LogInconsistent("the latest checkpoint's row differs from its note")
            old, old_root = signed.size, signed.root
            if size < old:
                raise LogInconsistent(f"the log has {size} entries but signed {old}")
            if size == old:
                return latest
        compact = self._compact(old)
        if compact.root() != old_root:
            raise LogInconsistent(f"the stored tree no longer has the signed root at size {old}")
        self._verify(old, size, compact)
        if compact.root() != self.root(size):
            raise LogInconsistent(f"the stored Merkle nodes disagree with the leaves at {size}")
        self._sweep_old(old)
        checkpoint = Checkpoint(self.origin, size, compact.root())
        stored = StoredCheckpoint(size, checkpoint.root, self.signer.sign(checkpoint.body()),
                                  self.now().isoformat())
        self.problem = None
        if not self.view.add_checkpoint(stored):  # another process signed this size first
            latest = self.view.latest_checkpoint()
            assert latest is not None
            return latest
        return stored

    def verifier_of(self, note: str) -> Verifier:
        """The key a checkpoint note was signed with: this name's, or an earlier name's
        (a checkpoint signed before ``registry audit rename`` stays valid under it)."""
        origin = note.split("\n", 1)[0]
        return next((v for v in self.previous if v.name == origin and origin != self.origin),
                    self.verifier)

    def _compact(self, size: int) -> CompactRange:
        edge = merkle.frontier(size)
        found = self.view.nodes(edge)
        try:
            return CompactRange(size, [found[n] for n in edge])
        except KeyError:
            raise LogInconsistent(f"the stored tree lacks nodes of size {size}") from None

    def _sweep_old(self, signed: int) -> None:
        """Re-derive a window of already signed leaves (round robin over restarts) — at most
        one window each :data:`SWEEP_SECONDS`, so a busy log (a signing every few writes)
        does not re-derive thousands of old leaves a second on the write path's database;
        every signing while a problem stands, so a refusal is kept until it is put right."""
        if signed == 0 or self.sweep <= 0:
            return
        now = time.monotonic()
        if self.problem is None and now - self._swept_at < SWEEP_SECONDS:
            return
        self._swept_at = now
        start = self._sweep_from if self._sweep_from < signed else 0
        end = min(start + self.sweep, signed)
        self._verify(start, end, None)
        self._sweep_from = end if end < signed else 0

    def _verify(self, start: int, end: int, compact: CompactRange | None) -> None:
        """Each leaf in ``[start, end)``: its stored event re-derives to exactly its envelope,
        its envelope hashes to its stored leaf hash, its ``previous`` is the leaf before."""
        previous = self.view.nodes([(0, start - 1)]).get((0, start - 1)) if start else None
        position = start
        while position < end:
            leaves = self.view.leaves(position, min(PAGE, end - position))
            if not leaves or leaves[0].index != position:
                raise LogInconsistent(f"leaf {position} is missing")
            hashes = self.view.nodes((0, leaf.index) for leaf in leaves)
            events = self._events(leaves)
            for leaf in leaves:
                if leaf.index != position:
                    raise LogInconsistent(f"leaf {position} is missing")
                stored = events.get(leaf.notification_id)
                if stored is None:
                    raise LogInconsistent(
                        f"leaf {position}: its event (notification {leaf.notification_id}) "
                        "is gone from the event store")
                try:
                    rebuilt = self.projection.make_envelope(stored, position, previous)
                except Exception as error:
                    raise LogInconsistent(f"leaf {position}: its event no longer decodes: "
                                          f"{error}") from None
                if rebuilt != leaf.envelope:
                    raise LogInconsistent(f"leaf {position}: the stored event no longer "
                                          "matches its envelope")
                hashed = merkle.leaf_hash(leaf.envelope)
                if hashes.get((0, position)) != hashed:
                    raise LogInconsistent(f"leaf {position}: the stored leaf hash is wrong")
                if compact is not None:
                    compact.push(hashed)
                previous = hashed
                position += 1

    def _events(self, leaves: Sequence[Leaf]) -> dict[int, Any]:
        """The stored events of ``leaves`` — and a refusal if any other event appeared among
        them (every event gets a leaf, in order)."""
        first, last = leaves[0].notification_id, leaves[-1].notification_id
        notifications = self.app.recorder.select_notifications(
            start=first, limit=len(leaves) + 1, stop=last)
        found = {n.id: n for n in notifications}
        if len(found) > len(leaves):
            extra = sorted(set(found) - {leaf.notification_id for leaf in leaves})
            raise LogInconsistent(f"event {extra[0]} appeared among logged events")
        return found


class Checkpointer(BackgroundLoop):
    """Signs a checkpoint once ``every`` new leaves are logged, or ``seconds`` after the
    last one while any leaf is unsigned; every checkpoint is kept."""

    thread_name = "registry-checkpoints"

    def __init__(self, log: TransparencyLog, *, every: int = 10, seconds: float = 5.0) -> None:
        super().__init__()
        self.log = log
        self.every = max(1, every)
        self.seconds = max(0.05, seconds)
        self._signed_size: int | None = None
        self._last_signed = float("-inf")
        self.backoff = Backoff("transparency log checkpoints", logging.getLogger(__name__),
                               base=self.seconds, cap=max(60.0, self.seconds))

    def prompt(self, size: int | None = None) -> None:
        signed = self._signed_size
        if size is None or signed is None or size - signed >= self.every:
            self._wake.set()

    def tick(self) -> StoredCheckpoint | None:
        """Sign if due; returns the checkpoint signed, if any."""
        size = self.log.size()
        latest = self.log.view.latest_checkpoint()
        signed = latest.size if latest is not None else 0
        self._signed_size = signed
        due = size > signed and (
            size - signed >= self.every
            or time.monotonic() - self._last_signed >= self.seconds
        )
        if not due:
            return None
        checkpoint = self.log.sign()
        self._signed_size = checkpoint.size
        self._last_signed = time.monotonic()
        return checkpoint

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.tick()
            except LogInconsistent:
                pass  # logged by sign(); the last good checkpoint stays the latest
            except Exception as error:  # the store failing: back off, warn once per state
                pause = self.backoff.failed(error, reason=unavailable_reason(error))
                self._wake.wait(pause)
                self._wake.clear()
                continue
            else:
                self.backoff.succeeded()
            wait = self.seconds - (time.monotonic() - self._last_signed)
            self._wake.wait(min(max(wait, 0.05), self.seconds))
            self._wake.clear()
