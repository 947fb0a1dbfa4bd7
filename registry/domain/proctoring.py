"""Online proctoring availability, with the dates it takes effect: clause 3.8 (final
attestation is remote ONLY where an online proctoring system exists)."""

from __future__ import annotations

from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .errors import ProctoringUnavailable
from .text import optional_text

Change = tuple[date, bool, "str | None"]


def in_force(changes: list[Change], day: date) -> tuple[bool, str | None]:
    """(available, system) on ``day``: the last change effective by then (none: unavailable).
    ``changes`` are in effective-date order."""
    state: tuple[bool, str | None] = (False, None)
    for effective_from, available, system in changes:
        if effective_from <= day:
            state = (available, system)
    return state


class Proctoring(Aggregate):
    """One per registry: every change of availability, each from its effective date."""

    ID: UUID = uuid5(NAMESPACE_URL, "det-registry:/proctoring")
    PERSONAL_STATE = False  # (registry/domain/personal.py, ``keeps_personal_data``)

    @staticmethod
    def create_id() -> UUID:
        return Proctoring.ID

    @event("Created")
    def __init__(self) -> None:
        self.changes: list[Change] = []

    def set_availability(self, *, available: bool, system: str | None, effective_from: date
                         ) -> None:
        self._availability_set(available=available,
                               system=optional_text(system, "system", max_length=200),
                               effective_from=effective_from)

    @event("AvailabilitySet")
    def _availability_set(self, *, available: bool, system: str | None, effective_from: date
                          ) -> None:
        self.changes.append((effective_from, available, system))
        self.changes.sort(key=lambda change: change[0])  # stable: later records win a tie

    def in_force(self, day: date) -> tuple[bool, str | None]:
        return in_force(self.changes, day)

    def check_online_exam(self, day: date) -> None:
        available, _ = self.in_force(day)
        if not available:
            raise ProctoringUnavailable(
                f"No online proctoring system is recorded as available on {day}: the exam is "
                "sat ON_CAMPUS (3.8)."
            )
