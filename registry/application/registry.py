"""The registry application: the eventsourcing ``Application`` with the infrastructure only.

It knows how events are stored (the mapper and the personal store), how aggregates are loaded
and saved, the clock, the grade weights and the IIN index key — and no feature. Each feature's
commands live in their own module (``platforms.py``, ``moocs.py``, …) as a class that receives
this application, and the other features it calls, in its constructor;
:class:`registry.application.commands.Commands` holds them, built in ``registry/bootstrap.py``.

A command loads aggregates, lets the domain decide, saves all new events atomically
(:meth:`Registry.commit`) and returns :class:`Saved`: the notification id of its last event, so
the caller can wait until the views have seen it (read your writes), and whatever the caller
needs back.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    Repository,
)
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import EventStore, JSONTranscoder, Mapper, Recording, StoredEvent
from eventsourcing.utils import Environment, EnvType

from ..domain.errors import NotFound
from ..domain.grading import GradeWeights
from ..domain.personal import keeps_personal_data
from .batch import Batch
from .kept import KeptAggregates
from .mapper import BatchDecodingEventStore, RegistryMapper
from .personal import PersonalStore
from .transcodings import DateAsISO

A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class Saved:
    position: int
    value: Any = None


def replay(aggregate: Any, events: Iterable[Any]) -> Any:
    """Each event's ``mutate`` in turn: eventsourcing's ``project_aggregate`` without its
    ``assert isinstance(event, CanMutateProtocol)`` per event — a check against a runtime
    ``Protocol``, a fifth of replaying an enrolment's history on Python 3.11 (bench/README.md,
    "Writes against the raw save"). Every event here is an eventsourcing domain event."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class _Repository(Repository[UUID]):
    """eventsourcing's repository, replaying with :func:`replay` unless told otherwise;
    ``personal=False``: the aggregate rebuilt without its events' personal parts (none read:
    for a class that keeps none in its state, ``keeps_personal_data``)."""

    def get(self, aggregate_id: UUID, *, version: int | None = None,
            projector_func: Any = replay, personal: bool = True, **options: Any) -> Any:
        if personal:
            return super().get(aggregate_id, version=version, projector_func=projector_func,
                               **options)
        events: Any = self.event_store
        aggregate = projector_func(None, events.get(aggregate_id, lte=version, personal=False))
        if aggregate is None:
            raise AggregateNotFoundError(
                f"Aggregate {aggregate_id!r} version {version!r} not found.")
        return aggregate


