"""Platforms that host DET teaching and MOOCs: rule R1 (clauses 3.1, 3.2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .errors import InvalidInput, InvalidTransition, PlatformNotApproved
from .text import check_code, check_url, clean_text


class PlatformKind(StrEnum):
    DLS = "DLS"
    MOOC_PLATFORM = "MOOC_PLATFORM"
    PERSONAL_ENVIRONMENT = "PERSONAL_ENVIRONMENT"


class PlatformOwnership(StrEnum):
    UNIVERSITY = "UNIVERSITY"
    NATIONAL = "NATIONAL"
    EXTERNAL = "EXTERNAL"


@dataclass(frozen=True)
class SeedPlatform:
    code: str
    name: str
    kind: PlatformKind
    ownership: PlatformOwnership

    @property
    def url(self) -> str:
        return f"https://{self.code}"


# Present from the first start [3.1].
SEED_PLATFORMS: tuple[SeedPlatform, ...] = (
    SeedPlatform("dl.kaznu.kz", "MOODLE DLS", PlatformKind.DLS, PlatformOwnership.UNIVERSITY),
    SeedPlatform("moocs.kz", "KazNU MOOC platform", PlatformKind.MOOC_PLATFORM,
                 PlatformOwnership.UNIVERSITY),
    SeedPlatform("open.kaznu.kz", "National open-education platform",
                 PlatformKind.MOOC_PLATFORM, PlatformOwnership.NATIONAL),
)


@dataclass(frozen=True)
class CommitteeDecision:
    """The Academic Committee's decision approving an external platform [3.2]."""

    number: str
    decided_on: date

    @classmethod
    def checked(cls, number: str, decided_on: date) -> CommitteeDecision:
        return cls(clean_text(number, "decisionNumber", max_length=100), decided_on)


class Platform(Aggregate):
    PERSONAL_STATE = False  # (registry/domain/personal.py, ``keeps_personal_data``)

    @staticmethod
    def create_id(code: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"det-registry:/platforms/{code}")

    @classmethod
    def register(
        cls, *, code: str, name: str, url: str, kind: PlatformKind, ownership: PlatformOwnership
    ) -> Platform:
        return cls(
            code=check_code(code),
            name=clean_text(name, "name", max_length=200),
            url=check_url(url),
            kind=PlatformKind(kind),
            ownership=PlatformOwnership(ownership),
        )

    @event("Registered")
    def __init__(
        self, *, code: str, name: str, url: str, kind: str, ownership: str
    ) -> None:
        self.code = code
        self.name = name
        self.url = url
        self.kind = PlatformKind(kind)
        self.ownership = PlatformOwnership(ownership)
        self.decision_number: str | None = None
        self.decided_on: date | None = None
        self.suspension: str | None = None  # the reason, while suspended

    @property
    def personal(self) -> bool:
        return self.kind is PlatformKind.PERSONAL_ENVIRONMENT

    @property
    def suspended(self) -> bool:
        return self.suspension is not None

    @property
    def approved(self) -> bool:
        """May it host MOOCs? [3.2]: university and national DLS/MOOC platforms may; an
        external one once the Academic Committee approved it; a personal environment never;
        none while INET has suspended it."""
        if self.personal or self.suspended:
            return False
        if self.ownership is PlatformOwnership.EXTERNAL:
            return self.decision_number is not None
        return True

    def check_may_host_moocs(self) -> None:
        if self.approved:
            return
        if self.personal:
            why = "it is a personal learning environment (day-to-day teaching only)."
        elif self.suspended:
            why = f"INET has suspended it ({self.suspension}); resume it first."
        else:
            why = "the Academic Committee has not approved it (approvePlatform)."
        raise PlatformNotApproved(f"Platform {self.code} may not host MOOCs: {why}",
                                  platform=self.code)

    def approve(self, decision: CommitteeDecision) -> None:
        if self.personal:
            raise InvalidInput(
                f"{self.code} is a personal learning environment: it may host day-to-day teaching "
                "by teacher–student agreement, but never MOOCs, so it cannot be approved.",
                field="code",
            )
        self._approved(decision_number=decision.number, decided_on=decision.decided_on)

    @event("Approved")
    def _approved(self, *, decision_number: str, decided_on: date) -> None:
        self.decision_number = decision_number
        self.decided_on = decided_on

    def suspend(self, reason: str) -> None:
        if self.suspended:
            raise InvalidTransition(f"Platform {self.code} is already suspended.")
        self._suspended(reason=reason)

    @event("Suspended")
    def _suspended(self, *, reason: str) -> None:
        self.suspension = reason

    def resume(self) -> None:
        if not self.suspended:
            raise InvalidTransition(f"Platform {self.code} is not suspended.")
        self._resumed()

    @event("Resumed")
    def _resumed(self) -> None:
        self.suspension = None
