"""strawberry's ASGI GraphQL app with our per-request context (SPEC §8: override
``get_context``; there is no ``context_getter`` on the ASGI class).

Its answers are UTF-8 JSON as written (Kazakh letters, not ``\\u04d8`` escapes); its GraphiQL
page loads its scripts from ``/static/graphiql`` (shipped in the package: it works offline);
each answer's operation name and error codes go to the metrics (:mod:`.metrics`).
"""

from __future__ import annotations

import re
import unicodedata
from contextvars import ContextVar
from functools import cache
from types import NoneType
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.ides import get_graphql_ide_html
from strawberry.types import ExecutionResult
from strawberry.types.unset import UnsetType

from ..api.context import Context, authenticated
from ..api.introspection import introspection_allowed
from ..bootstrap import Container
from ..domain.errors import Unauthenticated
from . import jsonio, metrics
from .websocket import CONNECTION

CDN_FILE = re.compile(r"https://unpkg\.com/(?:@graphiql/)?([\w.-]+)@[\w.-]+/(?:[\w-]+/)*"
                      r"([\w.-]+\.(?:js|css))")
LOCAL_NAMES = {("plugin-explorer", "index.umd.js"): "plugin-explorer.umd.js",
               ("plugin-explorer", "style.css"): "plugin-explorer.css"}


@cache
def local_graphiql_html() -> str:
    """strawberry's GraphiQL page with each script and style sheet from ``/static/graphiql``
    (the same files: their integrity hashes stay)."""
    def local(match: re.Match[str]) -> str:
        package, name = match.group(1), match.group(2)
        return f"/static/graphiql/{LOCAL_NAMES.get((package, name), name)}"

    return CDN_FILE.sub(local, get_graphql_ide_html("graphiql"))


def _mime(content_type: str | None) -> str:
    """``application/json`` of ``application/json; charset=utf-8`` (as written: strawberry
    compares it so, and anything it would answer otherwise goes its way)."""
    return (content_type or "").partition(";")[0].strip()


