"""Time, injectable: tests never depend on the wall clock near a deadline (SPEC §7)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


class Clock:
    """Now, and today in the registry's time zone (``REGISTRY_TIMEZONE``)."""

    def __init__(self, tz: ZoneInfo, now: Callable[[], datetime] | None = None) -> None:
        self.tz = tz
        self._now = now or (lambda: datetime.now(UTC))

    def now(self) -> datetime:
        return self._now().astimezone(UTC)

    def today(self) -> date:
        return self._now().astimezone(self.tz).date()


class FixedClock(Clock):
    """A clock that stands still until moved: for tests and replays."""

    def __init__(self, tz: ZoneInfo, at: datetime) -> None:
        self.at = at
        super().__init__(tz, lambda: self.at)

    def set(self, at: datetime) -> None:
        self.at = at