class Registry(Application[UUID]):
    name = "Registry"  # the store's tables and the views' tracking names depend on it

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
        self.now = now
        self.today = today
        self._iin_key = iin_key
        self.grade_weights = grade_weights
        # Called with each save's stored events, after the save (the metrics count them).
        self.saved_observers: list[Callable[[list[Recording[UUID]]], None]] = []
        # Reads the stored events of several aggregates in one statement (the back-end's;
        # set by bootstrap). Without it, ``load_many`` loads one by one.
        self.read_together: Callable[[Sequence[UUID]], Mapping[UUID, list[StoredEvent]]] \
            | None = None
        # The newest version of each of several aggregates in one statement (the back-end's;
        # set by bootstrap): whether cached copies are still current (the token cache).
        self.read_versions: Callable[[Sequence[UUID]], Mapping[UUID, int]] | None = None
        self._batch: Batch | None = None
        # Aggregates without personal state, kept between commands (kept.py).
        self.kept = KeptAggregates()
        super().__init__(env)

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        for observer in self.saved_observers:
            observer(recordings)

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Only what we pass: the process environment must not change persistence by accident
        # (eventsourcing would otherwise read REGISTRY_* and plain variables).
        return Environment(name, dict(env or {}))

    def construct_repository(self) -> Repository[UUID]:
        # No cache of eventsourcing's: an aggregate may hold decrypted personal values, and a
        # personal part erased on its own (no event to fast-forward) would live on in a cached
        # copy. Those that hold none are kept by ``self.kept`` (kept.py).
        return _Repository(event_store=self.events, snapshot_store=self.snapshots)

    @property
    def _aggregates(self) -> _Repository:
        repository = self.repository
        assert isinstance(repository, _Repository)
        return repository

    def construct_event_store(self) -> EventStore[UUID]:
        return BatchDecodingEventStore(mapper=self.mapper, recorder=self.recorder)

    def construct_mapper(self) -> Mapper[UUID]:
        self.personal_store = self._personal_store_factory(self)
        self.personal_store.create_table()
        transcoder = self.factory.transcoder()
        assert isinstance(transcoder, JSONTranscoder)
        self.register_transcodings(transcoder)
        return RegistryMapper(transcoder, self.personal_store, self.now)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """eventsourcing's ``Application.save``, step for step, collecting the aggregates'
        events without its ``isinstance`` checks against two runtime-checkable protocols
        (about 13 µs an aggregate in Python 3.11: a twentieth of a gradebook import) when
        every object is an :class:`Aggregate`; anything else goes the library's way."""
        if not all(obj is None or isinstance(obj, Aggregate) for obj in objs):
            return super().save(*objs, **kwargs)
        processing: ProcessingEvent[UUID] = ProcessingEvent()
        for aggregate in objs:
            if aggregate is not None:
                processing.events.extend(aggregate.collect_events())
                processing.aggregates[aggregate.id] = aggregate
        processing.saved_kwargs.update(kwargs)
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)
        self.notify(processing.events)  # deprecated in eventsourcing, still called by save
        return recordings

    def commit(self, *aggregates: Aggregate | None, value: Any = None) -> Saved:
        """Save the aggregates' new events atomically; where the last one stands, and
        ``value`` (what the caller needs back). In a batch (:meth:`batched`) they are kept
        for the batch's next :meth:`flush` instead (position 0: nothing stored yet)."""
        if self._batch is not None:
            self._batch.add(aggregates)
            return Saved(0, value)
        recordings = self.save(*aggregates)
        ids = [r.notification.id for r in recordings]
        return Saved(max(ids) if ids else self.last_notification_id(), value)

    @contextmanager
    def batched(self) -> Iterator[Batch]:
        """Within: commands gather their commits in memory (``registry/application/batch.py``)
        until :meth:`flush`; what is pending at the end is flushed. One thread only."""
        if self._batch is not None:
            raise RuntimeError("a batch is already open")
        self._batch = Batch()
        try:
            yield self._batch
            self.flush()
        finally:
            self._batch = None

    def flush(self) -> int:
        """Save everything the batch's commands changed since the last flush, atomically;
        how many events were stored."""
        batch = self._batch
        if batch is None or not batch.pending:
            return 0
        recordings = self.save(*batch.pending)
        batch.saved()
        return len(recordings)

    def _get(self, aggregate_id: UUID, *, keep: bool = False, plain: bool = False,
             personal: bool = True) -> Aggregate | None:
        """The aggregate (the batch's copy in a batch), ``None`` if it was never saved.
        ``plain`` (the caller wants a class that keeps no personal data): rebuilt without its
        events' personal parts, and outside a batch from its kept copy. ``personal=False``
        (rules that read no personal data): outside a batch, rebuilt without them too — a
        copy whose names read as erased, never kept; a batch keeps what it loads for its
        later commands, so there it is loaded whole."""
        batch = self._batch
        aggregate: Aggregate | None = batch.cached(aggregate_id) if batch else None
        if aggregate is None:
            try:
                if batch is not None:
                    aggregate = self._aggregates.get(aggregate_id, personal=not plain)
                elif plain:
                    return self._kept_or_loaded(aggregate_id)
                else:
                    found: Aggregate = self._aggregates.get(aggregate_id, personal=personal)
                    return found
            except AggregateNotFoundError:
                return None
            batch.loaded(aggregate, keep=keep)
        return aggregate

    def _kept_or_loaded(self, aggregate_id: UUID) -> Aggregate:
        """A copy of the kept aggregate brought up to date from the store (the events after
        its version: one statement, whatever the history's length), or the aggregate rebuilt
        and a copy of it kept — if its class keeps no personal data."""
        kept = self.kept.get(aggregate_id)
        if kept is None:
            aggregate: Aggregate = self._aggregates.get(aggregate_id, personal=False)
            if not keeps_personal_data(type(aggregate)):
                self.kept.put(deepcopy(aggregate))
            return aggregate
        aggregate = deepcopy(kept)
        events: Any = self.events
        newer = list(events.get(aggregate_id, gt=aggregate.version, personal=False))
        if newer:
            aggregate = replay(aggregate, newer)
            self.kept.put(deepcopy(aggregate))
        return aggregate

    def load(self, cls: type[A], aggregate_id: UUID, what: str, *,
             personal: bool = True) -> A:
        """The aggregate; ``NotFound`` ("<what> does not exist.") if absent or of another
        kind. ``personal=False``: for rules that read no personal data, without its events'
        personal parts (not read or unsealed; outside a batch)."""
        aggregate = self._get(aggregate_id, plain=not keeps_personal_data(cls),
                              personal=personal)
        if not isinstance(aggregate, cls):
            raise NotFound(f"{what} does not exist.")
        return aggregate

    def load_many(self, cls: type[A], aggregate_ids: Sequence[UUID], *,
                  personal: bool = True) -> list[A]:
        """Those of the aggregates that exist (and are a ``cls``), their events read together
        and decoded in one pass — a batch command's loads, not one query per aggregate.

        ``personal=False``: without their events' personal parts, which are not read (each is
        ``None``, as after an erasure) — for rules that read no personal data (a learner's
        study window and exam circumstances). Unsealing a personal part is about a quarter
        of loading a learner. A class that keeps no personal data is always loaded so."""
        personal = personal and keeps_personal_data(cls)
        ids = list(dict.fromkeys(aggregate_ids))
        if self.read_together is None or self._batch is not None:  # a batch's own copies
            return [a for i in ids if (a := self.find(cls, i)) is not None]
        stored = self.read_together(ids)
        events = [e for i in ids for e in stored.get(i, [])]
        mapper = self.mapper
        decoded = iter(mapper.to_domain_events(events, personal=personal)
                       if isinstance(mapper, RegistryMapper)
                       else map(mapper.to_domain_event, events))
        found: list[A] = []
        for i in ids:
            state = replay(None, islice(decoded, len(stored.get(i, []))))
            if isinstance(state, cls):
                found.append(state)
        return found

    def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        """The aggregate, or ``None`` if absent or of another kind (a batch's too)."""
        aggregate = self._get(aggregate_id, plain=not keeps_personal_data(cls))
        return aggregate if isinstance(aggregate, cls) else None

    def singleton(self, cls: type[A], aggregate_id: UUID) -> A:
        """A registry-wide aggregate (proctoring, the key ring), new if never saved."""
        aggregate = self._get(aggregate_id, keep=True, plain=not keeps_personal_data(cls))
        if aggregate is None:
            aggregate = cls()
            if self._batch is not None:
                self._batch.loaded(aggregate, keep=True)
        assert isinstance(aggregate, cls)
        return aggregate

    @property
    def in_batch(self) -> bool:
        """Inside :meth:`batched`: aggregates may be the batch's unsaved copies."""
        return self._batch is not None

    def exists(self, aggregate_id: UUID) -> bool:
        """The aggregate was ever saved (or is pending in the batch). Asks the recorder for
        its first stored event: eventsourcing's ``aggregate_id in repository`` rebuilds the
        whole aggregate (its personal parts too) only to say yes."""
        if self._batch is not None and self._batch.has(aggregate_id):
            return True
        return bool(self.recorder.select_events(aggregate_id, limit=1))

    def iin_digest(self, iin: str) -> str:
        """The keyed hash an IIN is indexed by (the IIN itself is personal data)."""
        return hmac.digest(self._iin_key, iin.encode("ascii"), "sha256").hex()

    def last_notification_id(self) -> int:
        """The position of the newest event (PostgreSQL's ids may have gaps: not a count)."""
        return self.recorder.max_notification_id() or 0
