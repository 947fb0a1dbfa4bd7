"""Who may do what (SPEC §4). The one place the role table lives; the API asks it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import cached_property
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .errors import Forbidden, InvalidInput, Unauthenticated
from .personal import ERASED, Personal, field
from .text import check_code, clean_text, optional_text


class Role(StrEnum):
    ADMIN = "admin"
    INET = "inet"
    COMMITTEE = "committee"
    FACULTY = "faculty"
    TEACHER = "teacher"
    DEAN = "dean"
    AUDITOR = "auditor"
    LEARNER = "learner"


class Action(StrEnum):
    REGISTER_PLATFORM = "registerPlatform"
    APPROVE_PLATFORM = "approvePlatform"
    SET_ONLINE_PROCTORING = "setOnlineProctoring"
    DRAFT_MOOC = "draftMooc"
    SUBMIT_MOOC_FOR_REVIEW = "submitMoocForReview"
    RECORD_EXPERT_REVIEW = "recordExpertReview"
    RECORD_APPROBATION = "recordApprobation"
    PUBLISH_MOOC = "publishMooc"
    REGISTER_LEARNER = "registerLearner"
    ENROLL = "enroll"
    RECORD_SCORE = "recordScore"
    RECORD_FINAL_EXAM = "recordFinalExam"
    ISSUE_CERTIFICATE = "issueCertificate"
    REVOKE_CERTIFICATE = "revokeCertificate"
    REISSUE_CERTIFICATE = "reissueCertificate"
    SUSPEND_PLATFORM = "suspendPlatform"
    USE_TEACHING_PLATFORM = "useTeachingPlatform"
    CLOSE_MOOC = "closeMooc"
    VERIFY_IDENTITY = "verifyLearnerIdentity"
    RECORD_BUSINESS_TRIP = "recordBusinessTrip"
    RESTORE_STUDIES = "restoreStudies"
    RECORD_TRIP_ABROAD = "recordTripAbroad"
    RECORD_RETURN_ORDER = "recordReturnOrder"
    RECORD_DEAN_DIRECTIVE = "recordDeanDirective"
    RECORD_INTERNSHIP = "recordInternshipAbroad"
    ERASE_PERSONAL_DATA = "erasePersonalData"
    # reads that are not public
    READ_HISTORY = "readHistory"
    READ_LEARNERS = "readLearners"
    READ_ENROLLMENTS = "readEnrollments"
    READ_AUDIT_LOG = "readAuditLog"
    READ_CERTIFICATES = "readCertificates"  # lists of certificates (one is public by number)
    READ_STATISTICS = "readStatistics"
    READ_EVENTS = "readEvents"  # the global event feed (SPEC §9)
    WATCH_EVENTS = "watchEvents"  # the live event feed: subscription events (SPEC §9)
    # programme packages (R3) and teaching materials (R4)
    CREATE_PROGRAM_SUBMISSION = "createProgramSubmission"
    ATTACH_DOCUMENT = "attachDocument"
    SUBMIT_PROGRAM = "submitProgram"
    ACCEPT_PROGRAM = "acceptProgram"
    RETURN_PROGRAM = "returnProgram"
    READ_PROGRAMS = "readProgramSubmissions"
    RECORD_TEACHING_MATERIALS = "recordTeachingMaterials"
    READ_TEACHING_MATERIALS = "readTeachingMaterials"


_STAFF_READERS = frozenset({Role.INET, Role.AUDITOR, Role.TEACHER, Role.DEAN})

# admin may do everything; the table lists the other roles.
PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.REGISTER_PLATFORM: frozenset({Role.INET}),
    Action.APPROVE_PLATFORM: frozenset({Role.COMMITTEE}),
    Action.SET_ONLINE_PROCTORING: frozenset({Role.INET}),
    Action.DRAFT_MOOC: frozenset({Role.INET}),
    Action.SUBMIT_MOOC_FOR_REVIEW: frozenset({Role.INET}),
    Action.RECORD_EXPERT_REVIEW: frozenset({Role.INET}),
    Action.RECORD_APPROBATION: frozenset({Role.INET}),
    Action.PUBLISH_MOOC: frozenset({Role.INET}),
    Action.REGISTER_LEARNER: frozenset({Role.INET}),
    Action.ENROLL: frozenset({Role.INET}),
    Action.RECORD_SCORE: frozenset({Role.INET, Role.TEACHER}),
    Action.RECORD_FINAL_EXAM: frozenset({Role.INET}),
    Action.ISSUE_CERTIFICATE: frozenset({Role.INET}),
    Action.REVOKE_CERTIFICATE: frozenset({Role.INET}),
    Action.REISSUE_CERTIFICATE: frozenset({Role.INET}),
    Action.SUSPEND_PLATFORM: frozenset({Role.INET}),
    Action.USE_TEACHING_PLATFORM: frozenset({Role.INET, Role.TEACHER}),
    Action.CLOSE_MOOC: frozenset({Role.INET}),
    Action.VERIFY_IDENTITY: frozenset({Role.INET}),
    Action.RECORD_BUSINESS_TRIP: frozenset({Role.INET, Role.DEAN}),
    Action.RESTORE_STUDIES: frozenset({Role.DEAN}),
    Action.RECORD_TRIP_ABROAD: frozenset({Role.INET, Role.DEAN}),
    Action.RECORD_RETURN_ORDER: frozenset({Role.DEAN}),
    Action.RECORD_DEAN_DIRECTIVE: frozenset({Role.DEAN}),
    Action.RECORD_INTERNSHIP: frozenset({Role.INET, Role.DEAN}),
    Action.ERASE_PERSONAL_DATA: frozenset(),  # admin only (SPEC §10)
    Action.READ_HISTORY: _STAFF_READERS | {Role.COMMITTEE},
    # A learner reads only their own learner record and enrolments (checked per object).
    Action.READ_LEARNERS: _STAFF_READERS | {Role.LEARNER},
    Action.READ_ENROLLMENTS: _STAFF_READERS | {Role.LEARNER},
    Action.READ_AUDIT_LOG: frozenset({Role.AUDITOR}),
    # Staff and auditors list certificates; a learner token lists only its own.
    Action.READ_CERTIFICATES: frozenset({Role.INET, Role.AUDITOR, Role.DEAN, Role.LEARNER}),
    Action.READ_STATISTICS: _STAFF_READERS,
    Action.READ_EVENTS: frozenset({Role.AUDITOR}),
    # New events as they are stored: the auditors, and INET watching its own work.
    Action.WATCH_EVENTS: frozenset({Role.AUDITOR, Role.INET}),
    # A faculty token acts on, and reads, only its own faculty's packages (domain/programmes.py).
    Action.CREATE_PROGRAM_SUBMISSION: frozenset({Role.FACULTY}),
    Action.ATTACH_DOCUMENT: frozenset({Role.FACULTY}),
    Action.SUBMIT_PROGRAM: frozenset({Role.FACULTY}),
    Action.ACCEPT_PROGRAM: frozenset({Role.INET}),
    Action.RETURN_PROGRAM: frozenset({Role.INET}),
    Action.READ_PROGRAMS: frozenset({Role.INET, Role.AUDITOR, Role.FACULTY}),
    Action.RECORD_TEACHING_MATERIALS: frozenset({Role.INET, Role.TEACHER}),
    Action.READ_TEACHING_MATERIALS: _STAFF_READERS,
}


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token's name and role (and, for a learner, which learner)."""

    name: str
    role: Role
    learner_id: UUID | None = None
    faculty: str | None = None  # the faculty a faculty token acts for
    courses: frozenset[str] = frozenset()  # the MOOCs and disciplines a teacher token teaches

    def may(self, action: Action) -> bool:
        return self.role is Role.ADMIN or self.role in PERMISSIONS[action]

    # Decided once per principal (a page of a hundred learners asks a hundred times); a
    # principal is immutable, so what is decided of it cannot change.
    @cached_property
    def scope(self) -> LearnerScope:
        """Which learners it may read (see :func:`learner_scope`)."""
        if self.role is Role.LEARNER:
            return LearnerScope(learner_id=self.learner_id)
        if self.role is Role.TEACHER:
            return LearnerScope(courses=self.courses)
        return LearnerScope()



