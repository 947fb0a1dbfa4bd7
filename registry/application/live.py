"""Live updates (SPEC §9, subscriptions), the thread side: one hub per process follows the
notification log and hands each new event to the subscribers that want it.

* **One reader per process.** :class:`LiveHub` reads the notifications after the position
  its furthest-behind subscriber has seen, in batches, once for all of them; it decodes (one
  bulk query for the personal parts) only the events a subscriber that shows them wants. With
  no subscriber it reads nothing; its threads start with the first one.
* **Woken like the projection engine.** On PostgreSQL it runs the back-end's ``wake`` loop
  (``LISTEN`` on eventsourcing's notify channel), so an event stored by any process reaches
  the subscribers of every process at once; on SQLite it is prompted by this process's writes
  and polls (``poll_interval``) for the others'.
* **Bridged safely to the event loop.** :class:`Feed` is one subscriber: the hub's thread
  hands it each batch with ``loop.call_soon_threadsafe`` into a bounded ``asyncio.Queue`` of
  its own. A subscriber whose queue is full (it does not read what it is sent) is dropped —
  its feed ends and ``on_overflow`` is called (the web layer closes the connection) — and the
  others go on: the hub never waits for anyone.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from ..domain.errors import Unavailable
from ..retry import Backoff
from ..storage.errors import unavailable_reason

log = logging.getLogger(__name__)

BATCH = 500  # notifications read per statement
QUEUE = 100  # batches a subscriber may have waiting before it is dropped

Doc = dict[str, Any]
Wake = Callable[[threading.Event, threading.Event], None]


class Notifications(Protocol):
    """The notification log (``projections.engine.EventSource``)."""

    def head(self) -> int: ...

    def notifications(self, after: int, limit: int, stop: int | None = None) -> list[Any]: ...


class Entries(Protocol):
    """Notifications decoded as the event feed shows them (``Timeline.entries``)."""

    def entries(self, notifications: Sequence[Any]) -> list[Doc]: ...


@dataclass(frozen=True)
class Change:
    """One new stored event, as the hub hands it on."""

    position: int
    topic: str
    aggregate_id: UUID
    entry: Doc | None  # the event as the feed shows it; None for a listener that needs none


class Listener(Protocol):
    """A subscriber, as the hub sees it. ``last``: the position it has been given up to."""

    last: int
    needs_entries: bool

    def wants(self, topic: str, aggregate_id: UUID) -> bool: ...

    def deliver(self, changes: list[Change]) -> None:
        """Called on the hub's thread: must not block."""


