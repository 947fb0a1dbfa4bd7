"""The transparency log in GraphQL (SPEC §6): the latest signed checkpoint, its verifier key,
inclusion and consistency proofs (public), and the envelopes (``auditor`` and ``admin``).
The same data as ``/log/…``; hashes are standard base64."""

from __future__ import annotations

import base64
from typing import Any

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
    origin: str
    size: int
    root_hash: str = strawberry.field(description="Base64 SHA-256 Merkle tree head.")
    note: str = strawberry.field(description="The signed note, exactly as /log/checkpoint.")
    signed_at: str


@strawberry.type
class InclusionProof:
    index: int
    size: int
    leaf_hash: str
    hashes: list[str]


@strawberry.type
class ConsistencyProof:
    old: int
    new: int
    hashes: list[str]


@strawberry.type(description="One audit-log entry: its canonical (RFC 8785) envelope.")
class LogEntry:
    index: int
    envelope: str = strawberry.field(description="The exact JCS bytes, as UTF-8 text.")
    leaf_hash: str


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
    async def log_inclusion_proof(self, info: Info, index: int, size: int) -> InclusionProof:
        leaf, hashes = await _proof(info, _log(info).inclusion, index, size)
        return InclusionProof(index=index, size=size, leaf_hash=_b64(leaf),
                              hashes=[_b64(h) for h in hashes])

    @strawberry.field(description="Proof that the tree of `old` is a prefix of `new` (public).")
    async def log_consistency_proof(self, info: Info, old: int, new: int) -> ConsistencyProof:
        hashes = await _proof(info, _log(info).consistency, old, new)
        return ConsistencyProof(old=old, new=new, hashes=[_b64(h) for h in hashes])

    @strawberry.field(description="Audit-log entries from `start` (auditor and admin only).")
    async def log_entries(self, info: Info, start: int = 0, limit: int = 100) -> list[LogEntry]:
        info.context.require(Action.READ_AUDIT_LOG)
        if start < 0 or not 0 < limit <= 1000:
            raise InvalidInput("start ≥ 0 and 0 < limit ≤ 1000.")
        leaves = await info.context.call(_log(info).entries, start, limit)
        return [LogEntry(index=leaf.index, envelope=leaf.envelope.decode("utf-8"),
                         leaf_hash=_b64(leaf_hash(leaf.envelope))) for leaf in leaves]
