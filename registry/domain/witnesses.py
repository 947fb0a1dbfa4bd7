"""Witnesses (issue 16, SPEC §13): who vouches for the audit log, and whose logs this registry
vouches for.

* :class:`Witnesses` — the witnesses this registry's log submits each checkpoint to
  (``registry audit witness add/remove``). A witness is its name, its submission URL prefix and
  its verifier key (``name+keyid+key``, the key checked by the application layer).
* :class:`WitnessedLogs` — the logs this registry cosigns as a witness (``registry witness
  trust``): each origin with the verifier keys its checkpoints are signed with.

Every change is an event of the log itself, so who added or removed which witness, and which
logs the registry vouches for, is as tamper-evident as the rest.
"""

from __future__ import annotations

from urllib.parse import urlsplit
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .auditlog import check_log_name
from .errors import AlreadyExists, InvalidInput, NotFound

MAX_URL = 500
MAX_WITNESSES = 50


def check_url(url: str) -> str:
    """A witness's submission prefix: an absolute http(s) URL without query or fragment; the
    log posts to ``<url>/add-checkpoint``."""
    text = url.strip().rstrip("/")
    parts = urlsplit(text)
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.query
            or parts.fragment or len(text) > MAX_URL or any(c.isspace() for c in text)):
        raise InvalidInput(f"{url!r} is not a witness URL: give its submission prefix, "
                           "https://host[:port][/path], without query or fragment (the log "
                           "posts to <URL>/add-checkpoint).", field="url")
    return text


def _check_vkey(name: str, vkey: str) -> str:
    if not vkey.startswith(f"{name}+"):
        raise InvalidInput(f"The verifier key {vkey!r} is not named {name!r}.", field="vkey")
    return vkey


class Witnesses(Aggregate):
    """The witnesses of this registry's log, by name."""

    ID: UUID = uuid5(NAMESPACE_URL, "det-registry:/audit-log-witnesses")

    @staticmethod
    def create_id() -> UUID:
        return Witnesses.ID

    @event("Created")
    def __init__(self) -> None:
        self.witnesses: dict[str, dict[str, str]] = {}

    def add(self, *, name: str, url: str, vkey: str) -> None:
        check_log_name(name)
        url = check_url(url)
        _check_vkey(name, vkey)
        if name in self.witnesses:
            raise AlreadyExists(f"The witness {name!r} is configured already; remove it first "
                                "to change its URL or key.", field="vkey")
        if len(self.witnesses) >= MAX_WITNESSES:
            raise InvalidInput(f"A log has at most {MAX_WITNESSES} witnesses.", field="vkey")
        self._added(name=name, url=url, vkey=vkey)

    @event("Added")
    def _added(self, *, name: str, url: str, vkey: str) -> None:
        self.witnesses[name] = {"url": url, "vkey": vkey}

    def remove(self, name: str) -> None:
        if name not in self.witnesses:
            known = ", ".join(sorted(self.witnesses)) or "none"
            raise NotFound(f"No witness is named {name!r} (configured: {known}).",
                           field="name")
        self._removed(name=name)

    @event("Removed")
    def _removed(self, *, name: str) -> None:
        del self.witnesses[name]


class WitnessedLogs(Aggregate):
    """The logs this registry witnesses: origin → the verifier keys of its checkpoints."""

    ID: UUID = uuid5(NAMESPACE_URL, "det-registry:/witnessed-logs")

    @staticmethod
    def create_id() -> UUID:
        return WitnessedLogs.ID

    @event("Created")
    def __init__(self) -> None:
        self.logs: dict[str, list[str]] = {}

    def trust(self, *, origin: str, vkey: str) -> None:
        check_log_name(origin)
        if vkey in self.logs.get(origin, []):
            raise AlreadyExists(f"The log {origin!r} is trusted with this key already.",
                                field="vkey")
        self._trusted(origin=origin, vkey=vkey)

    @event("Trusted")
    def _trusted(self, *, origin: str, vkey: str) -> None:
        self.logs.setdefault(origin, []).append(vkey)
