"""Witness commands and reads (issue 16): the log's witnesses, the logs this registry
witnesses. The keys are checked here (their formats live in ``registry/audit``); the domain
(``domain/witnesses.py``) decides the rest."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from ..audit.cosignature import WitnessVerifier
from ..audit.note import NoteError, Verifier
from ..domain.errors import InvalidInput
from ..domain.witnesses import WitnessedLogs, Witnesses
from .registry import Registry, Saved

K = TypeVar("K")


@dataclass(frozen=True)
class Witness:
    name: str
    url: str
    verifier: WitnessVerifier

    @property
    def vkey(self) -> str:
        return self.verifier.vkey


def _key(parse: Callable[[str], K], vkey: str, what: str, hint: str) -> K:
    try:
        return parse(vkey)
    except NoteError as error:  # CosignatureError included
        raise InvalidInput(f"Not {what}'s verifier key: {error}. Ask its operator for {hint}.",
                           field="vkey") from None


def witness_key(vkey: str) -> WitnessVerifier:
    return _key(WitnessVerifier.parse, vkey, "a witness",
                "its vkey (name+keyid+base64 key, type 0x04 or 0x06)")


def log_key(vkey: str) -> Verifier:
    return _key(Verifier.parse, vkey, "a log",
                "its /log/vkey (name+keyid+base64 Ed25519 key, type 0x01)")


class WitnessCommands:
    def __init__(self, app: Registry) -> None:
        self.app = app

    def _witnesses(self) -> Witnesses:
        if self.app.exists(Witnesses.ID):
            found: Witnesses = self.app.repository.get(Witnesses.ID)
            return found
        return Witnesses()

    def add(self, *, url: str, vkey: str) -> Saved:
        """Submit every checkpoint to the witness at ``url`` from now on."""
        verifier = witness_key(vkey)
        witnesses = self._witnesses()
        witnesses.add(name=verifier.name, url=url, vkey=verifier.vkey)
        return self.app.commit(witnesses, value=verifier.name)

    def remove(self, name: str) -> Saved:
        witnesses = self._witnesses()
        witnesses.remove(name)
        return self.app.commit(witnesses, value=name)

    def trust(self, *, origin: str, vkey: str) -> Saved:
        """Cosign the checkpoints of the log ``origin`` signed with ``vkey``."""
        verifier = log_key(vkey)
        logs: WitnessedLogs = (self.app.repository.get(WitnessedLogs.ID)
                               if self.app.exists(WitnessedLogs.ID) else WitnessedLogs())
        logs.trust(origin=origin, vkey=verifier.vkey)
        return self.app.commit(logs, value=origin)


def configured_witnesses(app: Registry) -> list[Witness]:
    """The log's witnesses, by name (blocking: call it off the event loop)."""
    if not app.exists(Witnesses.ID):
        return []
    state: Witnesses = app.repository.get(Witnesses.ID)
    return [Witness(name, entry["url"], WitnessVerifier.parse(entry["vkey"]))
            for name, entry in sorted(state.witnesses.items())]


def trusted_logs(app: Registry) -> dict[str, list[Verifier]]:
    """Origin → the verifier keys this registry accepts its checkpoints under."""
    if not app.exists(WitnessedLogs.ID):
        return {}
    state: WitnessedLogs = app.repository.get(WitnessedLogs.ID)
    return {origin: [Verifier.parse(v) for v in vkeys] for origin, vkeys in state.logs.items()}
