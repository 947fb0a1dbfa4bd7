"""Personal data travels in its own part of an event: the ``personal`` argument.

The storage layer keeps that part (with a random salt) apart from the event, encrypted under a
key of the learner it is about, so that it can be protected and erased on its own; the audit
log commits to it by a salted hash (SPEC R11, §6). After erasure an event comes back with
``personal=None``; names then read :data:`ERASED` (the empty string, SPEC §10).

Whose part it is follows from the event: an event of a ``Learner`` is about that learner; an
event whose aggregate names a ``learner_id`` (a certificate, an enrolment, a learner's token) is
about that learner, and so are the later events of the same aggregate; anything else is about
nobody identifiable and gets a key of its own. An event class that sets
``personal_key = OWN_KEY`` keeps its part under a key of its own even on a learner (the reason
given for an erasure must survive the erasure it records).
"""

from __future__ import annotations

from typing import TypeAlias

Personal: TypeAlias = dict[str, str | None]

ERASED = ""

OWN_KEY = "own"

# The key under which the mapper puts the X-On-Behalf-Of text into an event's personal part.
ON_BEHALF_OF = "on_behalf_of"


def field(personal: Personal | None, name: str, *, erased: str | None = None) -> str | None:
    """``personal[name]``, or ``erased`` when the personal part was erased."""
    if personal is None:
        return erased
    return personal.get(name)


def keeps_personal_data(cls: type) -> bool:
    """Whether an aggregate of ``cls`` keeps anything of its events' personal parts in its
    state — a name, a reason. The default is yes: a class says otherwise with
    ``PERSONAL_STATE = False`` when none of its events' ``apply`` reads ``personal`` (its
    events may still carry parts: an enrolment's corrections their reasons). Such an
    aggregate is loaded for the rules without its events' personal parts (nothing read or
    unsealed) and may be kept between commands: no erasure has anything in it to reach."""
    return bool(getattr(cls, "PERSONAL_STATE", True))
