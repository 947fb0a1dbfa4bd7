"""A certificate's ``c2sp.org/tlog-proof@v1``: its issuance is in the log, offline-checkable.

The proof (text, one item a line)::

    c2sp.org/tlog-proof@v1
    extra <base64 of the issuance event's envelope: its canonical bytes, SPEC §6>
    index <the envelope's leaf index>
    <the inclusion proof, one base64 SHA-256 hash a line, from the leaf's sibling up>

    <the checkpoint, verbatim: the log's signature line, then the witnesses' cosignatures>

The leaf is the envelope, so ``extra`` carries it (tlog-proof: "additional data necessary to
reconstruct the record hash"): ``SHA-256(0x00 ‖ extra)`` is the leaf hash. Nothing in
``extra`` is trusted before that hash leads, through the inclusion proof, to the root of a
checkpoint the log's key signed. Then the envelope says which certificate it issued
(``Certificate.Issued``, its number, course, credits, date and signing key), and the verifier
holds that against the certificate in hand: the QR's signed token (``registry verify``).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import merkle
from .cosignature import WitnessVerifier, verify_cosignatures
from .note import Checkpoint, NoteError, Verifier, read_checkpoint, split_note

if TYPE_CHECKING:
    from .log import TransparencyLog

HEADER = "c2sp.org/tlog-proof@v1"
ISSUED = "Certificate.Issued"
MAX_HASHES = 64  # a tree of at most 2^64 leaves: no proof is longer
_INDEX = re.compile(r"index (0|[1-9][0-9]*)")


class ProofInvalid(ValueError):
    """A proof that is malformed, does not verify, or is not about the certificate in hand."""


@dataclass(frozen=True)
class TlogProof:
    index: int
    hashes: Sequence[bytes]
    checkpoint: str  # the signed note, verbatim
    extra: bytes | None = None

    def text(self) -> str:
        lines = [HEADER]
        if self.extra is not None:
            lines.append(f"extra {_b64(self.extra)}")
        lines.append(f"index {self.index}")
        lines += [_b64(h) for h in self.hashes]
        return "\n".join(lines) + "\n\n" + self.checkpoint

    @classmethod
    def parse(cls, text: str) -> TlogProof:
        head, sep, checkpoint = text.partition("\n\n")
        lines = head.split("\n")
        if not sep or lines[0] != HEADER:
            raise ProofInvalid(f"a tlog proof starts with the line {HEADER!r}, and its "
                               "checkpoint follows a blank line")
        lines = lines[1:]
        extra = None
        if lines and lines[0].startswith("extra "):
            extra = _unb64(lines.pop(0)[6:], "the extra data")
        match = _INDEX.fullmatch(lines[0]) if lines else None
        if match is None:
            raise ProofInvalid("the line after the header (and extra) is 'index N', N a "
                               "decimal with no leading zeros")
        hashes = [_unb64(line, "an inclusion proof hash") for line in lines[1:]]
        if any(len(h) != merkle.HASH_SIZE for h in hashes) or len(hashes) > MAX_HASHES:
            raise ProofInvalid("each inclusion proof line is one base64 SHA-256 hash")
        return cls(int(match.group(1)), hashes, checkpoint, extra)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ProofInvalid(f"{what} is not standard base64") from None


@dataclass(frozen=True)
class Verified:
    checkpoint: Checkpoint
    index: int
    envelope: dict[str, Any]
    witnesses: dict[str, int] = field(default_factory=dict)  # name → cosignature time


def verify(proof: TlogProof, log_key: Verifier, witnesses: Sequence[WitnessVerifier] = (),
           quorum: int = 0) -> Verified:
    """Check ``proof`` offline: the checkpoint is signed by the log's key and cosigned by at
    least ``quorum`` of ``witnesses``; the envelope in ``extra`` is the leaf at ``index`` of
    its tree. Raises :class:`ProofInvalid` saying what failed."""
    try:
        checkpoint = read_checkpoint(proof.checkpoint, log_key)
    except NoteError as error:
        raise ProofInvalid(f"the checkpoint is not the log's: {error}") from None
    try:
        cosigned = verify_cosignatures(proof.checkpoint, witnesses) if witnesses else {}
    except NoteError as error:
        raise ProofInvalid(f"a witness's cosignature does not verify: {error}") from None
    if len(cosigned) < quorum:
        named = ", ".join(sorted(cosigned)) or "none"
        raise ProofInvalid(f"the checkpoint is cosigned by {len(cosigned)} of the "
                           f"{len(witnesses)} witnesses given ({named}); {quorum} are needed")
    if proof.extra is None:
        raise ProofInvalid("the proof carries no entry (no 'extra' line with the envelope)")
    try:
        merkle.verify_inclusion(proof.index, checkpoint.size, merkle.leaf_hash(proof.extra),
                                list(proof.hashes), checkpoint.root)
    except merkle.ProofError as error:
        raise ProofInvalid(f"the entry is not at index {proof.index} of the checkpoint's "
                           f"tree: {error}") from None
    try:
        envelope = json.loads(proof.extra)
    except ValueError:
        raise ProofInvalid("the logged entry is not a JSON envelope") from None
    if not isinstance(envelope, dict) or envelope.get("index") != proof.index:
        raise ProofInvalid("the logged entry does not carry its own index")
    return Verified(checkpoint, proof.index, envelope, cosigned)


def issued_certificate(verified: Verified, number: str) -> dict[str, Any]:
    """The payload of the logged issuance of certificate ``number``; :class:`ProofInvalid`
    when the proven entry is anything else."""
    from ..domain.certificates import Certificate

    envelope = verified.envelope
    aggregate = envelope.get("aggregate") or {}
    payload = envelope.get("payload")
    if (envelope.get("type") != ISSUED or not isinstance(payload, dict)
            or aggregate.get("id") != str(Certificate.create_id(number))
            or aggregate.get("version") != 1 or payload.get("number") != number):
        raise ProofInvalid(f"the proof is about another entry of the log, not the issuance "
                           f"of certificate {number}")
    return payload


def served_size(note: str) -> int:
    """The tree size of a served checkpoint note."""
    return Checkpoint.parse(split_note(note)[0]).size


def certificate_proof(log: TransparencyLog, number: str, served: str | None
                      ) -> str | TlogProof:
    """The tlog proof of certificate ``number``'s issuance against ``served`` — the note
    ``GET /log/checkpoint`` serves (the newest checkpoint that reached the witnesses' quorum,
    cosignatures included; ``None`` while none has) — or why there is none yet.
    Blocking: call it in the thread pool."""
    index = log.certificate_log_index(number)
    if index is None:
        return "not yet in the log"
    if served is None or index >= (size := served_size(served)):
        return "not yet in a checkpoint the log serves"
    leaves = log.view.leaves(index, 1)
    hashes = merkle.inclusion_proof(index, size, log.view.nodes)
    return TlogProof(index, hashes, served, leaves[0].envelope)
