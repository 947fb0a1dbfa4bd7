"""The key ring: which certificate-signing key is active, and the windows of all of them."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..domain.keys import KeyRing
from .base import RegistryBase, Saved


class KeyCommands(RegistryBase):
    def key_ring(self) -> KeyRing:
        return self._singleton(KeyRing, KeyRing.ID)

    def ensure_key_recorded(self, kid: str, public_jwk: dict[str, Any]) -> Saved:
        """On first start: record the first key as active from today (idempotent)."""
        ring = self.key_ring()
        if kid in ring.keys or ring.active is not None:
            return Saved(self.last_notification_id(), kid)
        ring.activate(kid, public_jwk, self.today())
        return self._save(ring, value=kid)

    def activate_key(self, kid: str, public_jwk: dict[str, Any], on: date | None = None
                     ) -> Saved:
        ring = self.key_ring()
        ring.activate(kid, public_jwk, on or self.today())
        return self._save(ring, value=kid)

    def retire_key(self, kid: str, on: date | None = None) -> Saved:
        ring = self.key_ring()
        ring.retire(kid, on or self.today())
        return self._save(ring, value=kid)

    def compromise_key(self, kid: str, since: date, reason: str) -> Saved:
        ring = self.key_ring()
        ring.compromise(kid, since, reason)
        return self._save(ring, value=kid)
