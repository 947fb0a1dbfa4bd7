"""JSON text for the registry's views and answers: orjson — compact UTF-8 with letters as they
are (no ``\\u`` escapes), several times the standard library's speed each way — and the
standard library for what orjson refuses to write (an integer beyond 64 bits, a key that is not
a string, number or enum). What orjson reads differs from the standard library only beyond
that: an integer beyond 64 bits reads as a float, ``NaN`` is refused (neither is in a view).
The event store, the audit log and the signed texts keep their own canonical encodings
(RFC 8785, the standard library): nothing here is hashed or signed."""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["dumps", "dumps_text", "loads"]


def dumps(data: object) -> bytes:
    """Compact UTF-8 JSON, non-ASCII letters as they are (a NaN or an infinity, which GraphQL's
    Float refuses and no view holds, would be written null)."""
    try:
        return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # an integer beyond 64 bits, a type orjson does not know
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"),
                          allow_nan=False).encode()


def dumps_text(data: object) -> str:
    """:func:`dumps` as text (what SQLAlchemy's JSON columns take)."""
    return dumps(data).decode()


def loads(text: str | bytes) -> Any:
    return orjson.loads(text)
