"""Commercial programme packages: rule R3 (clause 3.6).

A faculty prepares a package for an MBA, EMBA, DBA, external-listeners or other commercial
programme, attaches its seven documents and submits it to INET no later than one calendar month
before the start; INET accepts it or returns it with a reason. Every upload is a new version:
``documents`` shows the latest of each, ``versions`` keeps them all.

``DRAFT → SUBMITTED → ACCEPTED``, or ``SUBMITTED → RETURNED → SUBMITTED …``
"""

from __future__ import annotations

import calendar
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from eventsourcing.domain import Aggregate, event

from .access import Principal, Role
from .documents import MediaType
from .errors import (
    Forbidden,
    InvalidInput,
    InvalidTransition,
    SubmissionIncomplete,
    SubmissionTooLate,
)
from .text import clean_text, optional_text


class ProgramType(StrEnum):
    MBA = "MBA"
    EMBA = "EMBA"
    DBA = "DBA"
    EXTERNAL_LISTENERS = "EXTERNAL_LISTENERS"
    OTHER = "OTHER"


class DocumentKind(StrEnum):
    """The seven documents of clause 3.6, in its order."""

    VICE_RECTOR_ORDER = "VICE_RECTOR_ORDER"
    ACADEMIC_CALENDAR = "ACADEMIC_CALENDAR"
    CURRICULUM = "CURRICULUM"
    COST_ESTIMATE = "COST_ESTIMATE"
    PROGRAMME_PASSPORT = "PROGRAMME_PASSPORT"
    SYLLABUS = "SYLLABUS"
    TIMETABLE = "TIMETABLE"


