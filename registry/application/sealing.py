"""Sealing the personal parts stored in the clear before encryption existed.

A registry whose ``personal_data`` rows were written before per-learner encryption still reads
them (scheme ``plain``). On start, :func:`seal_plaintext_rows` walks the event store once,
assigns each such row its subject by the same rule the mapper uses for new events, encrypts it
under that subject's data key, and records which learner each certificate, enrolment and token
is about (so a later erasure finds them). Nothing is done, and nothing read, when no plaintext
row is left; several processes may run it at once (each row is sealed once).
"""

from __future__ import annotations

import logging
from typing import Any

from eventsourcing.utils import resolve_topic

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
