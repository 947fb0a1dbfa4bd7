"""Learners and listeners: rule R5 (clauses 3.3, 3.5.4)."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .iin import validate_iin
from .personal import ERASED, Personal, field
from .text import check_email, clean_text, optional_text


class Learner(Aggregate):
    @classmethod
    def register(
        cls,
        *,
        full_name: str,
        email: str | None = None,
        iin: str | None = None,
        full_name_latin: str | None = None,
    ) -> Learner:
        personal: Personal = {
            "full_name": clean_text(full_name, "fullName", max_length=200),
            "full_name_latin": optional_text(full_name_latin, "fullNameLatin", max_length=200),
            "iin": validate_iin(iin) if iin is not None and iin.strip() else None,
            "email": check_email(email),
        }
        return cls(personal=personal)

    @event("Registered")
    def __init__(self, *, personal: Personal | None) -> None:
        self.full_name: str = field(personal, "full_name", erased=ERASED) or ERASED
        self.full_name_latin = field(personal, "full_name_latin")
        self.iin = field(personal, "iin")
        self.email = field(personal, "email")


class IinClaim(Aggregate):
    """Makes an IIN unique in the registry: one claim per IIN, its id derived from a keyed
    hash of the IIN (so the id alone does not reveal it)."""

    @staticmethod
    def create_id(iin_digest: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"det-registry:/iin-claims/{iin_digest}")

    @event("Claimed")
    def __init__(self, *, iin_digest: str, learner_id: UUID) -> None:
        self.learner_id = learner_id
