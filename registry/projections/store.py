"""Where projections live: their builds, positions and tables, through SQLAlchemy Core.

``projection_builds`` has one row per *build* of a projection: its version, state
(``building`` → ``serving``; ``scratch`` for ``projections verify``), its position in the
notification log, the last error (a stopped projection) and a lease (which process is filling a
build that is catching up, so two processes do not both rebuild it). A build's tables are its
own (``pv_<table>_<build>``). Reads go to each projection's serving build.

A batch is written in one transaction that first advances the build's position with an
optimistic check (``WHERE position = <where the batch started>``): a second process that
applied the same batch first makes this one write nothing (exactly once), and a crash at any
point leaves the position and the rows of the same batch together.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    inspect,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.exc import IntegrityError, NoSuchTableError, OperationalError, ProgrammingError
from sqlalchemy.schema import CreateTable

from ..domain.search import search_terms
from .projection import Projection, Row
from .tables import ViewTable

log = logging.getLogger(__name__)

BUILDING = "building"
SERVING = "serving"
SCRATCH = "scratch"
LEASE_SECONDS = 15.0


class ViewNotReady(Exception):
    """A projection that has never served yet (it is being built)."""


@dataclass(frozen=True)
class Build:
    name: str
    build: int
    version: int
    state: str
    position: int
    error: str | None = None
    error_position: int | None = None
    lease_owner: str | None = None
    lease_until: float | None = None
    updated_at: float | None = None
    schema: str | None = None  # the projection's fingerprint when its tables were made


def process_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _gone(owner: str) -> bool:
    """Whether a lease's owner is a process of this host that has ended."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Dialect:
    """What differs between the back-ends for the views (chosen once, in the back-end
    object): the ``INSERT … ON CONFLICT`` construct, and the substring index of a search
    column."""

    # Execution options of a read that must see one snapshot of several tables.
    snapshot: dict[str, Any] = {}

    def insert(self, table: Table) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def create_search(self, c: Connection, table: Table, column: str) -> None:
        """Index ``column`` of ``table`` for substring search (nothing: searches scan)."""

    def drop_search(self, c: Connection, table: Table) -> None:
        """Drop what :meth:`create_search` made beside the table (indexes go with it)."""

    def compact_search(self, c: Connection, table: Table) -> None:
        """Merge away what the search index still holds of deleted rows (an erasure)."""

    def key_in(self, column: Any) -> Any:
        """``column`` is one of the keys given as the parameter ``keys`` (in the form of
        :meth:`keys_parameter`): one parameter whatever their number where the back-end can,
        so the statement is compiled once — an expanding ``IN`` is rendered anew for each
        number of keys."""
        return column.in_(bindparam("keys", expanding=True))

    def keys_parameter(self, keys: list[str]) -> Any:
        return keys

    def search_clause(self, table: Table, column: str, terms: Sequence[str]) -> Any:
        """Rows whose ``column`` contains one of ``terms`` (already folded, ``domain/search.py``)."""
        return or_(*(table.c[column].like(f"%{like_escape(term)}%", escape="\\")
                     for term in terms))


