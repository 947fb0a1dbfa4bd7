"""``/graphql`` at the HTTP level: refusals as JSON, and the anonymous rate limit.

strawberry answers a request it cannot parse with a plain-text 400, and a JSON body that is
not an object (``null``, ``1``, ``"x"``) with a 500. Here every such request answers a JSON
``{"errors": [{"message", "extensions": {"code"}}]}`` with its HTTP status, like any other
refusal. A request whose bearer token does not authenticate spends the public budget of
:mod:`registry.web.ratelimit` (SPEC §10), with 429 and ``Retry-After`` when it is over.
"""

from __future__ import annotations

from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UnsetType

from ..api.context import Context
from . import metrics
from .graphql import RegistryGraphQL
from .jsonio import JSONResponse
from .ratelimit import PUBLIC, RATE_LIMITED, Refusal, limits_of
from .websocket import LiveConnection

CODES = {404: "NOT_FOUND", 429: RATE_LIMITED}


class RateLimited(HTTPException):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(429, refusal.message)
        self.headers = refusal.headers()


def refusal_response(status: int, message: str, headers: dict[str, str] | None = None
                     ) -> Response:
    code = CODES.get(status, "INVALID_INPUT")
    metrics.count_graphql_errors([code])
    return JSONResponse({"data": None, "errors": [{"message": message,
                                                   "extensions": {"code": code}}]},
                        status_code=status, headers=headers)


class GuardedGraphQL(RegistryGraphQL):
    def __init__(self, container_of: Any, *, max_message_bytes: int, **kwargs: Any) -> None:
        super().__init__(container_of, **kwargs)
        self.max_message_bytes = max_message_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            connection = LiveConnection(scope, receive, send, self.max_message_bytes)
            await connection.serve(super().__call__)
            return
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except RateLimited as limited:
            response = refusal_response(429, limited.reason, limited.headers)
        except HTTPException as error:
            response = refusal_response(error.status_code, _sentence(error.reason))
        await response(scope, receive, send)

    def parse_json(self, data: str | bytes) -> Any:
        try:
            parsed = super().parse_json(data)
        except UnicodeDecodeError:
            raise HTTPException(400, "The body must be JSON in UTF-8.") from None
        except RecursionError:
            raise HTTPException(400, "The JSON is nested too deeply.") from None
        if not isinstance(parsed, (dict, list)):
            raise HTTPException(400, "The request must be a JSON object "
                                     '({"query": "…", "variables": {…}}), and so must '
                                     "`variables` and `extensions`.")
        return parsed

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None = None
    ) -> Context:
        context = await super().get_context(request, response)
        if context.principal is None and isinstance(request, Request):
            limits = limits_of(request.scope)
            refusal = await limits.refusal(PUBLIC, request.scope) if limits else None
            if refusal is not None:
                raise RateLimited(refusal)
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """An anonymous connection spends one request of the public budget (SPEC §10); over
        it, the connection is refused (4403)."""
        payload = await super().on_ws_connect(context)
        connection = context.connection
        if context.principal is None and isinstance(connection, LiveConnection):
            limits = limits_of(connection.scope)
            if limits is not None and await limits.refusal(PUBLIC, connection.scope):
                raise ConnectionRejectionError()
        return payload


def _sentence(reason: str) -> str:
    reason = reason.strip() or "Bad request."
    return reason if reason.endswith(".") else f"{reason}."
