"""The audit envelope of a stored event, serialised once with RFC 8785 (JCS).

The envelope is built from the *stored* event (the notification's state bytes, decoded with the
application's transcoder) — never from the domain object — so the personal data that the
mapper moved to the personal store never comes back into it, and erasing that data cannot
change a single byte of it. Its keys are documented in ``events/README.md``.

Values are JSON's own: strings, integers (|n| ≤ 2^53), booleans, null, arrays and objects.
UUIDs, dates and datetimes become strings; a float anywhere is refused (binary floating point
has no single canonical text that every auditor's tools agree on).
"""

from __future__ import annotations

import base64
import datetime
import enum
import json
import uuid
from collections.abc import Mapping
from typing import Any

import rfc8785

from ..application.mapper import META, PERSONAL_COMMITMENT, PERSONAL_REF
from ..application.mapper import stored_state as stored_state  # re-exported

ENVELOPE_VERSION = 1
EVENT_ID_PREFIX = "det-registry:/events"
MAX_SAFE_INTEGER = 2**53 - 1

# Stored keys that are not payload: they have their own place in the envelope, or none.
NOT_PAYLOAD = frozenset({"timestamp", "originator_topic", "class_version", META,
                         PERSONAL_REF, PERSONAL_COMMITMENT})


class EnvelopeError(ValueError):
    """An event that cannot be put in the log as it is (a float, a type JSON does not know)."""


def event_id(originator_id: uuid.UUID | str, originator_version: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL,
                          f"{EVENT_ID_PREFIX}/{originator_id}/{originator_version}"))


def event_type(topic: str) -> tuple[str, str]:
    """``registry.domain.moocs:Mooc.Drafted`` → (``Mooc.Drafted``, ``Mooc``)."""
    qualname = topic.partition(":")[2] or topic
    kind = qualname.rpartition(".")[0] or qualname
    return qualname, kind


class _Canon:
    """Converts decoded values to JSON values, noting whether the fast serialiser is exact."""

    def __init__(self) -> None:
        self.fast = True  # json.dumps(sort_keys=True) equals JCS unless a key is outside the BMP

    def value(self, value: Any, where: str) -> Any:
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            if abs(value) > MAX_SAFE_INTEGER:
                raise EnvelopeError(f"{where}: integer {value} is beyond 2^53")
            return int(value)
        if isinstance(value, float):
            raise EnvelopeError(f"{where}: floats are not allowed in audited events")
        if isinstance(value, enum.Enum):
            return self.value(value.value, where)
        if isinstance(value, uuid.UUID):
            return str(value)
        if isinstance(value, (datetime.datetime, datetime.date)):
            return value.isoformat()
        if isinstance(value, Mapping):
            out = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    raise EnvelopeError(f"{where}: object keys must be strings")
                if self.fast and any(ord(c) > 0xFFFF for c in key):
                    self.fast = False
                out[key] = self.value(item, f"{where}.{key}")
            return out
        if isinstance(value, (list, tuple)):
            return [self.value(item, f"{where}[]") for item in value]
        raise EnvelopeError(f"{where}: {type(value).__name__} has no JSON form")


def canonical(envelope: Mapping[str, Any]) -> bytes:
    """RFC 8785 bytes of a JSON value (checked: no floats, safe integers)."""
    canon = _Canon()
    value = canon.value(envelope, "envelope")
    return _dumps(value, canon.fast)


def _dumps(value: Any, fast: bool) -> bytes:
    if fast:
        # For floats-free values whose keys are all in the BMP, Python's sorted, unescaped
        # output is byte for byte RFC 8785 (same string escapes, same key order): the checked
        # property test in tests/audit/test_envelope.py holds it to rfc8785.
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                          sort_keys=True, allow_nan=False).encode("utf-8")
    return rfc8785.dumps(value)


def build(notification: Any, state: Mapping[str, Any], index: int,
          previous: bytes | None) -> bytes:
    """The canonical envelope of one stored event at leaf ``index``."""
    kind_type, kind = event_type(notification.topic)
    timestamp = state.get("timestamp")
    envelope = {
        "envelope_version": ENVELOPE_VERSION,
        "index": index,
        "previous": base64.b64encode(previous).decode("ascii") if previous else None,
        "event_id": event_id(notification.originator_id, notification.originator_version),
        "type": kind_type,
        "schema_version": int(state.get("class_version", 1)),
        "aggregate": {
            "kind": kind,
            "id": str(notification.originator_id),
            "version": notification.originator_version,
        },
        "meta": state.get(META),
        "timestamp": timestamp,
        "payload": {k: v for k, v in state.items() if k not in NOT_PAYLOAD},
        "personal_commitment": state.get(PERSONAL_COMMITMENT),
    }
    return canonical(envelope)


def parse(line: bytes) -> dict[str, Any]:
    """An envelope back from its bytes (floats refused)."""
    value = json.loads(line, parse_float=_no_float, parse_constant=_no_float,
                       parse_int=_safe_int)
    if not isinstance(value, dict):
        raise EnvelopeError("an envelope is a JSON object")
    return value


def _no_float(text: str) -> Any:
    raise EnvelopeError(f"a float ({text}) in an envelope")


def _safe_int(text: str) -> int:
    value = int(text)
    if abs(value) > MAX_SAFE_INTEGER:
        raise EnvelopeError(f"integer {text} is beyond 2^53")
    return value


def is_canonical(line: bytes, value: Any) -> bool:
    """Whether ``line`` is exactly the RFC 8785 form of ``value`` (which it parsed to)."""
    try:
        # A line with no 4-byte UTF-8 sequence has no character outside the BMP, so the fast
        # serialiser is exact for it; other lines go through rfc8785 itself.
        fast = max(line, default=0) < 0xF0
        if fast:
            return _dumps(value, True) == line
        canon = _Canon()
        return _dumps(canon.value(value, "envelope"), canon.fast) == line
    except (EnvelopeError, ValueError, UnicodeEncodeError, rfc8785.CanonicalizationError):
        return False
