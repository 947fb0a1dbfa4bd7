"""The audit log's names (issue 14, capability 3): the name a log signs its checkpoints under
is fixed at its first start; an operator who started it under the wrong public URL renames it.

A rename keeps everything verifiable: checkpoints signed under the old name stay valid under
the old verifier key (which stays published), the tree is the same tree, and the rename is an
event of the log itself — recorded with the old and the new name and verifier key and the size
and root of the tree the old name signed last, and a hand-off note the old key signed naming
the new key — so an auditor reading the log sees where one
name ends and the next begins. Only public halves are recorded; the keys live in key files.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .errors import InvalidInput, InvalidTransition
from .text import clean_text

MAX_NAME = 200


def check_log_name(name: str) -> str:
    """A log name as signed notes allow it: no spaces, no ``+``, not empty."""
    if not name or len(name) > MAX_NAME or any(c.isspace() or c == "+" for c in name):
        raise InvalidInput(f"{name!r} cannot name a log: it needs 1 to {MAX_NAME} characters, "
                           "no spaces and no '+'.")
    return name


class AuditLogName(Aggregate):
    """The names the audit log has had, in order (created at its first rename, with the name
    it was founded under)."""

    ID: UUID = uuid5(NAMESPACE_URL, "det-registry:/audit-log-name")

    @staticmethod
    def create_id() -> UUID:
        return AuditLogName.ID

    @event("Created")
    def __init__(self, name: str, vkey: str) -> None:
        self.name = check_log_name(name)
        self.vkey = vkey
        self.names: list[str] = [self.name]

    def rename(self, *, new_name: str, new_vkey: str, tree_size: int, root: str,
               handoff: str, reason: str) -> None:
        """Sign under ``new_name`` from now on; the old name signed the tree of ``tree_size``
        entries with ``root`` (base64) last, and ``handoff``: a note signed by the old key
        naming the new key (so the old key vouches for its successor)."""
        check_log_name(new_name)
        reason = clean_text(reason, "reason", max_length=500)
        if new_name == self.name:
            raise InvalidTransition(f"The audit log is already named {new_name!r}.")
        if new_name in self.names:
            raise InvalidTransition(f"The audit log was named {new_name!r} before; a name is "
                                    "used once, so its checkpoints stay unambiguous.")
        if tree_size < 0:
            raise InvalidInput("A tree size is 0 or more.")
        if new_vkey not in handoff:
            raise InvalidInput("The hand-off note must name the new verifier key.")
        self._renamed(old_name=self.name, new_name=new_name, old_vkey=self.vkey,
                      new_vkey=new_vkey, tree_size=tree_size, root=root, handoff=handoff,
                      reason=reason)

    @event("Renamed")
    def _renamed(self, *, old_name: str, new_name: str, old_vkey: str, new_vkey: str,
                 tree_size: int, root: str, handoff: str, reason: str) -> None:
        self.name = new_name
        self.vkey = new_vkey
        self.names.append(new_name)
