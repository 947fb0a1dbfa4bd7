"""The key ring: which certificate-signing key is active, and the windows of all of them."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..domain.keys import KeyRing
from .registry import Registry, Saved


class KeyCommands:
    def __init__(self, app: Registry) -> None:
        self.app = app

    def ring(self) -> KeyRing:
        return self.app.singleton(KeyRing, KeyRing.ID)

    def ensure_recorded(self, kid: str, public_jwk: dict[str, Any]) -> Saved:
        """On first start: record the first key as active from today (idempotent)."""
        ring = self.ring()
        if kid in ring.keys or ring.active is not None:
            return Saved(self.app.last_notification_id(), kid)
        ring.activate(kid, public_jwk, self.app.today())
        return self.app.commit(ring, value=kid)

    def activate(self, kid: str, public_jwk: dict[str, Any], on: date | None = None) -> Saved:
        ring = self.ring()
        ring.activate(kid, public_jwk, on or self.app.today())
        return self.app.commit(ring, value=kid)

    def retire(self, kid: str, on: date | None = None) -> Saved:
        ring = self.ring()
        ring.retire(kid, on or self.app.today())
        return self.app.commit(ring, value=kid)

    def compromise(self, kid: str, since: date, reason: str) -> Saved:
        ring = self.ring()
        ring.compromise(kid, since, reason)
        return self.app.commit(ring, value=kid)
