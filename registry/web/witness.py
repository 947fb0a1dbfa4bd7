"""``POST /witness/add-checkpoint``: the registry as a witness for other logs (SPEC §13,
c2sp.org/tlog-witness). The protocol is ``audit/witness.py``; here only the HTTP edge: the
body (at most 64 KiB) goes to the thread pool, where signatures are checked and the state is
stored, and the answer comes back with the status and type the spec gives."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..audit.witness import MAX_BODY, TEXT


async def add_checkpoint(request: Request) -> Response:
    from .app import container_of

    witness = container_of(request).witness
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return Response(f"a request is at most {MAX_BODY} bytes\n", status_code=400,
                            media_type=TEXT)
    answer = await run_in_threadpool(witness.add_checkpoint, body)
    # The type exactly as the spec gives it (Starlette would add a charset to text/x.tlog.size).
    return Response(answer.body, status_code=answer.status,
                    headers={"Content-Type": answer.content_type, "Cache-Control": "no-store"})


def routes() -> list[Route]:
    return [Route("/witness/add-checkpoint", add_checkpoint, methods=["POST"])]