# -- who sees which personal field (SPEC §10) --------------------------------------------


class PersonalField(StrEnum):
    """The kinds of personal data the read side shows. The matrix below decides, for each role,
    which of them it sees; the API applies the decision and never makes one of its own."""

    FULL_NAME = "fullName"  # a learner's name and its Latin spelling
    EMAIL = "email"
    IIN = "iin"  # the IIN itself, and looking a learner up by it
    CIRCUMSTANCES = "circumstances"  # identity check, trips, orders, directives, study window
    RESULTS = "results"  # scores, the exam, grades, admission and pass
    EVENT_PERSONAL = "history.personal"  # an event's personal part and on-behalf-of


_ALL_FIELDS = frozenset(PersonalField)

# What each role sees of a learner it may read (for a teacher: one enrolled in what it teaches).
# admin, inet: everything; no other role sees e-mail or IIN. Roles absent here read no learner.
PERSONAL_FIELDS: dict[Role, frozenset[PersonalField]] = {
    Role.ADMIN: _ALL_FIELDS,
    Role.INET: _ALL_FIELDS,
    Role.AUDITOR: frozenset({PersonalField.FULL_NAME, PersonalField.CIRCUMSTANCES,
                             PersonalField.RESULTS, PersonalField.EVENT_PERSONAL}),
    Role.DEAN: frozenset({PersonalField.FULL_NAME, PersonalField.CIRCUMSTANCES,
                          PersonalField.RESULTS}),
    Role.TEACHER: frozenset({PersonalField.FULL_NAME, PersonalField.RESULTS}),
    # A learner token, about its own learner.
    Role.LEARNER: _ALL_FIELDS - {PersonalField.EVENT_PERSONAL},
}


