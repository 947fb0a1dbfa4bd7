"""``GET /documents/{sha256}``: a programme document's bytes, for the roles that may see a
package holding it (SPEC §4). Streamed from the store a chunk at a time; the ETag is the
content's SHA-256, so a copy checked against it is the very file the faculty uploaded."""

from __future__ import annotations

import base64
import re
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ..api.context import authenticated
from ..domain.access import Action, authorize
from ..domain.errors import DomainError, Forbidden, Unauthenticated
from ..domain.programmes import check_may_read_package
from .graphql import bearer_token
from .jsonio import JSONResponse

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_STATUS = {Unauthenticated: 401, Forbidden: 403}


def _refusal(error: DomainError) -> Response:
    status = next((s for cls, s in _STATUS.items() if isinstance(error, cls)), 400)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": error.message, "code": error.code}, status_code=status,
                        headers=headers)


def _not_found() -> Response:
    return JSONResponse({"error": "no such document", "code": "NOT_FOUND"}, status_code=404)


def content_disposition(filename: str) -> str:
    """The UTF-8 name (RFC 6266/8187) with an ASCII fallback for old clients."""
    fallback = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


async def download(request: Request) -> Response:
    container: Any = request.app.state.container
    if container is None:
        return JSONResponse({"status": "starting"}, status_code=503)
    service = container.service
    sha256 = request.path_params["sha256"].lower()
    token = bearer_token(request)
    try:
        principal = await authenticated(service, token) if token else None
        authorize(principal, Action.READ_PROGRAMS)
        if not _SHA256.match(sha256):
            return _not_found()
        refs = await run_in_threadpool(service.find, "program_documents", {"sha256": sha256})
        if not refs:
            return _not_found()
        check_may_read_package(principal, [r["faculty"] for r in refs])  # type: ignore[arg-type]
    except DomainError as refusal:
        return _refusal(refusal)
    stored = await run_in_threadpool(container.documents.info, sha256)
    if stored is None:  # pragma: no cover - an event names a file the store lost
        return _not_found()
    etag = f'"{sha256}"'
    headers = {
        "ETag": etag,
        "Cache-Control": "private, max-age=31536000, immutable",
        "X-Content-Type-Options": "nosniff",
        "Repr-Digest": f"sha-256=:{base64.b64encode(bytes.fromhex(sha256)).decode()}:",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    allowed = [r for r in refs if _visible(principal, r["faculty"])]
    headers["Content-Disposition"] = content_disposition(allowed[0]["filename"])
    headers["Content-Length"] = str(stored.size)
    return StreamingResponse(container.documents.chunks(sha256),
                             media_type=stored.media_type, headers=headers)


def _visible(principal: Any, faculty: str) -> bool:
    try:
        check_may_read_package(principal, [faculty])
    except Forbidden:
        return False
    return True


def routes() -> list[Route]:
    return [Route("/documents/{sha256}", download, methods=["GET"])]