def bearer(header: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` value."""
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def bearer_token(request: Request | WebSocket) -> str | None:
    return bearer(request.headers.get("authorization", ""))


ON_BEHALF_OF_MAX = 200
PARSED_ON_LOOP_MAX = 64 * 1024  # bytes of a JSON body parsed on the event loop

# A body the view has parsed and hands to strawberry's own reading (RegistryGraphQL).
_read_body: ContextVar[tuple[bytes, Any] | None] = ContextVar("_read_body", default=None)


def on_behalf_of_header(request: Request | WebSocket) -> tuple[str | None, str | None]:
    """X-On-Behalf-Of, decoded from its raw bytes as UTF-8 (Starlette decodes header values
    as Latin-1, which garbles Kazakh text): (text, None), or (None, why) when the bytes are not
    UTF-8 — a command then refuses with INVALID_INPUT rather than record a garbled name."""
    raw = [value for name, value in request.scope.get("headers") or []
           if name.lower() == b"x-on-behalf-of"]
    if not raw:
        return None, None
    try:
        text = b", ".join(raw).decode("utf-8")
    except UnicodeDecodeError:
        return None, "The X-On-Behalf-Of header is not UTF-8: send the name as UTF-8 text."
    text = unicodedata.normalize("NFC", text).strip()
    return (text[:ON_BEHALF_OF_MAX] or None), None


class RegistryGraphQL(GraphQL[Context, None]):
    def __init__(self, container_of: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._container_of = container_of

    @property
    def graphql_ide_html(self) -> str:
        return local_graphiql_html()

    def encode_json(self, data: object) -> bytes:
        return jsonio.dumps(data)

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        plain, read = await self._plain_json(request)
        data: GraphQLRequestData | list[GraphQLRequestData]
        if plain is not None:
            data = plain
        else:  # strawberry's way, with the body it would parse again already read
            kept = _read_body.set(read)
            try:
                data = await super().parse_http_body(request)
            finally:
                _read_body.reset(kept)
        first = data[0] if isinstance(data, list) and data else data
        if isinstance(first, GraphQLRequestData) and isinstance(first.operation_name, str):
            metrics.note_operation(first.operation_name)
        return data

    def parse_json(self, data: str | bytes) -> Any:
        read = _read_body.get()
        if read is not None and read[0] is data:
            return read[1]
        return super().parse_json(data)

    async def _plain_json(self, request: Any
                          ) -> tuple[GraphQLRequestData | None, tuple[bytes, Any] | None]:
        """The request's operation when it is the common case — a POST of
        ``application/json`` holding one operation whose members have the right types, with
        no streamed answer asked for — read as strawberry reads it, without parsing its
        ``Content-Type`` and ``Accept`` headers with the ``email`` package (twice a request,
        a sixth of a ``{ __typename }``'s cost in process). ``None`` for anything else: a
        batch, a wrong type, another content type, or an ``Accept`` naming
        ``multipart/mixed`` or ``text/event-stream`` go strawberry's way, which answers them;
        with them, the body and what it parsed to, if it was parsed (a large one is not parsed
        twice: :meth:`parse_json` gives strawberry the same value). A body over
        :data:`PARSED_ON_LOOP_MAX` is parsed in the thread pool."""
        if request.method != "POST" or _mime(request.content_type) != "application/json":
            return None, None
        accept = request.headers.get("accept", "").lower()
        if "multipart/mixed" in accept or "text/event-stream" in accept:
            return None, None
        raw = await request.get_body()
        # a large body (up to REGISTRY_MAX_REQUEST_BYTES) is parsed off the event loop
        body = self.parse_json(raw) if len(raw) <= PARSED_ON_LOOP_MAX else \
            await run_in_threadpool(self.parse_json, raw)
        if not isinstance(body, dict):
            return None, (raw, body)
        query, variables, extensions = (body.get("query"), body.get("variables"),
                                        body.get("extensions"))
        if not (isinstance(query, (str, NoneType)) and isinstance(variables, (dict, NoneType))
                and isinstance(extensions, (dict, NoneType))):
            return None, (raw, body)
        return GraphQLRequestData(query=query, variables=variables,
                                  operation_name=body.get("operationName"),
                                  extensions=extensions, protocol="http"), None

    async def process_result(self, request: Request, result: ExecutionResult
                             ) -> GraphQLHTTPResponse:
        if result.errors:
            metrics.count_graphql_errors([str((error.extensions or {}).get("code", "UNKNOWN"))
                                          for error in result.errors])
        return await super().process_result(request, result)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None = None
    ) -> Context:
        container: Container = self._container_of(request)
        context = Context(
            request=request if isinstance(request, Request) else None,
            response=response if isinstance(response, Response) else None,
            service=container.service,
            settings=container.settings,
            audit=container.audit,
        )
        correlation = request.headers.get("x-request-id")
        if correlation:
            context.correlation_id = correlation[:100]
        on_behalf_of, invalid = on_behalf_of_header(request)
        if on_behalf_of:
            context.on_behalf_of = on_behalf_of
        context.on_behalf_of_invalid = invalid
        if isinstance(request, WebSocket):
            context.live = container.live
            context.connection = request.scope.get(CONNECTION)
        await authenticate(context, bearer_token(request))
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """A token in the ``connection_init`` payload (``{"Authorization": "Bearer …"}``)
        stands instead of the upgrade request's header."""
        params = context.connection_params or {}
        header = params.get("Authorization", params.get("authorization"))
        if header is not None:
            context.principal = context.refusal = None
            token = bearer(header) if isinstance(header, str) else None
            if token is None:
                context.refusal = Unauthenticated(
                    'Send the token as {"Authorization": "Bearer <token>"}.')
            await authenticate(context, token)
        return await super().on_ws_connect(context)


async def authenticate(context: Context, token: str | None) -> None:
    """The caller of a bearer token (HTTP or WebSocket); a refused token leaves the caller
    anonymous, with the refusal kept for whatever needs a caller."""
    context.token = token
    if token:
        try:
            context.principal = await authenticated(context.service, token)
        except Unauthenticated as refusal:
            context.refusal = refusal
    introspection_allowed.set(not context.settings.production or context.principal is not None)