def personal_fields(principal: Principal | None) -> frozenset[PersonalField]:
    """The personal fields ``principal`` sees of the learners it may read (the public sees
    none: only what a printed certificate shows)."""
    if principal is None:
        return frozenset()
    return PERSONAL_FIELDS.get(principal.role, frozenset())


def sees(principal: Principal | None, personal_field: PersonalField) -> bool:
    """Whether ``principal`` sees ``personal_field`` of the learners it may read."""
    return personal_field in personal_fields(principal)


def sees_event_personal(principal: Principal | None) -> bool:
    """An event's personal part and its on-behalf-of: admin, inet and auditor only."""
    return sees(principal, PersonalField.EVENT_PERSONAL)


@dataclass(frozen=True)
class LearnerScope:
    """Which learners (and their enrolments) a principal may read: all of them, one (a learner
    token), or those enrolled in some courses (a teacher token)."""

    learner_id: UUID | None = None
    courses: frozenset[str] | None = None

    @property
    def everyone(self) -> bool:
        return self.learner_id is None and self.courses is None

    def admits_course(self, code: str) -> bool:
        return self.courses is None or code in self.courses


def learner_scope(principal: Principal) -> LearnerScope:
    """All learners (staff), one (a learner token), or those enrolled in a teacher token's
    courses."""
    return principal.scope


def check_reads_learner(principal: Principal, learner_id: str | None,
                        enrolled_in: Iterable[str] = ()) -> None:
    """Staff read any learner's records; a learner token reads only its own; a teacher token
    only those of learners enrolled in a MOOC it teaches (``enrolled_in``: the learner's MOOC
    codes). ``learner_id=None``: a list across learners, which a learner token may not read."""
    scope = learner_scope(principal)
    if scope.learner_id is not None or principal.role is Role.LEARNER:
        if learner_id is None or str(scope.learner_id) != learner_id:
            raise Forbidden("A learner token reads only its own learner record and enrolments.")
    elif scope.courses is not None and learner_id is not None \
            and not scope.courses.intersection(enrolled_in):
        raise Forbidden(_not_taught(principal))


def check_finds_by_iin(principal: Principal) -> None:
    """Looking a learner up by IIN reveals whose IIN it is: only for the roles that see IINs
    (SPEC §9)."""
    if not sees(principal, PersonalField.IIN):
        raise Forbidden("Only admin and inet tokens may look learners up by IIN.")


def check_reads_enrollment(principal: Principal, learner_id: str, mooc_code: str) -> None:
    """An enrolment is read by whoever reads its learner; a teacher only in a MOOC it teaches."""
    check_reads_learner(principal, learner_id, [mooc_code])
    if not learner_scope(principal).admits_course(mooc_code):
        raise Forbidden(_not_taught(principal))


def _not_taught(principal: Principal) -> str:
    taught = ", ".join(sorted(principal.courses)) or "none"
    return (f"This teacher token reads only learners enrolled in what it teaches ({taught}).")


def is_learner(principal: Principal | None) -> bool:
    """A learner token tied to its learner (``me`` answers its record)."""
    return principal is not None and principal.role is Role.LEARNER \
        and principal.learner_id is not None


def check_course_scope(principal: Principal | None, code: str) -> None:
    """A teacher records scores and materials only for its own MOOCs and disciplines (SPEC §4);
    other roles allowed to act are not scoped by course. ``None``: the registry's operators."""
    if principal is None or principal.role is not Role.TEACHER or code in principal.courses:
        return
    taught = ", ".join(sorted(principal.courses)) or "none"
    raise Forbidden(
        f"This teacher token is for {taught}, not {code}: create one with "
        f"'registry token create --role teacher --course {code}'.",
        course=code,
    )


def authorize(principal: Principal | None, action: Action) -> Principal:
    """Authentication first, then permission (SPEC §3's order)."""
    if principal is None:
        raise Unauthenticated(
            "This operation needs a token: send 'Authorization: Bearer <token>' "
            "(create one with 'registry token create')."
        )
    if not principal.may(action):
        raise Forbidden(f"The role '{principal.role.value}' may not run {action.value}.")
    return principal