class SubmissionStatus(StrEnum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    RETURNED = "RETURNED"


VICE_RECTOR_ORDER_REGISTRATION = "VICE_RECTOR_ORDER_REGISTRATION"
MAX_DISCIPLINES = 200


def last_submission_day(start: date) -> date:
    """The start date minus one calendar month, clamped to that month's end
    (2027-03-31 → 2027-02-28; 2028-03-31 → 2028-02-29; 2027-03-01 → 2027-02-01)."""
    year, month = (start.year, start.month - 1) if start.month > 1 else (start.year - 1, 12)
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def faculty_key(name: str) -> str:
    """Faculty names compare without regard to case, spacing or Unicode form."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


def check_faculty_scope(principal: Principal, faculty: str) -> None:
    """A faculty token acts for its own faculty only; other roles are not scoped."""
    if principal.role is not Role.FACULTY:
        return
    if principal.faculty is None:
        raise Forbidden(
            "This faculty token is not tied to a faculty: ask the registry's operators for "
            "one made with 'registry token create --role faculty --faculty NAME'."
        )
    if faculty_key(principal.faculty) != faculty_key(faculty):
        raise Forbidden(
            f"This token acts for the faculty '{principal.faculty}', not for '{faculty}'.",
            faculty=principal.faculty,
        )


def faculty_listed(principal: Principal, faculty: str | None) -> str | None:
    """The faculty a list of packages is narrowed to: a faculty token sees only its own
    (``faculty`` defaults to it, and another is refused); other readers see what they ask."""
    if principal.role is not Role.FACULTY:
        return faculty
    faculty = faculty or principal.faculty or ""
    check_faculty_scope(principal, faculty)
    return faculty


def check_may_read_package(principal: Principal, faculties: list[str]) -> None:
    """A file (or list) is visible when one of the packages holding it is: any package for
    staff readers, their own faculty's for a faculty token."""
    problem: Forbidden | None = None
    for faculty in faculties:
        try:
            check_faculty_scope(principal, faculty)
            return
        except Forbidden as refusal:
            problem = refusal
    if problem is not None:
        raise problem


@dataclass(frozen=True)
class ProgramDetails:
    title: str
    program_type: ProgramType
    faculty: str
    start_date: date
    disciplines: tuple[str, ...]

    @classmethod
    def checked(cls, *, title: str, program_type: ProgramType | str, faculty: str,
                start_date: date, disciplines: list[str]) -> ProgramDetails:
        try:
            kind = ProgramType(program_type)
        except ValueError:
            raise InvalidInput(f"{program_type!r} is not a programme type.", field="type") from None
        names = tuple(clean_text(d, "discipline", max_length=300) for d in disciplines)
        if not names:
            raise InvalidInput("A package lists at least one discipline.", field="disciplines")
        if len(names) > MAX_DISCIPLINES:
            raise InvalidInput(f"A package lists at most {MAX_DISCIPLINES} disciplines.",
                               field="disciplines")
        seen: set[str] = set()
        for name in names:
            if name.casefold() in seen:
                raise InvalidInput(f"The discipline {name!r} is listed twice.",
                                   field="disciplines")
            seen.add(name.casefold())
        return cls(title=clean_text(title, "title", max_length=500), program_type=kind,
                   faculty=clean_text(faculty, "faculty", max_length=200),
                   start_date=start_date, disciplines=names)


@dataclass(frozen=True)
class Attachment:
    """What an upload says about itself, checked before the package is loaded."""

    kind: DocumentKind
    discipline: str | None
    has_distance_learning_part: bool | None
    registration_number: str | None

    @classmethod
    def checked(cls, *, kind: DocumentKind | str, discipline: str | None,
                has_distance_learning_part: bool | None,
                registration_number: str | None) -> Attachment:
        kind = DocumentKind(kind)
        discipline = optional_text(discipline, "discipline", max_length=300)
        if kind is DocumentKind.SYLLABUS and discipline is None:
            raise InvalidInput("A syllabus names its discipline (discipline: …).",
                               field="discipline")
        if kind is not DocumentKind.SYLLABUS and discipline is not None:
            raise InvalidInput(f"Only a syllabus names a discipline, not a {kind.value}.",
                               field="discipline")
        if kind is not DocumentKind.SYLLABUS and has_distance_learning_part is not None:
            raise InvalidInput("hasDistanceLearningPart is said of a syllabus only.",
                               field="hasDistanceLearningPart")
        number = optional_text(registration_number, "registrationNumber", max_length=100)
        if kind is not DocumentKind.VICE_RECTOR_ORDER and registration_number is not None:
            raise InvalidInput("registrationNumber is the vice-rector's order's Directum "
                               "number: give it with that order only.",
                               field="registrationNumber")
        return cls(kind, discipline, has_distance_learning_part, number)


@dataclass(frozen=True)
class StoredFile:
    """An uploaded file once stored: its content address and what its content is."""

    filename: str
    sha256: str
    size: int
    media_type: MediaType


@dataclass(frozen=True)
class DocumentVersion:
    kind: DocumentKind
    discipline: str | None
    filename: str
    sha256: str
    size: int
    media_type: str
    version: int
    has_distance_learning_part: bool | None
    registration_number: str | None
    uploaded_on: date

    @property
    def slot(self) -> tuple[DocumentKind, str | None]:
        return self.kind, self.discipline


@dataclass(frozen=True)
class Step:
    """One step of the package's way: created, submitted, accepted, returned."""

    status: SubmissionStatus
    on: date
    reason: str | None = None


class ProgramSubmission(Aggregate):
    @classmethod
    def create(cls, details: ProgramDetails, *, actor: Principal, on: date
               ) -> ProgramSubmission:
        check_faculty_scope(actor, details.faculty)
        return cls(title=details.title, program_type=details.program_type.value,
                   faculty=details.faculty, start_date=details.start_date,
                   disciplines=list(details.disciplines), created_on=on)

    @event("Created")
    def __init__(self, *, title: str, program_type: str, faculty: str, start_date: date,
                 disciplines: list[str], created_on: date) -> None:
        self.title = title
        self.program_type = ProgramType(program_type)
        self.faculty = faculty
        self.start_date = start_date
        self.disciplines = list(disciplines)
        self.status = SubmissionStatus.DRAFT
        self.return_reason: str | None = None
        self.versions: list[DocumentVersion] = []
        self.steps: list[Step] = [Step(SubmissionStatus.DRAFT, created_on)]

    # -- what the package shows ---------------------------------------------------------

    @property
    def last_submission_day(self) -> date:
        return last_submission_day(self.start_date)

    @property
    def documents(self) -> list[DocumentVersion]:
        """The latest version of each document (of each discipline's syllabus), in clause
        3.6's order and the disciplines' order."""
        latest: dict[tuple[DocumentKind, str | None], DocumentVersion] = {}
        for version in self.versions:
            latest[version.slot] = version
        order = list(DocumentKind)
        return sorted(latest.values(), key=lambda v: (
            order.index(v.kind),
            self.disciplines.index(v.discipline) if v.discipline in self.disciplines else -1))

    def latest(self, kind: DocumentKind, discipline: str | None = None
               ) -> DocumentVersion | None:
        found = [v for v in self.versions if v.slot == (kind, discipline)]
        return found[-1] if found else None

    @property
    def missing(self) -> list[str]:
        """What still blocks submission, in clause 3.6's order."""
        missing: list[str] = []
        for kind in DocumentKind:
            if kind is DocumentKind.SYLLABUS:
                if not any(v.kind is kind for v in self.versions):
                    missing.append(kind.value)
                for discipline in self.disciplines:
                    syllabus = self.latest(kind, discipline)
                    if syllabus is None:
                        missing.append(f"SYLLABUS:{discipline}")
                    elif not syllabus.has_distance_learning_part:
                        missing.append(f"SYLLABUS_DISTANCE_PART:{discipline}")
                continue
            document = self.latest(kind)
            if document is None:
                missing.append(kind.value)
            elif kind is DocumentKind.VICE_RECTOR_ORDER and not document.registration_number:
                missing.append(VICE_RECTOR_ORDER_REGISTRATION)
        return missing

    # -- commands -----------------------------------------------------------------------

    def check_actor(self, actor: Principal) -> None:
        check_faculty_scope(actor, self.faculty)

    def _require(self, *allowed: SubmissionStatus, action: str) -> None:
        if self.status not in allowed:
            wanted = " or ".join(s.value for s in allowed)
            raise InvalidTransition(
                f"The package is {self.status.value}; to {action} it must be {wanted}.",
                status=self.status.value,
            )

    def check_attachable(self, attachment: Attachment, *, actor: Principal) -> None:
        """Everything that could refuse an upload, before its file is stored."""
        self.check_actor(actor)
        self._require(SubmissionStatus.DRAFT, SubmissionStatus.RETURNED,
                      action="attach documents")
        if attachment.discipline is not None and attachment.discipline not in self.disciplines:
            raise InvalidInput(
                f"The package lists no discipline {attachment.discipline!r}; "
                f"its disciplines are: {', '.join(self.disciplines)}.",
                field="discipline",
            )

    def attach(self, attachment: Attachment, file: StoredFile, *, actor: Principal,
               on: date) -> DocumentVersion:
        """A new version of the document; an omitted mark or number keeps the previous one."""
        self.check_attachable(attachment, actor=actor)
        previous = self.latest(attachment.kind, attachment.discipline)
        has_part = attachment.has_distance_learning_part
        number = attachment.registration_number
        if previous is not None:
            has_part = previous.has_distance_learning_part if has_part is None else has_part
            number = previous.registration_number if number is None else number
        if attachment.kind is DocumentKind.SYLLABUS and has_part is None:
            has_part = False
        self._document_attached(
            kind=attachment.kind.value, discipline=attachment.discipline,
            filename=file.filename, sha256=file.sha256, size=file.size,
            media_type=file.media_type.value, version=previous.version + 1 if previous else 1,
            has_distance_learning_part=has_part, registration_number=number, uploaded_on=on,
        )
        return self.versions[-1]

    @event("DocumentAttached")
    def _document_attached(self, *, kind: str, discipline: str | None, filename: str,
                           sha256: str, size: int, media_type: str, version: int,
                           has_distance_learning_part: bool | None,
                           registration_number: str | None, uploaded_on: date) -> None:
        self.versions.append(DocumentVersion(
            kind=DocumentKind(kind), discipline=discipline, filename=filename, sha256=sha256,
            size=size, media_type=media_type, version=version,
            has_distance_learning_part=has_distance_learning_part,
            registration_number=registration_number, uploaded_on=uploaded_on))

    def submit(self, *, actor: Principal, today: date) -> None:
        """In time (``SUBMISSION_TOO_LATE`` wins: no upload can cure it), then complete."""
        self.check_actor(actor)
        self._require(SubmissionStatus.DRAFT, SubmissionStatus.RETURNED, action="submit it")
        last = self.last_submission_day
        if today > last:
            raise SubmissionTooLate(
                f"The last day to submit this package was {last.isoformat()} (one calendar "
                f"month before its start on {self.start_date.isoformat()}); today is "
                f"{today.isoformat()}.",
                lastSubmissionDay=last.isoformat(),
            )
        missing = self.missing
        if missing:
            raise SubmissionIncomplete(
                "The package cannot be submitted yet; still missing: " + ", ".join(missing)
                + ".",
                missing=missing,
            )
        self._submitted(on=today)

    @event("Submitted")
    def _submitted(self, *, on: date) -> None:
        self.status = SubmissionStatus.SUBMITTED
        self.steps.append(Step(SubmissionStatus.SUBMITTED, on))

    def accept(self, *, on: date) -> None:
        self._require(SubmissionStatus.SUBMITTED, action="accept it")
        self._accepted(on=on)

    @event("Accepted")
    def _accepted(self, *, on: date) -> None:
        self.status = SubmissionStatus.ACCEPTED
        self.return_reason = None
        self.steps.append(Step(SubmissionStatus.ACCEPTED, on))

    def return_to_faculty(self, reason: str, *, on: date) -> None:
        self._require(SubmissionStatus.SUBMITTED, action="return it")
        self._returned(reason=reason, on=on)

    @event("Returned")
    def _returned(self, *, reason: str, on: date) -> None:
        self.status = SubmissionStatus.RETURNED
        self.return_reason = reason
        self.steps.append(Step(SubmissionStatus.RETURNED, on, reason))


def check_return_reason(reason: str) -> str:
    return clean_text(reason, "reason", max_length=5000)

