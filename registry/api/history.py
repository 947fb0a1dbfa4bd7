"""Each aggregate's history on its GraphQL type: its events, with who caused them and when."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from ..application.timeline import AsOf
from ..domain.access import Action, Principal, sees_event_personal
from .context import Info

# What an event's metadata fields mean, on a history entry and in the feed (timeline.Event).
RECORDED_AT = "When the registry stored it (an instant with its UTC offset)."
ON_BEHALF_OF = ("Whose request the actor carried out (the X-On-Behalf-Of header), e.g. a "
                "committee or a learner; personal: admin, inet and auditor only, else null.")
CORRELATION_ID = ("The HTTP request it came from (X-Request-ID, else one made per request): "
                  "events of one request share it.")
CAUSATION_ID = "The command it came from: events of one command share it."
DATA = "The event's data, personal data apart (the fields of its schema in events/)."
PERSONAL = ("The event's personal part (names, IIN, e-mail, reasons…): admin, inet and auditor "
            "only; null if none, erased or not for the caller's role.")
# A history read on a record that was read asOf a moment.
AS_OF_HISTORY = " On a record read with asOf: only the events stored by then."


@strawberry.type(description="Who caused an event: the token's holder and role, as recorded in "
                             "the event's metadata.")
class Actor:
    name: str | None = strawberry.field(
        description="The token's name (a learner token: learner:<id>, never the person's "
        "name); null when the event records none.")
    role: str | None = strawberry.field(
        description="The token's role: admin, inet, committee, faculty, teacher, dean, auditor "
        "or learner; null like name.")


@strawberry.type(description="One event of a record's history, oldest first: what happened, "
                             "who caused it and when (histories: staff and auditors — inet, "
                             "auditor, teacher, dean, committee, admin; others FORBIDDEN).")
class HistoryEntry:
    version: int = strawberry.field(
        description="Its version within the record (1: created), as asOf counts them.")
    type: str = strawberry.field(description="The event's name, e.g. ExpertReviewed.")
    recorded_at: datetime.datetime = strawberry.field(description=RECORDED_AT)
    actor: Actor = strawberry.field(description="Who caused it.")
    on_behalf_of: str | None = strawberry.field(description=ON_BEHALF_OF)
    correlation_id: str | None = strawberry.field(description=CORRELATION_ID)
    causation_id: str | None = strawberry.field(description=CAUSATION_ID)
    data: JSON = strawberry.field(description=DATA)
    personal: JSON | None = strawberry.field(description=PERSONAL)

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


async def history_of(info: Info, aggregate_id: UUID, at: AsOf | None = None
                     ) -> list[HistoryEntry]:
    """Staff and auditors read histories (they name staff); personal parts as the role may.
    At moment ``at``: only the events stored by then."""
    principal = info.context.require(Action.READ_HISTORY)
    loaders = info.context.loaders
    if at is None:
        docs = await loaders.histories.load(aggregate_id)
    else:
        docs, version = await asyncio.gather(loaders.histories.load(aggregate_id),
                                             loaders.versions_at(at).load(aggregate_id))
        docs = [doc for doc in docs if doc["version"] <= version]
    return [HistoryEntry.from_doc(doc, principal) for doc in docs]
