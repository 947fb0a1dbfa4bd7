"""Which storage failures mean "the store cannot take writes now" (``UNAVAILABLE``, SPEC §10)
— read-only, full, unreachable — as opposed to bugs. Both back-ends, one answer: a reason a
person can read, or ``None``."""

from __future__ import annotations

import sqlite3

# SQLite result codes (primary, the low byte of the extended code).
_SQLITE = {
    8: "the database is read-only",  # SQLITE_READONLY
    13: "the database or its disk is full",  # SQLITE_FULL
    14: "the database file cannot be opened",  # SQLITE_CANTOPEN
    10: "the database file cannot be written (I/O error)",  # SQLITE_IOERR
    5: "the database is busy (locked by another writer)",  # SQLITE_BUSY
    6: "the database is locked",  # SQLITE_LOCKED
}
# The same, by message, for errors raised without a code.
_SQLITE_MESSAGES = (("readonly", 8), ("read-only", 8), ("disk is full", 13),
                    ("unable to open", 14), ("disk i/o error", 10), ("database is locked", 5))
# PostgreSQL SQLSTATEs and classes.
_POSTGRES = {
    "25006": "the database is read-only (a read-only transaction or a standby server)",
    "53100": "the database server's disk is full",
    "53200": "the database server is out of memory",
    "53300": "the database server has too many connections",
    "57P01": "the database server is shutting down",
    "57P02": "the database server is shutting down",
    "57P03": "the database server is starting up or not accepting connections",
    "55P03": "a lock could not be taken in time",
    "57014": "a statement took too long and was cancelled",
}
_POSTGRES_CLASSES = {"08": "the database server cannot be reached"}


def _causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def unavailable_reason(error: BaseException) -> str | None:
    """Why the store cannot do this now, if that is what ``error`` (or its cause) says."""
    for cause in _causes(error):
        if isinstance(cause, sqlite3.Error):
            code = getattr(cause, "sqlite_errorcode", None)
            if isinstance(code, int) and (code & 0xFF) in _SQLITE:
                return _SQLITE[code & 0xFF]
            text = str(cause).lower()
            for words, code in _SQLITE_MESSAGES:
                if words in text:
                    return _SQLITE[code]
            continue
        sqlstate = getattr(cause, "sqlstate", None)
        if isinstance(sqlstate, str):
            if sqlstate in _POSTGRES:
                return _POSTGRES[sqlstate]
            if sqlstate[:2] in _POSTGRES_CLASSES:
                return _POSTGRES_CLASSES[sqlstate[:2]]
        if type(cause).__module__.startswith(("psycopg", "psycopg_pool")) and type(
                cause).__name__ in ("OperationalError", "PoolTimeout", "InterfaceError"):
            return "the database server cannot be reached"
    return None
