"""The key ring's windows and the verdicts they lead to (SPEC §5, R10)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.domain.certificates import CertificateStatus, VerificationStatus, judge
from registry.domain.errors import InvalidInput, InvalidTransition
from registry.domain.keys import KeyRing

JWK = {"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}
days = st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31))


def ring_rotated_on(first: date, rotation: date) -> KeyRing:
    ring = KeyRing()
    ring.activate("old", JWK, first)
    ring.activate("new", JWK, rotation)
    return ring


@given(first=days, gap=st.integers(0, 800), offset=st.integers(-5, 900))
def test_both_keys_cover_the_rotation_day_and_nothing_is_uncovered(
    first: date, gap: int, offset: int
) -> None:
    rotation = first + timedelta(days=gap)
    ring = ring_rotated_on(first, rotation)
    day = first + timedelta(days=offset)
    old, new = ring.keys["old"], ring.keys["new"]
    assert old.covers(day) == (first <= day <= rotation)
    assert new.covers(day) == (day >= rotation)
    assert ring.active is new


def test_a_retired_key_cannot_retire_again_nor_before_it_began() -> None:
    ring = ring_rotated_on(date(2026, 1, 1), date(2026, 6, 1))
    with pytest.raises(InvalidTransition):
        ring.retire("old", date(2026, 7, 1))
    with pytest.raises(InvalidInput):
        ring.retire("new", date(2026, 5, 1))
    with pytest.raises(InvalidTransition):
        ring.activate("new", JWK, date(2026, 8, 1))


def verdict(ring: KeyRing, kid: str, issued_on: date,
            status: CertificateStatus | None = CertificateStatus.ACTIVE) -> VerificationStatus:
    result, _ = judge(key=ring.keys.get(kid), issued_on=issued_on, status=status,
                      revocation_reason="r", superseded_by="S")
    return result


def test_verdicts() -> None:
    ring = ring_rotated_on(date(2026, 1, 1), date(2026, 6, 1))
    assert verdict(ring, "old", date(2026, 6, 1)) is VerificationStatus.VALID
    assert verdict(ring, "old", date(2026, 6, 2)) is VerificationStatus.INVALID
    assert verdict(ring, "gone", date(2026, 6, 2)) is VerificationStatus.INVALID
    assert verdict(ring, "new", date(2026, 6, 2), None) is VerificationStatus.INVALID
    assert verdict(ring, "new", date(2026, 6, 2),
                   CertificateStatus.SUPERSEDED) is VerificationStatus.SUPERSEDED
    ring.compromise("old", date(2026, 3, 1), "leaked")
    assert verdict(ring, "old", date(2026, 2, 28)) is VerificationStatus.VALID
    assert verdict(ring, "old", date(2026, 3, 1)) is VerificationStatus.REVOKED
    ring.compromise("old", date(2026, 2, 1), "leaked earlier than we thought")
    assert verdict(ring, "old", date(2026, 2, 15)) is VerificationStatus.REVOKED
    with pytest.raises(InvalidTransition):
        ring.compromise("old", date(2026, 4, 1), "later date changes nothing")
