"""The log as C2SP ``tlog-tiles`` over HTTP, and each certificate's ``tlog-proof`` (SPEC §13).

``GET /log/tile/<L>/<N>[.p/<W>]`` — Merkle tiles, public; ``GET /log/tile/entries/<N>[.p/<W>]``
— entry bundles (each envelope's canonical bytes, uint16 big-endian length first), for
``auditor`` and ``admin`` tokens only, as ``/log/entries`` (SPEC §6: envelopes name staff).
Both are ``application/octet-stream``; full tiles are immutable and cached for a year, partial
ones for a minute (entry bundles only in private caches); a tile the latest signed checkpoint does not cover is 404. Entry bundles are
gzipped when the client accepts it.

``GET /certificates/{number}/proof`` — the ``c2sp.org/tlog-proof@v1`` of the certificate's
issuance (``audit/proof.py``) against the checkpoint ``/log/checkpoint`` serves, as a
``<number>.tlog-proof`` download; 404 (``NO_SUCH_CERTIFICATE``, or ``NOT_YET_IN_LOG`` until a
signed checkpoint covers the issuance).
"""

from __future__ import annotations

import functools
import gzip

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ..audit import proof, tiles
from ..audit.log import TransparencyLog
from ..audit.note import split_note
from ..bootstrap import Container
from ..domain.certificates import Certificate, read_number
from .audit import refused_entries
from .jsonio import JSONResponse

FULL_CACHE = "max-age=31536000, immutable"
PARTIAL_CACHE = "max-age=60"  # a log may drop a partial tile once the full one exists


def read(log: TransparencyLog, tile: tiles.Tile) -> bytes | None:
    """The tile's bytes, or ``None`` beyond the latest signed checkpoint (blocking: three
    reads — the checkpoint, then one range of nodes or of leaves)."""
    latest = log.view.latest_checkpoint()
    size = latest.size if latest is not None else 0
    return tiles.tile_content(
        tile, size, log.view.level_range,
        lambda start, count: [leaf.envelope for leaf in log.view.leaves(start, count)])


def _gzip_accepted(request: Request) -> bool:
    accepted = request.headers.get("accept-encoding", "")
    return any(part.split(";")[0].strip() == "gzip" for part in accepted.split(","))


async def tile(request: Request) -> Response:
    from .app import container_of

    try:
        wanted = tiles.parse_path(request.path_params["path"])
    except tiles.TileError as error:
        return PlainTextResponse(f"no such tile: {error}\n", status_code=404)
    if wanted.entries:
        refused = await refused_entries(request)
        if refused is not None:
            return refused
    log = container_of(request).audit
    try:
        body = await run_in_threadpool(read, log, wanted)
    except tiles.EntryTooLong as error:
        return PlainTextResponse(f"this entry bundle cannot be served: {error}\n",
                                 status_code=500)
    if body is None:
        return PlainTextResponse(
            f"no such tile: the latest signed checkpoint does not cover {wanted.path()}; "
            "fetch /log/checkpoint and ask only for the tiles its size needs\n",
            status_code=404, headers={"Cache-Control": "no-cache"})
    # Public hash tiles may be kept by any cache; entry bundles only by the auditor's own.
    scope = "private" if wanted.entries else "public"
    headers = {"Cache-Control": f"{scope}, {PARTIAL_CACHE if wanted.partial else FULL_CACHE}"}
    if wanted.entries:
        headers["Vary"] = "Accept-Encoding"
        if _gzip_accepted(request):
            body = await run_in_threadpool(gzip.compress, body, 6)
            headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="application/octet-stream", headers=headers)


def served_note(container: Container) -> str | None:
    """The checkpoint note ``GET /log/checkpoint`` serves — with witnesses configured, the
    newest that reached the quorum, cosignatures included (``None`` while none has)."""
    return container.witnessing.checkpoint_note()


def _certificate_proof(request: Request, number: str) -> str | proof.TlogProof:
    from .app import container_of

    container = container_of(request)
    found = proof.certificate_proof(container.audit, number, served_note(container))
    if isinstance(found, str) and not container.app.exists(Certificate.create_id(number)):
        return "no such certificate"  # (asked of the event store: no view can lag behind)
    return found


async def certificate_proof(request: Request) -> Response:
    number, _ = read_number(request.path_params["number"])
    found = await run_in_threadpool(_certificate_proof, request, number) if number else None
    if not isinstance(found, proof.TlogProof):
        if found is None or found == "no such certificate":
            return JSONResponse({"error": "no such certificate", "code": "NO_SUCH_CERTIFICATE"},
                                status_code=404)
        return JSONResponse({
            "error": f"certificate {number} is {found}: the log signs a checkpoint every few "
                     "seconds (and its witnesses cosign it); ask again in a minute",
            "code": "NOT_YET_IN_LOG"}, status_code=404, headers={"Cache-Control": "no-cache"})
    return Response(found.text(), media_type="text/plain; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{number}.tlog-proof"',
        "Cache-Control": "no-cache",  # a newer checkpoint makes a newer proof
    })


def proof_offer(served: str | None, origin: str, number: str | None, index: int | None
                ) -> tuple[str | None, int]:
    """For the verification page: where certificate ``number``'s tlog proof is (``None``
    until ``served``, the checkpoint note ``/log/checkpoint`` serves, covers its issuance at
    leaf ``index``) and how many witnesses cosigned that checkpoint (signatures other than
    the log's own, ``origin``)."""
    if number is None or index is None or served is None:
        return None, 0
    size, signers = _read_served(served)
    if index >= size:
        return None, 0
    return f"/certificates/{number}/proof", len(signers - {origin})


@functools.lru_cache(maxsize=8)
def _read_served(served: str) -> tuple[int, frozenset[str]]:
    """The served note's tree size and signers, read once per note (a new one every few
    seconds; parsing it for every verification was 9 % of ``/api/verify``)."""
    _, signatures = split_note(served)
    return proof.served_size(served), frozenset(name for name, _ in signatures)


def routes() -> list[Route]:
    return [
        Route("/log/tile/{path:path}", tile, methods=["GET"]),
        Route("/certificates/{number}/proof", certificate_proof, methods=["GET"]),
    ]
