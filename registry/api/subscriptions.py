"""Live updates in GraphQL (SPEC §9): ``events`` (new stored events, as the feed shows them)
and ``certificateChanged`` (one certificate, as the views show it after each of its events),
over WebSocket (``graphql-transport-ws``; ``registry.web``). The hub and the bridge onto the
event loop are ``application/live.py``; who may watch what is ``domain/access.py``.

A refusal (no token, a role that may not, an unknown name) is raised before the stream
starts, so the client gets the protocol's ``error`` message with the code. Over WebSocket
only subscriptions run, and over HTTP none (:func:`operations_by_transport`): queries and
mutations keep the HTTP edge's rate limits and headers.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Annotated
from uuid import UUID

import strawberry
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from ..application.live import Change, Feed
from ..domain.access import Action
from ..domain.certificates import Certificate as CertificateAggregate
from ..domain.certificates import normalize_number
from ..domain.errors import InvalidInput, NotFound, Unavailable
from ..domain.keys import KeyRing
from .certificates import Certificate
from .context import Context, Info
from .timeline import Event


async def open_feed(info: Info, wants: Callable[[str, UUID], bool], *,
                    entries: bool) -> AsyncIterator[Change]:
    """Subscribe to the hub; the changes ``wants`` admits, from now on."""
    context = info.context
    if context.live is None:
        raise Unavailable("Live updates need the WebSocket endpoint /graphql.",
                          reason="no live updates")
    connection = context.connection
    feed = Feed(context.live, wants, needs_entries=entries, size=context.settings.live_queue,
                on_overflow=connection.drop if connection is not None else None)
    await context.call(context.live.subscribe, feed)
    return feed.changes()


@strawberry.type(description="Live updates over WebSocket (graphql-transport-ws at /graphql; "
                             "the token in connection_init's payload as {\"Authorization\": "
                             "\"Bearer …\"} or in the upgrade's header). Not over HTTP.")
class Subscription:
    @strawberry.subscription(description=(
        "Each event stored from now on, in order, as the `events` feed shows it (auditor, "
        "admin and inet); filters ANDed. `logIndex` is usually null this early: the audit "
        "log takes it a moment later."))
    async def events(
        self, info: Info,
        aggregate_type: Annotated[str | None, strawberry.argument(
            description="The aggregate's class name: Certificate, Mooc…")] = None,
        type: Annotated[str | None, strawberry.argument(
            description="The event's name, e.g. Revoked.")] = None,
    ) -> AsyncGenerator[Event, None]:
        info.context.require(Action.WATCH_EVENTS)
        topics = info.context.service.timeline.catalog.topics(aggregate_type, type)
        allowed = None if topics is None else frozenset(topics)
        changes = await open_feed(info, lambda topic, _: allowed is None or topic in allowed,
                                  entries=True)

        async def stream() -> AsyncGenerator[Event, None]:
            audit = info.context.audit
            async for change in changes:
                assert change.entry is not None
                # A token revoked or expired meanwhile ends the subscription (cached: cheap).
                principal = await info.context.still(Action.WATCH_EVENTS)
                logged = (await info.context.call(audit.leaf_indexes, [change.position])
                          if audit is not None else {})
                yield Event.from_doc(change.entry, principal, logged.get(change.position))

        return stream()

    @strawberry.subscription(description=(
        "One certificate, each time one of its events is stored (issued, revoked, "
        "superseded…) or a key-ring change alters its status (its signing key compromised): "
        "the certificate as the views show it then. Public, like "
        "`certificate(number)`: a verification page or an HR system watches its status."))
    async def certificate_changed(
        self, info: Info,
        number: Annotated[str, strawberry.argument(
            description="The certificate's number, as printed.")],
    ) -> AsyncGenerator[Certificate, None]:
        context = info.context
        canonical = normalize_number(number)
        if canonical is None:
            raise InvalidInput(f"{number!r} is not a certificate number.", field="number")
        doc = await context.call(context.service.certificate, canonical)
        if doc is None:
            raise NotFound(f"No certificate {canonical}.")
        aggregate = CertificateAggregate.create_id(canonical)
        # Its own events, and the key ring's: a compromised key revokes what it signed.
        watched = {aggregate, KeyRing.create_id()}
        changes = await open_feed(info, lambda _, aggregate_id: aggregate_id in watched,
                                  entries=False)

        async def stream() -> AsyncGenerator[Certificate, None]:
            status = doc["status"]
            async for change in changes:
                certificate = await certificate_after(context, canonical, change.position)
                if change.aggregate_id == aggregate or certificate.status.value != status:
                    status = certificate.status.value
                    yield certificate

        return stream()


async def certificate_after(context: Context, number: str, position: int) -> Certificate:
    """The certificate as the views show it once they have reached ``position`` (from its
    aggregate when its view is behind or stopped)."""
    service = context.service
    consistency = await service.board.wait_async(position, service.wait_seconds)
    fresh = service.projection_of("certificates") in consistency.views
    doc = await context.call(service.doc, "certificates", number, fresh=fresh)
    return Certificate.from_doc(doc, context)


def operations_by_transport(context: ExecutionContext) -> None:
    """Subscriptions over WebSocket only, queries and mutations over HTTP only."""
    over_websocket = getattr(context.context, "connection", None) is not None
    context.allowed_operations = (
        {OperationType.SUBSCRIPTION} if over_websocket
        else set(context.allowed_operations) - {OperationType.SUBSCRIPTION})
