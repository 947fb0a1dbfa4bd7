"""Commercial programme packages (R3).

Checks run in SPEC §3's order: the caller's role (API), the input (value objects and the staged
file, before anything is loaded), existence, the faculty a token acts for, the package's state,
then the rules. A document's bytes are stored only once every check has passed, just before
its event; storing is idempotent, so a retried command stores nothing twice.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from ..domain.access import Principal
from ..domain.programmes import (
    Attachment,
    ProgramDetails,
    ProgramSubmission,
    check_faculty_scope,
    check_return_reason,
)
from .documents import DocumentStore, StagedDocument
from .registry import Registry, Saved


class ProgrammeCommands:
    def __init__(self, app: Registry, *, documents: DocumentStore) -> None:
        self.app = app
        self.documents = documents  # where the packages' documents are kept

    def get(self, submission_id: UUID) -> ProgramSubmission:
        return self.app.load(ProgramSubmission, submission_id,
                             f"Programme package {submission_id}")

    def create(self, *, actor: Principal, title: str, program_type: str, faculty: str,
               start_date: date, disciplines: list[str]) -> Saved:
        details = ProgramDetails.checked(title=title, program_type=program_type,
                                         faculty=faculty, start_date=start_date,
                                         disciplines=disciplines)
        check_faculty_scope(actor, details.faculty)
        package = ProgramSubmission.create(details, actor=actor, on=self.app.today())
        return self.app.commit(package, value=str(package.id))

    def attach_document(self, *, actor: Principal, submission_id: UUID,
                        attachment: Attachment, staged: StagedDocument) -> Saved:
        package = self.get(submission_id)
        package.check_attachable(attachment, actor=actor)
        self.documents.put(staged)
        package.attach(attachment, staged.file, actor=actor, on=self.app.today())
        return self.app.commit(package, value=str(package.id))

    def submit(self, *, actor: Principal, submission_id: UUID) -> Saved:
        package = self.get(submission_id)
        package.submit(actor=actor, today=self.app.today())
        return self.app.commit(package, value=str(package.id))

    def accept(self, *, submission_id: UUID) -> Saved:
        package = self.get(submission_id)
        package.accept(on=self.app.today())
        return self.app.commit(package, value=str(package.id))

    def return_to_faculty(self, *, submission_id: UUID, reason: str) -> Saved:
        reason = check_return_reason(reason)
        package = self.get(submission_id)
        package.return_to_faculty(reason, on=self.app.today())
        return self.app.commit(package, value=str(package.id))
