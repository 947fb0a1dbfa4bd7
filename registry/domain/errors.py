"""One exception per refusal. Each carries the stable code of SPEC §3 ("Refusals");
the GraphQL edge maps them to ``errors[0].extensions.code`` in one place."""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """A refusal a person can act on. ``message`` is shown as it is."""

    code: ClassVar[str] = "INVALID_INPUT"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class InvalidInput(DomainError):
    code = "INVALID_INPUT"


class NotFound(DomainError):
    code = "NOT_FOUND"


class AlreadyExists(DomainError):
    code = "ALREADY_EXISTS"


class InvalidTransition(DomainError):
    code = "INVALID_TRANSITION"


class PlatformNotApproved(DomainError):
    code = "PLATFORM_NOT_APPROVED"


class NotAdmitted(DomainError):
    code = "NOT_ADMITTED"


class ProctoringUnavailable(DomainError):
    code = "PROCTORING_UNAVAILABLE"


class StudiesNotRestored(DomainError):
    code = "STUDIES_NOT_RESTORED"


class ReturnOrderMissing(DomainError):
    code = "RETURN_ORDER_MISSING"


class OutsideStudyWindow(DomainError):
    code = "OUTSIDE_STUDY_WINDOW"


class SubmissionIncomplete(DomainError):
    code = "SUBMISSION_INCOMPLETE"


class SubmissionTooLate(DomainError):
    code = "SUBMISSION_TOO_LATE"


class NotPassed(DomainError):
    code = "NOT_PASSED"


class Conflict(DomainError):
    code = "CONFLICT"


class Unavailable(DomainError):
    """The store cannot take writes now (read-only, full, unreachable); nothing was changed
    unless the message says otherwise."""

    code = "UNAVAILABLE"


ALL_CODES: tuple[str, ...] = tuple(
    cls.code
    for cls in (
        Unauthenticated, Forbidden, InvalidInput, NotFound, AlreadyExists, InvalidTransition,
        PlatformNotApproved, NotAdmitted, ProctoringUnavailable, StudiesNotRestored,
        ReturnOrderMissing, OutsideStudyWindow, SubmissionIncomplete, SubmissionTooLate,
        NotPassed, Conflict, Unavailable,
    )
)
