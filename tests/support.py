"""Helpers that walk the spine's path through the service layer (no HTTP)."""

from __future__ import annotations

import uuid
from typing import Any

from registry.application.context import CommandContext
from registry.application.service import RegistryService
from registry.domain.moocs import LocalizedText

ADMIN = CommandContext(actor_name="Test Admin", actor_role="admin")
KAZAKH_NAME = "Әлия Ғабитқызы Құрманова"
KAZAKH_TITLE = "Қазақ әдебиетінің тарихы: ң ө ұ ү һ і"


def published_mooc(service: RegistryService, code: str = "KAZLIT-101") -> dict[str, Any]:
    service.draft_mooc(
        ADMIN, code=code, title=LocalizedText(kk=KAZAKH_TITLE, en="History of Kazakh literature"),
        language="kk", credits=5, hours=150, department="Philology",
    )
    service.submit_mooc_for_review(ADMIN, code)
    service.record_expert_review(ADMIN, code=code, passed=True, reviewer="Prof. Ахметова",
                                 remarks=None)
    service.record_approbation(ADMIN, code=code, passed=True, remarks="pilot ok")
    return service.publish_mooc(ADMIN, code=code, platform_code="moocs.kz")


def enrolled(service: RegistryService, mooc_code: str, name: str = KAZAKH_NAME) -> dict[str, Any]:
    learner = service.register_learner(ADMIN, full_name=name, email="aliya@example.kz",
                                       iin=None, full_name_latin="Aliya Kurmanova")
    return service.enroll(ADMIN, learner_id=uuid.UUID(learner["id"]), mooc_code=mooc_code)


def scored(service: RegistryService, enrollment: dict[str, Any],
           points: tuple[int, int, int] = (80, 90, 70)) -> dict[str, Any]:
    eid = uuid.UUID(enrollment["id"])
    for component, value in zip(("RATING_1", "MIDTERM", "RATING_2"), points, strict=True):
        enrollment = service.record_score(ADMIN, enrollment_id=eid, component=component,
                                          points=value, reason=None)
    return enrollment


def certified(service: RegistryService, code: str = "KAZLIT-101") -> dict[str, Any]:
    published_mooc(service, code)
    enrollment = scored(service, enrolled(service, code))
    eid = uuid.UUID(enrollment["id"])
    service.record_final_exam(ADMIN, enrollment_id=eid, points=88, mode="ON_CAMPUS")
    return service.issue_certificate(ADMIN, enrollment_id=eid)
