"""Witnessed checkpoints, the log's side (issue 16, capability 1; c2sp.org/tlog-witness).

:class:`Witnessing` submits each newly signed checkpoint to every configured witness, in the
background: its own thread looks for a new checkpoint every ``poll`` seconds and hands each
witness's submission to a small pool, so a write never waits for a witness and a dead witness
never holds up the others. A submission is ``POST <URL>/add-checkpoint`` with ``old N``, the
consistency proof from the size that witness last cosigned, a blank line and the signed
checkpoint. The answers:

* 200 — the body's cosignature lines are checked against the witness's key and kept
  (``audit_cosignatures``);
* 409 — the witness's own size is in the body: the proof is rebuilt from it and sent again
  (at most :data:`MAX_RESENDS` times); a size larger than this log's, or the same size again,
  is reported (the witness saw another tree: a fork, or this log was rolled back);
* 400/403/404/422 and any other refusal — reported (``problems``, ``/healthz``, a metric) and
  nothing is offered to that witness for :data:`REFUSED_PAUSE` seconds: the operator must act
  (trust this log at the witness, fix its key or URL);
* timeouts, connection errors and 5xx — retried with exponential backoff.

``GET /log/checkpoint`` serves :meth:`Witnessing.checkpoint_note`: the newest checkpoint that
reached the quorum, the log's signature first, then the cosignatures.
"""

from __future__ import annotations

import base64
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from ..application.witnesses import Witness
from ..background import BackgroundLoop
from ..retry import full_jitter
from ..storage.witness_sql import SqlWitnessStore
from .cosignature import CosignatureError, verify_cosignatures
from .log import TransparencyLog
from .merkle import ProofError
from .note import EM_DASH, NoteError
from .view import StoredCheckpoint

log = logging.getLogger(__name__)

MAX_RESENDS = 3
REFUSED_PAUSE = 600.0  # seconds before a refused checkpoint is offered again
BACKOFF_BASE, BACKOFF_CAP = 1.0, 300.0
MAX_ANSWER = 64 * 1024
SIZE_TYPE = "text/x.tlog.size"

# (url, body, timeout) → (status, content type, body); raises OSError when unreachable
Post = Callable[[str, bytes, float], tuple[int, str, bytes]]


def http_post(url: str, body: bytes, timeout: float) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "text/plain; charset=utf-8", "User-Agent": "det-registry-log"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            return answer.status, answer.headers.get("Content-Type", ""), answer.read(MAX_ANSWER)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers.get("Content-Type", ""), error.read(MAX_ANSWER)


def request_body(old: int, proof: Sequence[bytes], note: str) -> bytes:
    """An ``add-checkpoint`` request: ``old N``, the proof (one base64 hash a line), a blank
    line, the checkpoint note."""
    lines = "".join(f"{base64.b64encode(h).decode('ascii')}\n" for h in proof)
    return f"old {old}\n{lines}\n{note}".encode()


@dataclass
class WitnessStatus:
    """What the log knows of one witness (in memory; the cosignatures are stored)."""

    size: int | None = None  # the size it last cosigned, or said (409) it has
    problem: str | None = None  # why its last submission failed, for /healthz
    failures: int = 0
    next_try: float = 0.0  # not offered anything before (monotonic time)
    outcomes: dict[str, int] = field(default_factory=dict)


