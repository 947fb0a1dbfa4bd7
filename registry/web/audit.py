"""The transparency log over HTTP (SPEC §6).

``GET /log/checkpoint`` (the latest signed C2SP checkpoint; with witnesses, the latest
witnessed one with its cosignatures), ``GET /log/vkey`` (the log's
verifier key), ``GET /log/proof/inclusion?index=I&size=N``,
``GET /log/proof/consistency?old=M&new=N`` — public; ``GET /log/entries?start=S&limit=L`` —
the canonical envelope bytes, one a line, for ``auditor`` and ``admin`` tokens only.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..api.context import authenticated
from ..audit.log import TransparencyLog
from ..audit.merkle import ProofError
from ..audit.view import StoredCheckpoint
from ..domain.access import Action, authorize
from ..domain.errors import DomainError, Unauthenticated
from .graphql import bearer_token
from .jsonio import JSONResponse

MAX_ENTRIES = 1000
MAX_NUMBER = 2**31 - 1  # as GraphQL's Int: a log index or size is never larger
_WHOLE = re.compile(r"[0-9]{1,10}")
PROOF_CACHE = "public, max-age=86400"  # a proof between two sizes never changes


def _log(request: Request) -> TransparencyLog:
    from .app import container_of

    return container_of(request).audit


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _bad(message: str, status: int = 400) -> Response:
    return JSONResponse({"error": message, "code": "INVALID_INPUT"}, status_code=status)


def _ints(request: Request, *names: str, defaults: dict[str, int] | None = None) -> list[int]:
    values = []
    for name in names:
        raw = request.query_params.get(name)
        if raw is None and defaults and name in defaults:
            values.append(defaults[name])
            continue
        if raw is None or not _WHOLE.fullmatch(raw) or int(raw) > MAX_NUMBER:
            raise ValueError(f"'{name}' must be a whole number from 0 to {MAX_NUMBER}")
        values.append(int(raw))
    return values


async def checkpoint(request: Request) -> Response:
    """The newest checkpoint, or with witnesses configured (SPEC §13) the newest that reached
    the quorum: the log's signature line first, then the cosignatures."""
    from .app import container_of

    witnessing = container_of(request).witnessing
    note = await run_in_threadpool(witnessing.checkpoint_note)
    if note is None:
        return Response(f"no checkpoint has reached the quorum of {witnessing.quorum()} "
                        "witness cosignature(s) yet; see /healthz\n", status_code=503,
                        media_type="text/plain; charset=utf-8",
                        headers={"Cache-Control": "no-store", "Retry-After": "5"})
    return Response(note, media_type="text/plain; charset=utf-8",
                    headers={"Cache-Control": "no-cache"})


async def vkey(request: Request) -> Response:
    return Response(_log(request).verifier.vkey + "\n", media_type="text/plain; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=3600"})


async def vkeys(request: Request) -> Response:
    """Every name's verifier key, oldest first, the current last (after ``registry audit
    rename``, checkpoints signed under an earlier name verify with its key)."""
    log = _log(request)
    text = "".join(f"{v.vkey}\n" for v in (*log.previous, log.verifier))
    return Response(text, media_type="text/plain; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=3600"})


async def inclusion(request: Request) -> Response:
    try:
        index, size = _ints(request, "index", "size")
        leaf, hashes = await run_in_threadpool(_log(request).inclusion, index, size)
    except (ValueError, ProofError) as error:
        return _bad(str(error))
    return JSONResponse({"leaf_hash": _b64(leaf), "hashes": [_b64(h) for h in hashes]},
                        headers={"Cache-Control": PROOF_CACHE})


async def consistency(request: Request) -> Response:
    try:
        old, new = _ints(request, "old", "new")
        hashes = await run_in_threadpool(_log(request).consistency, old, new)
    except (ValueError, ProofError) as error:
        return _bad(str(error))
    return JSONResponse({"hashes": [_b64(h) for h in hashes]},
                        headers={"Cache-Control": PROOF_CACHE})


async def refused_entries(request: Request) -> Response | None:
    """The 401/403 answer to a request for envelopes without an ``auditor`` or ``admin``
    token (envelopes name staff and hold commitments to personal data); ``None`` if allowed."""
    from .app import container_of

    token = bearer_token(request)
    try:
        principal = await authenticated(container_of(request).service, token) if token else None
        authorize(principal, Action.READ_AUDIT_LOG)
    except DomainError as refusal:
        status = 401 if isinstance(refusal, Unauthenticated) else 403
        return JSONResponse({"error": refusal.message, "code": refusal.code},
                            status_code=status,
                            headers={"WWW-Authenticate": "Bearer"} if status == 401 else None)
    return None


async def entries(request: Request) -> Response:
    from .app import container_of

    container = container_of(request)
    refused = await refused_entries(request)
    if refused is not None:
        return refused
    try:
        start, limit = _ints(request, "start", "limit", defaults={"start": 0, "limit": 100})
    except ValueError as error:
        return _bad(str(error))
    leaves = await run_in_threadpool(container.audit.entries, start, min(limit, MAX_ENTRIES))
    body = b"".join(leaf.envelope + b"\n" for leaf in leaves)
    return Response(body, media_type="application/x-ndjson; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


def routes() -> list[Route]:
    return [
        Route("/log/checkpoint", checkpoint, methods=["GET"]),
        Route("/log/vkey", vkey, methods=["GET"]),
        Route("/log/vkeys", vkeys, methods=["GET"]),
        Route("/log/proof/inclusion", inclusion, methods=["GET"]),
        Route("/log/proof/consistency", consistency, methods=["GET"]),
        Route("/log/entries", entries, methods=["GET"]),
    ]


def certificate_in_log(log: TransparencyLog, result: dict[str, Any]
                       ) -> tuple[int | None, str | None]:
    """A verified certificate's place in the log: the leaf index of its issuance event
    (``None`` until it is logged, and for an INVALID verdict) and where the inclusion proof of
    that leaf in a signed checkpoint at most a second old is (``None`` until a checkpoint
    covers it). Blocking (up to two reads): call it in the thread pool, with the verification
    itself."""
    certificate = result.get("certificate")
    if not certificate:
        return None, None
    return _place(log.certificate_log_index(certificate["number"]), log.recent_checkpoint())


def certificate_in_log_from_memory(log: TransparencyLog, result: dict[str, Any]
                                   ) -> tuple[int | None, str | None] | None:
    """:func:`certificate_in_log` without a read (``None``: it needs one)."""
    certificate = result.get("certificate")
    if not certificate:
        return None, None
    index = log.known_certificate_index(certificate["number"])
    recent = log.recent_checkpoint_in_memory()
    if index is None or recent is None:
        return None
    return _place(index, recent[0])


def _place(index: int | None, latest: StoredCheckpoint | None) -> tuple[int | None, str | None]:
    if index is None:
        return None, None
    if latest is None or index >= latest.size:
        return index, None
    return index, f"/log/proof/inclusion?index={index}&size={latest.size}"
