"""The web application (Starlette 1.x, served by uvicorn).

Routes (SPEC §4): ``/graphql`` (HTTP, and WebSocket for subscriptions); ``GET /v`` the verification page; ``POST /api/verify``
(the verdict's reason in the ``lang`` of the body or query, else by ``Accept-Language``);
``/.well-known/jwks.json``; ``/certificates/{number}/qr.png|qr.svg``;
``/certificates/{number}.pdf`` the printable certificate; ``/healthz``, ``/readyz`` and
``/metrics`` (``web/readiness.py``, ``web/metrics.py``); the open credentials
(``web/credentials.py``: ``/certificates/{number}/credential.json``, ``/.well-known/did.json``,
``/status/lists/{n}``); the transparency log (``web/audit.py``: ``/log/…``) and the registry
as a witness (``web/witness.py``: ``POST /witness/add-checkpoint``).
The lifespan builds the registry off the event loop and closes it on shutdown (the live
updates' hub included), so SQLite's WAL is checkpointed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from .. import fastjson
from ..api.schema import schema
from ..audit.log import RECENT_SECONDS
from ..bootstrap import Container, build
from ..clock import Clock
from ..config import Settings
from ..domain.verdicts import LANGUAGES, Reason, language_of
from ..heap import frozen
from ..recent import Recent
from ..signing import qr_png, qr_svg
from ..storage.errors import unavailable_reason
from . import audit, credentials, documents, metrics, pdf, witness
from .assets import StaticAssets
from .edge import Edge, Gate
from .graphql import local_graphiql_html
from .graphql_http import GuardedGraphQL
from .jsonio import JSONResponse
from .ratelimit import RateLimits
from .readiness import readyz
from .tiles import proof_offer, served_note
from .tiles import routes as tile_routes

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
CORS_HEADERS = ["Authorization", "Content-Type", "X-Request-Id", "X-On-Behalf-Of"]
MAX_SUBSCRIPTIONS = 20  # operations at once on one WebSocket connection
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def container_of(conn: HTTPConnection) -> Container:
    container: Container | None = getattr(conn.app.state, "container", None)
    if container is None:
        raise RuntimeError("the registry is not started")
    return container


async def verify_page(request: Request) -> Response:
    static: StaticAssets = request.app.state.static
    response = static.response("verify.html", "text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["Cache-Control"] = "no-cache"
    response.headers.update(SECURITY_HEADERS)
    return response


def bad_request(message: str) -> Response:
    return JSONResponse({"error": message, "code": "INVALID_INPUT"}, status_code=400)


async def api_verify(request: Request) -> Response:
    raw = await request.body()
    try:  # orjson first; what it refuses, the standard library judges as it always did
        body = fastjson.loads(raw)  # (a UTF-8 BOM, UTF-16 or -32, NaN: accepted before)
    except ValueError:
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return bad_request("the body must be JSON")
    if not isinstance(body, dict):
        return bad_request("the body must be a JSON object")
    container = container_of(request)
    service = container.service
    token, number = body.get("token"), body.get("number")
    if isinstance(token, str) and token:
        quick, rest = service.verification(token=token)
    elif isinstance(number, str) and number:
        quick, rest = service.verification(number=number)
    else:
        return bad_request('send {"token": "…"} or {"number": "…"}')
    served: Recent[str | None] = request.app.state.served_note
    origin = container.audit.origin
    place = None if quick is None else audit.certificate_in_log_from_memory(container.audit,
                                                                             quick)
    note = served.in_memory() if place is not None else None
    if quick is not None and place is not None and note is not None:
        # answered from memory, on the loop
        result, (log_index, log_proof) = quick, place
        proof_url, witnesses = proof_offer(note[0], origin, _number(result), log_index)
    else:
        def verified() -> tuple[dict[str, Any], tuple[int | None, str | None],
                                tuple[str | None, int]]:
            # one thread hop for what memory lacked: the verdict's row (what was checked on
            # the loop — the token's signature — is not checked again), the certificate's
            # place in the log and its proof
            result = quick if quick is not None else rest()
            place = audit.certificate_in_log(container.audit, result)
            return result, place, proof_offer(served.get(), origin, _number(result), place[0])

        result, (log_index, log_proof), (proof_url, witnesses) = await run_in_threadpool(
            verified)
    lang = body.get("lang") if isinstance(body.get("lang"), str) else None
    if not lang and request.scope.get("query_string"):  # ?lang=… (parsed only when there)
        lang = request.query_params.get("lang")
    verdict = public_verdict(result, language_of(lang, request.headers.get("accept-language")))
    metrics.count_verification(str(verdict["status"]))
    verdict["log_index"], verdict["log_proof"] = log_index, log_proof
    # The certificate's tlog proof (issue 16), and how many witnesses cosigned its checkpoint.
    verdict["certificate_proof"], verdict["log_witnesses"] = proof_url, witnesses
    # For a wallet (issue 13): the Open Badges credential of a certificate in force.
    cert = result["certificate"]
    verdict["credential_url"] = container.settings.credential_url(cert["number"]) \
        if cert and cert.get("credential") and verdict["status"] == "VALID" else None
    return JSONResponse(verdict, headers={"Cache-Control": "no-store"})


def _number(result: dict[str, Any]) -> str | None:
    certificate = result.get("certificate")
    return certificate["number"] if certificate else None


def public_verdict(result: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    """Only what the printed certificate shows (SPEC §4); ``reason`` worded in ``lang``,
    ``reasons`` in each of kk, ru and en."""
    cert = result["certificate"]
    shown = None
    if cert is not None:
        shown = {k: cert[k] for k in ("number", "fullName", "courseTitle", "credits", "issuedOn")}
        shown["status"] = cert["status"]
        shown["supersededBy"] = cert.get("supersededBy")
    explanation: Reason | None = result.get("explanation")
    reasons = ({code: explanation.text(code) for code in LANGUAGES} if explanation is not None
               else dict.fromkeys(LANGUAGES, result["reason"]) if result["reason"] else None)
    return {"status": result["status"], "certificate": shown,
            "reason": reasons[lang] if reasons else None, "lang": lang,
            "reasons": reasons,  # the same in each language: the page switches without asking
            "kid": result.get("kid")}


async def jwks(request: Request) -> Response:
    keys = await run_in_threadpool(container_of(request).service.jwks)
    return JSONResponse(keys, headers={"Cache-Control": "public, max-age=300"})


async def certificate_qr(request: Request) -> Response:
    container = container_of(request)
    number = request.path_params["number"]
    fmt = request.path_params["fmt"]
    if fmt not in ("png", "svg"):
        return JSONResponse({"error": "the QR comes as qr.png or qr.svg"}, status_code=404)
    doc = await run_in_threadpool(container.service.certificate, number)
    if doc is None or not doc.get("token"):
        return JSONResponse({"error": "no such certificate"}, status_code=404)
    url = container.settings.verification_url(doc["token"])
    if fmt == "png":
        return Response(await run_in_threadpool(qr_png, url), media_type="image/png")
    return Response(await run_in_threadpool(qr_svg, url), media_type="image/svg+xml")


def witnessed_state(container: Container) -> dict[str, Any]:
    """The witnesses' side of ``/healthz`` (blocking): the newest witnessed checkpoint's size
    and age, the quorum, how many witnesses, and why any of them does not cosign."""
    witnessing = container.witnessing
    names = witnessing.witnesses()
    if not names:
        return {"witnesses": 0, "problems": {}}
    latest = witnessing.latest()
    age = metrics.age_seconds(latest[0].signed_at, container.clock.now()) if latest else None
    return {"witnesses": len(names), "quorum": witnessing.quorum(),
            "size": latest[0].size if latest else None, "ageSeconds": age,
            "problems": witnessing.problems()}


async def healthz(request: Request) -> Response:
    """``ok``; ``degraded`` (still 200: reads are served) with the reasons when the store
    refused a write, a background loop is failing, the log refuses to sign or a witness
    refuses or cannot be reached; 503 when the store cannot even be read, or while starting.
    With witnesses, ``witnessed`` gives the newest witnessed checkpoint's size and age."""
    container: Container | None = getattr(request.app.state, "container", None)
    if container is None:
        return JSONResponse({"status": "starting"}, status_code=503)
    try:
        size = await run_in_threadpool(container.audit.size)
    except Exception as error:
        reason = unavailable_reason(error) or f"{type(error).__name__}: {error}"
        log.warning("health: the store cannot be read: %s", reason)
        return JSONResponse({"status": "unavailable", "reasons": {"store": reason}},
                            status_code=503, headers={"Cache-Control": "no-store"})
    reasons = {name: problem for name, problem in (
        ("writes", container.service.write_problem),
        ("projection", container.projection_problem()),
        ("logProjection", container.audit_runner.problem),
        ("checkpoints", container.checkpointer.backoff.problem),
        ("log", container.audit.problem),
        ("live", container.live.problem),
    ) if problem}
    witnessed = await run_in_threadpool(witnessed_state, container)
    if witnessed["problems"]:
        reasons["witnesses"] = "; ".join(f"{name}: {problem}" for name, problem
                                         in sorted(witnessed["problems"].items()))
    return JSONResponse({
        "status": "degraded" if reasons else "ok",
        "reasons": reasons,
        "position": min(container.board.progress.positions.values(), default=0),
        "projections": {name: {"position": position,
                               **({"stopped": container.board.progress.stopped[name]}
                                  if name in container.board.progress.stopped else {})}
                        for name, position in sorted(container.board.progress.positions.items())},
        "log": {"size": size, "problem": container.audit.problem},
        **({"witnessed": {key: witnessed[key] for key in ("size", "ageSeconds", "quorum",
                                                          "witnesses")}}
           if witnessed["witnesses"] else {}),
        "live": {"subscribers": container.live.subscribers, "dropped": container.live.dropped},
    }, headers={"Cache-Control": "no-store"})


