"""The registry as a witness (issue 16, capability 2; c2sp.org/tlog-witness, witness side).

``POST /witness/add-checkpoint`` takes ``old N``, a consistency proof, a blank line and a
checkpoint note. In the order the spec gives, it answers:

* 400 — a malformed request, or an old size larger than the checkpoint's;
* 404 — a log origin this registry was not told to trust (``registry witness trust``);
* 403 — no signature on the checkpoint verifies with a key trusted for that origin;
* 409 — the old size is not the size it last cosigned for that origin (the body, of type
  ``text/x.tlog.size``, is that size), or the same size with another root (a fork);
* 422 — the consistency proof from its last cosigned tree does not verify;
* 200 — its cosignature line, after the new state was persisted by compare-and-swap (a
  concurrent request that moved the state first makes this one a 409, never a rollback).

Its key is ``keys/transparency-witness.key`` in the data directory beside the log's, made on
first use, owner-only; its name is ``<authority of REGISTRY_PUBLIC_URL>/witness``.
"""

from __future__ import annotations

import base64
import binascii
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..files import create_exclusive
from ..storage.witness_sql import SqlWitnessStore, WitnessState
from .cosignature import WitnessSigner, cosign
from .merkle import ProofError, verify_consistency
from .note import Checkpoint, NoteError, Verifier, split_note

log = logging.getLogger(__name__)

WITNESS_KEY_FILE = "transparency-witness.key"
MAX_PROOF = 63
MAX_BODY = 64 * 1024
SIZE_TYPE = "text/x.tlog.size"
TEXT = "text/plain; charset=utf-8"


def load_or_create_witness_signer(keys_dir: Path, name: str) -> WitnessSigner:
    """The registry's cosigning key, made on first use (first writer wins, 0600)."""
    path = keys_dir / WITNESS_KEY_FILE
    if not path.exists():
        create_exclusive(path, (WitnessSigner.generate(name).skey() + "\n").encode())
    return WitnessSigner.parse(path.read_text())


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str = TEXT


class Malformed(ValueError):
    pass


@dataclass(frozen=True)
class Submission:
    old: int
    proof: list[bytes]
    note: str
    body: str  # the checkpoint note's body
    checkpoint: Checkpoint
    signatures: list[tuple[str, bytes]]


def parse_submission(data: bytes) -> Submission:
    """An ``add-checkpoint`` request body; :class:`Malformed` when it is not one."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("the request is not UTF-8") from None
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise Malformed("the request is 'old N', proof lines, a blank line, then the checkpoint")
    lines = head.split("\n")
    first = lines[0]
    size = first[4:]
    if not first.startswith("old ") or not size.isdigit() or (size != "0" and size[0] == "0"):
        raise Malformed("the first line is 'old <size>' (decimal, no leading zeros)")
    if len(lines) - 1 > MAX_PROOF:
        raise Malformed(f"a consistency proof has at most {MAX_PROOF} lines")
    try:
        proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
    except binascii.Error:
        raise Malformed("a proof line is not base64") from None
    if any(len(h) != 32 for h in proof):
        raise Malformed("each proof line is one 32-byte hash in base64")
    try:
        body, signatures = split_note(note)
        checkpoint = Checkpoint.parse(body)
    except NoteError as error:
        raise Malformed(f"the checkpoint is not a signed note: {error}") from None
    return Submission(int(size), proof, note, body, checkpoint, signatures)


class WitnessService:
    def __init__(self, signer: WitnessSigner, store: SqlWitnessStore,
                 trusted: Callable[[], dict[str, list[Verifier]]], *,
                 now: Callable[[], float] = time.time) -> None:
        self.signer = signer
        self.store = store
        self.trusted = trusted
        self.now = now

    def add_checkpoint(self, data: bytes) -> Answer:
        """The whole protocol for one request (blocking: signature checks and SQL)."""
        try:
            request = parse_submission(data)
        except Malformed as error:
            return Answer(400, f"{error}\n")
        checkpoint = request.checkpoint
        keys = self.trusted().get(checkpoint.origin)
        if not keys:
            return Answer(404, f"this witness does not know the log {checkpoint.origin!r}\n")
        if not any(name == key.name and raw[:4] == key.key_id
                   and key.verify(request.body.encode(), raw[4:])
                   for name, raw in request.signatures for key in keys):
            return Answer(403, "no signature on the checkpoint verifies with a key this witness "
                          f"trusts for {checkpoint.origin!r}\n")
        if request.old > checkpoint.size:
            return Answer(400, f"old size {request.old} is larger than the checkpoint's "
                          f"{checkpoint.size}\n")
        state = self.store.state(checkpoint.origin)
        known = state.size if state is not None else 0
        if request.old != known:
            return Answer(409, f"{known}\n", SIZE_TYPE)
        refusal = self._inconsistent(request, state)
        if refusal is not None:
            return refusal
        new = WitnessState(checkpoint.origin, checkpoint.size, checkpoint.root, request.note)
        if not self.store.advance(state, new, datetime.now(UTC).isoformat()):
            moved = self.store.state(checkpoint.origin)
            return Answer(409, f"{moved.size if moved is not None else 0}\n", SIZE_TYPE)
        return Answer(200, cosign(request.body, self.signer, int(self.now())))

    @staticmethod
    def _inconsistent(request: Submission, state: WitnessState | None) -> Answer | None:
        checkpoint = request.checkpoint
        if state is None or request.old == 0:
            if request.proof:
                return Answer(422, "the proof from size 0 is empty\n")
            return None
        if request.old == checkpoint.size:
            if request.proof:
                return Answer(422, "the proof between equal sizes is empty\n")
            if checkpoint.root != state.root:
                log.error("witness: %s shows a different tree of %d entries (fork)",
                          checkpoint.origin, checkpoint.size)
                return Answer(409, f"{state.size}\n", SIZE_TYPE)
            return None
        try:
            verify_consistency(state.size, checkpoint.size, state.root, checkpoint.root,
                               request.proof)
        except ProofError as error:
            log.error("witness: %s: the checkpoint of %d is not consistent with the one of %d "
                      "cosigned before: %s", checkpoint.origin, checkpoint.size, state.size,
                      error)
            return Answer(422, f"the consistency proof does not verify: {error}\n")
        return None

