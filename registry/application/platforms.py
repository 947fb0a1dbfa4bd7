"""Platforms (R1) and online-proctoring availability (clause 3.8)."""

from __future__ import annotations

from datetime import date

from eventsourcing.application import AggregateNotFoundError

from ..domain.errors import AlreadyExists
from ..domain.platforms import SEED_PLATFORMS, Platform, PlatformKind, PlatformOwnership
from ..domain.proctoring import Proctoring
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
        platform = self.get_platform(code)
        platform.approve(decision_number=decision_number, decided_on=decided_on)
        return self._save(platform, value=platform.code)

    def _proctoring(self) -> Proctoring:
        try:
            proctoring: Proctoring = self.repository.get(Proctoring.ID)
        except AggregateNotFoundError:
            proctoring = Proctoring()
        return proctoring

    def online_proctoring_available(self) -> bool:
        return self._proctoring().available

    def set_online_proctoring(self, *, available: bool, system: str | None) -> Saved:
        proctoring = self._proctoring()
        proctoring.set_availability(available=available, system=system)
        return self._save(proctoring, value=proctoring.available)
