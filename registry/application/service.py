"""The use cases the API and CLI call: run a command (retrying optimistic-concurrency
conflicts), wait until the views have seen it, and answer from the views.

Everything here is synchronous: eventsourcing has no async API. The web layer calls these
methods through a thread pool, never on the event loop.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from ..domain.access import Principal, Role
from ..domain.certificates import VerificationStatus, check_number, normalize_number, verdict_for
from ..domain.enrollments import ExamMode
from ..domain.errors import Conflict, NotFound
from ..domain.grading import ScoreComponent
from ..domain.moocs import LocalizedText
from ..domain.platforms import PlatformKind, PlatformOwnership
from ..projections.runner import CatchUpRunner
from ..projections.view import RegistryView
from .context import CommandContext, command_context
from .registry import Registry

log = logging.getLogger(__name__)

T = TypeVar("T")
Doc = dict[str, Any]

# Signs certificates and checks tokens; implemented by registry.signing, injected by bootstrap.
Signer = Callable[[str, str, str, int, date], tuple[str, str]]
TokenVerifier = Callable[[str], tuple[str, str]]  # token → (number, kid); raises ValueError


class RegistryService:
    CONFLICT_ATTEMPTS = 5

    def __init__(
        self,
        app: Registry,
        view: RegistryView,
        runner: CatchUpRunner,
        *,
        sign: Signer,
        verify_token: TokenVerifier,
    ) -> None:
        self.app = app
        self.view = view
        self.runner = runner
        self.sign = sign
        self._verify_token = verify_token

    # -- plumbing ------------------------------------------------------------------------

    def _run(self, ctx: CommandContext, command: Callable[[], T]) -> T:
        """Run ``command`` in ``ctx``; retry lost races, then answer CONFLICT; then wait
        for the views so the answer (and any later query) sees the write."""
        for attempt in range(1, self.CONFLICT_ATTEMPTS + 1):
            try:
                with command_context(ctx):
                    result = command()
                break
            except IntegrityError:
                log.info("concurrent write (attempt %d of %d)", attempt, self.CONFLICT_ATTEMPTS)
                time.sleep(random.uniform(0.005, 0.02) * attempt)  # let the winner finish
        else:
            raise Conflict(
                "Someone else changed the same record at the same moment; "
                "read it again and retry."
            )
        notification_id = result[-1] if isinstance(result, tuple) else result
        self.runner.wait(int(notification_id))  # type: ignore[call-overload]
        return result

    def _doc(self, table: str, key: str, what: str) -> Doc:
        doc = self.view.get(table, key)
        if doc is None:  # pragma: no cover - the runner waited for it
            raise NotFound(f"{what} does not exist.")
        return doc

    # -- reads ---------------------------------------------------------------------------

    def platform(self, code: str) -> Doc | None:
        return self.view.get("platforms", code)

    def mooc(self, code: str) -> Doc | None:
        return self.view.get("moocs", code)

    def learner(self, learner_id: UUID) -> Doc | None:
        return self.view.get("learners", str(learner_id))

    def enrollment(self, enrollment_id: UUID) -> Doc | None:
        return self.view.get("enrollments", str(enrollment_id))

    def certificate(self, number: str) -> Doc | None:
        canonical = normalize_number(number)
        return self.view.get("certificates", canonical) if canonical else None

    def find(self, table: str, where: Mapping[str, Any] | None = None, **kw: Any) -> list[Doc]:
        return self.view.find(table, where, **kw)

    def count(self, table: str, where: Mapping[str, Any] | None = None, **kw: Any) -> int:
        return self.view.count(table, where, **kw)

    def authenticate(self, secret: str) -> Principal | None:
        return self.app.principal_for(secret)

    # -- commands ------------------------------------------------------------------------

    def seed(self) -> None:
        self._run(CommandContext("registry", "system"), self.app.seed_platforms)

    def register_platform(
        self, ctx: CommandContext, *, code: str, name: str, url: str,
        kind: PlatformKind, ownership: PlatformOwnership,
    ) -> Doc:
        self._run(ctx, lambda: self.app.register_platform(
            code=code, name=name, url=url, kind=kind, ownership=ownership))
        return self._doc("platforms", code.strip(), f"Platform {code}")

    def approve_platform(
        self, ctx: CommandContext, *, code: str, decision_number: str, decided_on: date
    ) -> Doc:
        self._run(ctx, lambda: self.app.approve_platform(
            code=code, decision_number=decision_number, decided_on=decided_on))
        return self._doc("platforms", code, f"Platform {code}")

    def set_online_proctoring(
        self, ctx: CommandContext, *, available: bool, system: str | None
    ) -> bool:
        self._run(ctx, lambda: self.app.set_online_proctoring(available=available, system=system))
        return self.app.online_proctoring_available()

    def draft_mooc(
        self, ctx: CommandContext, *, code: str, title: LocalizedText, language: str,
        credits: int, hours: int | None, department: str | None,
    ) -> Doc:
        self._run(ctx, lambda: self.app.draft_mooc(
            code=code, title=title, language=language, credits=credits, hours=hours,
            department=department))
        return self._doc("moocs", code.strip(), f"MOOC {code}")

    def submit_mooc_for_review(self, ctx: CommandContext, code: str) -> Doc:
        self._run(ctx, lambda: self.app.submit_mooc_for_review(code))
        return self._doc("moocs", code, f"MOOC {code}")

    def record_expert_review(
        self, ctx: CommandContext, *, code: str, passed: bool, reviewer: str,
        remarks: str | None,
    ) -> Doc:
        self._run(ctx, lambda: self.app.record_expert_review(
            code=code, passed=passed, reviewer=reviewer, remarks=remarks))
        return self._doc("moocs", code, f"MOOC {code}")

    def record_approbation(
        self, ctx: CommandContext, *, code: str, passed: bool, remarks: str | None
    ) -> Doc:
        self._run(ctx, lambda: self.app.record_approbation(
            code=code, passed=passed, remarks=remarks))
        return self._doc("moocs", code, f"MOOC {code}")

    def publish_mooc(self, ctx: CommandContext, *, code: str, platform_code: str) -> Doc:
        self._run(ctx, lambda: self.app.publish_mooc(code=code, platform_code=platform_code))
        return self._doc("moocs", code, f"MOOC {code}")

    def register_learner(
        self, ctx: CommandContext, *, full_name: str, email: str | None, iin: str | None,
        full_name_latin: str | None,
    ) -> Doc:
        learner_id, _ = self._run(ctx, lambda: self.app.register_learner(
            full_name=full_name, email=email, iin=iin, full_name_latin=full_name_latin))
        return self._doc("learners", str(learner_id), "The learner")

    def enroll(self, ctx: CommandContext, *, learner_id: UUID, mooc_code: str) -> Doc:
        enrollment_id, _ = self._run(ctx, lambda: self.app.enroll(
            learner_id=learner_id, mooc_code=mooc_code))
        return self._doc("enrollments", str(enrollment_id), "The enrollment")

    def record_score(
        self, ctx: CommandContext, *, enrollment_id: UUID, component: ScoreComponent,
        points: int, reason: str | None,
    ) -> Doc:
        self._run(ctx, lambda: self.app.record_score(
            enrollment_id=enrollment_id, component=component, points=points, reason=reason))
        return self._doc("enrollments", str(enrollment_id), "The enrollment")

    def record_final_exam(
        self, ctx: CommandContext, *, enrollment_id: UUID, points: int, mode: ExamMode
    ) -> Doc:
        self._run(ctx, lambda: self.app.record_final_exam(
            enrollment_id=enrollment_id, points=points, mode=mode))
        return self._doc("enrollments", str(enrollment_id), "The enrollment")

    def issue_certificate(self, ctx: CommandContext, *, enrollment_id: UUID) -> Doc:
        number, _ = self._run(ctx, lambda: self.app.issue_certificate(
            enrollment_id=enrollment_id, sign=self.sign))
        return self._doc("certificates", number, f"Certificate {number}")

    def revoke_certificate(self, ctx: CommandContext, *, number: str, reason: str) -> Doc:
        canonical = check_number(number)
        self._run(ctx, lambda: self.app.revoke_certificate(number=canonical, reason=reason))
        return self._doc("certificates", canonical, f"Certificate {number}")

    def create_token(
        self, ctx: CommandContext, *, name: str, role: Role, learner_id: UUID | None
    ) -> str:
        secret, _ = self._run(ctx, lambda: self.app.create_token(
            name=name, role=role, learner_id=learner_id))
        return secret

    # -- verification (public) -------------------------------------------------------------

    def verify_token(self, token: str) -> Doc:
        try:
            number, _kid = self._verify_token(token)
        except ValueError as invalid:
            return self._invalid(str(invalid))
        return self._verdict(number)

    def verify_number(self, number: str) -> Doc:
        canonical = normalize_number(number)
        if canonical is None:
            return self._invalid(
                "This is not a certificate number: check it against the printed certificate."
            )
        return self._verdict(canonical)

    def _verdict(self, number: str) -> Doc:
        doc = self.view.get("certificates", number)
        if doc is None:
            return self._invalid("This registry has not issued a certificate with this number.")
        status = verdict_for(doc["status"])
        reason = None
        if status is VerificationStatus.REVOKED:
            reason = doc.get("revocationReason")
        elif status is VerificationStatus.SUPERSEDED:
            reason = f"Superseded by certificate {doc.get('supersededBy')}."
        return {"status": status.value, "certificate": doc, "reason": reason}

    @staticmethod
    def _invalid(reason: str) -> Doc:
        return {"status": VerificationStatus.INVALID.value, "certificate": None, "reason": reason}


