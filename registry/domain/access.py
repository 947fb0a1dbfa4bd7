"""Who may do what (SPEC §4). The one place the role table lives; the API asks it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .errors import Forbidden, InvalidInput, Unauthenticated
from .text import check_code, optional_text


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



def check_reads_learner(principal: Principal, learner_id: str | None) -> None:
    """Staff read any learner's records; a learner token reads only its own. ``None``: a
    list across learners, which only staff may read."""
    if principal.role is Role.LEARNER and (learner_id is None
                                           or str(principal.learner_id) != learner_id):
        raise Forbidden("A learner token reads only its own learner record and enrolments.")


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
    """A bearer token, known only by its SHA-256; the secret itself is never stored."""

    @staticmethod
    def create_id(token_sha256: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"det-registry:/tokens/{token_sha256}")

    @classmethod
    def create(
        cls, *, token_sha256: str, name: str, role: Role, learner_id: UUID | None,
        faculty: str | None = None,
        courses: list[str] | None = None,
    ) -> ApiToken:
        role = Role(role)
        if role is Role.LEARNER and learner_id is None:
            raise InvalidInput("A learner token must name its learner (--learner ID).")
        if role is not Role.LEARNER and learner_id is not None:
            raise InvalidInput("Only a learner token is tied to a learner.")
        if not name.strip():
            raise InvalidInput("A token needs a name (who holds it).")
        faculty = optional_text(faculty, "faculty", max_length=200)
        if faculty is not None and role is not Role.FACULTY:
            raise InvalidInput("Only a faculty token is tied to a faculty (--faculty NAME).")
        codes = sorted({check_code(code, "course") for code in courses or []})
        if codes and role is not Role.TEACHER:
            raise InvalidInput("Only a teacher token is tied to courses (--course CODE).")
        token = cls(token_sha256=token_sha256, name=name.strip(), role=role.value,
                    learner_id=learner_id)
        if faculty is not None:
            token._tied_to_faculty(faculty=faculty)
        if codes:
            token._tied_to_courses(courses=codes)
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

    @property
    def principal(self) -> Principal:
        return Principal(name=self.name, role=self.role, learner_id=self.learner_id,
                         faculty=self.faculty, courses=self.courses)
