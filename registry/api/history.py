"""Each aggregate's history on its GraphQL type: its events, with who caused them and when."""

from __future__ import annotations

import datetime
from typing import Any
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from ..domain import access
from ..domain.access import Action, Principal
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
        description="The event's personal part (names, reasons…); null if none or erased."
    )

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> HistoryEntry:
        return cls(
            version=doc["version"], type=doc["type"],
            recorded_at=datetime.datetime.fromisoformat(doc["recordedAt"]),
            actor=Actor(name=doc["actorName"], role=doc["actorRole"]),
            on_behalf_of=doc["onBehalfOf"], correlation_id=doc["correlationId"],
            causation_id=doc["causationId"], data=doc["data"], personal=doc["personal"],
        )


def shown_to(principal: Principal, doc: dict[str, Any]) -> dict[str, Any]:
    """The one place where a history entry's personal part and its ``onBehalfOf`` (which is
    personal too: it is stored in the personal part) are kept from roles that may not see
    them. The decision is the domain's: ``access.may_see_personal_history`` once the role ×
    field matrix has it; until then every role that reads histories sees them."""
    may_see = getattr(access, "may_see_personal_history", None)
    if may_see is None or may_see(principal):
        return doc
    return {**doc, "personal": None, "onBehalfOf": None}


async def history_of(info: Info, aggregate_id: UUID) -> list[HistoryEntry]:
    """Staff and auditors read histories (they name staff and hold personal data)."""
    principal = info.context.require(Action.READ_HISTORY)
    docs = await info.context.call(info.context.service.history, aggregate_id)
    return [HistoryEntry.from_doc(shown_to(principal, doc)) for doc in docs]