def like_escape(text: str) -> str:
    """``text`` as a literal part of a LIKE pattern (escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class ProjectionStore:
    def __init__(self, engine: Engine, dialect: Dialect, projections: Sequence[Projection],
                 *, schema: str | None = None, read_engine: Engine | None = None) -> None:
        self.engine = engine
        self.read_engine = read_engine or engine
        self.dialect = dialect
        self.schema = schema
        self.projections = {p.name: p for p in projections}
        # Asked on every read (is the serving build this code's?): made once.
        self._fingerprints = {p.name: p.fingerprint() for p in projections}
        self.by_table: dict[str, tuple[Projection, ViewTable]] = {
            t.name: (p, t) for p in projections for t in p.tables}
        self.metadata = MetaData(schema=schema)
        self.builds_table = Table(
            "projection_builds", self.metadata,
            Column("name", Text, nullable=False), Column("build", Integer, nullable=False),
            Column("version", Integer, nullable=False), Column("state", Text, nullable=False),
            Column("position", BigInteger, nullable=False),
            Column("error", Text), Column("error_position", BigInteger),
            Column("lease_owner", Text), Column("lease_until", Float),
            Column("updated_at", Float), Column("schema", Text),
            PrimaryKeyConstraint("name", "build"),
        )
        self._tables: dict[tuple[str, int], dict[str, Table]] = {}
        self._statements: dict[Any, Any] = {}
        self._reading = threading.local()  # the connection of a ``together`` block
        self._select_builds = select(self.builds_table).order_by(
            self.builds_table.c.name, self.builds_table.c.build)
        self._serving: dict[str, Build] = {}
        self._serving_read_at = 0.0
        self._lock = threading.Lock()
        self.owner = process_id()

    # -- set-up ------------------------------------------------------------------------

    def create(self) -> None:
        """The builds table; columns a table made by an earlier release lacks are added
        (all nullable), so that start-up never breaks on it either."""
        table = self.builds_table
        table.create(self.engine, checkfirst=True)
        present = {c["name"] for c in inspect(self.engine).get_columns(table.name,
                                                                       schema=self.schema)}
        missing = [c for c in table.columns if c.name not in present]
        if missing:
            dialect = self.engine.dialect
            name = dialect.identifier_preparer.format_table(table)
            with self.engine.begin() as c:
                for column in missing:
                    c.exec_driver_sql(f"ALTER TABLE {name} ADD COLUMN "
                                      f"{dialect.identifier_preparer.quote(column.name)} "
                                      f"{column.type.compile(dialect)}")

    def current(self, build: Build) -> bool:
        """Whether ``build``'s tables were made by this code's version of its projection."""
        return build.schema == self._fingerprints[build.name]

    def tables_of(self, build: Build) -> dict[str, Table]:
        return self.tables(build.name, build.build, current=self.current(build))

    def tables(self, name: str, build: int, *, current: bool = True) -> dict[str, Table]:
        """The SQLAlchemy tables of a build; an older build's tables as they really are
        (reflected), so that the current code writes only the columns they have."""
        cache_key = (name, build)
        with self._lock:
            found = self._tables.get(cache_key)
        if found is not None:
            return found
        projection = self.projections[name]
        metadata = MetaData(schema=self.schema)
        if current:
            made = {t.name: t.table(metadata, build) for t in projection.tables}
        else:
            inspector = inspect(self.engine)
            made = {}
            for t in projection.tables:
                try:
                    columns = [c["name"] for c in inspector.get_columns(
                        t.physical(build), schema=self.schema)]
                except NoSuchTableError:
                    continue
                if columns:
                    made[t.name] = t.table(metadata, build, present=columns)
        with self._lock:
            self._tables[cache_key] = made
        return made

    def _create_tables(self, c: Connection, name: str, build: int, *, checkfirst: bool) -> None:
        """A new build's tables, bare: their indexes are made when it switches to serve
        (``advance``) — filling a table and then indexing it is several times cheaper than
        keeping its indexes through every insert, and nothing reads a build before it serves."""
        for table in self.tables(name, build).values():
            c.execute(CreateTable(table, if_not_exists=checkfirst))

    def _create_indexes(self, c: Connection, build: Build) -> None:
        for view, table in self.tables_of(build).items():
            for index in sorted(table.indexes, key=lambda i: str(i.name)):
                index.create(c, checkfirst=True)
            column = self.by_table[view][1].search_column
            if column is not None and column in table.c:
                self.dialect.create_search(c, table, column)

    def drop_tables(self, name: str, build: int, *, current: bool = True) -> None:
        tables = self.tables(name, build, current=current)
        with self.engine.begin() as c:
            for table in tables.values():
                self.dialect.drop_search(c, table)
                table.drop(c, checkfirst=True)
        with self._lock:
            self._tables.pop((name, build), None)

    def compact_search(self) -> None:
        """After an erasure: make the serving search indexes drop what they kept of the
        rows it rewrote (an FTS index keeps deleted entries until its segments merge)."""
        serving = self.serving(fresh=True)
        with self.engine.begin() as c:
            for view, (projection, spec) in self.by_table.items():
                build = serving.get(projection.name)
                if build is None or spec.search_column is None:
                    continue
                table = self.tables_of(build).get(view)
                if table is not None:
                    self.dialect.compact_search(c, table)

    def drop_legacy(self) -> list[str]:
        """Drop the read-model tables of the engine before this one (``view_<table>``: a
        document per row, rebuilt per event): nothing reads them, and they hold names in
        clear that an erasure would no longer reach."""
        legacy = {f"view_{t}" for t in self.by_table}
        existing = set(inspect(self.engine).get_table_names(schema=self.schema))
        dropped = sorted(legacy & existing)
        if dropped:
            metadata = MetaData(schema=self.schema)
            with self.engine.begin() as c:
                for name in dropped:
                    Table(name, metadata).drop(c)
            log.warning("dropped the previous engine's view tables (%s): the projections "
                        "are built anew from the events", ", ".join(dropped))
        return dropped

    # -- builds ------------------------------------------------------------------------

    def builds(self, connection: Connection | None = None) -> list[Build]:
        statement = self._select_builds
        if connection is not None:
            rows = connection.execute(statement).mappings().all()
        else:
            with self.read_engine.connect() as c:
                rows = c.execute(statement).mappings().all()
        return [Build(**{k: r[k] for k in Build.__dataclass_fields__}) for r in rows]

    def new_build(self, name: str, state: str) -> Build:
        """A new build of the code's version of ``name``, with empty tables, at position 0."""
        return self.new_builds([name], state)[0]

    def new_builds(self, names: Sequence[str], state: str) -> list[Build]:
        """New builds, their rows and their (empty) tables in one transaction: no other
        process sees a build before its tables exist."""
        b = self.builds_table
        for _ in range(5):
            made = []
            try:
                with self.engine.begin() as c:
                    for name in names:
                        latest = c.execute(select(func.max(b.c.build))
                                           .where(b.c.name == name)).scalar()
                        projection = self.projections[name]
                        build = Build(name, int(latest or 0) + 1, projection.version, state, 0,
                                      schema=projection.fingerprint())
                        c.execute(b.insert().values(
                            name=name, build=build.build, version=build.version,
                            state=state, position=0, updated_at=time.time(),
                            schema=build.schema))
                        made.append(build)
                    for x in made:  # new tables: no need to look first
                        self._create_tables(c, x.name, x.build, checkfirst=False)
            except IntegrityError:  # another process took one of the numbers: again
                for x in made:
                    with self._lock:
                        self._tables.pop((x.name, x.build), None)
                continue
            return made
        raise RuntimeError(f"could not create new builds of {', '.join(names)}")

    def forget_build(self, build: Build) -> None:
        """Drop a build's tables and its row (a retired, stale or scratch build)."""
        self.drop_tables(build.name, build.build, current=self.current(build))
        b = self.builds_table
        with self.engine.begin() as c:
            c.execute(delete(b).where(and_(b.c.name == build.name, b.c.build == build.build)))

    def claim(self, build: Build) -> bool:
        return bool(self.claim_all([build]))

    def claim_all(self, builds: Sequence[Build]) -> list[Build]:
        """Take (or renew) the leases to fill catching-up builds, in one transaction; the
        builds returned are this process's to fill (the others another process is filling).
        A lease expires after LEASE_SECONDS without a batch, or at once when its owner is a
        process of this host that no longer runs (killed)."""
        if not builds:
            return []
        b = self.builds_table
        now = time.time()
        # Leases this process holds with over half their time left are its own already (each
        # batch's ``advance`` renews them): no write transaction per batch to say so again.
        if all(x.lease_owner == self.owner and (x.lease_until or 0) > now + LEASE_SECONDS / 2
               for x in builds):
            return list(builds)
        gone = sorted({x.lease_owner for x in builds if x.lease_owner
                       and x.lease_owner != self.owner and _gone(x.lease_owner)})
        free = or_(b.c.lease_owner.is_(None), b.c.lease_owner == self.owner,
                   b.c.lease_until < now, b.c.lease_owner.in_(gone))
        keys = [(x.name, x.build) for x in builds]
        with self.engine.begin() as c:
            c.execute(update(b).where(and_(tuple_(b.c.name, b.c.build).in_(keys), free))
                      .values(lease_owner=self.owner, lease_until=now + LEASE_SECONDS))
            mine = {(r.name, r.build) for r in c.execute(
                select(b.c.name, b.c.build).where(and_(
                    tuple_(b.c.name, b.c.build).in_(keys), b.c.lease_owner == self.owner)))}
        return [x for x in builds if (x.name, x.build) in mine]

    def release(self, builds: Sequence[Build]) -> None:
        if not builds:
            return
        b = self.builds_table
        keys = [(x.name, x.build) for x in builds]
        with self.engine.begin() as c:
            c.execute(update(b).where(and_(tuple_(b.c.name, b.c.build).in_(keys),
                                           b.c.lease_owner == self.owner))
                      .values(lease_owner=None, lease_until=None))

    def record_error(self, build: Build, position: int, error: str) -> None:
        b = self.builds_table
        with self.engine.begin() as c:
            c.execute(update(b).where(and_(b.c.name == build.name, b.c.build == build.build))
                      .values(error=error[:4000], error_position=position,
                              updated_at=time.time()))

    def clear_errors(self, names: Sequence[str] | None = None) -> None:
        """Let stopped projections run again (at start-up, after a fix)."""
        b = self.builds_table
        condition: Any = b.c.error.is_not(None)
        if names:
            condition = and_(condition, b.c.name.in_(list(names)))
        with self.read_engine.connect() as c:
            if c.execute(select(func.count()).select_from(b).where(condition)).scalar() == 0:
                return
        with self.engine.begin() as c:
            c.execute(update(b).where(condition).values(error=None, error_position=None))

    # -- writing a batch ---------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as c:
            yield c

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """One consistent view of every table (``projections verify``)."""
        with self.read_engine.connect() as c:
            c = c.execution_options(**self.dialect.snapshot)
            with c.begin():
                yield c

    def advance(self, c: Connection, builds: Sequence[Build], to: int,
                serving: Sequence[Build] = ()) -> bool:
        """Move ``builds`` (all at one position) to ``to`` inside the batch's transaction, in
        one statement; ``serving`` of them switch to serve, their indexes made in the same
        transaction. ``False`` when another process moved any of them first (the caller rolls
        back)."""
        now = time.time()
        done = c.execute(self._advance_statement(bool(serving)), {
            "keys": [(x.name, x.build) for x in builds],
            "switch": [(x.name, x.build) for x in serving] or [("", 0)],
            "start": builds[0].position, "to": to, "now": now,
            "lease": now + LEASE_SECONDS,
        })
        if done.rowcount != len(builds):
            return False
        for x in serving:
            self._create_indexes(c, x)
        return True

    def _advance_statement(self, switching: bool) -> Any:
        cached = self._statements.get(("advance", switching))
        if cached is None:
            b = self.builds_table
            key = tuple_(b.c.name, b.c.build)
            cached = update(b).where(and_(
                key.in_(bindparam("keys", expanding=True)),
                b.c.position == bindparam("start"),
            )).values(
                position=bindparam("to"), updated_at=bindparam("now"),
                # a build being filled holds its lease while it writes
                lease_until=case((b.c.state == BUILDING, bindparam("lease")),
                                 else_=b.c.lease_until),
                state=case((key.in_(bindparam("switch", expanding=True)), SERVING),
                           else_=b.c.state) if switching else b.c.state,
            )
            self._statements[("advance", switching)] = cached
        return cached

    def statements(self, table: Table) -> tuple[Any, Any]:
        """(delete by keys, insert) of ``table``, made once."""
        cached = self._statements.get(table)
        if cached is None:
            keys: Any = bindparam("keys", expanding=True)
            cached = (delete(table).where(table.c.key.in_(keys)), insert(table))
            self._statements[table] = cached
        return cached

    def select_by_keys(self, spec: ViewTable, table: Table) -> Any:
        """The documents of ``table`` whose keys are the parameter ``keys`` (``key_in``)."""
        cached = self._statements.get(("by keys", table))
        if cached is None:
            cached = select(*self.shown(spec, table)).where(self.dialect.key_in(table.c.key))
            self._statements[("by keys", table)] = cached
        return cached

    def shown(self, spec: ViewTable, table: Table, also: str | None = None) -> list[Any]:
        """The columns a document is read from — its key and its fields' — and ``also``
        (an order column): not the hidden ones that only filter or sort (a learner's search
        key is the longest cell of its row)."""
        cached = self._statements.get(("shown", table, also))
        if cached is None:
            names = ["key", *(f.column for f in spec.fields if f.doc is not None)]
            if also is not None and also not in names:
                names.append(also)
            cached = [table.c[name] for name in names if name in table.c]
            self._statements[("shown", table, also)] = cached
        return cast(list[Any], cached)

    def columns_of(self, table: Table, spec: ViewTable) -> frozenset[str] | None:
        """The columns of ``spec`` that ``table`` has (``None``: all of them)."""
        cached = self._statements.get(("columns", table))
        if cached is None:
            present = frozenset(table.c.keys())
            cached = self._statements[("columns", table)] = (
                None if {f.column for f in spec.fields} <= present else present,)
        return cached[0]

    def adding(self, table: Table, column: str) -> tuple[Any, Any]:
        """(``INSERT … ON CONFLICT (key) DO UPDATE SET column = column + new``, delete of the
        given keys whose ``column`` is 0) of ``table``, made once."""
        cached = self._statements.get(("add", table, column))
        if cached is None:
            upsert = self.dialect.insert(table)
            cached = (upsert.on_conflict_do_update(
                index_elements=[table.c.key],
                set_={column: table.c[column] + upsert.excluded[column]}),
                delete(table).where(table.c.key.in_(bindparam("keys", expanding=True)),
                                    table.c[column] == 0))
            self._statements[("add", table, column)] = cached
        return cached

    def writer(self, c: Connection, build: Build) -> Writer:
        return Writer(self, c, self.tables_of(build))

    # -- reading -----------------------------------------------------------------------

    def serving(self, *, fresh: bool = False) -> dict[str, Build]:
        """Each projection's serving build (re-read at most twice a second, or at once after
        a switch this process made)."""
        now = time.monotonic()
        if fresh or now - self._serving_read_at > 0.5:
            serving: dict[str, Build] = {}
            for build in self.builds():
                if build.state == SERVING:
                    current = serving.get(build.name)
                    if current is None or build.build > current.build:
                        serving[build.name] = build
            with self._lock:
                self._serving = serving
                self._serving_read_at = now
        return self._serving

    def invalidate(self) -> None:
        with self._lock:
            self._serving_read_at = 0.0

    def _table(self, table: str) -> tuple[ViewTable, Table]:
        projection, spec = self.by_table[table]
        build = self.serving().get(projection.name)
        if build is None:
            build = self.serving(fresh=True).get(projection.name)
        if build is None:
            raise ViewNotReady(f"the {projection.name} view is being built")
        tables = self.tables_of(build)
        if table not in tables:
            raise ViewNotReady(f"the {projection.name} view is being rebuilt")
        return spec, tables[table]

    @contextmanager
    def together(self) -> Iterator[None]:
        """The reads of this thread in the block share one connection (a page and the rows
        its relations need: one checkout of the pool, not one per read)."""
        if getattr(self._reading, "connection", None) is not None:
            yield
            return
        with self.read_engine.connect() as c:
            self._reading.connection = c
            try:
                yield
            finally:
                self._reading.connection = None

    def _read(self, table: str, run: Callable[[ViewTable, Table, Connection], Any]) -> Any:
        for attempt in (1, 2):
            spec, physical = self._table(table)
            try:
                shared: Connection | None = getattr(self._reading, "connection", None)
                if shared is not None:
                    return run(spec, physical, shared)
                with self.read_engine.connect() as c:
                    return run(spec, physical, c)
            except (OperationalError, ProgrammingError):
                # A switch in another process dropped the tables this one read: once more.
                if attempt == 2:
                    raise
                if shared is not None:
                    shared.rollback()  # PostgreSQL: the failed statement ended its transaction
                self.invalidate()
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, table: str, key: str) -> dict[str, Any] | None:
        def run(spec: ViewTable, t: Table, c: Connection) -> dict[str, Any] | None:
            result = c.execute(self.select_by_keys(spec, t),
                               {"keys": self.dialect.keys_parameter([key])})
            row = result.first()
            return None if row is None else spec.reader(list(result.keys()))(row)

        found: dict[str, Any] | None = self._read(table, run)
        return found

    def get_many(self, table: str, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        wanted = sorted(set(keys))
        if not wanted:
            return {}

        def run(spec: ViewTable, t: Table, c: Connection) -> dict[str, dict[str, Any]]:
            rows = c.execute(self.select_by_keys(spec, t),  # made once: none to build per read
                             {"keys": self.dialect.keys_parameter(wanted)})
            names = list(rows.keys())
            read, at = spec.reader(names), names.index("key")
            return {r[at]: read(r) for r in rows.all()}

        result: dict[str, dict[str, Any]] = self._read(table, run)
        return result

    def _where(self, spec: ViewTable, t: Table, where: Mapping[str, Any] | None,
               search: str | None) -> list[Any]:
        clauses: list[Any] = []
        for column, value in (where or {}).items():
            if column not in t.c:
                raise ValueError(f"{spec.name} cannot be filtered by {column}")
            col = t.c[column]
            if isinstance(value, (list, tuple, set, frozenset)):
                clauses.append(col.in_(sorted(spec.filter_value(column, v) for v in value)))
            else:
                clauses.append(col == spec.filter_value(column, value))
        if search:
            searched = spec.search_column
            if searched is None or searched not in t.c:
                raise ValueError(f"{spec.name} cannot be searched")
            terms = search_terms(search)
            if terms:
                clauses.append(self.dialect.search_clause(t, searched, terms))
        return clauses

    @staticmethod
    def _ranges(spec: ViewTable, t: Table, ranges: Mapping[str, tuple[Any, Any]] | None
                ) -> list[Any]:
        """Inclusive ranges (``None``: open at that end) on columns."""
        clauses: list[Any] = []
        for name, (low, high) in (ranges or {}).items():
            if name not in t.c:
                raise ValueError(f"{spec.name} has no range on {name}")
            if low is not None:
                clauses.append(t.c[name] >= spec.filter_value(name, low))
            if high is not None:
                clauses.append(t.c[name] <= spec.filter_value(name, high))
        return clauses

    def find(self, table: str, where: Mapping[str, Any] | None = None, *,
             search: str | None = None, order_by: str | None = None, limit: int = 100,
             offset: int = 0) -> list[dict[str, Any]]:
        def run(spec: ViewTable, t: Table, c: Connection) -> list[dict[str, Any]]:
            if order_by is not None and order_by not in t.c:
                raise ValueError(f"{table} cannot be ordered by {order_by}")
            statement = select(*self.shown(spec, t, order_by)).where(
                *self._where(spec, t, where, search))
            order = [t.c[order_by]] if order_by else []
            statement = statement.order_by(*order, t.c.key).limit(limit).offset(offset)
            rows = c.execute(statement)
            read = spec.reader(list(rows.keys()))
            return [read(r) for r in rows]

        docs: list[dict[str, Any]] = self._read(table, run)
        return docs

    def page(self, table: str, where: Mapping[str, Any] | None = None, *,
             ranges: Mapping[str, tuple[Any, Any]] | None = None, search: str | None = None,
             order_by: str | None = None, descending: bool = False,
             after: tuple[Any, str] | None = None, before: tuple[Any, str] | None = None,
             limit: int = 20, backwards: bool = False
             ) -> list[tuple[dict[str, Any], Any, str]]:
        """A keyset page: documents in the order of ``order_by`` (then the key, so the order
        is total), strictly after ``after`` / before ``before`` — each an (order value, key)
        pair taken from a row — ``limit`` of them, from the end when ``backwards``. Each comes
        with its order value and key (for its cursor). Stable while others write: a row is never
        skipped or repeated between two pages."""
        def run(spec: ViewTable, t: Table, c: Connection
                ) -> list[tuple[dict[str, Any], Any, str]]:
            column = t.c[order_by] if order_by else t.c.key
            if order_by is not None and order_by not in t.c:
                raise ValueError(f"{table} cannot be ordered by {order_by}")
            key = tuple_(column, t.c.key)
            clauses = self._where(spec, t, where, search)
            clauses += self._ranges(spec, t, ranges)
            # "after" in the list's order is "greater" ascending, "smaller" descending.
            for bound, later in ((after, True), (before, False)):
                if bound is not None:
                    value = tuple_(literal(_bound(spec, order_by, bound[0]), column.type),
                                   literal(bound[1], Text()))
                    clauses.append(key > value if later != descending else key < value)
            reverse = descending != backwards
            order = [column.desc(), t.c.key.desc()] if reverse else [column, t.c.key]
            statement = select(*self.shown(spec, t, column.name)).where(*clauses).order_by(
                *order).limit(limit)
            result = c.execute(statement)
            names = list(result.keys())
            read, at, by = spec.reader(names), names.index("key"), names.index(column.name)
            # fetched at once (one fetchall, not a fetchone per row)
            found = [(read(r), _cursor_value(r[by]), str(r[at])) for r in result.all()]
            return found[::-1] if backwards else found

        found: list[tuple[dict[str, Any], Any, str]] = self._read(table, run)
        return found

    def first_pages(self, table: str, by: str, values: Sequence[Any],
                    where: Mapping[str, Any] | None = None, *, limit: int = 20
                    ) -> dict[Any, list[tuple[dict[str, Any], Any, str]]]:
        """The first keyset page (by key, as :meth:`page` without bounds) of each of several
        lists at once — the rows whose ``by`` column is each of ``values`` — in one statement
        (``ROW_NUMBER() OVER (PARTITION BY by ORDER BY key)``): a list of parents each with
        its own page of children costs one read, not one per parent."""
        wanted = sorted(set(values))
        if not wanted:
            return {}

        def run(spec: ViewTable, t: Table, c: Connection
                ) -> dict[Any, list[tuple[dict[str, Any], Any, str]]]:
            if by not in t.c:
                raise ValueError(f"{table} cannot be grouped by {by}")
            clauses = self._where(spec, t, {**(where or {}), by: wanted}, None)
            rank = func.row_number().over(partition_by=t.c[by], order_by=t.c.key).label("_rank")
            ranked = select(t, rank).where(*clauses).subquery()
            statement = (select(*[ranked.c[c.name] for c in self.shown(spec, t, by)])
                         .where(ranked.c["_rank"] <= limit)
                         .order_by(ranked.c[by], ranked.c.key))
            found: dict[Any, list[tuple[dict[str, Any], Any, str]]] = {v: [] for v in wanted}
            result = c.execute(statement)
            names = list(result.keys())
            read, at, group = spec.reader(names), names.index("key"), names.index(by)
            for r in result.all():
                found[r[group]].append((read(r), str(r[at]), str(r[at])))
            return found

        pages: dict[Any, list[tuple[dict[str, Any], Any, str]]] = self._read(table, run)
        return pages

    def count_by(self, table: str, by: str, values: Sequence[Any],
                 where: Mapping[str, Any] | None = None, *,
                 ranges: Mapping[str, tuple[Any, Any]] | None = None) -> dict[Any, int]:
        """How many rows of ``table`` each of ``values`` of column ``by`` has (with ``where``
        and ``ranges``), in one ``GROUP BY`` statement."""
        wanted = sorted(set(values))
        if not wanted:
            return {}

        def run(spec: ViewTable, t: Table, c: Connection) -> dict[Any, int]:
            clauses = self._where(spec, t, {**(where or {}), by: wanted}, None)
            clauses += self._ranges(spec, t, ranges)
            statement = (select(t.c[by], func.count()).where(*clauses).group_by(t.c[by]))
            counted = {v: 0 for v in wanted}
            counted.update({r[0]: int(r[1]) for r in c.execute(statement)})
            return counted

        counts: dict[Any, int] = self._read(table, run)
        return counts

    def count(self, table: str, where: Mapping[str, Any] | None = None, *,
              search: str | None = None,
              ranges: Mapping[str, tuple[Any, Any]] | None = None) -> int:
        def run(spec: ViewTable, t: Table, c: Connection) -> int:
            clauses = self._where(spec, t, where, search)
            clauses += self._ranges(spec, t, ranges)
            statement = select(func.count()).select_from(t).where(*clauses)
            return int(c.execute(statement).scalar() or 0)

        n: int = self._read(table, run)
        return n

    def rows(self, name: str, build: Build, connection: Connection
             ) -> dict[str, dict[str, dict[str, Any]]]:
        """Every row of every table of a build, by table and key (``projections verify``)."""
        found: dict[str, dict[str, dict[str, Any]]] = {}
        for table_name, t in self.tables_of(build).items():
            found[table_name] = {
                r["key"]: {k: _comparable(v) for k, v in r.items()}
                for r in connection.execute(select(t).order_by(t.c.key)).mappings()}
        return found


class BadCursor(ValueError):
    """A cursor's order value does not fit the column it orders by."""


def _bound(spec: ViewTable, column: str | None, value: Any) -> Any:
    kind = "text" if column is None else spec.by_column[column].kind
    if kind in ("int", "bigint"):
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 2**63:
            raise BadCursor(column)
        return value
    if kind == "date":
        try:
            return date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            raise BadCursor(column) from None
    if kind == "bool":
        if not isinstance(value, bool):
            raise BadCursor(column)
        return value
    if not isinstance(value, str):
        raise BadCursor(column)
    return value


def _cursor_value(value: Any) -> Any:
    """An order column's value as a cursor holds it (JSON)."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _comparable(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return value


class Writer:
    """A projection's writes inside one batch's transaction: rows coalesced by key (the last
    write of a key wins), then sent as one statement per table."""

    def __init__(self, store: ProjectionStore, connection: Connection,
                 tables: Mapping[str, Table]) -> None:
        self.store = store
        self.c = connection
        self.tables = tables

    def upsert(self, rows: Sequence[Row]) -> None:
        by_table: dict[str, dict[str, Row]] = {}
        for row in rows:
            by_table.setdefault(row.table, {})[row.key] = row
        for table_name, keyed in by_table.items():
            table = self.tables.get(table_name)
            if table is None:  # an older build without this table
                continue
            _, spec = self.store.by_table[table_name]
            present = self.store.columns_of(table, spec)
            values = [spec.values(r.key, r.doc, r.columns, present) for r in keyed.values()]
            self._replace(table, values)

    def _replace(self, table: Table, values: list[dict[str, Any]]) -> None:
        """Rows by key, replaced: a delete of the keys and one insert of them all — plain
        statements both back-ends run and SQLAlchemy compiles once (the batch's transaction
        already holds the build's row lock, so nobody writes these keys in between)."""
        delete_keys, insert_rows = self.store.statements(table)
        keys = [v["key"] for v in values]
        for start in range(0, len(keys), 500):
            self.c.execute(delete_keys, {"keys": keys[start:start + 500]})
        if values:
            self.c.execute(insert_rows, values)

    def add(self, table: str, column: str,
            deltas: Mapping[str, tuple[Mapping[str, Any], int]]) -> None:
        """Add each delta to ``column`` of its row: made when new, gone at 0 (so counts kept
        incrementally equal counts made afresh, row for row)."""
        if not deltas:
            return
        t = self.tables[table]
        _, spec = self.store.by_table[table]
        add, drop_zeros = self.store.adding(t, column)
        values = [spec.values(key, {**doc, column: amount}, {})
                  for key, (doc, amount) in sorted(deltas.items())]
        self.c.execute(add, values)  # the sum is the database's: no read, one statement
        keys = [v["key"] for v in values]
        for start in range(0, len(keys), 500):
            self.c.execute(drop_zeros, {"keys": keys[start:start + 500]})


def with_position(build: Build, position: int, **changes: Any) -> Build:
    return replace(build, position=position, **changes)
