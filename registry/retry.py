"""Waiting between attempts: exponential backoff with full jitter, and a log that speaks once
per change of state instead of once per attempt (issue 10)."""

from __future__ import annotations

import logging
import random


def full_jitter(attempt: int, *, base: float, cap: float) -> float:
    """A pause before retry ``attempt`` (1, 2, …): uniform in ``[0, min(cap, base·2^attempt)]``
    ("full jitter": racing writers spread out instead of colliding again in step)."""
    return random.uniform(0.0, min(cap, base * 2.0 ** min(attempt, 32)))


class Backoff:
    """A background loop's failures: the pause grows from ``base`` to ``cap`` while it keeps
    failing; one warning when it starts failing (or fails differently), one when it recovers.
    ``problem`` is what went wrong, for ``/healthz``; ``None`` while all is well."""

    def __init__(self, what: str, log: logging.Logger, *, base: float, cap: float = 30.0
                 ) -> None:
        self.what = what
        self.log = log
        self.base = base
        self.cap = max(cap, base)
        self.failures = 0
        self.problem: str | None = None

    def failed(self, error: BaseException, *, reason: str | None = None) -> float:
        """Record a failure; returns how long to wait. A known ``reason`` (the store cannot
        take writes) is logged as it is; anything else with its traceback, once."""
        problem = reason or f"{type(error).__name__}: {error}".strip()
        if problem != self.problem:
            self.log.warning("%s failing: %s; retrying with backoff up to %.0f s", self.what,
                             problem, self.cap, exc_info=None if reason else error)
        self.problem = problem
        self.failures += 1
        return float(min(self.cap, self.base * 2.0 ** min(self.failures - 1, 32)))

    def succeeded(self) -> None:
        if self.problem is not None:
            self.log.warning("%s works again after %d failed attempt(s)", self.what,
                             self.failures)
        self.failures = 0
        self.problem = None
