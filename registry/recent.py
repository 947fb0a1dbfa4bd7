"""A blocking read's answer kept for a moment, so the event loop can use it without a hop."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Recent(Generic[T]):
    """``read()``'s answer, read again once it is ``seconds`` old — for what may be a moment
    behind without being wrong (the checkpoint a proof's link names: its proofs stay valid
    for good)."""

    def __init__(self, read: Callable[[], T], seconds: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._read = read
        self.seconds = seconds
        self._clock = clock
        self._kept: tuple[float, T] | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        """The kept answer, or a new read if it is too old (blocking then)."""
        kept = self.in_memory()
        if kept is not None:
            return kept[0]
        value = self._read()
        with self._lock:
            self._kept = (self._clock(), value)
        return value

    def in_memory(self) -> tuple[T] | None:
        """The kept answer as a 1-tuple, without a read; ``None`` when it is too old."""
        kept = self._kept
        if kept is not None and self._clock() - kept[0] < self.seconds:
            return (kept[1],)
        return None
