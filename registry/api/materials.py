"""Teaching materials of DET disciplines (R4) in GraphQL: teachers (and INET) record that the
syllabus complex (ПОӘК) and the DER are on Moodle; staff read the compliance list."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

import strawberry

from ..domain.access import Action
from ..domain.materials import MaterialsRecord
from .context import Info
from .describe import Input
from .relay import After, Connection, First, paginate

DISCIPLINE_CODE = "The DET discipline's code."
TITLE = "The discipline's title."
MOODLE_COURSE_URL = "The link to the discipline's course on Moodle (https://dl.kaznu.kz/…)."


@strawberry.type(description="A DET discipline's teaching materials on the Moodle DLS (R4). "
                             "Staff: inet, auditor, teacher, dean, admin.")
class TeachingMaterials:
    discipline_code: str = strawberry.field(description=DISCIPLINE_CODE)
    title: str | None = strawberry.field(description=TITLE + " Null if not recorded.")
    moodle_course_url: str | None = strawberry.field(
        description=MOODLE_COURSE_URL + " Null if not recorded.")
    syllabus_complex_uploaded: bool = strawberry.field(
        description="The teaching-and-methodology complex (ПОӘК) is on Moodle.")
    der_uploaded: bool = strawberry.field(
        description="The digital educational resources (DER) are on Moodle.")
    complete: bool = strawberry.field(
        description="The Moodle course, the ПОӘК and the DER are all recorded (missing is "
                    "empty).")
    missing: list[str] = strawberry.field(
        description="MOODLE_COURSE, SYLLABUS_COMPLEX, DER: what is not recorded yet.")
    updated_on: datetime.date | None = strawberry.field(
        description="The day of the latest record (registry time zone).")

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> TeachingMaterials:
        updated = doc.get("updatedOn")
        return cls(
            discipline_code=doc["code"], title=doc.get("title"),
            moodle_course_url=doc.get("moodleCourseUrl"),
            syllabus_complex_uploaded=doc["syllabusComplexUploaded"],
            der_uploaded=doc["derUploaded"], complete=doc["complete"],
            missing=list(doc["missing"]),
            updated_on=datetime.date.fromisoformat(updated) if updated else None,
        )


@strawberry.input(description="A field left out keeps what was recorded before; the first "
                              "record of a discipline registers it.")
class RecordTeachingMaterialsInput:
    discipline_code: str = strawberry.field(
        description=DISCIPLINE_CODE + " A teacher token: one it teaches (else FORBIDDEN).")
    title: str | None = strawberry.field(default=None, description=TITLE)
    moodle_course_url: str | None = strawberry.field(default=None,
                                                     description=MOODLE_COURSE_URL)
    syllabus_complex_uploaded: bool | None = strawberry.field(
        default=None, description="The syllabus complex (ПОӘК / УМКД) is on Moodle.")
    der_uploaded: bool | None = strawberry.field(
        default=None, description="The digital educational resources (DER / ЦОР) are on "
                                  "Moodle.")


@strawberry.type
class MaterialsQuery:
    @strawberry.field(description="One discipline's teaching materials (staff); null if none "
                                  "is recorded.")
    async def teaching_materials(
        self, info: Info,
        discipline_code: Annotated[str, strawberry.argument(description=DISCIPLINE_CODE)],
    ) -> TeachingMaterials | None:
        info.context.require(Action.READ_TEACHING_MATERIALS)
        doc = await info.context.get("teaching_materials", discipline_code.strip())
        return TeachingMaterials.from_doc(doc) if doc else None

    @strawberry.field(description="Compliance (R4): DET disciplines whose materials are "
                                  "incomplete, by code (staff).")
    async def incomplete_teaching_materials(
        self, info: Info, first: First = None, after: After = None,
    ) -> Connection[TeachingMaterials]:
        info.context.require(Action.READ_TEACHING_MATERIALS)
        return await paginate(info, "teaching_materials", TeachingMaterials.from_doc,
                              where={"complete": False}, first=first, after=after)


@strawberry.type
class MaterialsMutation:
    @strawberry.mutation(description="Record where a discipline's materials are (inet, or a "
                                     "teacher for the disciplines it teaches).")
    async def record_teaching_materials(
        self, info: Info, input: Input[RecordTeachingMaterialsInput]) -> TeachingMaterials:
        c = info.context
        command = c.command(Action.RECORD_TEACHING_MATERIALS)
        record = MaterialsRecord.checked(
            code=input.discipline_code, title=input.title,
            moodle_course_url=input.moodle_course_url,
            syllabus_complex_uploaded=input.syllabus_complex_uploaded,
            der_uploaded=input.der_uploaded)
        code = await c.run(command, lambda cmd: cmd.materials.record(record, c.principal))
        return TeachingMaterials.from_doc(await c.doc("teaching_materials", code))