class Witnessing(BackgroundLoop):
    thread_name = "registry-witnessing"

    def __init__(self, log: TransparencyLog, store: SqlWitnessStore,
                 witnesses: Callable[[], list[Witness]], *, quorum: int | None = None,
                 post: Post = http_post, timeout: float = 10.0, poll: float = 1.0,
                 refresh: float = 10.0, refused_pause: float = REFUSED_PAUSE) -> None:
        super().__init__()
        self.log = log
        self.store = store
        self._witnesses_of = witnesses
        self.configured_quorum = quorum
        self.post = post
        self.timeout = timeout
        self.poll = poll
        self.refresh = refresh
        self.refused_pause = refused_pause
        self.status: dict[str, WitnessStatus] = {}
        self.observers: list[Callable[[str, str], None]] = []  # (witness, outcome)
        self._witnesses: list[Witness] = []
        self._read_at = float("-inf")
        self._pool: ThreadPoolExecutor | None = None
        self._busy: dict[str, Future[None]] = {}

    # -- configuration -------------------------------------------------------------------------

    def witnesses(self, fresh: bool = False) -> list[Witness]:
        """The configured witnesses (re-read from the log's events every ``refresh`` s)."""
        if fresh or time.monotonic() - self._read_at >= self.refresh:
            self._witnesses = self._witnesses_of()
            self._read_at = time.monotonic()
        return self._witnesses

    def quorum(self) -> int:
        return self.configured_quorum or 1

    # -- reads ---------------------------------------------------------------------------------

    def latest(self) -> tuple[StoredCheckpoint, list[str]] | None:
        """The newest checkpoint with at least a quorum of cosignatures, and those lines."""
        names = [w.name for w in self.witnesses()]
        size = self.store.newest_witnessed(names, self.quorum())
        if size is None:
            return None
        found = self.log.view.checkpoints(size, 1)
        if not found or found[0].size != size:
            return None
        return found[0], self.store.cosignatures(size, names)

    def checkpoint_note(self) -> str | None:
        """What ``GET /log/checkpoint`` serves: with no witness configured, the newest signed
        checkpoint; else the newest witnessed one with its cosignatures (``None``: none yet)."""
        if not self.witnesses():
            return self.log.checkpoint().note
        latest = self.latest()
        if latest is None:
            return None
        checkpoint, lines = latest
        return checkpoint.note + "".join(lines)

    def problems(self) -> dict[str, str]:
        """Witness name → why it does not cosign, for ``/healthz``."""
        names = {w.name for w in self.witnesses()}
        found = {name: s.problem for name, s in self.status.items()
                 if name in names and s.problem}
        if names and self.quorum() > len(names):
            found["quorum"] = (f"REGISTRY_WITNESS_QUORUM={self.quorum()} but only {len(names)} "
                               "witness(es) are configured: no checkpoint can be witnessed")
        return found

    # -- submitting ----------------------------------------------------------------------------

    def tick(self) -> None:
        """Offer the newest checkpoint to each witness that is due (in the pool)."""
        witnesses = self.witnesses()
        if not witnesses:
            return
        checkpoint = self.log.view.latest_checkpoint()
        if checkpoint is None:
            return
        now = time.monotonic()
        for witness in witnesses:
            status = self.status.setdefault(witness.name, WitnessStatus())
            if status.size is None:  # first sight: what it cosigned before a restart
                status.size = self.store.cosigned_size(witness.name)
            if status.size >= checkpoint.size or now < status.next_try:
                continue
            busy = self._busy.get(witness.name)
            if busy is not None and not busy.done():
                continue
            if self._pool is None:
                self.submit(witness, checkpoint)
            else:
                self._busy[witness.name] = self._pool.submit(self._submit, witness, checkpoint)

    def _submit(self, witness: Witness, checkpoint: StoredCheckpoint) -> None:
        """:meth:`submit` in the pool: an unexpected failure (the store, say) is reported and
        retried with backoff like an unreachable witness, never lost in a future."""
        try:
            self.submit(witness, checkpoint)
        except Exception as error:  # noqa: BLE001
            log.exception("witness %s: submitting failed", witness.name)
            self._unreachable(witness, self.status.setdefault(witness.name, WitnessStatus()),
                              f"{type(error).__name__}: {error}")

    def submit(self, witness: Witness, checkpoint: StoredCheckpoint) -> None:
        """One checkpoint to one witness, with the resends a 409 asks for."""
        status = self.status.setdefault(witness.name, WitnessStatus())
        old = status.size or 0
        for _ in range(MAX_RESENDS + 1):
            if old > checkpoint.size:
                return self._refused(witness, status, checkpoint, "fork", (
                    f"it has cosigned a tree of {old} entries, but this log signed only "
                    f"{checkpoint.size}: this log was rolled back, or showed it another tree"))
            try:
                proof = self.log.consistency(old, checkpoint.size) \
                    if 0 < old < checkpoint.size else []
            except ProofError as error:
                return self._refused(witness, status, checkpoint, "error", str(error))
            url = f"{witness.url}/add-checkpoint"
            try:
                code, _, answer = self.post(url, request_body(old, proof, checkpoint.note),
                                               self.timeout)
            except (OSError, ValueError) as error:
                return self._unreachable(witness, status, f"{type(error).__name__}: {error}")
            if code == 200:
                return self._cosigned(witness, status, checkpoint, answer)
            if code == 409:
                said = _size(answer)
                if said is None or said == old:
                    return self._refused(witness, status, checkpoint, "conflict", (
                        f"409 {_text(answer)!r}: it has cosigned another tree of "
                        f"{said if said is not None else '?'} entries (a fork)"))
                self._count(witness, "resend")
                status.size = old = said
                continue
            if code >= 500:
                return self._unreachable(witness, status, f"HTTP {code} {_text(answer)!r}")
            return self._refused(witness, status, checkpoint, str(code),
                                 f"HTTP {code} {_text(answer)!r}: {_REFUSALS.get(code, '')}")
        return self._refused(witness, status, checkpoint, "conflict",
                             f"still 409 after {MAX_RESENDS} resends")

    def _cosigned(self, witness: Witness, status: WitnessStatus,
                  checkpoint: StoredCheckpoint, answer: bytes) -> None:
        kept = False
        for line in _text(answer).splitlines():
            if not line.startswith(f"{EM_DASH} {witness.name} "):
                continue
            try:
                found = verify_cosignatures(checkpoint.note + line + "\n", [witness.verifier])
            except (CosignatureError, NoteError):
                continue
            if witness.name in found:
                self.store.add_cosignature(checkpoint.size, witness.name, line + "\n",
                                           found[witness.name])
                kept = True
                break
        if not kept:
            return self._refused(witness, status, checkpoint, "bad_cosignature",
                                 "answered 200 without a valid cosignature by its key")
        if status.problem:
            log.warning("witness %s cosigns again (size %d)", witness.name, checkpoint.size)
        status.size, status.problem, status.failures = checkpoint.size, None, 0
        status.next_try = 0.0
        self._count(witness, "cosigned")

    def _refused(self, witness: Witness, status: WitnessStatus, checkpoint: StoredCheckpoint,
                 outcome: str, why: str) -> None:
        problem = f"{witness.url} refused the checkpoint of {checkpoint.size}: {why}"
        if problem != status.problem:
            log.error("witness %s: %s", witness.name, problem)
        status.problem = problem
        status.next_try = time.monotonic() + self.refused_pause
        self._count(witness, outcome)

    def _unreachable(self, witness: Witness, status: WitnessStatus, why: str) -> None:
        status.failures += 1
        problem = f"{witness.url} is unreachable: {why}"
        if problem != status.problem:
            log.warning("witness %s: %s; retrying with backoff", witness.name, problem)
        status.problem = problem
        status.next_try = time.monotonic() + BACKOFF_BASE + full_jitter(
            status.failures, base=BACKOFF_BASE, cap=BACKOFF_CAP)
        self._count(witness, "unreachable")

    def _count(self, witness: Witness, outcome: str) -> None:
        status = self.status.setdefault(witness.name, WitnessStatus())
        status.outcomes[outcome] = status.outcomes.get(outcome, 0) + 1
        for observer in self.observers:
            observer(witness.name, outcome)

    # -- the thread ----------------------------------------------------------------------------

    def prompt(self) -> None:
        self._wake.set()

    def _starting(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="registry-witness")

    def _stopped(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.tick()
            except Exception as error:  # noqa: BLE001 - the store failing: try again later
                log.warning("witnessing: %s: %s", type(error).__name__, error)
            self._wake.wait(self.poll)
            self._wake.clear()


_REFUSALS = {
    400: "it found the request malformed",
    403: "no signature on the checkpoint verifies with a key it trusts for this log "
         "(give its operator this log's /log/vkey)",
    404: "it does not know this log's origin (its operator must add this log)",
    422: "the consistency proof did not verify against the tree it cosigned before",
}


def _text(answer: bytes) -> str:
    return answer.decode("utf-8", "replace").strip()[:500]


def _size(answer: bytes) -> int | None:
    text = answer.decode("ascii", "replace").strip()
    return int(text) if text.isdigit() and len(text) < 20 else None
