"""The audit log's name: recording a rename (the domain decides, ``domain/auditlog.py``)."""

from __future__ import annotations

from ..domain.auditlog import AuditLogName
from .registry import Registry, Saved


class AuditLogCommands:
    def __init__(self, app: Registry) -> None:
        self.app = app

    def rename(self, *, current_name: str, current_vkey: str, new_name: str, new_vkey: str,
               tree_size: int, root: str, handoff: str, reason: str) -> Saved:
        """Record that the log signs as ``new_name`` from now on; the first rename also
        records the name the log was founded under."""
        names: AuditLogName
        if self.app.exists(AuditLogName.ID):
            names = self.app.repository.get(AuditLogName.ID)
        else:
            names = AuditLogName(name=current_name, vkey=current_vkey)
        names.rename(new_name=new_name, new_vkey=new_vkey, tree_size=tree_size, root=root,
                     handoff=handoff, reason=reason)
        return self.app.commit(names, value=new_name)
