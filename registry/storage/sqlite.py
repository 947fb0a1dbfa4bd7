"""SQLite: the embedded default. Events, views, tracking and personal data share one file.

Erasure must leave nothing behind in the file: every connection runs with ``secure_delete``
(SQLite zeroes deleted and overwritten content instead of leaving it in free space), and after
an erasure the write-ahead log is checkpointed and truncated, so no older page image keeps a
name that the views or the personal store no longer hold.
"""

from __future__ import annotations

import logging
from typing import Any

from ..application.personal import KeyEncryptionKey
from .sql import SqlPersonalStore

log = logging.getLogger(__name__)


def secure_delete(datastore: Any) -> None:
    """Turn on ``PRAGMA secure_delete`` for every connection the datastore's pool opens (and
    any it holds already). eventsourcing has no hook for it: the pool's factory is wrapped."""
    pool = datastore.pool
    create = pool._create_connection

    def creating() -> Any:
        connection = create()
        connection._sqlite_conn.execute("PRAGMA secure_delete = ON")
        return connection

    pool._create_connection = creating
    for connection in list(pool._pool):
        connection._sqlite_conn.execute("PRAGMA secure_delete = ON")


class SQLitePersonalStore(SqlPersonalStore):
    def __init__(self, datastore: Any, kek: KeyEncryptionKey) -> None:
        super().__init__(datastore, kek)
        secure_delete(datastore)

    def scrub(self) -> bool:
        """Checkpoint the WAL into the file and truncate it; ``False`` when a reader kept it
        from completing (run again later; ``registry personal erase`` again does it)."""
        with self.datastore.get_connection(commit=True) as connection:
            busy, _, _ = connection._sqlite_conn.execute(
                "PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            log.warning("the WAL could not be truncated after an erasure (a reader was busy)")
        return not busy
