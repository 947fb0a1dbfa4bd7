"""The mapper that keeps personal data out of stored events and stamps R11's metadata.

On the way in, an event's ``personal`` argument — with the X-On-Behalf-Of text of the command
context, which is personal too — is moved to the :class:`PersonalStore` (with a fresh 16-byte
salt, sealed under its subject's data key) and replaced by ``personal_ref`` and
``personal_commitment``; the rest of the command context's metadata is added as ``meta``. On
the way out, the personal part is put back (or ``None`` when it was erased).

The personal part is written before the event, in its own transaction, under a random
reference: a write that then loses an optimistic-concurrency race leaves an unreferenced row,
never a row that another event points to.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from eventsourcing.persistence import (
    EventStore,
    Mapper,
    Notification,
    Recording,
    StoredEvent,
    Transcoder,
)
from eventsourcing.utils import get_topic

from ..domain.learners import Learner
from ..domain.personal import ON_BEHALF_OF, OWN_KEY
from .context import current_context
from .personal import Originator, PersonalStore, new_record

PERSONAL = "personal"
PERSONAL_REF = "personal_ref"
PERSONAL_COMMITMENT = "personal_commitment"
META = "meta"
LEARNER_ID = "learner_id"


def stored_state(mapper: Any, state: bytes) -> dict[str, Any]:
    """A stored event's state as the application's transcoder decodes it — nothing added back
    (no personal part): what the audit log and the sealing of old rows read."""
    if getattr(mapper, "cipher", None):
        state = mapper.cipher.decrypt(state)
    if getattr(mapper, "compressor", None):
        state = mapper.compressor.decompress(state)
    decoded: dict[str, Any] = mapper.transcoder.decode(state)
    return decoded


def aggregate_kind(event_class: type) -> str:
    """``Certificate.Issued`` → ``Certificate``."""
    return event_class.__qualname__.rpartition(".")[0] or event_class.__qualname__


def subject_rule(event_class: type, originator_id: str, learner_id: Any,
                 lookup: Callable[[str], str | None]) -> str | None:
    """Whose data key seals this event's personal part (see registry/domain/personal.py):
    a learner id, or ``None`` for a key of its own."""
    if getattr(event_class, "personal_key", None) == OWN_KEY:
        return None
    if aggregate_kind(event_class) == Learner.__name__:
        return originator_id
    if learner_id is not None:
        return str(learner_id)
    return lookup(originator_id)


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
        return self.to_stored_events([domain_event])[0]

    def to_stored_events(self, domain_events: Sequence[Any], *,
                         deferred: list[Callable[[], None]] | None = None
                         ) -> list[StoredEvent]:
        """Map the events of one atomic save. They are recorded together, by one command:
        its metadata (``recorded_at`` one instant for the whole save) is made once, not per
        event — a gradebook import saves 2,000 events at a time.

        The personal store's writes (each personal part, whose events the later events of an
        aggregate are about) are made at once, or — given ``deferred`` — appended to it in
        order, for the caller to run in the events' own transaction. Whose key seals a part is
        decided here either way, reading the store outside that transaction (on SQLite a
        transaction that reads first cannot take the write lock once another writer holds it),
        once per aggregate a save; one remembered earlier in the same save without a read."""
        meta: dict[str, Any] | None = None
        on_behalf_of = None
        stored = []
        encode = self.transcoder.encode
        store = self.personal_store
        write: Callable[[Callable[[], None]], None] = (
            (lambda w: w()) if deferred is None else deferred.append)
        subjects: dict[str, str | None] = {}  # whom each aggregate is about, for this save

        def subject_of(originator: str) -> str | None:
            if originator not in subjects:
                subjects[originator] = store.subject_of(originator)
            return subjects[originator]
        for domain_event in domain_events:
            state = dict(vars(domain_event))
            had_personal = PERSONAL in state
            personal = state.pop(PERSONAL, None)
            if META not in state:
                if meta is None:
                    meta = current_context().metadata(self.now().isoformat())
                    # It names a person or a committee: personal, never in the log. The key
                    # stays, null, so every envelope's meta has the same shape
                    # (events/README.md).
                    on_behalf_of = meta.get(ON_BEHALF_OF)
                    meta[ON_BEHALF_OF] = None
                if on_behalf_of:
                    personal = {**(personal or {}), ON_BEHALF_OF: on_behalf_of}
                state[META] = meta
            originator_id = state.pop("originator_id")
            originator_version = state.pop("originator_version")
            event_class = type(domain_event)
            learner_id = state.get(LEARNER_ID)
            if learner_id is not None:
                kind = aggregate_kind(event_class)
                if kind != Learner.__name__:
                    subjects[str(originator_id)] = subjects.get(str(originator_id)) or \
                        str(learner_id)
                    write(partial(store.remember, Originator(str(originator_id), kind,
                                                             str(learner_id))))
            if personal is not None:
                subject = subject_rule(event_class, str(originator_id), learner_id,
                                       subject_of)
                record = new_record(str(uuid.uuid4()), personal)
                write(partial(store.put, record, subject=subject))
                state[PERSONAL_REF] = record.ref
                state[PERSONAL_COMMITMENT] = record.commitment
            elif had_personal:
                state[PERSONAL_REF] = None
            # eventsourcing's Mapper.to_stored_event, on the state already copied
            class_version = getattr(event_class, "class_version", 1)
            if class_version > 1:
                state["class_version"] = class_version
            data = encode(state)
            if self.compressor:
                data = self.compressor.compress(data)
            if self.cipher:
                data = self.cipher.encrypt(data)
            stored.append(StoredEvent(originator_id=originator_id,
                                      originator_version=originator_version,
                                      topic=get_topic(event_class), state=data))
        return stored

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        return self.to_domain_events([stored_event])[0]

    def to_domain_events(self, stored_events: Sequence[StoredEvent], *,
                         personal: bool = True) -> list[Any]:
        """Decode a batch of stored events, fetching all their personal parts in one query
        (projections and aggregate loads read hundreds at a time). ``personal=False``: none
        is read, each is ``None`` (``Registry.load_many``'s)."""
        events = [super(RegistryMapper, self).to_domain_event(s) for s in stored_events]
        refs = [ref for e in events if (ref := vars(e).get(PERSONAL_REF))] if personal else []
        records = self.personal_store.get_many(refs) if refs else {}
        for domain_event in events:
            state = vars(domain_event)
            if PERSONAL_REF in state:
                record = records.get(state[PERSONAL_REF] or "")
                state[PERSONAL] = json.loads(record.data) if record is not None else None
        return events


def _run_within(store: PersonalStore, writes: list[Callable[[], None]], transaction: Any
                ) -> None:
    with store.within(transaction):
        for write in writes:
            write()


class BatchDecodingEventStore(EventStore[uuid.UUID]):
    """eventsourcing's event store, decoding an aggregate's events together: one query for all
    their personal parts, not one per event (an enrolment with twenty corrected scores is
    loaded with two queries, whatever its length). The personal parts of the events saved are
    written in the events' own transaction when the recorder takes statements there
    (``registry/storage/recorders.py``); with another recorder, all in one transaction
    committed before them."""

    def put(self, domain_events: Sequence[Any], **kwargs: Any) -> list[Any]:
        mapper = self.mapper
        if not isinstance(mapper, RegistryMapper):
            return super().put(domain_events, **kwargs)
        deferred: list[Callable[[], None]] = []
        stored = mapper.to_stored_events(domain_events, deferred=deferred)
        if deferred:
            store = mapper.personal_store
            if getattr(self.recorder, "runs_before", False):
                # In the events' own transaction (registry/storage/recorders.py): one
                # commit, and none of them stored without its event.
                kwargs = {**kwargs, "before": partial(_run_within, store, deferred)}
            else:  # in one transaction of their own, committed before the events
                with store.writes_together():
                    for write in deferred:
                        write()
        ids = self.recorder.insert_events(stored, **kwargs)
        if not ids:
            return []
        return [Recording(d, Notification(originator_id=s.originator_id,
                                          originator_version=s.originator_version,
                                          topic=s.topic, state=s.state, id=n))
                for d, s, n in zip(domain_events, stored, ids, strict=True)]

    def get(self, originator_id: uuid.UUID, *, gt: int | None = None, lte: int | None = None,
            desc: bool = False, limit: int | None = None, personal: bool = True
            ) -> Iterator[Any]:
        """The aggregate's events; ``personal=False``: without their personal parts (each
        ``None``, none read — ``RegistryMapper.to_domain_events``)."""
        stored = self.recorder.select_events(originator_id=originator_id, gt=gt, lte=lte,
                                             desc=desc, limit=limit)
        mapper = self.mapper
        if isinstance(mapper, RegistryMapper):
            return iter(mapper.to_domain_events(stored, personal=personal))
        return map(mapper.to_domain_event, stored)
