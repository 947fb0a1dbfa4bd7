"""Offline revocation for the QR (SPEC §11): what the registry's signed revocation snapshot
says, and what an offline verifier concludes from it.

As SMART Health Cards' revocation lists do, the snapshot names no certificate in clear: each
lapsed certificate appears as its *revocation id*, the first 64 bits of a SHA-256 of its number
(with a fixed label), base64url — 11 characters. A verifier holding a token computes the id of
the token's number and looks it up; someone holding only the snapshot learns nothing, since a
number carries 80 random bits and cannot be guessed from its id. Entries are grouped by the key
that signed the certificates (SHC's per-``kid`` lists), and a key's compromise date is carried
with its group: every token that key signed from that date on is revoked, including tokens a
thief signed that the registry never issued (which no id could list).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from .certificates import CertificateStatus, VerificationStatus, judge_key
from .keys import KeyWindow

#: The snapshot's format version.
SNAPSHOT_VERSION = 1
#: The hashing rule, named in the snapshot so a verifier knows how to compute ids.
METHOD = "sha256-64"
_LABEL = b"det-registry revocation id v1:"


def revocation_id(number: str) -> str:
    """The snapshot's name for certificate ``number`` (canonical form)."""
    digest = hashlib.sha256(_LABEL + number.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:8]).rstrip(b"=").decode("ascii")


class BadSnapshot(ValueError):
    """A revocations document that is not in the snapshot format; ``str`` says why."""


@dataclass(frozen=True)
class KeyRevocations:
    """One signing key's part of the snapshot."""

    compromised_since: date | None = None
    compromise_reason: str | None = None
    revoked: frozenset[str] = field(default_factory=frozenset)
    superseded: frozenset[str] = field(default_factory=frozenset)

    def as_dict(self) -> dict[str, Any]:
        return {
            "compromisedSince": (self.compromised_since.isoformat()
                                 if self.compromised_since else None),
            **({"compromiseReason": self.compromise_reason} if self.compromise_reason else {}),
            "revoked": sorted(self.revoked),  # sorted: no order of issuance shows
            "superseded": sorted(self.superseded),
        }


@dataclass(frozen=True)
class Snapshot:
    """Every revoked or superseded certificate, by signing key, as of ``made``."""

    issuer: str
    made: datetime
    keys: Mapping[str, KeyRevocations]

    @classmethod
    def of(cls, issuer: str, made: datetime, windows: Mapping[str, KeyWindow],
           lapsed: Iterable[tuple[str, str, CertificateStatus]]) -> Snapshot:
        """The snapshot of ``lapsed`` certificates — ``(number, kid, status)``, the status as
        every answer shows it (``standing``) — and of every key's compromise."""
        listed: dict[str, dict[CertificateStatus, set[str]]] = {kid: {} for kid in windows}
        for number, kid, status in lapsed:
            listed.setdefault(kid, {}).setdefault(status, set()).add(revocation_id(number))
        keys = {}
        for kid in sorted(listed):
            window = windows.get(kid)
            keys[kid] = KeyRevocations(
                compromised_since=window.compromised_since if window else None,
                compromise_reason=window.compromise_reason if window else None,
                revoked=frozenset(listed[kid].get(CertificateStatus.REVOKED, ())),
                superseded=frozenset(listed[kid].get(CertificateStatus.SUPERSEDED, ())))
        return cls(issuer, made, keys)

    def as_dict(self) -> dict[str, Any]:
        return {"v": SNAPSHOT_VERSION, "iss": self.issuer,
                "made": self.made.isoformat().replace("+00:00", "Z"), "method": METHOD,
                "keys": {kid: entry.as_dict() for kid, entry in self.keys.items()}}

    @classmethod
    def from_dict(cls, data: Any) -> Snapshot:
        """Read a snapshot back, refusing anything not in the format (``BadSnapshot``)."""
        try:
            if not isinstance(data, dict) or data.get("v") != SNAPSHOT_VERSION:
                raise BadSnapshot(f"it is not a version-{SNAPSHOT_VERSION} revocations "
                                  "snapshot")
            if data.get("method") != METHOD:
                raise BadSnapshot(f"its ids are not made by {METHOD}")
            made = datetime.fromisoformat(str(data["made"]).replace("Z", "+00:00"))
            keys = {}
            for kid, entry in dict(data["keys"]).items():
                since = entry.get("compromisedSince")
                keys[str(kid)] = KeyRevocations(
                    compromised_since=date.fromisoformat(since) if since else None,
                    compromise_reason=entry.get("compromiseReason"),
                    revoked=frozenset(map(str, entry["revoked"])),
                    superseded=frozenset(map(str, entry["superseded"])))
            return cls(str(data["iss"]), made, keys)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            if isinstance(error, BadSnapshot):
                raise
            raise BadSnapshot(f"it is not a revocations snapshot ({error})") from None

    def judge(self, kid: str, number: str, issued_on: date
              ) -> tuple[VerificationStatus, str] | None:
        """What the snapshot says of a genuine token (signature checked, key window checked)
        of certificate ``number`` signed by ``kid`` on ``issued_on``: REVOKED or SUPERSEDED
        with the reason, or ``None`` — not listed as of ``made``."""
        entry = self.keys.get(kid)
        if entry is None:
            return None
        if entry.compromised_since is not None:
            window = KeyWindow(kid, {}, issued_on, compromised_since=entry.compromised_since,
                               compromise_reason=entry.compromise_reason)
            by_key = judge_key(window, issued_on)
            if by_key is not None:
                return by_key[0], str(by_key[1])
        rid = revocation_id(number)
        when = self.made.isoformat(timespec="minutes").replace("+00:00", "Z")
        if rid in entry.revoked:
            return VerificationStatus.REVOKED, (
                f"The registry's revocations of {when} list this certificate as revoked "
                "(ask the registry for the reason).")
        if rid in entry.superseded:
            return VerificationStatus.SUPERSEDED, (
                f"The registry's revocations of {when} list this certificate as superseded "
                "by a reissue (the holder has a newer certificate).")
        return None
