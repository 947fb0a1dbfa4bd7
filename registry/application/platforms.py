"""Platforms (R1), where disciplines teach (3.1), online-proctoring availability (3.8)."""

from __future__ import annotations

from datetime import date

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
from .registry import Registry, Saved


class PlatformCommands:
    def __init__(self, app: Registry) -> None:
        self.app = app

    def seed(self) -> Saved:
        """Register the platforms of clause 3.1 that are not there yet (idempotent)."""
        new = [
            Platform.register(code=p.code, name=p.name, url=p.url, kind=p.kind,
                              ownership=p.ownership)
            for p in SEED_PLATFORMS
            if not self.app.exists(Platform.create_id(p.code))
        ]
        return self.app.commit(*new)

    def get(self, code: str) -> Platform:
        return self.app.load(Platform, Platform.create_id(code), f"Platform {code}")

    def register(
        self, *, code: str, name: str, url: str, kind: PlatformKind, ownership: PlatformOwnership
    ) -> Saved:
        platform = Platform.register(code=code, name=name, url=url, kind=kind, ownership=ownership)
        if self.app.exists(platform.id):
            raise AlreadyExists(f"Platform {platform.code} is already registered.")
        return self.app.commit(platform, value=platform.code)

    def approve(self, *, code: str, decision_number: str, decided_on: date) -> Saved:
        decision = CommitteeDecision.checked(decision_number, decided_on)
        platform = self.get(code)
        platform.approve(decision)
        return self.app.commit(platform, value=platform.code)

    def suspend(self, *, code: str, reason: str) -> Saved:
        reason = clean_text(reason, "reason", max_length=2000)
        platform = self.get(code)
        platform.suspend(reason)
        return self.app.commit(platform, value=platform.code)

    def resume(self, code: str) -> Saved:
        platform = self.get(code)
        platform.resume()
        return self.app.commit(platform, value=platform.code)

    def use_for_teaching(
        self, *, discipline: str, platform_code: str,
        agreement: TeacherStudentAgreement | None, actor: Principal | None = None,
    ) -> Saved:
        """Record that a DET discipline's day-to-day teaching runs on a platform (3.1)."""
        discipline = check_code(discipline, "discipline")
        platform = self.get(platform_code)
        check_course_scope(actor, discipline)
        teaching = (self.app.find(DisciplineTeaching, DisciplineTeaching.create_id(discipline))
                    or DisciplineTeaching.start(discipline))
        teaching.use_platform(platform, agreement)
        return self.app.commit(teaching, value=teaching.discipline)

    def proctoring(self) -> Proctoring:
        return self.app.singleton(Proctoring, Proctoring.ID)

    def set_online_proctoring(
        self, *, available: bool, system: str | None, effective_from: date | None = None
    ) -> Saved:
        """Returns the availability in force today (the change may take effect later)."""
        proctoring = self.proctoring()
        proctoring.set_availability(available=available, system=system,
                                    effective_from=effective_from or self.app.today())
        return self.app.commit(proctoring, value=proctoring.in_force(self.app.today())[0])
