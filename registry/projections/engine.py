"""The projection engine: catch-up subscriptions over the notification log, one position per
build of each projection, batches committed with their positions, blue/green switches.

One :class:`ProjectionDaemon` per process that runs projections (embedded in ``registry serve``,
or ``registry projections run`` on its own). Each turn of its loop:

1. the **live** step: the serving builds that are at the head read the next batch of
   notifications once, decode the events any of them handles once (personal parts fetched in
   bulk), fold each event into its aggregate's cached state, and write every build's rows and
   new position in **one** transaction;
2. the **catch-up** step: each build that is behind — a new version, a rebuild, a projection
   that stopped on an error and was restarted — reads and writes one batch of its own (holding a
   lease, so another process does not fill it too). When a new build reaches the head it
   switches: it serves, and the build it replaces is dropped.

A handler that raises stops its projection only: the batch is written again without it, its
error and the event are recorded (``registry projections status``, ``/healthz``), and it resumes
from its position after a restart. Writes never wait on a stopped view.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import resolve_topic

from ..retry import Backoff
from ..storage.errors import unavailable_reason
from .projection import Batch, Projection
from .store import BUILDING, SCRATCH, SERVING, Build, ProjectionStore, with_position

log = logging.getLogger(__name__)

BATCH = 500
REBUILD_FACTOR = 8  # a build being filled reads BATCH × this per transaction


class EventSource:
    """The notification log and how to decode it, as the engine needs them (public
    eventsourcing APIs only)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._classes: dict[str, type] = {}

    def head(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)

    def notifications(self, after: int, limit: int, stop: int | None = None) -> list[Any]:
        found: list[Any] = self.app.recorder.select_notifications(
            start=after, limit=limit, stop=stop, inclusive_of_start=False)
        return found

    def event_class(self, topic: str) -> type:
        cls = self._classes.get(topic)
        if cls is None:
            cls = self._classes[topic] = resolve_topic(topic)
        return cls

    def decode(self, stored: Sequence[Any]) -> list[Any]:
        decoded: list[Any] = self.app.mapper.to_domain_events(stored)
        return decoded

    def history(self, aggregate_id: UUID, version: int) -> list[Any]:
        """An aggregate's events up to ``version`` (to rebuild a state not in the cache)."""
        stored = self.app.recorder.select_events(aggregate_id, lte=version)
        return self.decode(stored)


class Folder:
    """Aggregates' current states, each event folded into its aggregate once. A state whose
    version does not precede the event's (evicted, or the cache is behind because another
    process applied a batch) is rebuilt from the store first — so a fold is always right."""

    def __init__(self, source: EventSource, size: int = 20_000) -> None:
        self.source = source
        self.size = size
        self.states: OrderedDict[UUID, Aggregate] = OrderedDict()
        self.loads = 0

    def clear(self) -> None:
        self.states.clear()

    def fold(self, events: Iterable[Any],
             before: Callable[[UUID, Aggregate | None], None] | None = None
             ) -> dict[UUID, Aggregate]:
        """Fold ``events`` in order; the final state of each aggregate they touch.
        ``before(id, state)`` sees each aggregate's state just before its first event here
        (``None``: it did not exist) — what a projection compares the new state with."""
        touched: dict[UUID, Aggregate] = {}
        for event in events:
            aggregate_id = event.originator_id
            version = event.originator_version
            state = self.states.get(aggregate_id)
            if version == 1:
                state = None
            elif state is None or state.version != version - 1:
                self.loads += 1
                state = None
                for earlier in self.source.history(aggregate_id, version - 1):
                    state = earlier.mutate(state)
            if before is not None and aggregate_id not in touched:
                before(aggregate_id, state)
            state = event.mutate(state)
            assert state is not None
            self.states[aggregate_id] = state
            self.states.move_to_end(aggregate_id)
            touched[aggregate_id] = state
        while len(self.states) > self.size:
            self.states.popitem(last=False)
        return touched


@dataclass
class Progress:
    """What a waiter needs: each serving projection's position, and which are stopped."""

    positions: dict[str, int] = field(default_factory=dict)
    stopped: dict[str, str] = field(default_factory=dict)

    def behind(self, position: int) -> list[str]:
        return sorted(n for n, p in self.positions.items() if p < position)