class ApiToken(Aggregate):
    """A bearer token, known only by its SHA-256; the secret itself is never stored.

    A learner token's holder name is personal data: it travels in the personal part of its own
    event (``HolderNamed``), and the token acts as ``learner:<learner id>`` in event metadata.
    Expiry (``ExpirySet``: the last day the token is valid, in the registry's time zone) and
    revocation (``Revoked``) are events of their own, so older tokens keep the events they had
    (and never expire)."""

    @staticmethod
    def create_id(token_sha256: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"det-registry:/tokens/{token_sha256}")

    @classmethod
    def create(
        cls, *, token_sha256: str, name: str, role: Role, learner_id: UUID | None,
        faculty: str | None = None,
        courses: list[str] | None = None,
        expires_on: date | None = None,
        today: date | None = None,
    ) -> ApiToken:
        role = Role(role)
        if role is Role.LEARNER and learner_id is None:
            raise InvalidInput("A learner token must name its learner (--learner ID).")
        if role is not Role.LEARNER and learner_id is not None:
            raise InvalidInput("Only a learner token is tied to a learner.")
        if not name.strip():
            raise InvalidInput("A token needs a name (who holds it).")
        holder = clean_text(name, "name", max_length=200)
        faculty = optional_text(faculty, "faculty", max_length=200)
        if faculty is not None and role is not Role.FACULTY:
            raise InvalidInput("Only a faculty token is tied to a faculty (--faculty NAME).")
        codes = sorted({check_code(code, "course") for code in courses or []})
        if codes and role is not Role.TEACHER:
            raise InvalidInput("Only a teacher token is tied to courses (--course CODE).")
        if expires_on is not None and today is not None and expires_on < today:
            raise InvalidInput(f"--expires {expires_on.isoformat()} is already past "
                               f"(today is {today.isoformat()}).", field="expires")
        learner = role is Role.LEARNER
        token = cls(token_sha256=token_sha256, role=role.value, learner_id=learner_id,
                    name=learner_actor(learner_id) if learner else holder)
        if learner:
            token._holder_named(personal={"name": holder})
        if faculty is not None:
            token._tied_to_faculty(faculty=faculty)
        if codes:
            token._tied_to_courses(courses=codes)
        if expires_on is not None:
            token._expiry_set(expires_on=expires_on)
        return token

    @event("Created")
    def __init__(
        self, *, token_sha256: str, name: str, role: str, learner_id: UUID | None
    ) -> None:
        self.name = name
        self.role = Role(role)
        self.learner_id = learner_id
        self.revoked = False

    # A separate event, so that tokens without a faculty keep the Created event they had.
    @event("TiedToFaculty")
    def _tied_to_faculty(self, *, faculty: str) -> None:
        self.faculty = faculty

    faculty: str | None = None

    @event("TiedToCourses")
    def _tied_to_courses(self, *, courses: list[str]) -> None:
        self.courses = frozenset(courses)

    courses: frozenset[str] = frozenset()

    @event("HolderNamed")
    def _holder_named(self, *, personal: Personal | None) -> None:
        self.holder = field(personal, "name", erased=ERASED) or ERASED

    holder: str | None = None  # a learner token's holder (personal); else ``name``

    @event("ExpirySet")
    def _expiry_set(self, *, expires_on: date) -> None:
        self.expires_on = expires_on

    expires_on: date | None = None  # the last day it is valid; ``None``: never expires

    def revoke(self, *, at: datetime) -> bool:
        """Revoke the token; ``False`` (and no event) when it already was."""
        if self.revoked:
            return False
        self._revoked(revoked_at=at)
        return True

    @event("Revoked")
    def _revoked(self, *, revoked_at: datetime) -> None:
        self.revoked = True
        self.revoked_at = revoked_at

    revoked_at: datetime | None = None

    @property
    def holder_name(self) -> str:
        """Who holds it, as the operator named them (a learner's name only here)."""
        return self.holder if self.holder is not None else self.name

    def check_usable(self, today: date) -> None:
        """A revoked or expired token is refused, saying which and since when."""
        if self.revoked:
            when = f" on {self.revoked_at:%Y-%m-%d %H:%M} UTC" if self.revoked_at else ""
            raise Unauthenticated(
                f"This token was revoked{when}: ask the registry's operators for a new one "
                "('registry token create').", reason="revoked")
        if self.expires_on is not None and today > self.expires_on:
            raise Unauthenticated(
                f"This token expired on {self.expires_on.isoformat()} (it was valid through "
                "the end of that day): ask the registry's operators for a new one "
                "('registry token create … --expires YYYY-MM-DD').", reason="expired")

    @property
    def principal(self) -> Principal:
        # A learner token never acts under the person's name (event metadata is not personal).
        name = learner_actor(self.learner_id) if self.role is Role.LEARNER else self.name
        return Principal(name=name, role=self.role, learner_id=self.learner_id,
                         faculty=self.faculty, courses=self.courses)


def learner_actor(learner_id: UUID | None) -> str:
    """The actor name a learner's token or sign-in records in event metadata."""
    return f"learner:{learner_id}"
