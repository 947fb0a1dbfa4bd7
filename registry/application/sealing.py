"""Sealing the personal parts stored in the clear before encryption existed.

A registry whose ``personal_data`` rows were written before per-learner encryption still reads
them (scheme ``plain``). On start, :func:`seal_plaintext_rows` walks the event store once,
assigns each such row its subject by the same rule the mapper uses for new events, encrypts it
under that subject's data key, and records which learner each certificate, enrolment and token
is about (so a later erasure finds them). Nothing is done, and nothing read, when no plaintext
row is left; several processes may run it at once (each row is sealed once).

And the start that gives an older store its keys' tombstones (an erased key's row kept, so
that no write makes the key again) runs :func:`tombstone_past_erasures`: an erasure from
before then deleted its key, and a later write may have made a new one and sealed a part
under it (a revocation's reason, say); each such learner's erasure is destroyed again.
"""

from __future__ import annotations

import logging
from typing import Any

from eventsourcing.utils import get_topic, resolve_topic

from ..domain.learners import Learner
from .mapper import LEARNER_ID, PERSONAL_REF, aggregate_kind, stored_state, subject_rule
from .personal import Originator

log = logging.getLogger(__name__)

BATCH = 500


def seal_plaintext_rows(app: Any) -> int:
    """Encrypt every personal part still in the clear; the number sealed."""
    store = app.personal_store
    if not store.plaintext_refs(1):
        return 0
    sealed, position = 0, 0
    while True:
        batch = app.recorder.select_notifications(start=position, limit=BATCH,
                                                  inclusive_of_start=False)
        if not batch:
            break
        for notification in batch:
            state = stored_state(app.mapper, notification.state)
            event_class = resolve_topic(notification.topic)
            originator_id = str(notification.originator_id)
            learner_id = state.get(LEARNER_ID)
            kind = aggregate_kind(event_class)
            if learner_id is not None and kind != "Learner":
                store.remember(Originator(originator_id, kind, str(learner_id)))
            ref = state.get(PERSONAL_REF)
            if ref:
                subject = subject_rule(event_class, originator_id, learner_id, store.subject_of)
                sealed += bool(store.seal_plaintext(ref, subject))
        position = batch[-1].id
    log.warning("sealed %d personal parts that were stored in the clear", sealed)
    return sealed


def tombstone_past_erasures(app: Any) -> int:
    """Once, on the start that added the keys' tombstones: every learner erased before then
    is erased again in the personal store (its key tombstoned, every part sealed under a key
    made since destroyed); the number of learners. Read by topic, one batch at a time."""
    store = app.personal_store
    if not store.tombstones_added:
        return 0
    topics = [get_topic(Learner.PersonalDataErased)]
    subjects: set[str] = set()
    position = 0
    while True:
        batch = app.recorder.select_notifications(start=position, limit=BATCH, topics=topics,
                                                  inclusive_of_start=False)
        if not batch:
            break
        subjects.update(str(n.originator_id) for n in batch)
        position = batch[-1].id
    destroyed = sum(store.erase_subject(subject) for subject in sorted(subjects))
    if subjects:
        log.warning("tombstoned the data keys of %d learners erased before tombstones existed "
                    "(%d personal parts written after their erasure destroyed)",
                    len(subjects), destroyed)
    return len(subjects)
