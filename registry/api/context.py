"""Per-request context: the caller (from the bearer token), the services, and a way to call
the synchronous services off the event loop."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info

from ..application.context import CommandContext
from ..application.service import RegistryService
from ..config import Settings
from ..domain.access import Action, Principal, authorize

T = TypeVar("T")


@dataclass
class Context:
    request: Request | None
    response: Response | None
    service: RegistryService
    settings: Settings
    principal: Principal | None = None
    correlation_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def command(self, action: Action) -> CommandContext:
        """Authenticate and authorise ``action``; the metadata its events will carry."""
        principal = authorize(self.principal, action)
        return CommandContext(
            actor_name=principal.name,
            actor_role=principal.role.value,
            correlation_id=self.correlation_id,
        )

    def require(self, action: Action) -> Principal:
        return authorize(self.principal, action)

    async def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """eventsourcing has no async API: run ``fn`` in the thread pool."""
        return await run_in_threadpool(partial(fn, *args, **kwargs))


def ctx(info: Info[Context, Any]) -> Context:
    return info.context
