"""Learners (R5): registration, identity and circumstances (3.5.4, 3.11–3.13), erasure (SPEC
§10). Their enrolments are in ``enrollments.py``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from eventsourcing.utils import get_topic

from ..domain.certificates import Certificate
from ..domain.errors import AlreadyExists
from ..domain.learners import IinClaim, Learner, VerificationMethod, erasure_reason
from ..domain.periods import Order, Period
from ..domain.text import check_code, clean_text
from .mapper import stored_state
from .registry import Registry, Saved


class LearnerCommands:
    def __init__(self, app: Registry) -> None:
        self.app = app

    def get(self, learner_id: UUID) -> Learner:
        return self.app.load(Learner, learner_id, f"Learner {learner_id}")

    def circumstances(self, learner_id: UUID) -> Learner:
        """The learner as the grade rules read it — its study window and exam circumstances —
        without its personal data (not read or unsealed: a copy whose names read as erased,
        for rules only, never saved)."""
        return self.app.load(Learner, learner_id, f"Learner {learner_id}", personal=False)

    def by_iin(self, iin: str) -> UUID | None:
        """The learner registered with this IIN (through its claim: no personal data read)."""
        if not (len(iin) == 12 and iin.isdigit()):
            return None
        claim = self.app.find(IinClaim, IinClaim.create_id(self.app.iin_digest(iin)))
        if claim is None:
            return None
        learner_id: UUID = claim.learner_id
        return learner_id

    def by_iins(self, iins: Sequence[str]) -> dict[str, UUID]:
        """``by_iin`` for many IINs, their claims read together: IIN → learner id of the
        registered ones."""
        valid = {iin: IinClaim.create_id(self.app.iin_digest(iin)) for iin in iins
                 if len(iin) == 12 and iin.isdigit()}
        read_together = self.app.read_together
        if read_together is None or self.app.in_batch:
            claims = {c.id: c for c in self.app.load_many(IinClaim, list(valid.values()))}
            return {iin: claims[i].learner_id for iin, i in valid.items() if i in claims}
        # A claim is one event for good (IinClaim has no other): its learner is read from
        # that stored event, without making an aggregate of each (a third of the time of
        # finding a gradebook's learners).
        stored = read_together(list(valid.values()))
        claimed = get_topic(IinClaim.Claimed)  # type: ignore[attr-defined]  # by @event
        found: dict[str, UUID] = {}
        for iin, claim_id in valid.items():
            events = stored.get(claim_id)
            if events and events[0].topic == claimed:
                found[iin] = stored_state(self.app.mapper, events[0].state)["learner_id"]
        return found

    def register(
        self,
        *,
        full_name: str,
        email: str | None,
        iin: str | None,
        full_name_latin: str | None,
    ) -> Saved:
        learner = Learner.register(full_name=full_name, email=email, iin=iin,
                                   full_name_latin=full_name_latin)
        claim = None
        if learner.iin is not None:
            digest = self.app.iin_digest(learner.iin)
            if self.app.exists(IinClaim.create_id(digest)):
                raise AlreadyExists("A learner with this IIN is already registered.", field="iin")
            claim = IinClaim(iin_digest=digest, learner_id=learner.id)
        return self.app.commit(learner, claim, value=str(learner.id))

    # -- identity and circumstances (3.5.4, 3.11–3.13) -------------------------------------

    def verify_identity(
        self, *, learner_id: UUID, method: VerificationMethod, verified_on: date | None = None
    ) -> Saved:
        learner = self.get(learner_id)
        learner.verify_identity(method=method, verified_on=verified_on or self.app.today())
        return self.app.commit(learner, value=str(learner.id))

    def record_business_trip(self, *, learner_id: UUID, start: date, end: date) -> Saved:
        period = Period.checked(start, end, "business trip")
        learner = self.get(learner_id)
        learner.record_business_trip(period)
        return self.app.commit(learner, value=str(learner.id))

    def restore_studies(self, *, learner_id: UUID, order_number: str, ordered_on: date) -> Saved:
        order = Order.checked(order_number, ordered_on, "restoration order")
        learner = self.get(learner_id)
        learner.restore_studies(order)
        return self.app.commit(learner, value=str(learner.id))

    def record_trip_abroad(self, *, learner_id: UUID, start: date, end: date) -> Saved:
        period = Period.checked(start, end, "trip abroad")
        learner = self.get(learner_id)
        learner.record_trip_abroad(period)
        return self.app.commit(learner, value=str(learner.id))

    def record_return_order(
        self, *, learner_id: UUID, order_number: str, ordered_on: date, application: str
    ) -> Saved:
        order = Order.checked(order_number, ordered_on, "return order")
        application = clean_text(application, "application", max_length=500)
        learner = self.get(learner_id)
        learner.record_return_order(order, application=application)
        return self.app.commit(learner, value=str(learner.id))

    def record_dean_directive(
        self, *, learner_id: UUID, directive_number: str, issued_on: date,
        disciplines: list[str],
    ) -> Saved:
        order = Order.checked(directive_number, issued_on, "directive")
        codes = [check_code(code, "discipline") for code in disciplines]
        learner = self.get(learner_id)
        learner.record_dean_directive(order, disciplines=codes)
        return self.app.commit(learner, value=str(learner.id))

    def record_internship_abroad(self, *, learner_id: UUID, start: date, end: date) -> Saved:
        period = Period.checked(start, end, "internship")
        learner = self.get(learner_id)
        learner.record_internship_abroad(period)
        return self.app.commit(learner, value=str(learner.id))

    # -- erasure (SPEC §10) -------------------------------------------------------------------

    def erase_personal_data(self, *, learner_id: UUID, reason: str) -> Saved:
        """Erase a learner's personal data: record ``PersonalDataErased`` on the learner and
        ``HolderErased`` on each of their certificates (one atomic save; the views follow
        from them), then destroy the learner's data key with every personal part and salt
        sealed under it. Safe to run again: a learner already erased records nothing new, and
        the destruction is repeated (it finishes an erasure cut short by a crash)."""
        reason = erasure_reason(reason)
        learner = self.get(learner_id)
        subject = str(learner.id)
        # (An originator whose first write lost a race was never stored: skipped.)
        certificates = [
            self.app.load(Certificate, UUID(o.originator_id), "Certificate")
            for o in self.app.personal_store.originators_of(subject)
            if o.kind == Certificate.__name__ and self.app.exists(UUID(o.originator_id))
        ]
        learner.erase_personal_data(reason=reason)
        for certificate in certificates:
            if not certificate.holder_erased:
                certificate.erase_holder()
        saved = self.app.commit(learner, *certificates, value=subject)
        self.app.personal_store.erase_subject(subject)
        return saved
