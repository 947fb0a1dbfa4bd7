"""Learners and listeners: identity (R5, clauses 3.3, 3.5.4) and the circumstances that decide
how they sit final attestation (R7, R8: clauses 3.11–3.13)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .errors import (
    InvalidInput,
    InvalidTransition,
    OutsideStudyWindow,
    ReturnOrderMissing,
    StudiesNotRestored,
)
from .iin import validate_iin
from .periods import Order, Period
from .personal import ERASED, OWN_KEY, Personal, field
from .text import check_email, clean_text, optional_text


class VerificationMethod(StrEnum):
    UNIVERSITY_SSO = "UNIVERSITY_SSO"
    EGOV_DIGITAL_SIGNATURE = "EGOV_DIGITAL_SIGNATURE"
    IN_PERSON = "IN_PERSON"


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
        self.identity: dict[str, Any] | None = None
        self.business_trip: Period | None = None
        self.restoration: Order | None = None
        self.abroad: Period | None = None
        self.return_order: Order | None = None
        self.directive: Order | None = None
        self.directive_disciplines: list[str] = []
        self.internship: Period | None = None
        self.erased = False

    def correct_name(self, *, full_name: str, reason: str) -> None:
        """A name correction (e.g. before a certificate is reissued); history keeps both."""
        full_name = clean_text(full_name, "fullName", max_length=200)
        self.check_not_erased("a name correction")
        if full_name != self.full_name:
            self._name_corrected(personal={"full_name": full_name, "reason": reason})

    @event("NameCorrected")
    def _name_corrected(self, *, personal: Personal | None) -> None:
        self.full_name = field(personal, "full_name", erased=ERASED) or ERASED

    # -- erasure (SPEC §10) ------------------------------------------------------------------

    class PersonalDataErased(Aggregate.Event):
        """The learner's personal data was erased. It holds no personal data: the reason
        (free text that may name the person) is its personal part, sealed under a key of its
        own so that it survives the erasure it records (registry/domain/personal.py)."""

        personal_key = OWN_KEY
        personal: Personal | None

    def erase_personal_data(self, *, reason: str) -> bool:
        """Record the erasure; ``False`` (nothing recorded) when it was erased already. The
        caller destroys the personal parts and the data key (registry/application/)."""
        if self.erased:
            return False
        self._personal_data_erased(personal={"reason": erasure_reason(reason)})
        return True

    @event(PersonalDataErased)
    def _personal_data_erased(self, *, personal: Personal | None) -> None:
        self.full_name = ERASED
        self.full_name_latin = None
        self.iin = None
        self.email = None
        self.erased = True

    def check_not_erased(self, what: str) -> None:
        if self.erased:
            raise InvalidTransition(
                f"This learner's personal data was erased: {what} is no longer possible.")

    # -- identity (3.5.4) ------------------------------------------------------------------

    def verify_identity(self, *, method: VerificationMethod, verified_on: date) -> None:
        self._identity_verified(method=VerificationMethod(method).value, verified_on=verified_on)

    @event("IdentityVerified")
    def _identity_verified(self, *, method: str, verified_on: date) -> None:
        self.identity = {"method": VerificationMethod(method), "verified_on": verified_on}

    # -- business trip (3.11) --------------------------------------------------------------

    def record_business_trip(self, period: Period) -> None:
        self._business_trip_recorded(start=period.start, end=period.end)

    @event("BusinessTripRecorded")
    def _business_trip_recorded(self, *, start: date, end: date) -> None:
        self.business_trip = Period(start, end)
        self.restoration = None  # a new trip needs its own restoration

    def restore_studies(self, order: Order) -> None:
        if self.business_trip is None:
            raise InvalidTransition("No business trip is recorded for this learner: there are "
                                    "no studies to restore.")
        self._studies_restored(number=order.number, issued_on=order.issued_on)

    @event("StudiesRestored")
    def _studies_restored(self, *, number: str, issued_on: date) -> None:
        self.restoration = Order(number, issued_on)

    # -- return from abroad (3.12) ---------------------------------------------------------

    def record_trip_abroad(self, period: Period) -> None:
        self._trip_abroad_recorded(start=period.start, end=period.end)

    @event("TripAbroadRecorded")
    def _trip_abroad_recorded(self, *, start: date, end: date) -> None:
        self.abroad = Period(start, end)
        self.return_order = None
        self.directive = None
        self.directive_disciplines = []

    def record_return_order(self, order: Order, *, application: str) -> None:
        if self.abroad is None:
            raise InvalidTransition("No trip abroad is recorded for this learner.")
        self._return_order_recorded(number=order.number, issued_on=order.issued_on,
                                    personal={"application": application})

    @event("ReturnOrderRecorded")
    def _return_order_recorded(
        self, *, number: str, issued_on: date, personal: Personal | None
    ) -> None:
        self.return_order = Order(number, issued_on)

    def record_dean_directive(self, order: Order, *, disciplines: list[str]) -> None:
        if self.abroad is None:
            raise InvalidTransition("No trip abroad is recorded for this learner: the dean's "
                                    "directive on remote disciplines applies after one.")
        self._dean_directive_recorded(number=order.number, issued_on=order.issued_on,
                                      disciplines=sorted(set(disciplines)))

    @event("DeanDirectiveRecorded")
    def _dean_directive_recorded(
        self, *, number: str, issued_on: date, disciplines: list[str]
    ) -> None:
        self.directive = Order(number, issued_on)
        self.directive_disciplines = list(disciplines)

    # -- internship abroad (3.13) ----------------------------------------------------------

    def record_internship_abroad(self, period: Period) -> None:
        self._internship_recorded(start=period.start, end=period.end)

    @event("InternshipAbroadRecorded")
    def _internship_recorded(self, *, start: date, end: date) -> None:
        self.internship = Period(start, end)

    @property
    def study_window(self) -> Period | None:
        """An intern abroad studies theory during the internship; records outside it are
        refused. ``None``: no individual window."""
        return self.internship

    # -- the rules these circumstances make --------------------------------------------------

    def check_within_study_window(self, day: date, what: str) -> None:
        window = self.study_window
        if window is not None and day not in window:
            raise OutsideStudyWindow(
                f"{what} is dated {day}, outside this intern's theoretical-study window "
                f"{window.start} – {window.end} (3.13).",
                start=window.start.isoformat(), end=window.end.isoformat(),
            )

    def check_may_sit_exam(self, *, online: bool, mooc_code: str) -> None:
        if self.business_trip is not None:
            if self.restoration is None:
                raise StudiesNotRestored(
                    "This learner is on DET because of a business trip: the exam is sat after "
                    "the restoration of studies is recorded (3.11)."
                )
            if online:
                raise InvalidInput(
                    "A learner on DET because of a business trip sits the exam ON_CAMPUS (3.11).",
                    field="mode",
                )
        if self.abroad is not None:
            if self.return_order is None:
                raise ReturnOrderMissing(
                    "This learner is back from a trip abroad: record the return order (number, "
                    "date, from the learner's personal application) before the exam (3.12)."
                )
            if self.directive is None:
                raise ReturnOrderMissing(
                    "This learner is back from a trip abroad: the exam follows the dean's "
                    "directive, which is not recorded yet (3.12)."
                )
            if self.directive_disciplines and mooc_code not in self.directive_disciplines:
                raise ReturnOrderMissing(
                    f"The dean's directive {self.directive.number} does not list {mooc_code} "
                    "among the disciplines this learner sits (3.12)."
                )


def erasure_reason(text: str) -> str:
    """Why a learner's personal data is erased (e.g. the request's number): required."""
    return clean_text(text, "reason", max_length=2000)


class IinClaim(Aggregate):
    """Makes an IIN unique in the registry: one claim per IIN, its id derived from a keyed
    hash of the IIN (so the id alone does not reveal it)."""

    @staticmethod
    def create_id(iin_digest: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"det-registry:/iin-claims/{iin_digest}")

    @event("Claimed")
    def __init__(self, *, iin_digest: str, learner_id: UUID) -> None:
        self.learner_id = learner_id
