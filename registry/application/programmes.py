"""Commercial programme packages (R3) and teaching materials (R4).

Checks run in SPEC §3's order: the caller's role (API), the input (value objects and the staged
file, before anything is loaded), existence, the faculty a token acts for, the package's state,
then the rules. A document's bytes are stored only once every check has passed, just before
its event; storing is idempotent, so a retried command stores nothing twice.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from ..domain.access import Principal, check_course_scope
from ..domain.materials import DisciplineMaterials, MaterialsRecord
from ..domain.programmes import (
    Attachment,
    ProgramDetails,
    ProgramSubmission,
    check_faculty_scope,
    check_return_reason,
)
from .base import RegistryBase, Saved
from .documents import DocumentStore, StagedDocument


class ProgrammeCommands(RegistryBase):
    documents: DocumentStore  # set by the composition root (registry/bootstrap.py)

    def get_program_submission(self, submission_id: UUID) -> ProgramSubmission:
        return self._get(ProgramSubmission, submission_id, f"Programme package {submission_id}")

    def create_program_submission(self, *, actor: Principal, title: str, program_type: str,
                                  faculty: str, start_date: date,
                                  disciplines: list[str]) -> Saved:
        details = ProgramDetails.checked(title=title, program_type=program_type,
                                         faculty=faculty, start_date=start_date,
                                         disciplines=disciplines)
        check_faculty_scope(actor, details.faculty)
        package = ProgramSubmission.create(details, actor=actor, on=self.today())
        return self._save(package, value=str(package.id))

    def attach_document(self, *, actor: Principal, submission_id: UUID,
                        attachment: Attachment, staged: StagedDocument) -> Saved:
        package = self.get_program_submission(submission_id)
        package.check_attachable(attachment, actor=actor)
        self.documents.put(staged)
        package.attach(attachment, staged.file, actor=actor, on=self.today())
        return self._save(package, value=str(package.id))

    def submit_program(self, *, actor: Principal, submission_id: UUID) -> Saved:
        package = self.get_program_submission(submission_id)
        package.submit(actor=actor, today=self.today())
        return self._save(package, value=str(package.id))

    def accept_program(self, *, submission_id: UUID) -> Saved:
        package = self.get_program_submission(submission_id)
        package.accept(on=self.today())
        return self._save(package, value=str(package.id))

    def return_program(self, *, submission_id: UUID, reason: str) -> Saved:
        reason = check_return_reason(reason)
        package = self.get_program_submission(submission_id)
        package.return_to_faculty(reason, on=self.today())
        return self._save(package, value=str(package.id))

    # -- teaching materials (R4) -----------------------------------------------------------

    def record_teaching_materials(self, record: MaterialsRecord,
                                  actor: Principal | None = None) -> Saved:
        check_course_scope(actor, record.code)
        materials_id = DisciplineMaterials.create_id(record.code)
        if self._exists(materials_id):
            materials = self._get(DisciplineMaterials, materials_id, f"Discipline {record.code}")
        else:
            materials = DisciplineMaterials.register(record)
        materials.record(record, on=self.today())
        return self._save(materials, value=materials.code)
