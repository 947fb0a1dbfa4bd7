"""Platforms (R1), where disciplines teach (3.1), online-proctoring availability (3.8)."""

from __future__ import annotations

from datetime import date

from eventsourcing.application import AggregateNotFoundError

from ..domain.access import Principal, check_course_scope
from ..domain.errors import AlreadyExists
from ..domain.platforms import (
    SEED_PLATFORMS,
    CommitteeDecision,
    Platform,
    PlatformKind,
    PlatformOwnership,
)
from ..domain.proctoring import Proctoring
from ..domain.teaching import DisciplineTeaching, TeacherStudentAgreement
from ..domain.text import check_code, clean_text
from .base import RegistryBase, Saved


class PlatformCommands(RegistryBase):
    def seed_platforms(self) -> Saved:
        """Register the platforms of clause 3.1 that are not there yet (idempotent)."""
        new = [
            Platform.register(code=p.code, name=p.name, url=p.url, kind=p.kind,
                              ownership=p.ownership)
            for p in SEED_PLATFORMS
            if not self._exists(Platform.create_id(p.code))
        ]
        return self._save(*new)

    def get_platform(self, code: str) -> Platform:
        return self._get(Platform, Platform.create_id(code), f"Platform {code}")

    def register_platform(
        self, *, code: str, name: str, url: str, kind: PlatformKind, ownership: PlatformOwnership
    ) -> Saved:
        platform = Platform.register(code=code, name=name, url=url, kind=kind, ownership=ownership)
        if self._exists(platform.id):
            raise AlreadyExists(f"Platform {platform.code} is already registered.")
        return self._save(platform, value=platform.code)

    def approve_platform(self, *, code: str, decision_number: str, decided_on: date) -> Saved:
        decision = CommitteeDecision.checked(decision_number, decided_on)
        platform = self.get_platform(code)
        platform.approve(decision)
        return self._save(platform, value=platform.code)

    def suspend_platform(self, *, code: str, reason: str) -> Saved:
        reason = clean_text(reason, "reason", max_length=2000)
        platform = self.get_platform(code)
        platform.suspend(reason)
        return self._save(platform, value=platform.code)

    def resume_platform(self, code: str) -> Saved:
        platform = self.get_platform(code)
        platform.resume()
        return self._save(platform, value=platform.code)

    def use_teaching_platform(
        self, *, discipline: str, platform_code: str,
        agreement: TeacherStudentAgreement | None, actor: Principal | None = None,
    ) -> Saved:
        """Record that a DET discipline's day-to-day teaching runs on a platform (3.1)."""
        discipline = check_code(discipline, "discipline")
        platform = self.get_platform(platform_code)
        check_course_scope(actor, discipline)
        try:
            teaching: DisciplineTeaching = self.repository.get(
                DisciplineTeaching.create_id(discipline))
        except AggregateNotFoundError:
            teaching = DisciplineTeaching.start(discipline)
        teaching.use_platform(platform, agreement)
        return self._save(teaching, value=teaching.discipline)

    def _proctoring(self) -> Proctoring:
        return self._singleton(Proctoring, Proctoring.ID)

    def set_online_proctoring(
        self, *, available: bool, system: str | None, effective_from: date | None = None
    ) -> Saved:
        """Returns the availability in force today (the change may take effect later)."""
        proctoring = self._proctoring()
        proctoring.set_availability(available=available, system=system,
                                    effective_from=effective_from or self.today())
        return self._save(proctoring, value=proctoring.in_force(self.today())[0])
