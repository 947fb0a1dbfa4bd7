"""The open credentials over HTTP (SPEC §11), all public.

``GET /certificates/{number}/credential.json`` — the certificate's Open Badges 3.0 credential,
as signed at issuance (a download a learner imports into a wallet); ``GET /.well-known/did.json``
— the issuer's ``did:web`` document, every certificate key ever used (also ``GET /did.json``
when ``REGISTRY_PUBLIC_URL`` has a path, where a did:web resolver looks for it then); ``GET
/status/lists/{n}`` — the signed ``BitstringStatusListCredential`` of list ``n``, with an ETag
and a short ``Cache-Control`` so a revocation shows on the next fetch after at most a minute;
``GET /status/revocations`` — the signed revocation snapshot for offline checks of QR tokens
(``registry verify TOKEN --jwks FILE --revocations FILE``), likewise cached.
"""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import datetime, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..bootstrap import Container, issuer_of
from ..signing.credentials import did_document, status_list_credential
from ..signing.revocations import MEDIA_TYPE, sign_snapshot
from .jsonio import JSONResponse

LD_JSON = "application/ld+json"
STATUS_CACHE = "public, max-age=60"  # a revocation is visible within a minute
DID_CACHE = "public, max-age=300"  # as the JWKS
MAX_LIST = 2**31 - 1
#: The revocation snapshot is made again at least this often, even when nothing changed.
REVOCATIONS_REMADE = timedelta(hours=1)


class StatusLists:
    """Signed status lists, re-signed only when a list's bits (or the active key) change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._signed: dict[int, tuple[tuple[int, ...], str, bytes]] = {}

    def body(self, container: Container, status_list: int) -> bytes | None:
        revoked = container.service.revoked_slots(status_list)
        if revoked is None:
            return None
        active = next((w for w in container.service.key_windows().values() if w.active), None)
        if active is None:
            raise RuntimeError("no active certificate-signing key")
        bits = tuple(revoked)
        with self._lock:
            cached = self._signed.get(status_list)
            if cached is not None and cached[:2] == (bits, active.kid):
                return cached[2]
        credential = status_list_credential(issuer_of(container.settings), status_list, bits,
                                            container.keys.get(active.kid))
        body = json.dumps(credential, ensure_ascii=False).encode("utf-8")
        with self._lock:
            self._signed[status_list] = (bits, active.kid, body)
        return body


class Revocations:
    """The signed revocation snapshot, made again only when the certificates' or the keys'
    view has moved (stamped as the read cache stamps rows) or the active key changed: a fetch
    in between is answered from memory, not counted from the views. It is also made again
    once it is an hour old, so that its ``made`` — which an offline verifier prints as "as of"
    — is never older than that. One request makes it; those arriving meanwhile wait for it
    rather than making it again."""

    def __init__(self) -> None:
        self._making = threading.Lock()
        self._signed: tuple[tuple[int, ...], str, datetime, bytes] | None = None

    def _fresh(self, stamp: tuple[int, ...] | None, active: str, now: datetime
               ) -> bytes | None:
        cached = self._signed
        if (stamp is not None and cached is not None and cached[:2] == (stamp, active)
                and now - cached[2] < REVOCATIONS_REMADE):
            return cached[3]
        return None

    def body(self, container: Container) -> bytes:
        service = container.service
        stamp = service.read_cache.stamp(("certificates", "keys"))
        active = _active_kid(container)
        now = container.clock.now().replace(microsecond=0)
        fresh = self._fresh(stamp, active, now)
        if fresh is not None:
            return fresh
        with self._making:
            fresh = self._fresh(stamp, active, now)  # made while this request waited
            if fresh is not None:
                return fresh
            snapshot = service.revocations(container.settings.public_url, now)
            body = sign_snapshot(snapshot, container.keys.get(active)).encode("ascii")
            if stamp is not None:
                self._signed = (stamp, active, now, body)
            return body


def _active_kid(container: Container) -> str:
    active = next((w for w in container.service.current_key_windows().values() if w.active),
                  None)
    if active is None:
        raise RuntimeError("no active certificate-signing key")
    return active.kid


def _cached(request: Request, body: bytes, media_type: str) -> Response:
    """``body`` with its ETag and a short ``Cache-Control``; 304 for a fresh copy."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": STATUS_CACHE}
    if etag in [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def _container(request: Request) -> Container:
    from .app import container_of

    return container_of(request)


def _not_found(message: str) -> Response:
    return JSONResponse({"error": message}, status_code=404)


async def credential(request: Request) -> Response:
    number = request.path_params["number"]
    doc: dict[str, Any] | None = await run_in_threadpool(
        _container(request).service.certificate, number)
    if doc is None:
        return _not_found("no such certificate")
    if not doc.get("credential"):
        if doc.get("holderErased"):
            return JSONResponse({"error": "the holder's personal data was erased; the "
                                 "credential is gone with it"}, status_code=410)
        return _not_found("this certificate was issued before the registry issued "
                          "Open Badges credentials")
    return Response(doc["credential"].encode("utf-8"), media_type=LD_JSON, headers={
        "Content-Disposition": f'attachment; filename="certificate-{doc["number"]}.json"',
        "Cache-Control": "no-store",  # it names the holder
    })


async def did(request: Request) -> Response:
    container = _container(request)
    jwks = await run_in_threadpool(container.service.jwks)
    document = did_document(issuer_of(container.settings), jwks["keys"])
    return JSONResponse(document, media_type="application/did+ld+json",
                        headers={"Cache-Control": DID_CACHE})


async def did_under_path(request: Request) -> Response:
    """``/did.json``: where a did:web resolver looks when the DID has a path
    (``did:web:host:registry`` → ``https://host/registry/did.json``); for a bare authority
    the document is only at ``/.well-known/did.json``."""
    issuer = issuer_of(_container(request).settings)
    if issuer.did_document_path != "/did.json":
        return _not_found(f"the DID document of {issuer.did} is at /.well-known/did.json")
    return await did(request)


async def status_list(request: Request) -> Response:
    text = request.path_params["n"]
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIST:
        return _not_found("no such status list")
    lists: StatusLists = request.app.state.status_lists
    body = await run_in_threadpool(lists.body, _container(request), int(text))
    if body is None:
        return _not_found("no such status list")
    return _cached(request, body, LD_JSON)


async def revocations(request: Request) -> Response:
    snapshots: Revocations = request.app.state.revocations
    body = await run_in_threadpool(snapshots.body, _container(request))
    return _cached(request, body, MEDIA_TYPE)


def routes() -> list[Route]:
    return [
        Route("/certificates/{number}/credential.json", credential, methods=["GET"]),
        Route("/.well-known/did.json", did, methods=["GET"]),
        Route("/did.json", did_under_path, methods=["GET"]),
        Route("/status/lists/{n}", status_list, methods=["GET"]),
        Route("/status/revocations", revocations, methods=["GET"]),
    ]
