"""The audit log's catch-up loop stops between batches: a server shutting down (or a tool that
stops it to run its own catch-up) is not kept waiting while a long backlog is appended."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

from registry.projections.runner import CatchUpRunner


class Backlog:
    """A notification log with more behind it than a stop should wait for."""

    def __init__(self, size: int) -> None:
        self.size = size

    def select_notifications(self, start: int, limit: int, **_: Any) -> list[Any]:
        return [SimpleNamespace(id=i) for i in range(start + 1, min(start + limit, self.size) + 1)]


class SlowAppend:
    """A log projection that takes 10 ms a batch; its view says where it stands."""

    def __init__(self) -> None:
        self.appended = 0
        self.view = SimpleNamespace(position=lambda: self.appended)
        self.started = threading.Event()

    def process_notifications(self, notifications: list[Any], after: int) -> None:
        self.started.set()
        time.sleep(0.01)
        self.appended = notifications[-1].id


def test_stop_returns_between_batches_and_the_thread_ends() -> None:
    log = SlowAppend()
    runner = CatchUpRunner(SimpleNamespace(recorder=Backlog(10**9), name="test"),  # type: ignore[arg-type]
                           log, batch_size=10)
    runner.start()
    assert log.started.wait(5)
    thread = runner._thread
    began = time.monotonic()
    runner.stop(timeout=5)
    assert time.monotonic() - began < 1.0
    assert thread is not None and not thread.is_alive()
    reached = log.appended
    time.sleep(0.05)
    assert log.appended == reached  # nothing is appended after the stop


def test_a_catch_up_called_after_stop_still_runs_to_the_end() -> None:
    log = SlowAppend()
    runner = CatchUpRunner(SimpleNamespace(recorder=Backlog(50), name="test"),  # type: ignore[arg-type]
                           log, batch_size=10)
    runner.stop()
    assert runner.catch_up() == 50
