"""Many commands, one save: the batch path for bulk work (``registry demo``, big imports).

Inside :meth:`Registry.batched`, the feature commands run exactly as the API runs them — the
same loads, the same domain rules, the same refusals, the same events, personal parts and
metadata — but :meth:`Registry.commit` does not save: the aggregates a command changed stay in
memory (a later command in the batch loads them from there, so it sees the earlier one's
events), and :meth:`Registry.flush` saves everything new in one atomic ``app.save``. The
domain decides before it records (a refused command has changed no aggregate), so a refusal
inside a batch leaves the batch as it was.

Only for a writer that owns the store while it works (the demo fills an empty registry): a
concurrent writer's conflict is found at the flush, and the whole batch is refused then.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from eventsourcing.domain import Aggregate


class Batch:
    def __init__(self) -> None:
        self._cache: dict[UUID, Aggregate] = {}
        self._dirty: dict[UUID, Aggregate] = {}
        self.keep: set[UUID] = set()  # kept in memory across flushes (courses, singletons)

    def cached(self, aggregate_id: UUID) -> Aggregate | None:
        return self._cache.get(aggregate_id)

    def loaded(self, aggregate: Aggregate, *, keep: bool = False) -> None:
        self._cache[aggregate.id] = aggregate
        if keep:
            self.keep.add(aggregate.id)

    def has(self, aggregate_id: UUID) -> bool:
        return aggregate_id in self._dirty or aggregate_id in self._cache

    def add(self, aggregates: Iterable[Aggregate | None]) -> None:
        for aggregate in aggregates:
            if aggregate is not None:
                self._cache[aggregate.id] = self._dirty[aggregate.id] = aggregate

    @property
    def pending(self) -> list[Aggregate]:
        return list(self._dirty.values())

    def saved(self) -> None:
        """The pending aggregates were saved: forget all but the kept ones."""
        self._dirty.clear()
        self._cache = {k: v for k, v in self._cache.items() if k in self.keep}