def serving_app() -> Starlette:
    """The app as ``registry serve`` runs it (each worker's factory with ``--workers``)."""
    return create_app(freeze_heap=True)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    poll_interval: float = 1.0,
    freeze_heap: bool = False,
) -> Starlette:
    """The registry's ASGI app. ``freeze_heap`` (``registry serve``): once started, what it
    built — the schema, the modules, the caches' structures — is moved out of the garbage
    collector's sight (``gc.freeze``), so its collections walk the requests' objects only;
    measured in ``bench/README.md``. Not for a process that builds and drops apps (the
    tests): frozen objects are never collected."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        container = await run_in_threadpool(
            build, settings, clock, poll_interval=poll_interval
        )
        app.state.container = container
        # the checkpoint /log/checkpoint serves, a second old at most, for /api/verify's link
        app.state.served_note = Recent(lambda: served_note(container), RECENT_SECONDS)
        container.app.saved_observers.append(metrics.count_events)
        container.witnessing.observers.append(metrics.count_witness_submission)
        app.state.rate_limits = RateLimits(settings)  # its async storages live on this loop
        try:
            with frozen() if freeze_heap else nullcontext():
                yield
        finally:
            app.state.container = None
            await app.state.rate_limits.aclose()
            await run_in_threadpool(container.close)

    graphql = GuardedGraphQL(
        container_of,
        schema=schema,
        graphql_ide=None if settings.production else "graphiql",
        multipart_uploads_enabled=True,
        # Subscriptions over WebSocket with the protocol GraphiQL and Apollo use (SPEC §9);
        # an upgrade from another site's page needs its Origin on REGISTRY_CORS_ORIGINS.
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        allowed_origins=settings.cors_origins,
        max_subscriptions_per_connection=MAX_SUBSCRIPTIONS,
        max_message_bytes=settings.max_ws_message_bytes,
    )
    # Read once, now: replacing the installed package cannot break a live server (assets.py).
    static = StaticAssets(STATIC)
    if not settings.production:
        local_graphiql_html()
    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/v", verify_page, methods=["GET"]),
        Route("/api/verify", api_verify, methods=["POST"]),
        Route("/.well-known/jwks.json", jwks, methods=["GET"]),
        Route("/certificates/{number}/qr.{fmt:str}", certificate_qr, methods=["GET"]),
        Route("/certificates/{number}.pdf", pdf.certificate_pdf, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics.metrics, methods=["GET"]),
        *audit.routes(),
        *witness.routes(),
        *documents.routes(),
        *credentials.routes(),
        *tile_routes(),  # /log/tile/…, /certificates/{number}/proof
        Route("/static/{path:path}", static.endpoint, methods=["GET", "HEAD"], name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.container = None
    app.state.settings = settings
    app.state.static = static
    app.state.pdf_cache = pdf.PdfCache()
    if settings.emblem is not None:  # read once, now: the PDFs never read the file again
        pdf.load_emblem(settings.emblem)
    app.state.status_lists = credentials.StatusLists()
    app.state.revocations = credentials.Revocations()
    # Two layers around the routes (edge.py): the gate (rate limits, then the body's size: a
    # refused request reads no body), CORS when configured (so refusals carry its headers),
    # and outermost the edge (request id, metrics: every answer timed, every line with its id).
    app.add_middleware(Gate, max_bytes=settings.max_request_bytes)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                           allow_methods=["GET", "POST"], allow_headers=CORS_HEADERS,
                           expose_headers=["Retry-After", "X-Request-Id"], max_age=600)
    app.add_middleware(Edge)
    return app
