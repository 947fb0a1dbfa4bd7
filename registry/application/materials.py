"""Teaching materials of DET disciplines (R4)."""

from __future__ import annotations

from ..domain.access import Principal, check_course_scope
from ..domain.materials import DisciplineMaterials, MaterialsRecord
from .registry import Registry, Saved


class MaterialCommands:
    def __init__(self, app: Registry) -> None:
        self.app = app

    def record(self, record: MaterialsRecord, actor: Principal | None = None) -> Saved:
        check_course_scope(actor, record.code)
        materials_id = DisciplineMaterials.create_id(record.code)
        if self.app.exists(materials_id):
            materials = self.app.load(DisciplineMaterials, materials_id,
                                      f"Discipline {record.code}")
        else:
            materials = DisciplineMaterials.register(record)
        materials.record(record, on=self.app.today())
        return self.app.commit(materials, value=materials.code)
