"""The read side's storage contract: documents in tables, with a few indexed columns to filter
and sort by, written together with their tracking record in one transaction (exactly once).

One abstract view, one concrete view per back-end (``registry/storage/``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import Tracking, TrackingRecorder


@dataclass(frozen=True)
class Table:
    name: str
    key: str
    columns: tuple[tuple[str, str], ...] = ()  # indexed filter columns: (name, TEXT|INTEGER)


@dataclass(frozen=True)
class Row:
    """One read-model document and the values of its table's filter columns."""

    table: str
    key: str
    doc: Mapping[str, Any]
    columns: Mapping[str, Any] = field(default_factory=dict)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table("platforms", "code", (("kind", "TEXT"), ("approved", "INTEGER"))),
        Table("moocs", "code", (("status", "TEXT"),)),
        Table("learners", "id", (("search", "TEXT"),)),
        Table("enrollments", "id", (("learner_id", "TEXT"), ("mooc_code", "TEXT"),
                                    ("admitted", "INTEGER"), ("passed", "INTEGER"))),
        Table("certificates", "number", (("enrollment_id", "TEXT"), ("learner_id", "TEXT"),
                                         ("status", "TEXT"))),
        Table("settings", "name"),
        Table("keys", "kid", (("active", "INTEGER"),)),
        Table("teaching", "discipline"),
        Table("program_submissions", "id", (("faculty", "TEXT"), ("status", "TEXT"),
                                            ("start_date", "TEXT"), ("start_month", "TEXT"))),
        Table("program_documents", "key", (("sha256", "TEXT"), ("faculty", "TEXT"))),
        Table("teaching_materials", "code", (("complete", "INTEGER"),)),
    )
}


class RegistryView(TrackingRecorder, ABC):
    """Documents by key, plus tracking. ``save`` is atomic with its tracking record: a
    tracking record for a position already recorded raises ``IntegrityError`` and writes
    nothing, so two runners can never apply the same event twice."""

    @abstractmethod
    def save(self, rows: Sequence[Row], tracking: Tracking) -> None: ...

    @abstractmethod
    def get(self, table: str, key: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def find(
        self,
        table: str,
        where: Mapping[str, Any] | None = None,
        *,
        search: str | None = None,
        order_by: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Documents whose columns (or ``key``) equal ``where`` — a list value: any of its
        values — ordered by ``order_by`` (a column) then key; ``search`` is a case-folded
        substring of the ``search`` column."""

    @abstractmethod
    def count(
        self, table: str, where: Mapping[str, Any] | None = None, *, search: str | None = None
    ) -> int: ...
