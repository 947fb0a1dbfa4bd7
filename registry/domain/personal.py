"""Personal data travels in its own part of an event: the ``personal`` argument.

The storage layer keeps that part (with a random salt) apart from the event, so that it can be
protected and erased on its own; the audit log commits to it by a salted hash (SPEC R11, §6).
After erasure an event comes back with ``personal=None``; names then read :data:`ERASED`.
"""

from __future__ import annotations

from typing import TypeAlias

Personal: TypeAlias = dict[str, str | None]

ERASED = "[erased]"


def field(personal: Personal | None, name: str, *, erased: str | None = None) -> str | None:
    """``personal[name]``, or ``erased`` when the personal part was erased."""
    if personal is None:
        return erased
    return personal.get(name)
