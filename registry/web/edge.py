"""The two layers every request passes before its route (SPEC §8, §10): :class:`Edge`, outermost
— the request's id (its ``X-Request-Id``, or a new one: every log line and the answer carry it)
and its count and latency (``/metrics``); and :class:`Gate`, innermost — the client's rate-limit
budget, then the body's size limit. CORS, when configured, sits between them, so that a refusal
carries its headers.

Two layers, not four (request id, metrics, rate limit, body limit were one middleware each):
one call frame and one ``send`` wrapper per message fewer apiece. The gain measured small —
within the noise over HTTP; the layers' own work is what remains (``bench/README.md``,
"Hot paths", 2026-12-04).
"""

from __future__ import annotations

import time
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .jsonio import JSONResponse
from .logs import given_id, new_request_id, request_id
from .metrics import RequestMetrics
from .ratelimit import budget_of, limits_of, refused


class Edge:
    """Gives each request an id (``X-Request-Id`` on the answer, the logs' ``request_id``) and
    counts and times each HTTP answer, refusals included. A WebSocket gets its id only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.metrics = RequestMetrics()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http":
            if kind != "websocket":
                await self.app(scope, receive, send)
                return
            token = request_id.set(given_id(scope) or new_request_id())
            try:
                await self.app(scope, receive, send)
            finally:
                request_id.reset(token)
            return
        started = time.perf_counter()
        rid = given_id(scope) or new_request_id()
        token = request_id.set(rid)
        holder, operation = self.metrics.begin()
        status = 500

        async def edge_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-Id"] = rid
            await send(message)

        try:
            await self.app(scope, receive, edge_send)
        finally:
            self.metrics.end(scope, holder, operation, status, time.perf_counter() - started)
            request_id.reset(token)


class _TooLarge(Exception):
    pass


class Gate:
    """Counts the requests of the routes in :func:`~registry.web.ratelimit.budget_of` (429 when
    over, before the body is read), and refuses request bodies over ``max_bytes`` (413) — by
    their ``Content-Length`` at once, or as they arrive, before Starlette has read them all."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        budget = budget_of(scope)
        if budget is not None:
            limits = limits_of(scope)
            refusal = await limits.refusal(budget, scope) if limits is not None else None
            if refusal is not None:
                await refused(refusal)(scope, receive, send)
                return
        for name, value in scope.get("headers") or ():
            if name == b"content-length":
                if value.isdigit() and int(value) > self.max_bytes:
                    await self._too_large(scope, receive, send)
                    return
                break
        received = 0

        async def limited() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            {"error": f"request body over {self.max_bytes} bytes"}, status_code=413
        )
        await response(scope, receive, send)
