"""Commercial programme packages (R3) in GraphQL: created, filled with uploaded documents
(the GraphQL multipart request), submitted, accepted or returned. Resolvers translate; the
domain decides (``registry/domain/programmes.py``)."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

import strawberry
from strawberry.file_uploads import Upload

from ..application.context import CommandContext
from ..application.documents import stage_upload
from ..application.timeline import AsOf
from ..domain import programmes
from ..domain.access import Action, Principal
from ..domain.errors import InvalidInput
from ..domain.programmes import (
    Attachment,
    DocumentKind,
    ProgramType,
    SubmissionStatus,
    check_faculty_scope,
)
from .context import Context, Info, parse_id
from .describe import Input, described_enum
from .history import AS_OF_HISTORY, HistoryEntry, history_of
from .ordering import ProgramSubmissionOrderInput, order_of
from .relay import After, Before, Connection, First, Last, Order, paginate
from .timeline import AsOfArg, Moment, moment, record

described_enum(programmes.ProgramType, "The kind of commercial programme (R3, clause 3.6).", {
    "MBA": "Master of Business Administration.",
    "EMBA": "Executive MBA.",
    "DBA": "Doctor of Business Administration.",
    "EXTERNAL_LISTENERS": "A programme for external listeners.",
    "OTHER": "Another commercial programme.",
})
described_enum(programmes.DocumentKind, "The seven documents of a programme package (R3), in "
               "clause 3.6's order; each must be attached before submission.", {
                   "VICE_RECTOR_ORDER": "The vice-rector's order, with its Directum "
                                        "registration number.",
                   "ACADEMIC_CALENDAR": "The academic calendar.",
                   "CURRICULUM": "The curriculum.",
                   "COST_ESTIMATE": "The cost estimate.",
                   "PROGRAMME_PASSPORT": "The programme's passport.",
                   "SYLLABUS": "A syllabus: one per listed discipline, marked as showing its "
                               "distance-learning part.",
                   "TIMETABLE": "The timetable.",
               })
described_enum(programmes.SubmissionStatus, "Where a programme package is on its way to INET "
               "(R3).", {
                   "DRAFT": "Being prepared by the faculty: documents may be attached.",
                   "SUBMITTED": "Submitted, awaiting INET's decision.",
                   "ACCEPTED": "Accepted by INET.",
                   "RETURNED": "Returned by INET with a reason: correct it and submit again "
                               "while in time.",
               })

PACKAGE_ID = "The package's id."
PackageId = Annotated[strawberry.ID, strawberry.argument(description=PACKAGE_ID)]


@strawberry.type(description="One version of an uploaded document; its bytes are at downloadUrl.")
class Document:
    kind: DocumentKind = strawberry.field(description="Which of the seven documents.")
    discipline: str | None = strawberry.field(
        description="A syllabus: its discipline; null for the other kinds.")
    filename: str = strawberry.field(
        description="The uploaded file's name, without directories or control characters, with "
                    "the extension of its content's type.")
    sha256: str = strawberry.field(description="The content's SHA-256, hex: its address.")
    size: int = strawberry.field(description="Its size in bytes.")
    version: int = strawberry.field(
        description="1 for the first upload of this kind (this discipline's syllabus), then "
                    "2, 3…")
    media_type: str = strawberry.field(description="The type read from the file's content.")
    has_distance_learning_part: bool | None = strawberry.field(
        description="A syllabus: whether it shows its distance-learning part.")
    registration_number: str | None = strawberry.field(
        description="The vice-rector's order: its Directum registration number.")
    uploaded_on: datetime.date = strawberry.field(
        description="The day it was uploaded (registry time zone).")

    @strawberry.field(description="GET it with a bearer token that may see the package.")
    def download_url(self, info: Info) -> str:
        return f"{info.context.settings.public_url}/documents/{self.sha256}"

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Document:
        return cls(
            kind=DocumentKind(doc["kind"]), discipline=doc.get("discipline"),
            filename=doc["filename"], sha256=doc["sha256"], size=doc["size"],
            version=doc["version"], media_type=doc["mediaType"],
            has_distance_learning_part=doc.get("hasDistanceLearningPart"),
            registration_number=doc.get("registrationNumber"),
            uploaded_on=datetime.date.fromisoformat(doc["uploadedOn"]),
        )


@strawberry.type(description="A step of the package's way: created (DRAFT), submitted, "
                             "accepted or returned (with the reason).")
class SubmissionStep:
    status: SubmissionStatus = strawberry.field(description="The status it reached.")
    on: datetime.date = strawberry.field(description="The day (registry time zone).")
    reason: str | None = strawberry.field(description="A return's reason; null otherwise.")


@strawberry.type(description="A commercial programme package (R3, clause 3.6): its documents, "
                             "what blocks submission, and its way to INET. Read by inet, "
                             "auditor, admin and its own faculty's token; others FORBIDDEN.")
class ProgramSubmission:
    id: strawberry.ID = strawberry.field(description=PACKAGE_ID)
    title: str = strawberry.field(description="The programme's title.")
    type: ProgramType = strawberry.field(description="The kind of programme.")
    faculty: str = strawberry.field(description="The faculty that runs it.")
    start_date: datetime.date = strawberry.field(description="The programme's start date.")
    disciplines: list[str] = strawberry.field(
        description="Its disciplines; each needs a syllabus.")
    status: SubmissionStatus = strawberry.field(description="Where it is on its way.")
    last_submission_day: datetime.date = strawberry.field(
        description="The start date minus one calendar month, clamped to the month's end.")
    documents: list[Document] = strawberry.field(
        description="The latest version of each document (of each discipline's syllabus).")
    missing: list[str] = strawberry.field(
        description="What still blocks submission: absent kinds, SYLLABUS:<discipline>, "
                    "SYLLABUS_DISTANCE_PART:<discipline>, VICE_RECTOR_ORDER_REGISTRATION.")
    return_reason: str | None = strawberry.field(
        description="Why INET returned it, word for word; null unless RETURNED.")
    versions: list[Document] = strawberry.field(
        description="Every version of every document, in upload order.")
    steps: list[SubmissionStep] = strawberry.field(
        description="Its way so far: created, each submission, acceptance or return.")

    as_of: Moment = None

    @strawberry.field(description="The package's events, with who caused them and when "
                                  "(staff and auditors)." + AS_OF_HISTORY)
    async def history(self, info: Info) -> list[HistoryEntry]:
        return await history_of(info, parse_id(self.id, "package"), self.as_of)

    @classmethod
    def from_doc(cls, doc: dict[str, Any], at: AsOf | None = None) -> ProgramSubmission:
        return cls(
            as_of=at,
            id=strawberry.ID(doc["id"]), title=doc["title"], type=ProgramType(doc["type"]),
            faculty=doc["faculty"], start_date=datetime.date.fromisoformat(doc["startDate"]),
            disciplines=list(doc["disciplines"]), status=SubmissionStatus(doc["status"]),
            last_submission_day=datetime.date.fromisoformat(doc["lastSubmissionDay"]),
            documents=[Document.from_doc(d) for d in doc["documents"]],
            missing=list(doc["missing"]), return_reason=doc.get("returnReason"),
            versions=[Document.from_doc(d) for d in doc["versions"]],
            steps=[SubmissionStep(status=SubmissionStatus(s["status"]),
                                  on=datetime.date.fromisoformat(s["on"]),
                                  reason=s.get("reason")) for s in doc["history"]],
        )


@strawberry.input(description="A new programme package (in DRAFT).")
class CreateProgramSubmissionInput:
    title: str = strawberry.field(description="The programme's title.")
    type: ProgramType = strawberry.field(description="The kind of programme.")
    faculty: str = strawberry.field(
        description="The faculty; a faculty token only its own (else FORBIDDEN).")
    start_date: datetime.date = strawberry.field(
        description="The start date; the package is due one calendar month before it.")
    disciplines: list[str] = strawberry.field(description="The programme's disciplines.")


@strawberry.input(description="A document to attach (a GraphQL multipart request).")
class AttachDocumentInput:
    submission_id: strawberry.ID = strawberry.field(description=PACKAGE_ID)
    kind: DocumentKind = strawberry.field(description="Which document.")
    file: Upload = strawberry.field(
        description="The file part: PDF, DOCX, XLSX, ODT or ODS by content, not empty, at "
                    "most REGISTRY_MAX_UPLOAD_BYTES (default 20 MB); else INVALID_INPUT.")
    discipline: str | None = strawberry.field(
        default=None, description="A syllabus only: its discipline, one the package lists.")
    has_distance_learning_part: bool | None = strawberry.field(
        default=None, description="A syllabus only: does it show its distance-learning part? "
                                  "Omitted: as the previous version said.")
    registration_number: str | None = strawberry.field(
        default=None, description="The vice-rector's order only: its Directum registration "
                                  "number. Omitted: as the previous version said.")


@strawberry.input(description="INET returns a submitted package to its faculty.")
class ReturnProgramInput:
    id: strawberry.ID = strawberry.field(description=PACKAGE_ID)
    reason: str = strawberry.field(description="Why; shown to the faculty word for word.")


def _reader(context: Context, faculty: str | None = None) -> Principal:
    principal = context.require(Action.READ_PROGRAMS)
    if faculty is not None:
        check_faculty_scope(principal, faculty)
    return principal


def _acting(context: Context, action: Action) -> tuple[Principal, CommandContext]:
    """The caller (the domain checks which faculty it acts for) and its command context."""
    return context.require(action), context.command(action)


async def _package(info: Info, key: str) -> ProgramSubmission:
    return ProgramSubmission.from_doc(await info.context.doc("program_submissions", key))


@strawberry.type
class ProgrammeQuery:
    @strawberry.field(description="A package by id (inet, auditor, admin, its faculty's "
                                  "token); null if unknown. With asOf, as it stood then.")
    async def program_submission(self, info: Info, id: PackageId,
                                 as_of: AsOfArg = None) -> ProgramSubmission | None:
        _reader(info.context)
        at = moment(as_of)
        doc = await record(info, "program_submissions", str(parse_id(id, "programme package")),
                           at)
        if doc is None:
            return None
        _reader(info.context, doc["faculty"])
        return ProgramSubmission.from_doc(doc, at)

    @strawberry.field(description="Packages by faculty, status, start date, start month "
                                  "(YYYY-MM) or a start-date range (inclusive); soonest start "
                                  "first unless ordered otherwise. A faculty token sees its "
                                  "own.")
    async def program_submissions(
        self, info: Info,
        faculty: Annotated[str | None, strawberry.argument(
            description="Only this faculty's (case and spacing do not matter; a faculty token: "
                        "only its own).")] = None,
        status: Annotated[SubmissionStatus | None, strawberry.argument(
            description="Only packages in this status.")] = None,
        start_date: Annotated[datetime.date | None, strawberry.argument(
            description="Only those starting on this day.")] = None,
        start_month: Annotated[str | None, strawberry.argument(
            description="Only those starting in this month, YYYY-MM.")] = None,
        start_from: Annotated[datetime.date | None, strawberry.argument(
            description="Starting on or after this day (inclusive).")] = None,
        start_to: Annotated[datetime.date | None, strawberry.argument(
            description="Starting on or before this day (inclusive).")] = None,
        order_by: Annotated[ProgramSubmissionOrderInput | None, strawberry.argument(
            description="The order; default START_DATE ascending.")] = None,
        first: First = None, after: After = None,
        last: Last = None, before: Before = None,
    ) -> Connection[ProgramSubmission]:
        return await _packages(info, faculty=faculty, status=status, start_date=start_date,
                               start_month=start_month, start_range=(start_from, start_to),
                               order=order_of(order_by, SOONEST), first=first, after=after,
                               last=last, before=before)

    @strawberry.field(description="Submitted packages waiting for INET's decision, soonest "
                                  "start first.")
    async def program_submissions_awaiting_inet(
        self, info: Info, first: First = None, after: After = None,
    ) -> Connection[ProgramSubmission]:
        return await _packages(info, status=programmes.SubmissionStatus.SUBMITTED,
                               first=first, after=after)


SOONEST = Order("START_DATE", "start_date")


async def _packages(
    info: Info, *, faculty: str | None = None, status: programmes.SubmissionStatus | None = None,
    start_date: datetime.date | None = None, start_month: str | None = None,
    start_range: tuple[datetime.date | None, datetime.date | None] = (None, None),
    order: Order = SOONEST, first: int | None = None, after: str | None = None,
    last: int | None = None, before: str | None = None,
) -> Connection[ProgramSubmission]:
    faculty = programmes.faculty_listed(_reader(info.context), faculty)
    where = {
        "faculty_key": programmes.faculty_key(faculty) if faculty else None,
        "status": status.value if status else None,
        "start_date": start_date.isoformat() if start_date else None,
        "start_month": start_month,
    }
    return await paginate(info, "program_submissions", ProgramSubmission.from_doc,
                          where=where, ranges={"start_date": start_range}, order=order,
                          first=first, after=after, last=last, before=before)


@strawberry.type
class ProgrammeMutation:
    @strawberry.mutation(description="Create a programme package (faculty), on any date.")
    async def create_program_submission(
        self, info: Info, input: Input[CreateProgramSubmissionInput]) -> ProgramSubmission:
        c = info.context
        actor, command = _acting(c, Action.CREATE_PROGRAM_SUBMISSION)
        key = await c.run(command, lambda cmd: cmd.programmes.create(
            actor=actor, title=input.title, program_type=input.type.value,
            faculty=input.faculty, start_date=input.start_date,
            disciplines=list(input.disciplines)))
        return await _package(info, key)

    @strawberry.mutation(description="Upload a document (GraphQL multipart request): a new "
                                     "version; an omitted mark or number keeps the previous.")
    async def attach_document(self, info: Info, input: Input[AttachDocumentInput]
                              ) -> ProgramSubmission:
        c = info.context
        actor, command = _acting(c, Action.ATTACH_DOCUMENT)
        attachment = Attachment.checked(
            kind=input.kind.value, discipline=input.discipline,
            has_distance_learning_part=input.has_distance_learning_part,
            registration_number=input.registration_number)
        submission_id = parse_id(input.submission_id, "programme package")
        source = getattr(input.file, "file", None)
        if source is None:
            raise InvalidInput("file must be a file part of a GraphQL multipart request.",
                               field="file")
        staged = await c.call(stage_upload, source, getattr(input.file, "filename", None),
                              max_bytes=c.settings.max_upload_bytes)
        key = await c.run(command, lambda cmd: cmd.programmes.attach_document(
            actor=actor, submission_id=submission_id, attachment=attachment, staged=staged))
        return await _package(info, key)

    @strawberry.mutation(description="Submit the package to INET (faculty): only with nothing "
                                     "missing (SUBMISSION_INCOMPLETE) and no later than "
                                     "lastSubmissionDay (SUBMISSION_TOO_LATE).")
    async def submit_program(self, info: Info, id: PackageId) -> ProgramSubmission:
        c = info.context
        actor, command = _acting(c, Action.SUBMIT_PROGRAM)
        submission_id = parse_id(id, "programme package")
        key = await c.run(command, lambda cmd: cmd.programmes.submit(
            actor=actor, submission_id=submission_id))
        return await _package(info, key)

    @strawberry.mutation(description="Accept a submitted package (inet); another is "
                                     "INVALID_TRANSITION.")
    async def accept_program(self, info: Info, id: PackageId) -> ProgramSubmission:
        c = info.context
        command = c.command(Action.ACCEPT_PROGRAM)
        submission_id = parse_id(id, "programme package")
        key = await c.run(command, lambda cmd: cmd.programmes.accept(submission_id=submission_id))
        return await _package(info, key)

    @strawberry.mutation(description="Return a submitted package to its faculty with a reason "
                                     "(inet).")
    async def return_program(self, info: Info, input: Input[ReturnProgramInput]
                             ) -> ProgramSubmission:
        c = info.context
        command = c.command(Action.RETURN_PROGRAM)
        submission_id = parse_id(input.id, "programme package")
        key = await c.run(command, lambda cmd: cmd.programmes.return_to_faculty(
            submission_id=submission_id, reason=input.reason))
        return await _package(info, key)
