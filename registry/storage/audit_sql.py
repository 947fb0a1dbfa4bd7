"""SQL for the audit log, shared by both back-ends (same pattern as ``sql.py``: written once
with ``?`` placeholders, dialect differences by subclass).

Tables: ``audit_leaves`` (dense leaf index → notification id, event id, envelope bytes),
``audit_nodes`` (every complete Merkle subtree, level 0 being the leaf hashes) and
``audit_checkpoints`` (every signed checkpoint note) and ``audit_position`` (the notification
id of the last event logged: the log's own tracking record)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError

from ..audit import merkle
from ..audit.envelope import event_id
from ..audit.merkle import CompactRange, Node
from ..audit.view import AuditLogView, EnvelopeMaker, Leaf, StoredCheckpoint
from .sql import SqlDialect


class AuditStatements(SqlDialect):
    index_type = "BIGINT"

    def leaves_table(self) -> str:
        return self.qualify("audit_leaves")

    def nodes_table(self) -> str:
        return self.qualify("audit_nodes")

    def checkpoints_table(self) -> str:
        return self.qualify("audit_checkpoints")

    def position_table(self) -> str:
        return self.qualify("audit_position")

    def create_audit_statements(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.leaves_table()} ("
            f"leaf_index {self.index_type} PRIMARY KEY, "
            f"notification_id {self.index_type} NOT NULL UNIQUE, "
            f"event_id TEXT NOT NULL UNIQUE, envelope {self.blob_type} NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.nodes_table()} ("
            f"level INTEGER NOT NULL, idx {self.index_type} NOT NULL, "
            f"hash {self.blob_type} NOT NULL, PRIMARY KEY (level, idx))",
            f"CREATE TABLE IF NOT EXISTS {self.checkpoints_table()} ("
            f"tree_size {self.index_type} PRIMARY KEY, root {self.blob_type} NOT NULL, "
            f"note TEXT NOT NULL, signed_at TEXT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.position_table()} ("
            f"name TEXT PRIMARY KEY, position {self.index_type} NOT NULL)",
            # A log made before this table: its leaves say where it stands.
            f"INSERT INTO {self.position_table()} (name, position) SELECT 'log', "
            f"COALESCE(MAX(notification_id), 0) FROM {self.leaves_table()} "
            "WHERE TRUE ON CONFLICT (name) DO NOTHING",  # (SQLite's parser needs the WHERE)
        ]

    def select_position(self) -> str:
        return f"SELECT position FROM {self.position_table()} WHERE name = 'log'"

    def move_position(self) -> str:
        return self.sql(f"UPDATE {self.position_table()} SET position = ? "
                        "WHERE name = 'log' AND position = ?")

    def select_size(self) -> str:
        return f"SELECT MAX(leaf_index) AS last FROM {self.leaves_table()}"

    def select_nodes(self, keys: Sequence[Node]) -> tuple[str, list[Any]]:
        condition = " OR ".join("(level = ? AND idx = ?)" for _ in keys)
        params = [value for key in keys for value in key]
        return self.sql(f"SELECT level, idx, hash FROM {self.nodes_table()} "
                        f"WHERE {condition}"), params

    def select_level_range(self) -> str:
        return self.sql(f"SELECT idx, hash FROM {self.nodes_table()} "
                        "WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx")

    def insert_leaf(self) -> str:
        return self.sql(f"INSERT INTO {self.leaves_table()} "
                        "(leaf_index, notification_id, event_id, envelope) VALUES (?, ?, ?, ?)")

    def insert_node(self) -> str:
        return self.sql(f"INSERT INTO {self.nodes_table()} (level, idx, hash) VALUES (?, ?, ?)")

    def select_leaves(self) -> str:
        return self.sql(f"SELECT leaf_index, notification_id, envelope FROM "
                        f"{self.leaves_table()} WHERE leaf_index >= ? "
                        "ORDER BY leaf_index LIMIT ?")

    def select_leaf_by_event(self) -> str:
        return self.sql(f"SELECT leaf_index FROM {self.leaves_table()} WHERE event_id = ?")

    def select_leaves_by_notification(self, count: int) -> str:
        return self.sql(f"SELECT leaf_index, notification_id FROM {self.leaves_table()} "
                        f"WHERE notification_id IN ({', '.join('?' * count)})")

    def select_checkpoints(self, latest: bool) -> str:
        columns = f"SELECT tree_size, root, note, signed_at FROM {self.checkpoints_table()}"
        if latest:
            return f"{columns} ORDER BY tree_size DESC LIMIT 1"
        return self.sql(f"{columns} WHERE tree_size >= ? ORDER BY tree_size LIMIT ?")

    def insert_checkpoint(self) -> str:
        return self.sql(f"INSERT INTO {self.checkpoints_table()} "
                        "(tree_size, root, note, signed_at) VALUES (?, ?, ?, ?)")


# The largest number of node keys fetched in one statement (SQLite's parameter limit is 32766).
NODE_BATCH = 400


class SqlAuditLogView(AuditStatements, AuditLogView):
    """The log view on the event store's datastore (eventsourcing's SQLite or PostgreSQL
    connection pool: ``transaction(commit=…)``, DB-API-like cursors with rows readable by
    column name) — its own tables and position, no eventsourcing recorder."""

    def __init__(self, datastore: Any) -> None:
        self.datastore = datastore

    def create_table(self) -> None:
        statements = self.create_audit_statements()
        with self.datastore.transaction(commit=False) as c:
            try:
                c.execute(self.select_position())
                if c.fetchone() is not None:
                    return  # made already: no write at start (another process may be busy)
            except Exception:  # noqa: BLE001 - the tables do not exist yet
                pass
        with self.datastore.transaction(commit=True) as c:
            for statement in statements:
                c.execute(statement)

    def position(self) -> int:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.select_position())
            row = c.fetchone()
        return 0 if row is None else int(row["position"])

    def append(self, notifications: Sequence[Any], after: int,
               make_envelope: EnvelopeMaker) -> int:
        with self.datastore.transaction(commit=True) as c:
            # The position first: a write takes the write lock before anything is read
            # (SQLite would otherwise refuse to upgrade a stale read snapshot), and a second
            # process applying the same batch waits here, then finds it moved and writes
            # nothing.
            last = notifications[-1].id
            c.execute(self.move_position(), [last, after])
            c.execute(self.select_position())
            if int(c.fetchone()["position"]) != last or after >= last:
                raise IntegrityError("another process logged these events first")
            size = self._size(c)
            edge = merkle.frontier(size)
            last_leaf = [(0, size - 1)] if size else []
            found = self._nodes(c, [*edge, *last_leaf])
            compact = CompactRange(size, [found[n] for n in edge])
            previous = found[last_leaf[0]] if last_leaf else None
            leaves, nodes = [], []
            for notification in notifications:
                index = compact.size
                envelope = make_envelope(notification, index, previous)
                made = compact.append(merkle.leaf_hash(envelope))
                previous = made[0][2]
                leaves.append((index, notification.id,
                               event_id(notification.originator_id,
                                        notification.originator_version), envelope))
                nodes.extend(made)
            c.executemany(self.insert_leaf(), leaves)
            c.executemany(self.insert_node(), nodes)
        return compact.size

    def _size(self, c: Any) -> int:
        c.execute(self.select_size())
        last = c.fetchone()["last"]
        return 0 if last is None else int(last) + 1

    def _nodes(self, c: Any, keys: Iterable[Node]) -> dict[Node, bytes]:
        wanted = sorted(set(keys))
        found: dict[Node, bytes] = {}
        for start in range(0, len(wanted), NODE_BATCH):
            c.execute(*self.select_nodes(wanted[start:start + NODE_BATCH]))
            for row in c.fetchall():
                found[(int(row["level"]), int(row["idx"]))] = bytes(row["hash"])
        return found

    def size(self) -> int:
        with self.datastore.transaction(commit=False) as c:
            return self._size(c)

    def nodes(self, keys: Iterable[Node]) -> dict[Node, bytes]:
        with self.datastore.transaction(commit=False) as c:
            return self._nodes(c, keys)

    def level_range(self, level: int, start: int, count: int) -> list[bytes]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.select_level_range(), [level, start, start + count])
            rows = c.fetchall()
        hashes = []
        for expected, row in enumerate(rows, start):
            if int(row["idx"]) != expected:
                break
            hashes.append(bytes(row["hash"]))
        return hashes

    def leaves(self, start: int, limit: int) -> list[Leaf]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.select_leaves(), [start, limit])
            return [Leaf(int(r["leaf_index"]), int(r["notification_id"]), bytes(r["envelope"]))
                    for r in c.fetchall()]

    def leaf_index(self, event_id: str) -> int | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.select_leaf_by_event(), [event_id])
            row = c.fetchone()
        return None if row is None else int(row["leaf_index"])

    def leaf_indexes(self, notification_ids: Sequence[int]) -> dict[int, int]:
        wanted = sorted(set(notification_ids))
        found: dict[int, int] = {}
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(wanted), NODE_BATCH):
                batch = wanted[start:start + NODE_BATCH]
                c.execute(self.select_leaves_by_notification(len(batch)), batch)
                for row in c.fetchall():
                    found[int(row["notification_id"])] = int(row["leaf_index"])
        return found

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.select_checkpoints(latest=True))
            rows = c.fetchall()
        return self._checkpoint(rows[0]) if rows else None

    def checkpoints(self, start_size: int = 0, limit: int = 1000) -> list[StoredCheckpoint]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.select_checkpoints(latest=False), [start_size, limit])
            return [self._checkpoint(r) for r in c.fetchall()]

    @staticmethod
    def _checkpoint(row: Any) -> StoredCheckpoint:
        return StoredCheckpoint(int(row["tree_size"]), bytes(row["root"]), row["note"],
                                row["signed_at"])

    def add_checkpoint(self, checkpoint: StoredCheckpoint) -> bool:
        try:
            with self.datastore.transaction(commit=True) as c:
                c.execute(self.insert_checkpoint(), [checkpoint.size, checkpoint.root,
                                                     checkpoint.note, checkpoint.signed_at])
        except IntegrityError:
            return False
        return True
