"""The log's storage contract: leaves (with their envelope bytes and notification id), the
Merkle nodes, the signed checkpoints, and the log's position in the notification log — one
abstract class, one concrete class per back-end (``registry/storage/audit_*.py``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .merkle import Node


@dataclass(frozen=True)
class Leaf:
    index: int
    notification_id: int
    envelope: bytes


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str
    signed_at: str


# (stored notification, leaf index, previous leaf hash) → the envelope's canonical bytes
EnvelopeMaker = Callable[[Any, int, "bytes | None"], bytes]


class AuditLogView(ABC):
    @abstractmethod
    def create_table(self) -> None: ...

    @abstractmethod
    def position(self) -> int:
        """The notification id of the last event logged (0: none)."""

    @abstractmethod
    def append(self, notifications: Sequence[Any], after: int,
               make_envelope: EnvelopeMaker) -> int:
        """Give each notification the next leaf index, store its envelope, leaf hash and the
        Merkle nodes it completes, and move the log's position from ``after`` to the last
        notification — all in one transaction. When another process moved the position first
        (or logged any of them) it raises ``IntegrityError`` and writes nothing. Returns the
        new tree size."""

    @abstractmethod
    def size(self) -> int: ...

    @abstractmethod
    def nodes(self, keys: Iterable[Node]) -> dict[Node, bytes]: ...

    @abstractmethod
    def level_range(self, level: int, start: int, count: int) -> list[bytes]:
        """The stored node hashes ``(level, start)`` … ``(level, start + count - 1)`` in order,
        up to the first one missing (one range read: a tile, ``tiles.py``)."""

    @abstractmethod
    def leaves(self, start: int, limit: int) -> list[Leaf]: ...

    @abstractmethod
    def leaf_index(self, event_id: str) -> int | None: ...

    @abstractmethod
    def leaf_indexes(self, notification_ids: Sequence[int]) -> dict[int, int]:
        """Notification id → leaf index, for those of ``notification_ids`` already logged
        (one statement per batch)."""

    @abstractmethod
    def latest_checkpoint(self) -> StoredCheckpoint | None: ...

    @abstractmethod
    def checkpoints(self, start_size: int = 0, limit: int = 1000) -> list[StoredCheckpoint]: ...

    @abstractmethod
    def add_checkpoint(self, checkpoint: StoredCheckpoint) -> bool:
        """Keep a signed checkpoint; ``False`` when one of that size is already kept."""
