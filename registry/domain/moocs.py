"""Massive open online courses: rule R2 (clauses 3.2, 3.3).

``DRAFT → IN_REVIEW → IN_APPROBATION → APPROVED → PUBLISHED → CLOSED``; a failed expert
review or approbation sends the course back to ``DRAFT`` with the remarks.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .errors import InvalidInput, InvalidTransition
from .platforms import Platform
from .text import check_code, check_language, clean_text, optional_text

TITLE_LANGUAGES = ("kk", "ru", "en")


class MoocStatus(StrEnum):
    DRAFT = "DRAFT"
    IN_REVIEW = "IN_REVIEW"
    IN_APPROBATION = "IN_APPROBATION"
    APPROVED = "APPROVED"
    PUBLISHED = "PUBLISHED"
    CLOSED = "CLOSED"


@dataclass(frozen=True)
class LocalizedText:
    kk: str | None = None
    ru: str | None = None
    en: str | None = None

    @classmethod
    def checked(cls, kk: str | None, ru: str | None, en: str | None, field: str) -> LocalizedText:
        text = cls(
            kk=optional_text(kk, f"{field}.kk"),
            ru=optional_text(ru, f"{field}.ru"),
            en=optional_text(en, f"{field}.en"),
        )
        if not (text.kk or text.ru or text.en):
            raise InvalidInput(f"{field} needs at least one of kk, ru or en.", field=field)
        return text

    def get(self, language: str) -> str | None:
        return getattr(self, language, None) if language in TITLE_LANGUAGES else None

    def preferred(self, language: str) -> str:
        """The text in ``language``, else the first of kk, ru, en (R10's course title)."""
        text = self.get(language)
        if text:
            return text
        for lang in TITLE_LANGUAGES:
            text = self.get(lang)
            if text:
                return text
        raise ValueError("a localized text with no text")

    def as_dict(self) -> dict[str, str | None]:
        return {"kk": self.kk, "ru": self.ru, "en": self.en}


@dataclass(frozen=True)
class ExpertReview:
    passed: bool
    reviewer: str
    remarks: str | None

    @classmethod
    def checked(cls, passed: bool, reviewer: str, remarks: str | None) -> ExpertReview:
        return cls(passed, clean_text(reviewer, "reviewer", max_length=200),
                   optional_text(remarks, "remarks", max_length=5000))


@dataclass(frozen=True)
class Approbation:
    passed: bool
    remarks: str | None

    @classmethod
    def checked(cls, passed: bool, remarks: str | None) -> Approbation:
        return cls(passed, optional_text(remarks, "remarks", max_length=5000))


class MoocCodeClaim(Aggregate):
    """Keeps MOOC codes unique without regard to case: ``KAZLIT-101`` and ``kazlit-101`` would
    be two MOOCs to the event store (their ids differ) but one course to a person. Saved with
    the draft in one transaction, so two drafts racing for one code cannot both succeed."""

    @staticmethod
    def create_id(code: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"det-registry:/mooc-codes/{code.casefold()}")

    @event("Claimed")
    def __init__(self, *, code: str) -> None:
        self.code = code


class Mooc(Aggregate):
    PERSONAL_STATE = False  # (registry/domain/personal.py, ``keeps_personal_data``)

    @staticmethod
    def create_id(code: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"det-registry:/moocs/{code}")

    @classmethod
    def draft(
        cls,
        *,
        code: str,
        title: LocalizedText,
        language: str,
        credits: int,
        hours: int | None,
        department: str | None,
    ) -> Mooc:
        if isinstance(credits, bool) or credits <= 0:
            raise InvalidInput(f"credits (ECTS) must be more than 0; got {credits}.", field="credits")
        if hours is not None and hours <= 0:
            raise InvalidInput(f"hours must be more than 0; got {hours}.", field="hours")
        return cls(
            code=check_code(code),
            title=title.as_dict(),
            language=check_language(language),
            credits=credits,
            hours=hours,
            department=optional_text(department, "department", max_length=200),
        )

    @event("Drafted")
    def __init__(
        self,
        *,
        code: str,
        title: dict[str, str | None],
        language: str,
        credits: int,
        hours: int | None,
        department: str | None,
    ) -> None:
        self.code = code
        self.title = LocalizedText(**title)
        self.language = language
        self.credits = credits
        self.hours = hours
        self.department = department
        self.status = MoocStatus.DRAFT
        self.platform_code: str | None = None
        self.remarks: str | None = None

    @property
    def course_title(self) -> str:
        """The title in the language of instruction, else the first of kk, ru, en (R10)."""
        return self.title.preferred(self.language)

    def _require(self, *allowed: MoocStatus, action: str) -> None:
        if self.status not in allowed:
            wanted = " or ".join(s.value for s in allowed)
            raise InvalidTransition(
                f"MOOC {self.code} is {self.status.value}; to {action} it must be {wanted}.",
                status=self.status.value,
            )

    def submit_for_review(self) -> None:
        self._require(MoocStatus.DRAFT, action="submit it for expert review")
        self._submitted_for_review()

    @event("SubmittedForReview")
    def _submitted_for_review(self) -> None:
        self.status = MoocStatus.IN_REVIEW
        self.remarks = None

    def record_expert_review(self, review: ExpertReview) -> None:
        self._require(MoocStatus.IN_REVIEW, action="record an expert review")
        self._expert_reviewed(passed=review.passed, reviewer=review.reviewer,
                              remarks=review.remarks)

    @event("ExpertReviewed")
    def _expert_reviewed(self, *, passed: bool, reviewer: str, remarks: str | None) -> None:
        self.status = MoocStatus.IN_APPROBATION if passed else MoocStatus.DRAFT
        self.remarks = remarks

    def record_approbation(self, approbation: Approbation) -> None:
        self._require(MoocStatus.IN_APPROBATION, action="record its approbation")
        self._approbation_recorded(passed=approbation.passed, remarks=approbation.remarks)

    @event("ApprobationRecorded")
    def _approbation_recorded(self, *, passed: bool, remarks: str | None) -> None:
        self.status = MoocStatus.APPROVED if passed else MoocStatus.DRAFT
        self.remarks = remarks

    def publish(self, platform: Platform) -> None:
        self._require(MoocStatus.APPROVED, action="publish it")
        platform.check_may_host_moocs()
        self._published(platform_code=platform.code)

    @event("Published")
    def _published(self, *, platform_code: str) -> None:
        self.status = MoocStatus.PUBLISHED
        self.platform_code = platform_code

    def close(self) -> None:
        """No new enrolments; the enrolled finish, and their records stay."""
        self._require(MoocStatus.PUBLISHED, action="close it")
        self._closed()

    @event("Closed")
    def _closed(self) -> None:
        self.status = MoocStatus.CLOSED

    def check_open_for_enrollment(self) -> None:
        if self.status is not MoocStatus.PUBLISHED:
            raise InvalidTransition(
                f"MOOC {self.code} is {self.status.value}: learners enrol only in a published MOOC.",
                status=self.status.value,
            )
