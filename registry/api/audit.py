"""The transparency log in GraphQL (SPEC §6): the latest signed checkpoint, its verifier key,
inclusion and consistency proofs (public), and the envelopes (``auditor`` and ``admin``).
The same data as ``/log/…``; hashes are standard base64."""

from __future__ import annotations

import base64
from typing import Annotated, Any

import strawberry

from ..audit.merkle import ProofError, leaf_hash
from ..domain.access import Action
from ..domain.errors import InvalidInput
from .context import Info


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _log(info: Info) -> Any:
    return info.context.audit


@strawberry.type(description="A signed C2SP tlog-checkpoint of the audit log.")
class LogCheckpoint:
    origin: str = strawberry.field(
        description="The log's origin line, e.g. registry.example.kz/log (its name in notes).")
    size: int = strawberry.field(description="How many entries the tree holds.")
    root_hash: str = strawberry.field(description="Base64 SHA-256 Merkle tree head.")
    note: str = strawberry.field(description="The signed note, exactly as /log/checkpoint.")
    signed_at: str = strawberry.field(description="When it was signed (ISO 8601, UTC).")


@strawberry.type(description="An RFC 6962 inclusion proof: entry index is in the tree of size.")
class InclusionProof:
    index: int = strawberry.field(description="The entry's leaf index (from 0).")
    size: int = strawberry.field(description="The size of the tree proved against.")
    leaf_hash: str = strawberry.field(description="Base64 SHA-256 leaf hash of the entry.")
    hashes: list[str] = strawberry.field(
        description="The audit path, base64 SHA-256 hashes from the leaf up.")


@strawberry.type(description="An RFC 6962 consistency proof: the tree of old is a prefix of "
                             "the tree of new (nothing rewritten).")
class ConsistencyProof:
    old: int = strawberry.field(description="The older tree's size.")
    new: int = strawberry.field(description="The newer tree's size.")
    hashes: list[str] = strawberry.field(description="The proof, base64 SHA-256 hashes.")


@strawberry.type(description="One audit-log entry: its canonical (RFC 8785) envelope.")
class LogEntry:
    index: int = strawberry.field(description="Its leaf index (from 0); Event.logIndex.")
    envelope: str = strawberry.field(description="The exact JCS bytes, as UTF-8 text.")
    leaf_hash: str = strawberry.field(description="Base64 SHA-256 leaf hash of the envelope.")


async def _proof(info: Info, fn: Any, *args: int) -> Any:
    try:
        return await info.context.call(fn, *args)
    except ProofError as error:
        raise InvalidInput(str(error)) from None


@strawberry.type
class AuditQuery:
    @strawberry.field(description="The latest signed checkpoint of the audit log (public).")
    async def log_checkpoint(self, info: Info) -> LogCheckpoint:
        latest = await info.context.call(_log(info).checkpoint)
        return LogCheckpoint(origin=_log(info).origin, size=latest.size,
                             root_hash=_b64(latest.root), note=latest.note,
                             signed_at=latest.signed_at)

    @strawberry.field(description="The log's verifier key, name+hex(keyID)+base64(key).")
    def log_verifier_key(self, info: Info) -> str:
        return str(_log(info).verifier.vkey)

    @strawberry.field(description="Proof that entry `index` is in the tree of `size` (public).")
    async def log_inclusion_proof(
        self, info: Info,
        index: Annotated[int, strawberry.argument(description="The entry's leaf index.")],
        size: Annotated[int, strawberry.argument(
            description="A tree size > index, e.g. a checkpoint's size (else "
                        "INVALID_INPUT).")],
    ) -> InclusionProof:
        leaf, hashes = await _proof(info, _log(info).inclusion, index, size)
        return InclusionProof(index=index, size=size, leaf_hash=_b64(leaf),
                              hashes=[_b64(h) for h in hashes])

    @strawberry.field(description="Proof that the tree of `old` is a prefix of `new` (public).")
    async def log_consistency_proof(
        self, info: Info,
        old: Annotated[int, strawberry.argument(description="The older size, e.g. a "
                                                            "checkpoint you kept.")],
        new: Annotated[int, strawberry.argument(
            description="The newer size, at least old and at most the log's (else "
                        "INVALID_INPUT).")],
    ) -> ConsistencyProof:
        hashes = await _proof(info, _log(info).consistency, old, new)
        return ConsistencyProof(old=old, new=new, hashes=[_b64(h) for h in hashes])

    @strawberry.field(description="Audit-log entries from `start` (auditor and admin only).")
    async def log_entries(
        self, info: Info,
        start: Annotated[int, strawberry.argument(description="The first leaf index (≥ 0).")]
        = 0,
        limit: Annotated[int, strawberry.argument(description="At most this many (1–1000).")]
        = 100,
    ) -> list[LogEntry]:
        info.context.require(Action.READ_AUDIT_LOG)
        if start < 0 or not 0 < limit <= 1000:
            raise InvalidInput("start ≥ 0 and 0 < limit ≤ 1000.")
        leaves = await info.context.call(_log(info).entries, start, limit)
        return [LogEntry(index=leaf.index, envelope=leaf.envelope.decode("utf-8"),
                         leaf_hash=_b64(leaf_hash(leaf.envelope))) for leaf in leaves]
