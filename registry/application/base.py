"""The eventsourcing application's infrastructure, shared by every feature's commands.

Each feature's commands live in their own module (``platforms.py``, ``moocs.py``, …) as a
subclass of :class:`RegistryBase`; :class:`registry.application.registry.Registry` composes
them. A command loads aggregates, lets the domain decide, saves all new events atomically and
returns :class:`Saved`: the notification id of its last event, so the caller can wait until the
views have seen it (read your writes), and whatever the caller needs back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, Mapper
from eventsourcing.utils import Environment, EnvType

from ..domain.errors import NotFound
from ..domain.grading import GradeWeights
from .mapper import RegistryMapper
from .personal import PersonalStore
from .transcodings import DateAsISO

A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class Saved:
    position: int
    value: Any = None


class RegistryBase(Application[UUID]):
    def __init__(
        self,
        env: EnvType,
        *,
        personal_store_factory: Callable[[Application[UUID]], PersonalStore],
        now: Callable[[], datetime],
        today: Callable[[], date],
        iin_key: bytes,
        grade_weights: GradeWeights = GradeWeights(),
    ) -> None:
        self._personal_store_factory = personal_store_factory
        self._now = now
        self.today = today
        self._iin_key = iin_key
        self.grade_weights = grade_weights
        super().__init__(env)

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Only what we pass: the process environment must not change persistence by accident
        # (eventsourcing would otherwise read REGISTRY_* and plain variables).
        return Environment(name, dict(env or {}))

    def construct_mapper(self) -> Mapper[UUID]:
        self.personal_store = self._personal_store_factory(self)
        self.personal_store.create_table()
        transcoder = self.factory.transcoder()
        assert isinstance(transcoder, JSONTranscoder)
        self.register_transcodings(transcoder)
        return RegistryMapper(transcoder, self.personal_store, self._now)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def _save(self, *aggregates: Aggregate | None, value: Any = None) -> Saved:
        recordings = self.save(*aggregates)
        ids = [r.notification.id for r in recordings]
        return Saved(max(ids) if ids else self.last_notification_id(), value)

    def _get(self, cls: type[A], aggregate_id: UUID, what: str) -> A:
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"{what} does not exist.") from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"{what} does not exist.")
        return aggregate

    def _singleton(self, cls: type[A], aggregate_id: UUID) -> A:
        """A registry-wide aggregate (proctoring, the key ring), new if never saved."""
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return cls()
        assert isinstance(aggregate, cls)
        return aggregate

    def _exists(self, aggregate_id: UUID) -> bool:
        return aggregate_id in self.repository

    def last_notification_id(self) -> int:
        """The position of the newest event (PostgreSQL's ids may have gaps: not a count)."""
        return self.recorder.max_notification_id() or 0
