"""``registry audit rename``: give the audit log the name ``REGISTRY_PUBLIC_URL`` gives, for
an operator who started the registry under the wrong public URL (issue 14, capability 3).

Run with the server stopped. In order: every stored event is logged and a last checkpoint is
signed under the old name; the rename is recorded as an event (``AuditLogName.Renamed``: old
and new name and verifier key, the size and root the old name signed last, the reason); the
old verifier key joins ``keys/transparency-log.previous`` and a new key under the new name
replaces ``keys/transparency-log.key`` (the event carries a hand-off note the old key signed:
the old name's origin, size and root, and ``renamed to <new verifier key>``); then a checkpoint of the same tree, the rename's own
entry included, is signed under the new name. Checkpoints signed before stay valid under the
old verifier key (publish both); the tree only grows, so consistency proofs span the rename.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from ..application.auditlog import AuditLogCommands
from ..application.context import CommandContext
from ..config import Settings
from .note import Signer, rename_signer


def handoff_body(old_name: str, size: int, root: str, new_vkey: str) -> str:
    """What the old key signs at a rename: where it stopped, and who signs next."""
    return f"{old_name}\n{size}\n{root}\nrenamed to {new_vkey}\n"


@dataclass(frozen=True)
class Renamed:
    old_name: str
    old_vkey: str
    old_size: int
    old_root: str
    new_name: str
    new_vkey: str
    new_size: int
    new_root: str


def rename_log(settings: Settings, reason: str, ctx: CommandContext) -> Renamed:
    """Rename the log of the registry in ``settings.data_dir`` to
    ``<settings.public_authority>/log``; refusals are :class:`~registry.domain.errors.DomainError`."""
    from ..bootstrap import build

    new_name = f"{settings.public_authority}/log"
    keys_dir = settings.data_dir / "keys"
    container = build(settings, seed=False)
    try:
        container.checkpointer.stop()
        container.audit_runner.stop()
        container.audit_runner.catch_up()
        log = container.audit
        last = log.sign()  # the old name's last word: every event logged so far
        old_signer = log.signer
        new_signer = Signer.generate(new_name)
        root = base64.b64encode(last.root).decode("ascii")
        # The old key's last signature vouches for its successor (offline-checkable).
        handoff = old_signer.sign(handoff_body(old_signer.name, last.size, root,
                                               new_signer.verifier.vkey))
        container.service.execute(ctx, lambda _: AuditLogCommands(container.app).rename(
            current_name=log.origin, current_vkey=log.verifier.vkey, new_name=new_name,
            new_vkey=new_signer.verifier.vkey, tree_size=last.size, root=root,
            handoff=handoff, reason=reason))
        rename_signer(keys_dir, old_signer, new_signer)
    finally:
        container.close()
    # The registry as it now starts: the new key, the old one among the previous.
    container = build(settings, seed=False)
    try:
        container.checkpointer.stop()
        container.audit_runner.stop()
        container.audit_runner.catch_up()
        first = container.audit.sign()
        return Renamed(old_signer.name, old_signer.verifier.vkey, last.size,
                       base64.b64encode(last.root).decode("ascii"), new_name,
                       new_signer.verifier.vkey, first.size,
                       base64.b64encode(first.root).decode("ascii"))
    finally:
        container.close()
