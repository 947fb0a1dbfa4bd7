"""Aggregates kept between commands, so that a command does not replay a long history again.

Only aggregates whose state holds no personal data are kept (``keeps_personal_data`` in
``registry/domain/personal.py``: an enrolment, a MOOC, a platform, the proctoring record, the
key ring): a personal part erased on its own has nothing in them to reach. A kept aggregate is
never handed out: each load copies it and brings the copy up to date with the events stored
after its version, read from the store every time — a write through another process is seen
at once, as without the cache — so a command's changes reach the kept copy only once they are
saved and read back. Bounded: the least recently used goes first.
"""

from __future__ import annotations

import threading
from uuid import UUID

from cachetools import LRUCache
from eventsourcing.domain import Aggregate

KEPT_AGGREGATES = 4096  # an enrolment kept is about 2 KB


class KeptAggregates:
    """Least-recently-used aggregates (cachetools' ``LRUCache``), at most ``maxsize``; each
    one, once put, is never changed (readers copy it), so copies may be taken without a
    lock."""

    def __init__(self, maxsize: int = KEPT_AGGREGATES) -> None:
        self._kept: LRUCache[UUID, Aggregate] = LRUCache(maxsize=maxsize)
        self._lock = threading.Lock()

    def get(self, aggregate_id: UUID) -> Aggregate | None:
        with self._lock:
            return self._kept.get(aggregate_id)

    def put(self, aggregate: Aggregate) -> None:
        """Keep ``aggregate`` (which nobody may change afterwards) unless a newer version of
        it is kept already (two threads brought it up to date at once)."""
        with self._lock:
            kept = self._kept.get(aggregate.id)
            if kept is None or kept.version < aggregate.version:
                self._kept[aggregate.id] = aggregate

    def ids(self) -> set[UUID]:
        """Which aggregates are kept now (``/metrics`` could show it; the tests do)."""
        with self._lock:
            return set(self._kept)
