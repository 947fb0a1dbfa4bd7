"""The witnessing tables, on the event store's datastore beside the audit log's (both
back-ends; written once with ``?`` placeholders like ``audit_sql.py``).

* ``audit_cosignatures`` — the cosignatures the log collected: one row per checkpoint size and
  witness (the cosignature line and its timestamp). The size a witness last cosigned is the
  largest of its rows.
* ``witness_checkpoints`` — as a witness: the latest checkpoint cosigned for each log origin.
  It only moves forward, by compare-and-swap: an ``UPDATE … WHERE tree_size = <the size that
  was checked>`` (or an ``INSERT`` for a first checkpoint) that touches nothing when another
  request moved it first (tlog-witness: check and persist atomically).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import IntegrityError

from .postgres import PostgresDialect
from .sql import SqlDialect


@dataclass(frozen=True)
class WitnessState:
    """What this registry, as a witness, last cosigned for one log."""

    origin: str
    size: int
    root: bytes
    note: str


class WitnessStatements(SqlDialect):
    index_type = "BIGINT"

    def cosignatures_table(self) -> str:
        return self.qualify("audit_cosignatures")

    def state_table(self) -> str:
        return self.qualify("witness_checkpoints")

    def create_statements(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.cosignatures_table()} ("
            f"tree_size {self.index_type} NOT NULL, witness TEXT NOT NULL, "
            f"line TEXT NOT NULL, cosigned_at {self.index_type} NOT NULL, "
            "PRIMARY KEY (tree_size, witness))",
            "CREATE INDEX IF NOT EXISTS audit_cosignatures_by_witness ON "
            f"{self.cosignatures_table()} (witness, tree_size)",
            f"CREATE TABLE IF NOT EXISTS {self.state_table()} ("
            f"origin TEXT PRIMARY KEY, tree_size {self.index_type} NOT NULL, "
            f"root {self.blob_type} NOT NULL, note TEXT NOT NULL, updated_at TEXT NOT NULL)",
        ]


class SqlWitnessStore(WitnessStatements):
    def __init__(self, datastore: Any) -> None:
        self.datastore = datastore

    def create_table(self) -> None:
        with self.datastore.transaction(commit=False) as c:
            try:
                c.execute(f"SELECT 1 FROM {self.state_table()} WHERE 1 = 0")
                return  # made already: no write at start (another process may be busy)
            except Exception:  # noqa: BLE001 - the tables do not exist yet
                pass
        with self.datastore.transaction(commit=True) as c:
            for statement in self.create_statements():
                c.execute(statement)

    # -- the log's cosignatures ----------------------------------------------------------------

    def add_cosignature(self, size: int, witness: str, line: str, timestamp: int) -> bool:
        """Keep a witness's cosignature of the checkpoint of ``size``; ``False`` when one is
        kept already."""
        try:
            with self.datastore.transaction(commit=True) as c:
                c.execute(self.sql(f"INSERT INTO {self.cosignatures_table()} "
                                   "(tree_size, witness, line, cosigned_at) VALUES (?, ?, ?, ?)"),
                          [size, witness, line, timestamp])
        except IntegrityError:
            return False
        return True

    def cosignatures(self, size: int, witnesses: Sequence[str]) -> list[str]:
        """The cosignature lines of ``witnesses`` on the checkpoint of ``size``, by name."""
        if not witnesses:
            return []
        marks = ", ".join("?" * len(witnesses))
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.sql(f"SELECT line FROM {self.cosignatures_table()} WHERE "
                               f"tree_size = ? AND witness IN ({marks}) ORDER BY witness"),
                      [size, *witnesses])
            return [str(row["line"]) for row in c.fetchall()]

    def cosigned_size(self, witness: str) -> int:
        """The largest checkpoint size ``witness`` cosigned (0: none)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.sql(f"SELECT MAX(tree_size) AS size FROM "
                               f"{self.cosignatures_table()} WHERE witness = ?"), [witness])
            row = c.fetchone()
        return 0 if row is None or row["size"] is None else int(row["size"])

    def newest_witnessed(self, witnesses: Sequence[str], quorum: int) -> int | None:
        """The largest checkpoint size cosigned by at least ``quorum`` of ``witnesses``."""
        if not witnesses:
            return None
        marks = ", ".join("?" * len(witnesses))
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.sql(f"SELECT tree_size FROM {self.cosignatures_table()} "
                               f"WHERE witness IN ({marks}) GROUP BY tree_size "
                               "HAVING COUNT(*) >= ? ORDER BY tree_size DESC LIMIT 1"),
                      [*witnesses, quorum])
            row = c.fetchone()
        return None if row is None else int(row["tree_size"])

    # -- as a witness ----------------------------------------------------------------------------

    def state(self, origin: str) -> WitnessState | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.sql(f"SELECT origin, tree_size, root, note FROM "
                               f"{self.state_table()} WHERE origin = ?"), [origin])
            row = c.fetchone()
        if row is None:
            return None
        return WitnessState(str(row["origin"]), int(row["tree_size"]), bytes(row["root"]),
                            str(row["note"]))

    def advance(self, checked: WitnessState | None, new: WitnessState, now: str) -> bool:
        """Move ``new.origin``'s state from ``checked`` (what the request was checked against;
        ``None``: no state yet) to ``new``; ``False`` when another request moved it first."""
        try:
            with self.datastore.transaction(commit=True) as c:
                if checked is None:
                    c.execute(self.sql(f"INSERT INTO {self.state_table()} "
                                       "(origin, tree_size, root, note, updated_at) "
                                       "VALUES (?, ?, ?, ?, ?)"),
                              [new.origin, new.size, new.root, new.note, now])
                    return True
                c.execute(self.sql(f"UPDATE {self.state_table()} SET tree_size = ?, root = ?, "
                                   "note = ?, updated_at = ? WHERE origin = ? AND "
                                   "tree_size = ? AND root = ?"),
                          [new.size, new.root, new.note, now, new.origin, checked.size,
                           checked.root])
                # (no rowcount on every driver's cursor: read back what the row holds now)
                c.execute(self.sql(f"SELECT tree_size, root FROM {self.state_table()} "
                                   "WHERE origin = ?"), [new.origin])
                row = c.fetchone()
                return row is not None and (int(row["tree_size"]), bytes(row["root"])) == (
                    new.size, new.root)
        except IntegrityError:
            return False


class PostgresWitnessStore(PostgresDialect, SqlWitnessStore):
    pass


def witness_store(audit_view: Any) -> SqlWitnessStore:
    """The witnessing store on the same datastore and back-end as the log's view."""
    cls = PostgresWitnessStore if isinstance(audit_view, PostgresDialect) else SqlWitnessStore
    return cls(audit_view.datastore)