@dataclass(frozen=True)
class Consistency:
    """Whether the views have seen a write (SPEC §2): ``views`` lists those still behind."""

    position: int
    views: tuple[str, ...] = ()

    @property
    def current(self) -> bool:
        return not self.views

    def as_extension(self) -> dict[str, Any]:
        return {"state": "CURRENT" if self.current else "BEHIND", "position": self.position,
                "behind": list(self.views)}


class PositionBoard:
    """Waiting for the views to reach a position — from threads (CLI) or from the event loop
    (a future the engine resolves, so no worker thread is held)."""

    def __init__(self) -> None:
        self._progress = Progress()
        self._condition = threading.Condition()
        self._waiters: list[tuple[int, asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    @property
    def progress(self) -> Progress:
        return self._progress

    def publish(self, progress: Progress) -> None:
        with self._condition:
            self._progress = progress
            self._condition.notify_all()
            ready = [w for w in self._waiters if self._settled(w[0])]
            self._waiters = [w for w in self._waiters if w not in ready]
        for _, loop, future in ready:
            loop.call_soon_threadsafe(_resolve, future)

    def _settled(self, position: int) -> bool:
        """Every serving view has reached ``position`` or is stopped (waiting for a stopped
        view would only delay the answer)."""
        p = self._progress
        return all(pos >= position or name in p.stopped for name, pos in p.positions.items())

    def consistency(self, position: int) -> Consistency:
        p = self._progress
        return Consistency(position, tuple(p.behind(position)))

    def wait(self, position: int, timeout: float) -> Consistency:
        with self._condition:
            self._condition.wait_for(lambda: self._settled(position), timeout)
        return self.consistency(position)

    async def wait_async(self, position: int, timeout: float) -> Consistency:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._condition:
            if self._settled(position):
                return self.consistency(position)
            self._waiters.append((position, loop, future))
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            with self._condition:
                self._waiters = [w for w in self._waiters if w[2] is not future]
        return self.consistency(position)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class HandlerFailed(Exception):
    def __init__(self, name: str, position: int, error: BaseException) -> None:
        super().__init__(f"projection {name} failed at notification {position}: {error!r}")
        self.name = name
        self.position = position
        self.error = error


@dataclass
class Pass:
    """One batch's events, decoded once, with the states they fold to."""

    notifications: list[Any]
    events: list[tuple[int, Any]]
    states: dict[UUID, Aggregate]
    before: dict[str, dict[UUID, Any]]  # projection → aggregate → its summary before
    _handlers: list[Projection] = field(default_factory=list, repr=False)
    _mine: dict[str, list[tuple[int, Any]]] | None = field(default=None, repr=False)

    @property
    def last(self) -> int:
        return int(self.notifications[-1].id)

    def events_for(self, projection: Projection) -> list[tuple[int, Any]]:
        """The batch's events ``projection`` handles, in order — sorted out for every
        projection of the pass in one walk over the events."""
        if self._mine is None:
            handlers = self._handlers
            self._mine = {p.name: [] for p in handlers}
            by_class: dict[type, list[list[tuple[int, Any]]]] = {}
            for item in self.events:
                cls = type(item[1])
                lists = by_class.get(cls)
                if lists is None:
                    lists = by_class[cls] = [self._mine[p.name] for p in handlers
                                             if p.handles(cls)]
                for found in lists:
                    found.append(item)
        mine = self._mine.get(projection.name)
        if mine is None:  # not one of the pass's projections
            return [item for item in self.events if projection.handles(type(item[1]))]
        return mine


class ProjectionDaemon:
    def __init__(self, source: EventSource, store: ProjectionStore,
                 projections: Sequence[Projection], *, board: PositionBoard | None = None,
                 batch_size: int = BATCH, poll_interval: float = 1.0,
                 wake: Callable[[threading.Event, threading.Event], None] | None = None,
                 on_switch: Callable[[str], None] | None = None,
                 fill_factor: int = REBUILD_FACTOR) -> None:
        self.source = source
        self.fill_factor = fill_factor  # a build being filled reads batch_size × this
        self.store = store
        self.projections = {p.name: p for p in projections}
        self.board = board or PositionBoard()
        if not self.board.progress.positions:  # nothing is current before the first turn
            self.board.publish(Progress({name: 0 for name in self.projections}))
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.wake = wake
        self.on_switch = on_switch
        self.folders: dict[tuple[str, int], Folder] = {}
        self.stopped: dict[tuple[str, int], str] = {}  # build → error, in this process
        self._prompted = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._wake_thread: threading.Thread | None = None
        self.backoff = Backoff("projections", log, base=max(poll_interval, 0.05), cap=30.0)
        self.switched: list[str] = []
        self._prepared = False
        self.switched_now = False

    # -- lifecycle ---------------------------------------------------------------------

    def prepare(self) -> None:
        """Make sure each projection has a serving or building build of the code's version;
        drop builds of versions no longer in the code that are not serving; forget errors of
        an earlier run (a restart retries a stopped projection)."""
        self.store.create()
        self.store.drop_legacy()
        self.store.clear_errors()
        builds = self.store.builds()
        missing = []
        for name, projection in self.projections.items():
            mine = [b for b in builds if b.name == name]
            for b in mine:
                if b.state == SCRATCH and (b.lease_until or 0) < time.time() or (
                        b.state == BUILDING and not self.store.current(b)):
                    self.store.forget_build(b)
            current = [b for b in mine if self.store.current(b) and b.state != SCRATCH]
            stale = [b for b in mine if b.state == SERVING and not self.store.current(b)]
            if stale and not current:
                log.warning("projection %s: the serving build %d was made by another version "
                            "or shape of its tables; building %s in new tables while it "
                            "serves", name, stale[0].build, projection.describe())
            if not current:
                missing.append(name)
        if missing:
            self.store.new_builds(missing, BUILDING)
        self.store.invalidate()
        self.publish()

    def start(self) -> None:
        """Run the loop in a thread; it prepares the builds first (retried, with backoff,
        while the store cannot be written)."""
        if self._thread is None:
            self._prepared = False
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="registry-projections",
                                             daemon=True)
            self._thread.start()
            if self.wake is not None:
                self._wake_thread = threading.Thread(
                    target=self.wake, args=(self._prompted, self._stopping),
                    name="registry-projections-wake", daemon=True)
                self._wake_thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._prompted.set()
        for thread in (self._thread, self._wake_thread):
            if thread is not None:
                thread.join(timeout)
        self._thread = self._wake_thread = None

    def prompt(self) -> None:
        self._prompted.set()

    @property
    def problem(self) -> str | None:
        """Why projections are not keeping up (``/healthz``), or ``None``."""
        if self.backoff.problem:
            return self.backoff.problem
        if self.stopped:
            names = sorted({name for name, _ in self.stopped})
            return f"stopped on an error: {', '.join(names)}"
        return None

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._prompted.clear()
            try:
                if not self._prepared:
                    self.prepare()
                    self._prepared = True
                busy = self.step()
            except Exception as error:
                self.folders.clear()
                pause = self.backoff.failed(error, reason=unavailable_reason(error))
                self._prompted.wait(pause)
                continue
            self.backoff.succeeded()
            if not busy:
                self._prompted.wait(self.poll_interval)

    # -- one turn ----------------------------------------------------------------------

    def step(self) -> bool:
        """One turn of the loop: one batch for each group of builds at the same position,
        the serving builds at the head first; ``True`` while there is more to do at once."""
        builds = self.store.builds()
        groups = self._groups(self._current(builds))
        busy = False
        moved: dict[tuple[str, int], int] = {}
        for group in groups:
            if self._stopping.is_set():
                break
            busy = self._group_step(group, moved) or busy
        if any(b.state == BUILDING and (b.name, b.build) not in moved for b in builds) or \
                self.switched_now:
            builds = self.store.builds()  # a switch or a lease changed more than positions
            self.switched_now = False
        else:
            builds = [with_position(b, moved.get((b.name, b.build), b.position)) for b in builds]
        self.board.publish(progress_of(builds, self.projections))
        return busy

    def run_until_caught_up(self, timeout: float | None = None) -> None:
        """Process until every build is at the head (tests, ``projections rebuild``)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.step() or not self._all_at(self.source.head()):
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError("the projections did not catch up in time")

    def _all_at(self, head: int) -> bool:
        return all(b.position >= head or (b.name, b.build) in self.stopped or b.error
                   for b in self._current_builds())

    def _current_builds(self) -> list[Build]:
        return self._current(self.store.builds())

    def _current(self, builds: list[Build]) -> list[Build]:
        return [b for b in builds
                if b.name in self.projections and b.state in (SERVING, BUILDING)
                and (b.state == SERVING or self.store.current(b))]

    def _groups(self, builds: list[Build]) -> list[list[Build]]:
        """Runnable builds grouped by position (a group reads and decodes each batch once);
        the group holding the serving builds at the head first."""
        runnable = [b for b in builds if (b.name, b.build) not in self.stopped and not b.error]
        by_position: dict[int, list[Build]] = {}
        for b in runnable:
            by_position.setdefault(b.position, []).append(b)
        head = max((b.position for b in runnable if b.state == SERVING), default=-1)
        return [by_position[p] for p in sorted(by_position, key=lambda p: (p != head, -p))]

    def _read(self, after: int, builds: Sequence[Build], folder: Folder,
              stop: int | None = None, size: int | None = None) -> Pass | None:
        notifications = self.source.notifications(after, size or self.batch_size, stop)
        if not notifications:
            return None
        handlers = [self.projections[b.name] for b in builds]
        wanted = []
        for n in notifications:
            cls = self.source.event_class(n.topic)
            if any(p.handles(cls) for p in handlers):
                wanted.append(n)
        decoded = self.source.decode(wanted) if wanted else []
        events = [(int(n.id), e) for n, e in zip(wanted, decoded, strict=True)]
        summarising = [p for p in handlers if p.summarises]
        before: dict[str, dict[UUID, Any]] = {p.name: {} for p in summarising}

        def summarise(aggregate_id: UUID, state: Aggregate | None) -> None:
            for projection in summarising:
                before[projection.name][aggregate_id] = projection.summary(state)

        states = folder.fold((e for _, e in events), summarise if summarising else None)
        return Pass(notifications, events, states, before, handlers)

    def _apply(self, build: Build, batch: Pass, c: Any) -> None:
        projection = self.projections[build.name]
        mine = batch.events_for(projection)
        if not mine:
            return
        try:
            projection.apply(Batch(mine, batch.states, batch.last,
                                   batch.before.get(projection.name, {})),
                             self.store.writer(c, build))
        except Exception as error:
            raise HandlerFailed(build.name, mine[0][0], error) from error

    def _group_step(self, group: list[Build], moved: dict[tuple[str, int], int]) -> bool:
        # A build being filled is leased: another process filling it already is left to it.
        members = [b for b in group if b.state == SERVING] + self.store.claim_all(
            [b for b in group if b.state != SERVING])
        if not members:
            return False
        leader = min((b.name, b.build) for b in members)
        folder = self.folders.setdefault(leader, Folder(self.source))
        # Builds being filled from far behind take bigger batches: fewer transactions, and
        # more of an aggregate's events folded into one write of its rows.
        filling = all(b.state == BUILDING for b in members)
        size = self.batch_size * (self.fill_factor if filling else 1)
        with bulk_collection() if filling else nullcontext():
            return self._fill_step(members, leader, folder, size, moved)

    def _fill_step(self, members: list[Build], leader: tuple[str, int], folder: Folder,
                   size: int, moved: dict[tuple[str, int], int]) -> bool:
        batch = self._read(members[0].position, members, folder, size=size)
        head_reached = batch is None or len(batch.notifications) < size
        if batch is None and all(b.state == SERVING for b in members):
            return False
        last = batch.last if batch is not None else members[0].position
        remaining = list(members)
        while remaining:
            switching = [b for b in remaining if b.state == BUILDING and head_reached]
            try:
                with self.store.transaction() as c:
                    # Positions first: the write lock is taken before any read, and a second
                    # process applying the same batch waits here, then writes nothing.
                    if not self.store.advance(c, remaining, last, switching):
                        raise _Moved()
                    if batch is not None:
                        for build in remaining:
                            self._apply(build, batch, c)
                break
            except HandlerFailed as failed:
                build = next(b for b in remaining if b.name == failed.name)
                self._stop(build, failed)
                remaining = [b for b in remaining if b is not build]
                folder.clear()  # the fold ran once; the retry folds again from the store
                if batch is not None:
                    batch = self._read(members[0].position, remaining, folder, size=size)
                    if batch is None:
                        return False
                    last = batch.last
            except _Moved:
                # Another process applied this batch first; the cached states may be out of
                # step with the store (the folder rebuilds what it needs).
                self.folders.pop(leader, None)
                return True
        else:
            return False
        for build in remaining:
            moved[(build.name, build.build)] = last
        if switching:
            self._switched(switching)
        if head_reached:
            self.store.release([b for b in remaining if b.state == BUILDING])
        return not head_reached

    def _switched(self, switched: Sequence[Build]) -> None:
        """New builds serve: drop the builds they replace."""
        new = {(b.name, b.build) for b in switched}
        names = {b.name for b in switched}
        for old in self.store.builds():
            if old.name in names and (old.name, old.build) not in new and old.state == SERVING:
                self.store.forget_build(old)
        self.store.invalidate()
        self.switched_now = True
        for b in switched:
            self.switched.append(b.name)
            log.info("projection %s v%d (build %d) caught up and serves", b.name, b.version,
                     b.build)
            if self.on_switch is not None:
                self.on_switch(b.name)

    def _stop(self, build: Build, failed: HandlerFailed) -> None:
        detail = "".join(traceback.format_exception_only(failed.error)).strip()
        self.stopped[(build.name, build.build)] = detail
        log.error("projection %s stopped at notification %d: %s (the others go on; fix "
                  "and restart to resume)", build.name, failed.position, detail,
                  exc_info=failed.error)
        self.store.record_error(build, failed.position, detail)

    def publish(self) -> None:
        builds = self.store.builds()
        self.board.publish(progress_of(builds, self.projections))


def progress_of(builds: Iterable[Build], projections: Iterable[str]) -> Progress:
    """Each projection's serving position (or 0 while its first build fills), and which are
    stopped."""
    names = set(projections)
    progress = Progress({name: 0 for name in names})
    for b in builds:
        if b.name not in names:
            continue
        if b.state == SERVING:
            progress.positions[b.name] = max(progress.positions[b.name], b.position)
            if b.error:
                progress.stopped[b.name] = b.error
    return progress


@contextmanager
def bulk_collection() -> Iterator[None]:
    """Python's cyclic garbage collector tuned for filling a build: decoding and folding a
    batch of thousands of events allocates millions of short-lived objects while the folder
    holds tens of thousands of long-lived states, and at the default gen-0 threshold (700
    allocations) the collector keeps re-examining them — about a fifth of a rebuild's time
    at 1,000,000 events. Collections run 70× less often meanwhile; the threshold is restored
    after the batch."""
    thresholds = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


class _Moved(Exception):
    """Another process moved the position first."""


class PositionWatcher:
    """For a process that serves but does not run projections (``--projections external``):
    follows the builds' positions in the database and tells the board."""

    def __init__(self, store: ProjectionStore, board: PositionBoard, names: Iterable[str],
                 interval: float = 0.05) -> None:
        self.store = store
        self.board = board
        self.names = list(names)
        self.interval = interval
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.problem: str | None = None

    def poll(self) -> None:
        self.board.publish(progress_of(self.store.builds(), self.names))

    def start(self) -> None:
        self.store.create()
        self.poll()
        self._thread = threading.Thread(target=self._run, name="registry-view-positions",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                self.poll()
                self.problem = None
            except Exception as error:  # the database is away: say so, keep trying
                self.problem = unavailable_reason(error) or repr(error)

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(5)


def rebuild(daemon: ProjectionDaemon, names: Sequence[str],
            progress: Callable[[str, int, int], None] | None = None) -> list[Build]:
    """Start a new build of each named projection and fill it (blue/green: the serving build
    keeps serving, and is kept current, until the new one has caught up and switches)."""
    store = daemon.store
    store.create()
    builds = store.new_builds(names, BUILDING)
    head = daemon.source.head()
    pending = {(b.name, b.build) for b in builds}
    while pending:
        current = {(b.name, b.build): b for b in store.builds()}
        daemon.step()
        for key in list(pending):
            b = current.get(key)
            if b is None or b.state == SERVING:
                pending.discard(key)
            elif b.error:
                raise RuntimeError(f"projection {b.name} failed while rebuilding: {b.error}")
            if progress is not None and b is not None:
                progress(b.name, b.position, max(head, b.position))
    return builds


@dataclass
class VerifyReport:
    position: int
    rows: int
    differences: list[str]
    problem: str | None = None  # why it could not be compared


def fill(daemon: ProjectionDaemon, build: Build, until: int) -> Build:
    """Fill ``build`` (a scratch build) with the events up to position ``until``."""
    store = daemon.store
    folder = Folder(daemon.source)
    while build.position < until:
        batch = daemon._read(build.position, [build], folder, stop=until)
        last = until if batch is None else batch.last
        with store.transaction() as c:
            if not store.advance(c, [build], last):
                raise RuntimeError(f"scratch build {build.build} of {build.name} moved")
            if batch is not None:
                daemon._apply(build, batch, c)
        build = with_position(build, last)
    return build


def verify(daemon: ProjectionDaemon, name: str, attempts: int = 20) -> VerifyReport:
    """Replay ``name`` into scratch tables up to the serving build's position and compare
    the two row by row, in one snapshot of both (the serving build may move on meanwhile:
    the scratch build then follows it, and they are compared again)."""
    store = daemon.store
    store.create()
    scratch = store.new_build(name, SCRATCH)
    store.claim(scratch)  # a server starting meanwhile leaves it alone
    try:
        for _ in range(attempts):
            live = store.serving(fresh=True).get(name)
            if live is None:
                return VerifyReport(0, 0, [], "it has no serving build yet (it is being built)")
            if not store.current(live):
                return VerifyReport(live.position, 0, [], (
                    f"it serves a build of v{live.version} while "
                    f"{daemon.projections[name].describe()} is being built; verify once it "
                    "has switched"))
            scratch = fill(daemon, scratch, live.position)
            with store.snapshot() as c:
                current = {(b.name, b.build): b for b in store.builds(c)}
                now = current.get((live.name, live.build))
                if now is None or now.position != scratch.position:
                    continue  # it moved on (or switched): follow it
                expected = store.rows(name, scratch, c)
                actual = store.rows(name, now, c)
            differences = compare(expected, actual)
            return VerifyReport(scratch.position, sum(len(t) for t in expected.values()),
                                differences)
        raise RuntimeError(f"{name} kept moving; verify again when writes are quieter")
    finally:
        store.forget_build(scratch)


def compare(expected: dict[str, dict[str, dict[str, Any]]],
            actual: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """Rows of a fresh replay (``expected``) against the serving ones, as readable lines."""
    lines = []
    for table in sorted(expected.keys() | actual.keys()):
        want, have = expected.get(table, {}), actual.get(table, {})
        for key in sorted(want.keys() | have.keys()):
            if key not in have:
                lines.append(f"{table} {key}: missing from the view")
            elif key not in want:
                lines.append(f"{table} {key}: in the view, not in a replay")
            elif want[key] != have[key]:
                columns = sorted(c for c in want[key].keys() | have[key].keys()
                                 if want[key].get(c) != have[key].get(c))
                shown = ", ".join(f"{c}: view {have[key].get(c)!r} ≠ replay "
                                  f"{want[key].get(c)!r}" for c in columns[:3])
                lines.append(f"{table} {key}: {shown}")
    return lines


__all__ = ["VerifyReport", "compare", "fill", "verify", "Consistency", "EventSource", "Folder", "PositionBoard", "ProjectionDaemon",
           "PositionWatcher", "rebuild", "with_position"]
