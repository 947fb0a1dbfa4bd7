"""The mapper that keeps personal data out of stored events and stamps R11's metadata.

On the way in, an event's ``personal`` argument is moved to the :class:`PersonalStore` (with a
fresh 16-byte salt) and replaced by ``personal_ref`` and ``personal_commitment``; the command
context's metadata is added as ``meta``. On the way out, the personal part is put back (or
``None`` when it was erased).

The personal part is written before the event, in its own transaction, under a random
reference: a write that then loses an optimistic-concurrency race leaves an unreferenced row,
never a row that another event points to.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from eventsourcing.persistence import Mapper, StoredEvent, Transcoder

from .context import current_context
from .personal import PersonalStore, new_record

PERSONAL = "personal"
PERSONAL_REF = "personal_ref"
PERSONAL_COMMITMENT = "personal_commitment"
META = "meta"


class RegistryMapper(Mapper[uuid.UUID]):
    def __init__(
        self,
        transcoder: Transcoder,
        personal_store: PersonalStore,
        now: Callable[[], datetime],
    ) -> None:
        super().__init__(transcoder)
        self.personal_store = personal_store
        self.now = now

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        state = dict(vars(domain_event))
        personal = state.pop(PERSONAL, None)
        if personal is not None:
            record = new_record(str(uuid.uuid4()), personal)
            self.personal_store.put(record)
            state[PERSONAL_REF] = record.ref
            state[PERSONAL_COMMITMENT] = record.commitment
        elif PERSONAL in vars(domain_event):
            state[PERSONAL_REF] = None
        state.setdefault(META, current_context().metadata(self.now().isoformat()))
        shadow = object.__new__(type(domain_event))
        object.__setattr__(shadow, "__dict__", state)
        return super().to_stored_event(shadow)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        domain_event = super().to_domain_event(stored_event)
        state = vars(domain_event)
        if PERSONAL_REF in state:
            ref = state[PERSONAL_REF]
            record = self.personal_store.get(ref) if ref else None
            state[PERSONAL] = json.loads(record.data) if record is not None else None
        return domain_event
