"""Where a DET discipline's day-to-day teaching runs: clause 3.1.

The DLS (Moodle) and the MOOC platforms may host it; a personal learning environment
(Microsoft Teams, Google Classroom…) only by a recorded agreement between teacher and students.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .errors import PlatformNotApproved
from .platforms import Platform, PlatformOwnership
from .text import check_code, clean_text


@dataclass(frozen=True)
class TeacherStudentAgreement:
    teacher: str
    group: str
    agreed_on: date

    @classmethod
    def checked(cls, teacher: str, group: str, agreed_on: date) -> TeacherStudentAgreement:
        return cls(clean_text(teacher, "teacher", max_length=200),
                   clean_text(group, "group", max_length=200), agreed_on)


class DisciplineTeaching(Aggregate):
    """The platforms a DET discipline uses for day-to-day teaching."""

    @staticmethod
    def create_id(discipline: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"det-registry:/disciplines/{discipline}/teaching")

    @classmethod
    def start(cls, discipline: str) -> DisciplineTeaching:
        return cls(discipline=check_code(discipline, "discipline"))

    @event("Started")
    def __init__(self, *, discipline: str) -> None:
        self.discipline = discipline
        self.platforms: dict[str, dict[str, str] | None] = {}

    def use_platform(
        self, platform: Platform, agreement: TeacherStudentAgreement | None
    ) -> None:
        if platform.suspended:
            platform.check_may_host_moocs()  # explains the suspension
        if platform.personal and agreement is None:
            raise PlatformNotApproved(
                f"{platform.code} is a personal learning environment: record the teacher–"
                "student agreement (teacher, group, date) to teach this discipline there.",
                platform=platform.code,
            )
        if platform.ownership is PlatformOwnership.EXTERNAL and not platform.personal \
                and not platform.approved:
            platform.check_may_host_moocs()
        self._platform_used(
            platform_code=platform.code,
            agreement=None if agreement is None else {
                "teacher": agreement.teacher, "group": agreement.group,
                "agreed_on": agreement.agreed_on.isoformat(),
            },
        )

    @event("PlatformUsed")
    def _platform_used(self, *, platform_code: str, agreement: dict[str, str] | None) -> None:
        self.platforms[platform_code] = agreement
