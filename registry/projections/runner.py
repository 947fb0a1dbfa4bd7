"""A catch-up loop that follows the notification log in batches of stored notifications, as
they are (no decoding) — what the transparency log appends (``registry/audit/log.py``). The
read models have their own engine (``engine.py``).

SQLite recorders cannot be subscribed to, so the loop is prompted after each write and polls
otherwise (SPEC §2); on PostgreSQL the same loop runs in every API process, and the log's
tracking record makes sure each batch is appended once however many processes race for it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError

from ..background import BackgroundLoop
from ..retry import Backoff
from ..storage.errors import unavailable_reason

log = logging.getLogger(__name__)


class CatchUpRunner(BackgroundLoop):
    thread_name = "registry-projection"

    def __init__(
        self,
        app: Application[UUID],
        projection: Any,
        *,
        poll_interval: float = 1.0,
        batch_size: int = 200,
        tracking_name: str | None = None,
    ) -> None:
        """The projection's ``process_notifications(notifications, after)`` gets each batch
        of stored notifications as they are (no decoding) with the position they follow; its
        view's ``position()`` says where it stands. ``tracking_name`` names it in logs."""
        self.app = app
        self.projection = projection
        self.view = projection.view
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self.tracking_name = tracking_name or app.name
        super().__init__()
        self._progress = threading.Condition()
        self._position = self.view.position()
        self._error: BaseException | None = None
        self.backoff = Backoff(f"projection {self.tracking_name}", log,
                               base=max(poll_interval, 0.05), cap=30.0)

    @property
    def problem(self) -> str | None:
        """Why the loop is failing (for ``/healthz``); ``None`` while it keeps up."""
        return self.backoff.problem

    @property
    def position(self) -> int:
        return int(self._position)

    def prompt(self) -> None:
        self._wake.set()

    def wait(self, notification_id: int, timeout: float = 10.0) -> None:
        """Block until the view has processed ``notification_id`` (read your writes)."""
        if self._position >= notification_id:
            return
        self.prompt()
        with self._progress:
            done = self._progress.wait_for(
                lambda: self._position >= notification_id or self._error is not None, timeout
            )
        if self._error is not None:
            raise RuntimeError("the projection stopped on an error") from self._error
        if not done:
            raise TimeoutError(
                f"the view did not reach notification {notification_id} within {timeout}s"
            )

    def catch_up(self, stopping: threading.Event | None = None) -> int:
        """Process everything recorded so far (or until ``stopping`` is set: the runner's
        thread stops between batches); returns the number of events applied."""
        applied = 0
        while stopping is None or not stopping.is_set():
            notifications = self.app.recorder.select_notifications(
                start=self._position, limit=self.batch_size, inclusive_of_start=False
            )
            if not notifications:
                return applied
            applied += self._apply_batch(notifications)
        return applied

    def _apply_batch(self, notifications: Any) -> int:
        last = notifications[-1].id
        try:
            self.projection.process_notifications(
                notifications, self._position)
        except IntegrityError:
            # Another process applied (some of) them first: continue from where it stopped.
            recorded = self.view.position()
            if recorded < notifications[0].id:
                raise
            self._advance(recorded)
            return 0
        self._advance(last)
        return len(notifications)

    def _advance(self, position: int) -> None:
        with self._progress:
            self._position = max(self._position, position)
            self._progress.notify_all()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self.catch_up(self._stopping)
            except Exception as error:
                # Surfaced to waiters at once; logged once per state, retried with backoff
                # (a prompt — a new write — retries sooner).
                self._fail(error)
                pause = self.backoff.failed(error, reason=unavailable_reason(error))
                self._wake.wait(pause)
                continue
            self._error = None
            self.backoff.succeeded()
            self._wake.wait(self.poll_interval)

    def _fail(self, error: BaseException) -> None:
        with self._progress:
            self._error = error
            self._progress.notify_all()

    def __enter__(self) -> CatchUpRunner:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
