"""Each aggregate's history on its GraphQL type: its events, with who caused them and when."""

from __future__ import annotations

import datetime
from typing import Any
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from ..domain.access import Action, Principal, sees_event_personal
from .context import Info


@strawberry.type
class Actor:
    name: str | None
    role: str | None


@strawberry.type
class HistoryEntry:
    version: int
    type: str = strawberry.field(description="The event's name, e.g. ExpertReviewed.")
    recorded_at: datetime.datetime
    actor: Actor
    on_behalf_of: str | None
    correlation_id: str | None
    causation_id: str | None
    data: JSON = strawberry.field(description="The event's data, personal data apart.")
    personal: JSON | None = strawberry.field(
        description="The event's personal part (names, reasons…): admin, inet and auditor "
                    "only; null if none, erased or not for the caller's role."
    )

    @classmethod
    def from_doc(cls, doc: dict[str, Any], principal: Principal | None) -> HistoryEntry:
        """The entry as ``principal`` may see it: the personal part and on-behalf-of only for
        the roles the matrix in ``domain.access`` allows."""
        personal = sees_event_personal(principal)
        return cls(
            version=doc["version"], type=doc["type"],
            recorded_at=datetime.datetime.fromisoformat(doc["recordedAt"]),
            actor=Actor(name=doc["actorName"], role=doc["actorRole"]),
            on_behalf_of=doc["onBehalfOf"] if personal else None,
            correlation_id=doc["correlationId"], causation_id=doc["causationId"],
            data=doc["data"], personal=doc["personal"] if personal else None,
        )


async def history_of(info: Info, aggregate_id: UUID) -> list[HistoryEntry]:
    """Staff and auditors read histories (they name staff); personal parts as the role may."""
    principal = info.context.require(Action.READ_HISTORY)
    docs = await info.context.loaders.histories.load(aggregate_id)
    return [HistoryEntry.from_doc(doc, principal) for doc in docs]