class LiveHub:
    def __init__(self, source: Notifications, entries: Entries, *, wake: Wake | None = None,
                 poll_interval: float = 0.5, batch_size: int = BATCH) -> None:
        self.source = source
        self.decoder = entries
        self.wake = wake
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self._listeners: set[Listener] = set()
        self._lock = threading.Lock()
        self._prompted = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self.backoff = Backoff("live updates", log, base=max(poll_interval, 0.05), cap=10.0)
        self.dropped = 0  # subscribers dropped for not keeping up, since the start

    # -- subscribers -------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        """From now on (the head of the log as it is read here), ``listener`` is given every
        new event it wants. Reads the store: call it from a thread."""
        listener.last = self.source.head()
        with self._lock:
            self._listeners.add(listener)
            self._start()
        self._prompted.set()

    def unsubscribe(self, listener: Listener, *, slow: bool = False) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.discard(listener)
                self.dropped += slow

    @property
    def subscribers(self) -> int:
        return len(self._listeners)

    @property
    def problem(self) -> str | None:
        return self.backoff.problem

    # -- lifecycle ---------------------------------------------------------------------

    def prompt(self) -> None:
        """A write was stored in this process: look now rather than at the next poll."""
        if self._listeners:
            self._prompted.set()

    def _start(self) -> None:
        if self._threads or self._stopping.is_set():
            return
        self._threads.append(threading.Thread(target=self._run, name="registry-live",
                                              daemon=True))
        if self.wake is not None:
            self._threads.append(threading.Thread(
                target=self.wake, args=(self._prompted, self._stopping),
                name="registry-live-wake", daemon=True))
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._prompted.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []
        with self._lock:
            self._listeners.clear()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._prompted.clear()
            try:
                busy = self.step()
            except Exception as error:  # the store is away: say so (/healthz), keep trying
                self._prompted.wait(self.backoff.failed(error, reason=unavailable_reason(error)))
                continue
            self.backoff.succeeded()
            if not busy:
                self._prompted.wait(self.poll_interval)

    # -- one turn ----------------------------------------------------------------------

    def step(self) -> bool:
        """Hand on one batch of new events; ``True`` while there is more to read at once."""
        with self._lock:
            listeners = list(self._listeners)
        if not listeners:
            return False
        notifications = self.source.notifications(min(x.last for x in listeners),
                                                  self.batch_size)
        if not notifications:
            return False
        end = int(notifications[-1].id)
        chosen = {listener: [n for n in notifications if int(n.id) > listener.last
                             and listener.wants(n.topic, n.originator_id)]
                  for listener in listeners}
        shown = sorted({int(n.id): n for listener, found in chosen.items()
                        if listener.needs_entries for n in found}.items())
        entries = dict(zip((position for position, _ in shown),
                           self.decoder.entries([n for _, n in shown]) if shown else [],
                           strict=True))
        for listener, found in chosen.items():
            if found:
                listener.deliver([Change(int(n.id), n.topic, n.originator_id,
                                         entries.get(int(n.id)) if listener.needs_entries
                                         else None) for n in found])
            listener.last = max(listener.last, end)
        return len(notifications) == self.batch_size


class TooSlow(Unavailable):
    """A subscriber that did not read what it was sent, and was dropped."""


class Feed:
    """One subscriber: the hub's batches, bridged onto the event loop it was opened on through
    a bounded queue. Open it on that loop; iterate it with :meth:`changes`."""

    def __init__(self, hub: LiveHub, wants: Callable[[str, UUID], bool], *,
                 needs_entries: bool, size: int = QUEUE,
                 on_overflow: Callable[[str], None] | None = None) -> None:
        self.hub = hub
        self._wants = wants
        self.needs_entries = needs_entries
        self.last = 0
        self.size = size
        self.on_overflow = on_overflow
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[list[Change] | None] = asyncio.Queue(size)
        self.closed = False

    def wants(self, topic: str, aggregate_id: UUID) -> bool:
        return self._wants(topic, aggregate_id)

    def deliver(self, changes: list[Change]) -> None:
        try:
            self.loop.call_soon_threadsafe(self._offer, changes)
        except RuntimeError:  # its loop is closed: nobody is listening any more
            self.hub.unsubscribe(self)

    def _offer(self, changes: list[Change]) -> None:
        if self.closed:
            return
        try:
            self.queue.put_nowait(changes)
        except asyncio.QueueFull:
            self._overflow()

    def _overflow(self) -> None:
        self.closed = True
        self.hub.unsubscribe(self, slow=True)
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)
        reason = f"too slow: {self.size} batches of updates were waiting to be read"
        log.warning("live updates: a subscriber was dropped (%s)", reason)
        if self.on_overflow is not None:
            self.on_overflow(reason)

    async def changes(self) -> AsyncIterator[Change]:
        """The changes, in order, until the subscriber is dropped (then :class:`TooSlow`)."""
        try:
            while True:
                batch = await self.queue.get()
                if batch is None:
                    raise TooSlow("This subscriber did not read its updates fast enough and "
                                  "was dropped: subscribe again.", reason="too slow")
                for change in batch:
                    yield change
        finally:
            self.close()

    def close(self) -> None:
        self.closed = True
        self.hub.unsubscribe(self)
