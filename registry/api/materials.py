"""Teaching materials of DET disciplines (R4) in GraphQL: teachers (and INET) record that the
syllabus complex (ПОӘК) and the DER are on Moodle; staff read the compliance list."""

from __future__ import annotations

import datetime
from typing import Any

import strawberry

from ..domain.access import Action
from ..domain.materials import MaterialsRecord
from .context import Info
from .relay import Connection, paginate


@strawberry.type(description="A DET discipline's teaching materials on the Moodle DLS (R4).")
class TeachingMaterials:
    discipline_code: str
    title: str | None
    moodle_course_url: str | None
    syllabus_complex_uploaded: bool = strawberry.field(
        description="The teaching-and-methodology complex (ПОӘК) is on Moodle.")
    der_uploaded: bool = strawberry.field(
        description="The digital educational resources (DER) are on Moodle.")
    complete: bool
    missing: list[str] = strawberry.field(
        description="MOODLE_COURSE, SYLLABUS_COMPLEX, DER: what is not recorded yet.")
    updated_on: datetime.date | None

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
    discipline_code: str
    title: str | None = None
    moodle_course_url: str | None = None
    syllabus_complex_uploaded: bool | None = None
    der_uploaded: bool | None = None


@strawberry.type
class MaterialsQuery:
    @strawberry.field
    async def teaching_materials(self, info: Info, discipline_code: str
                                 ) -> TeachingMaterials | None:
        info.context.require(Action.READ_TEACHING_MATERIALS)
        doc = await info.context.get("teaching_materials", discipline_code.strip())
        return TeachingMaterials.from_doc(doc) if doc else None

    @strawberry.field(description="Compliance (R4): DET disciplines whose materials are "
                                  "incomplete.")
    async def incomplete_teaching_materials(
        self, info: Info, first: int | None = None, after: str | None = None,
    ) -> Connection[TeachingMaterials]:
        info.context.require(Action.READ_TEACHING_MATERIALS)
        return await paginate(info, "teaching_materials", TeachingMaterials.from_doc,
                              where={"complete": False}, first=first, after=after)


@strawberry.type
class MaterialsMutation:
    @strawberry.mutation
    async def record_teaching_materials(self, info: Info, input: RecordTeachingMaterialsInput
                                        ) -> TeachingMaterials:
        c = info.context
        command = c.command(Action.RECORD_TEACHING_MATERIALS)
        record = MaterialsRecord.checked(
            code=input.discipline_code, title=input.title,
            moodle_course_url=input.moodle_course_url,
            syllabus_complex_uploaded=input.syllabus_complex_uploaded,
            der_uploaded=input.der_uploaded)
        code = await c.run(command, lambda cmd: cmd.materials.record(record, c.principal))
        return TeachingMaterials.from_doc(await c.doc("teaching_materials", code))
