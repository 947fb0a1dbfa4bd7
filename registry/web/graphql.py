"""strawberry's ASGI GraphQL app with our per-request context (SPEC §8: override
``get_context``; there is no ``context_getter`` on the ASGI class)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from ..api.context import Context
from ..api.introspection import introspection_allowed
from ..bootstrap import Container
from ..domain.errors import Unauthenticated


def bearer_token(request: Request | WebSocket) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


class RegistryGraphQL(GraphQL[Context, None]):
    def __init__(self, container_of: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._container_of = container_of

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
        on_behalf_of = request.headers.get("x-on-behalf-of", "").strip()
        if on_behalf_of:
            context.on_behalf_of = on_behalf_of[:200]
        token = bearer_token(request)
        if token:
            try:
                context.principal = await context.call(container.service.authenticate, token)
            except Unauthenticated as refusal:
                context.refusal = refusal
        introspection_allowed.set(not container.settings.production or context.principal is not None)
        return context
