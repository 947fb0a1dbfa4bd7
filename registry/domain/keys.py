"""Certificate-signing keys over a certificate's lifetime (SPEC §5, R10).

A key signs from the day it is activated to the day it is retired, both inclusive, in the
registry's time zone: a certificate issued on the day of a rotation is valid under either key.
Retired keys stay published, so old certificates still verify offline. A key compromised since
a date makes every certificate it signed from that date on answer REVOKED — before that date
they stay valid, since nothing about them changed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .errors import InvalidInput, InvalidTransition, NotFound
from .text import clean_text


@dataclass(frozen=True)
class KeyWindow:
    kid: str
    public_jwk: dict[str, Any]
    active_from: date
    active_until: date | None = None  # None: still active
    compromised_since: date | None = None
    compromise_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.active_until is None

    def covers(self, day: date) -> bool:
        return self.active_from <= day and (self.active_until is None or day <= self.active_until)

    def compromised_for(self, day: date) -> bool:
        return self.compromised_since is not None and day >= self.compromised_since

    def published(self) -> dict[str, Any]:
        """The public JWK with its window, as ``/.well-known/jwks.json`` lists it."""
        jwk = dict(self.public_jwk)
        jwk["active_from"] = self.active_from.isoformat()
        jwk["active_until"] = self.active_until.isoformat() if self.active_until else None
        if self.compromised_since is not None:
            jwk["compromised_since"] = self.compromised_since.isoformat()
        return jwk

    @classmethod
    def from_published(cls, jwk: dict[str, Any]) -> KeyWindow | None:
        """Read back a published key (``None`` for a JWK without a window)."""
        if "active_from" not in jwk:
            return None

        def day(name: str) -> date | None:
            return date.fromisoformat(jwk[name]) if jwk.get(name) else None

        return cls(kid=jwk["kid"], public_jwk=jwk,
                   active_from=date.fromisoformat(jwk["active_from"]),
                   active_until=day("active_until"), compromised_since=day("compromised_since"))


class KeyRing(Aggregate):
    """The public record of every certificate-signing key: one aggregate, so a rotation
    (retire the old key, activate the new) is one atomic change. Private halves live in key
    files; only public JWKs and dates are recorded here."""

    PERSONAL_STATE = False  # (registry/domain/personal.py, ``keeps_personal_data``)

    ID: UUID = uuid5(NAMESPACE_URL, "det-registry:/key-ring")

    @staticmethod
    def create_id() -> UUID:
        return KeyRing.ID

    @event("Created")
    def __init__(self) -> None:
        self.keys: dict[str, KeyWindow] = {}

    @property
    def active(self) -> KeyWindow | None:
        return next((k for k in self.keys.values() if k.active), None)

    def key(self, kid: str) -> KeyWindow:
        try:
            return self.keys[kid]
        except KeyError:
            raise NotFound(f"No key {kid} is recorded.") from None

    def activate(self, kid: str, public_jwk: dict[str, Any], on: date) -> None:
        """Make ``kid`` the signing key from ``on``; the previous one retires the same day."""
        if kid in self.keys:
            raise InvalidTransition(f"Key {kid} is already recorded; a key is activated once.")
        previous = self.active
        if previous is not None:
            self.retire(previous.kid, on)
        self._activated(kid=kid, public_jwk=dict(public_jwk), activated_on=on)

    @event("KeyActivated")
    def _activated(self, *, kid: str, public_jwk: dict[str, Any], activated_on: date) -> None:
        self.keys[kid] = KeyWindow(kid, public_jwk, activated_on)

    def retire(self, kid: str, on: date) -> None:
        key = self.key(kid)
        if not key.active:
            raise InvalidTransition(f"Key {kid} was already retired on {key.active_until}.")
        if on < key.active_from:
            raise InvalidInput(f"Key {kid} cannot retire before its activation "
                               f"({key.active_from}).")
        self._retired(kid=kid, retired_on=on)

    @event("KeyRetired")
    def _retired(self, *, kid: str, retired_on: date) -> None:
        self.keys[kid] = replace(self.keys[kid], active_until=retired_on)

    def compromise(self, kid: str, since: date, reason: str) -> None:
        reason = clean_text(reason, "reason", max_length=500)
        key = self.key(kid)
        if key.compromised_since is not None and key.compromised_since <= since:
            raise InvalidTransition(f"Key {kid} is already compromised since "
                                    f"{key.compromised_since}.")
        self._compromised(kid=kid, since=since, reason=reason)

    @event("KeyCompromised")
    def _compromised(self, *, kid: str, since: date, reason: str) -> None:
        self.keys[kid] = replace(self.keys[kid], compromised_since=since,
                                 compromise_reason=reason)
