"""The log as C2SP ``tlog-tiles`` over HTTP (SPEC §13), beside ``/log/checkpoint``.

``GET /log/tile/<L>/<N>[.p/<W>]`` — Merkle tiles, public; ``GET /log/tile/entries/<N>[.p/<W>]``
— entry bundles (each envelope's canonical bytes, uint16 big-endian length first), for
``auditor`` and ``admin`` tokens only, as ``/log/entries`` (SPEC §6: envelopes name staff).
Both are ``application/octet-stream``; full tiles are immutable and cached for a year, partial
ones for a minute (entry bundles only in private caches); a tile the latest signed checkpoint does not cover is 404. Entry bundles are
gzipped when the client accepts it.
"""

from __future__ import annotations

import gzip

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ..audit import tiles
from ..audit.log import TransparencyLog
from .audit import refused_entries

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


def routes() -> list[Route]:
    return [Route("/log/tile/{path:path}", tile, methods=["GET"])]
