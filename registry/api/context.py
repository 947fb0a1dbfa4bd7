"""Per-request context: the caller (from the bearer token), the services, and a way to call
the synchronous services off the event loop."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol, TypeAlias, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info as StrawberryInfo

from ..application.commands import Commands
from ..application.context import CommandContext
from ..application.live import LiveHub
from ..application.registry import Saved
from ..application.service import RegistryService
from ..config import Settings
from ..domain.access import Action, Principal, authorize
from ..domain.errors import InvalidInput, Unauthenticated
from ..projections.engine import Consistency
from .loaders import Loaders

T = TypeVar("T")


class Connection(Protocol):
    """The WebSocket a subscription runs on (``registry.web.websocket``)."""

    def drop(self, reason: str) -> None:
        """Close it now, without waiting for what it has not read."""


@dataclass
class Context:
    request: Request | None
    response: Response | None
    service: RegistryService
    settings: Settings
    principal: Principal | None = None
    # The id the events of this request's commands share: the client's X-Request-Id, or
    # one made when the first command runs (a read never pays for a random UUID).
    correlation_id: str | None = None
    audit: Any = None  # the transparency log (registry.audit.log.TransparencyLog)
    on_behalf_of: str | None = None
    on_behalf_of_invalid: str | None = None  # why the X-On-Behalf-Of header was refused
    # Why the bearer token sent was refused (unknown, expired, revoked, a bad sign-in): the
    # request goes on as anonymous, and whatever needs a caller answers this refusal.
    refusal: Unauthenticated | None = None
    # After a write: whether the views had caught up when it was answered (SPEC §2), shown
    # as ``extensions.consistency``; the projections still behind answer from the aggregate.
    consistency: Consistency | None = None
    behind: set[str] = field(default_factory=set)
    # Over WebSocket: the subscriptions' hub, the connection, and the connection_init payload
    # (strawberry sets it; it may carry the token, see registry.web.graphql).
    live: LiveHub | None = None
    token: str | None = field(default=None, repr=False)  # the bearer token the caller sent
    connection: Connection | None = None
    connection_params: dict[str, Any] | None = None
    # The relations' batched readers (registry.api.loaders), made anew after each command.
    loaders: Loaders = field(init=False)

    # Rows read ahead with a page for the relations its query selects (``relay.paginate``):
    # their resolvers answer at once instead of each awaiting a loader.
    _ready: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.service, self.call)

    def prefetched(self, rows: Mapping[str, Mapping[str, dict[str, Any]]]) -> None:
        for table, found in rows.items():
            for key, doc in found.items():
                self._ready[(table, key)] = doc

    def ready(self, table: str, key: str) -> dict[str, Any] | None:
        """Row ``key`` of ``table`` if a page read it ahead (``None``: load it), and its view
        is not behind a write of this request."""
        if not self._ready or self.service.projection_of(table) in self.behind:
            return None
        return self._ready.get((table, key))

    def caller(self) -> Principal | None:
        """The caller; the token's refusal when one was sent and refused; ``None``: none."""
        if self.principal is None and self.refusal is not None:
            raise self.refusal
        return self.principal

    def require(self, action: Action) -> Principal:
        """Authentication, then permission (SPEC §3's order)."""
        return authorize(self.caller(), action)

    async def still(self, action: Action) -> Principal:
        """``require`` again for a long-lived subscription: its token checked anew (a token
        revoked or expired since the subscription started ends it)."""
        principal = self.require(action)
        if self.token is not None:
            principal = await authenticated(self.service, self.token)
        return authorize(principal, action)

    def command(self, action: Action) -> CommandContext:
        """Authorise ``action``; the metadata its events will carry."""
        principal = self.require(action)
        if self.on_behalf_of_invalid:
            raise InvalidInput(self.on_behalf_of_invalid, field="X-On-Behalf-Of")
        if self.correlation_id is None:
            self.correlation_id = str(uuid.uuid4())
        return CommandContext(
            actor_name=principal.name,
            actor_role=principal.role.value,
            on_behalf_of=self.on_behalf_of,
            correlation_id=self.correlation_id,
        )

    async def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """eventsourcing has no async API: run ``fn`` in the thread pool."""
        return await run_in_threadpool(partial(fn, *args, **kwargs))

    async def run(self, command: CommandContext, fn: Callable[[Commands], Saved]) -> Any:
        """Run an authorised command; its value (the key of what it wrote). The command runs
        in the thread pool; waiting for the views to show it holds no thread (a future the
        projection engine resolves). Views that do not catch up in time make the answer say
        so — the write succeeded all the same."""
        service = self.service
        saved = await self.call(service.execute, command, fn)
        self.loaders = Loaders(service, self.call)  # what was read before may have changed
        self._ready = {}
        consistency = await service.board.wait_async(saved.position, service.wait_seconds)
        if not consistency.current or self.consistency is not None:
            behind = set(consistency.views) | set(self.consistency.views if self.consistency
                                                  else ())
            self.consistency = Consistency(consistency.position, tuple(sorted(behind)))
            self.behind |= behind
        return saved.value

    async def doc(self, table: str, key: str) -> dict[str, Any]:
        """What a command just wrote (from the aggregate while its view is behind, or while
        the view has no row yet: ``RegistryService.doc``)."""
        if self.service.projection_of(table) not in self.behind:
            found = await self.get(table, key)
            if found is not None:
                return found
        return await self.call(self.service.doc, table, key, fresh=True)

    async def get(self, table: str, key: str) -> dict[str, Any] | None:
        """Row ``key`` of ``table``'s view, read together with the request's other reads of
        that table (``RegistryService.get``); straight from the read cache when its views
        have not moved since it was read."""
        found = self.service.cached(table, key)
        if found is not None:
            return found
        return await self.loaders.rows(table).load(key)


Info: TypeAlias = StrawberryInfo[Context, Any]


async def authenticated(service: RegistryService, token: str) -> Principal:
    """The caller of a bearer token: from the token cache on the event loop when it is
    there (most requests: no thread hop), else read in the thread pool."""
    principal = service.cached_principal(token)
    if principal is None:
        principal = await run_in_threadpool(service.authenticate, token)
    return principal


def parse_id(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidInput(f"{value!r} is not a valid {what} id.", field="id") from None
