"""Rows read by key, kept while the views they came from have not moved.

A public verification (``certificate(number)``) or a screen asking for the same record again
would otherwise pay a thread hop and a read of the views every time. The views only change
when the projections take new events, and every change moves the serving positions on the
:class:`~registry.projections.engine.PositionBoard` — so a row read when the positions were
``p`` is still what the views hold for as long as the board says ``p``. Each entry is stamped
with the positions taken *before* its read (the row may be newer than its stamp, never older),
and is only answered while the board still shows exactly those positions: an entry is never
staler than a read of the view at that moment could be, and any write — a revocation, a key
compromise, an erasure — retires every entry of the views it reached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from ..projections.engine import PositionBoard

Doc = dict[str, Any]
Stamp = tuple[int, ...]


class ReadCache:
    def __init__(self, board: PositionBoard, size: int = 2_000) -> None:
        self.board = board
        self.size = size
        self._rows: OrderedDict[tuple[str, str], tuple[Stamp, Doc]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def stamp(self, projections: Sequence[str]) -> Stamp | None:
        """The board's positions of ``projections`` now (``None``: one of them is not
        serving or is stopped — nothing is kept for it)."""
        progress = self.board.progress
        positions = []
        for name in projections:
            position = progress.positions.get(name)
            if position is None or name in progress.stopped:
                return None
            positions.append(position)
        return tuple(positions)

    def get(self, table: str, key: str, projections: Sequence[str]) -> Doc | None:
        """The row if it was read while the board showed the positions it shows now."""
        stamp = self.stamp(projections)
        with self._lock:
            found = self._rows.get((table, key))
            if found is not None and found[0] == stamp:
                self._rows.move_to_end((table, key))
                self.hits += 1
                return found[1]
            self.misses += 1
        return None

    def put(self, table: str, rows: dict[str, Doc], stamp: Stamp | None) -> None:
        """Rows of ``table`` read after ``stamp`` was taken."""
        if stamp is None or not rows:
            return
        with self._lock:
            for key, doc in rows.items():
                self._rows[(table, key)] = (stamp, doc)
                self._rows.move_to_end((table, key))
            while len(self._rows) > self.size:
                self._rows.popitem(last=False)
