"""Online proctoring availability: clause 3.8 (final attestation is remote ONLY where an online
proctoring system exists)."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .text import optional_text


class Proctoring(Aggregate):
    """One per registry: the availability now in force, and its history as events."""

    ID: UUID = uuid5(NAMESPACE_URL, "det-registry:/proctoring")

    @staticmethod
    def create_id() -> UUID:
        return Proctoring.ID

    @event("Created")
    def __init__(self) -> None:
        self.available = False
        self.system: str | None = None

    def set_availability(self, *, available: bool, system: str | None) -> None:
        self._availability_set(
            available=available, system=optional_text(system, "system", max_length=200)
        )

    @event("AvailabilitySet")
    def _availability_set(self, *, available: bool, system: str | None) -> None:
        self.available = available
        self.system = system
