"""Read-model tables as typed columns (SQLAlchemy Core), declared once for both back-ends.

A :class:`ViewTable` names a table, its document's fields (each a real column of its own type:
text, integer, boolean, date, or JSON for nested values) and hidden columns that only filter or
sort (a search key, a normalised faculty). The API reads documents — plain dicts in the shape it
serves — and this module turns them into rows and back, so that a screen's filter or sort is a
query on an indexed column, never on a JSON document.

Each *build* of a projection has its own physical tables (``pv_<table>_<build>``): a new version
or a rebuild fills new tables while the old ones serve (blue/green, see ``engine.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeEngine

KINDS: dict[str, TypeEngine[Any]] = {
    "text": Text(),
    "int": Integer(),
    "bigint": BigInteger(),
    "bool": Boolean(),
    "date": Date(),
    # none_as_null: a missing value is SQL NULL, not the JSON text "null" (no json.loads to
    # read it back); rows written before hold "null", which reads back the same.
    "json": JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql"),
    # A search key (``domain/search.py``): text with the back-end's substring index (trigrams:
    # pg_trgm on PostgreSQL, an FTS5 trigram table on SQLite) instead of a B-tree.
    "search": Text(),
}


def snake(name: str) -> str:
    """``learnerId`` → ``learner_id`` (a document key → its column)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class Field:
    """One column. ``doc`` is the document key it holds (``None``: a hidden column, filled
    from the row's ``columns``)."""

    column: str
    kind: str
    doc: str | None
    index: bool = False

    def encode(self, value: Any) -> Any:
        if value is None:
            return None
        if self.kind == "date" and isinstance(value, str):
            return date.fromisoformat(value)
        if self.kind == "bool":
            return bool(value)
        return value

    def decode(self, value: Any) -> Any:
        if self.kind == "date" and isinstance(value, date):
            return value.isoformat()
        if self.kind == "bool" and value is not None:
            return bool(value)
        return value


def doc(name: str, kind: str = "text", *, index: bool = False) -> Field:
    return Field(snake(name), kind, name, index)


def hidden(column: str, kind: str = "text", *, index: bool = True) -> Field:
    return Field(column, kind, None, index and kind != "search")


@dataclass(frozen=True)
class ViewTable:
    name: str
    fields: tuple[Field, ...]
    by_column: dict[str, Field] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_column", {f.column: f for f in self.fields})

    @property
    def search_column(self) -> str | None:
        """The column name searches look in, if this table can be searched."""
        return next((f.column for f in self.fields if f.kind == "search"), None)

    def physical(self, build: int) -> str:
        return f"pv_{self.name}_{build}"

    def table(self, metadata: MetaData, build: int,
              present: Iterable[str] | None = None) -> Table:
        """The SQLAlchemy table of ``build``; ``present`` (reflected column names) limits it
        to the columns an older build's table really has."""
        name = self.physical(build)
        keep = None if present is None else set(present)
        columns = [Column("key", Text, primary_key=True)]
        columns += [Column(f.column, KINDS[f.kind]) for f in self.fields
                    if keep is None or f.column in keep]
        indexes = [Index(f"ix_{name}_{f.column}", f.column) for f in self.fields
                   if f.index and (keep is None or f.column in keep)]
        return Table(name, metadata, *columns, *indexes)

    def values(self, key: str, document: Mapping[str, Any], columns: Mapping[str, Any],
               present: frozenset[str] | None = None) -> dict[str, Any]:
        """A row's column values (only the ``present`` columns: an older build's table)."""
        values: dict[str, Any] = {"key": key}
        for column, name, hidden_column, encode in self._plan(present):
            raw = columns.get(column) if hidden_column else document.get(name)
            values[column] = raw if encode is None or raw is None else encode(raw)
        return values

    def _plan(self, present: frozenset[str] | None
              ) -> list[tuple[str, str, bool, Callable[[Any], Any] | None]]:
        """Per column: its name, where its value comes from, and its encoding (``None``:
        the value as it is) — worked out once per set of columns, not per row."""
        plans: dict[frozenset[str] | None, Any] = self.__dict__.setdefault("_plans", {})
        plan = plans.get(present)
        if plan is None:
            plan = plans[present] = [
                (f.column, f.doc or f.column, f.doc is None,
                 None if f.kind not in ("date", "bool") else f.encode)
                for f in self.fields if present is None or f.column in present]
        return plan

    def reader(self, columns: Sequence[str]) -> Callable[[Sequence[Any]], dict[str, Any]]:
        """Documents from the tuple rows of a result whose columns are ``columns`` (in that
        order): each shown field's cell by position, decoded (dates to ISO text, booleans),
        worked out once per column list.
        SQLAlchemy's mapping access costs about six times a tuple's, and a page of learners
        decodes over a thousand cells."""
        readers: dict[tuple[str, ...], Any] = self.__dict__.setdefault("_readers", {})
        key = tuple(columns)
        read = readers.get(key)
        if read is None:
            read = readers[key] = self._reader(key)
        return cast(Callable[[Sequence[Any]], dict[str, Any]], read)

    def _reader(self, columns: tuple[str, ...]) -> Callable[[Sequence[Any]], dict[str, Any]]:
        position = {column: i for i, column in enumerate(columns)}
        shown = [f for f in self.fields if f.doc is not None]
        if any(f.column not in position for f in shown):  # an older build's table
            return self._tolerant_reader(position)
        # One dict display made for this column list (as dataclasses and namedtuple make
        # their methods): half the time of a loop over (name, position) pairs, and a page
        # decodes a couple of hundred rows. The names are the fields' own (identifiers,
        # checked), the positions integers: nothing from a row or a request is in the code.
        cells = []
        for f in shown:
            name, i = cast(str, f.doc), position[f.column]
            assert name.isidentifier(), name
            if f.kind == "date":
                cells.append(f"{name!r}: (v.isoformat() if isinstance(v := row[{i}], date) "
                             "else v)")
            elif f.kind == "bool":
                cells.append(f"{name!r}: (None if (v := row[{i}]) is None else bool(v))")
            else:
                cells.append(f"{name!r}: row[{i}]")
        namespace: dict[str, Any] = {"date": date}
        exec(f"def read(row):\n    return {{{', '.join(cells)}}}\n", namespace)  # noqa: S102
        return cast(Callable[[Sequence[Any]], dict[str, Any]], namespace["read"])

    def _tolerant_reader(self, position: Mapping[str, int]
                         ) -> Callable[[Sequence[Any]], dict[str, Any]]:
        """The reader for a table without some of the fields' columns (``None`` for them)."""
        def read(row: Sequence[Any]) -> dict[str, Any]:
            return {f.doc: f.decode(row[position[f.column]] if f.column in position else None)
                    for f in self.fields if f.doc is not None}

        return read

    def filter_value(self, column: str, value: Any) -> Any:
        f = self.by_column.get(column)
        return value if f is None else f.encode(value)
