"""Certificates: rule R10 (clause 3.3).

A certificate shows the university's name, the listener's full name, the course name and the
credit volume. Its number is random (≥ 80 bits from the caller's CSPRNG), written in Crockford
base32 with Crockford's check symbol, so a mistyped number is caught before any look-up and
numbers cannot be enumerated. Nothing is ever deleted: revocation and reissue are events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from .errors import InvalidInput, InvalidTransition
from .keys import KeyWindow
from .personal import ERASED, Personal, field
from .text import clean_text
from .verdicts import Reason

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_SYMBOLS = CROCKFORD + "*~$=U"
NUMBER_BITS = 80
NUMBER_LENGTH = NUMBER_BITS // 5  # 16 symbols, then one check symbol
_DECODE = {ch: i for i, ch in enumerate(CROCKFORD)} | {"O": 0, "I": 1, "L": 1}


class CertificateStatus(StrEnum):
    ACTIVE = "ACTIVE"
    REVOKED = "REVOKED"
    SUPERSEDED = "SUPERSEDED"


def encode_number(random_bytes: bytes) -> str:
    """Ten random bytes → 16 Crockford symbols and a check symbol (value mod 37)."""
    if len(random_bytes) * 8 != NUMBER_BITS:
        raise ValueError(f"a certificate number takes exactly {NUMBER_BITS // 8} random bytes")
    value = int.from_bytes(random_bytes, "big")
    symbols = "".join(
        CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(NUMBER_LENGTH))
    )
    return symbols + CHECK_SYMBOLS[value % 37]


def group_number(number: str) -> str:
    """``3B2ZK41BYZT76BZ4H`` → ``3B2Z-K41B-YZT7-6BZ4-H``: groups of four for reading, as the
    paper prints it (the registry takes the number with or without the hyphens)."""
    return "-".join(number[i:i + 4] for i in range(0, len(number), 4))


def normalize_number(text: str) -> str | None:
    """The canonical number for what a person typed (case, hyphens, spaces, O/I/L forgiven),
    or ``None`` when it cannot be a certificate number (wrong length or check symbol)."""
    number, _problem = read_number(text)
    return number


#: What a person is told when the symbols are fine but the check symbol is not theirs.
CHECK_SYMBOL_MISMATCH = Reason.of("NUMBER_CHECK_SYMBOL")


def read_number(text: str) -> tuple[str | None, Reason | None]:
    """``(canonical number, None)``, or ``(None, why it cannot be a certificate number)`` —
    wrong length, a symbol outside Crockford base32, or a check symbol that does not match
    (a typo, since the check symbol catches every single mistyped symbol)."""
    cleaned = "".join(ch for ch in text.upper() if ch not in "- ")
    if len(cleaned) != NUMBER_LENGTH + 1:
        return None, Reason.of("NUMBER_LENGTH", expected=NUMBER_LENGTH + 1, got=len(cleaned))
    body, check = cleaned[:-1], cleaned[-1]
    wrong = sorted({ch for ch in body if ch not in _DECODE}
                   | ({check} - set(CHECK_SYMBOLS) - set(_DECODE)))
    if wrong:
        return None, Reason.of("NUMBER_SYMBOLS", symbols=", ".join(map(repr, wrong)))
    value = 0
    for ch in body:
        value = value * 32 + _DECODE[ch]
    check = {"O": "0", "I": "1", "L": "1"}.get(check, check)
    if CHECK_SYMBOLS[value % 37] != check:
        return None, CHECK_SYMBOL_MISMATCH
    return "".join(CROCKFORD[_DECODE[ch]] for ch in body) + check, None


@dataclass(frozen=True)
class CertificateFacts:
    """What a certificate says (R10), and so what its token and its Open Badges credential
    sign (SPEC §5, §11), with the credential's status-list slot."""

    number: str
    full_name: str
    course_title: str
    mooc_code: str
    credits: int
    issued_on: date
    status_list: int
    status_index: int


class Certificate(Aggregate):
    @staticmethod
    def create_id(number: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"det-registry:/certificates/{number}")

    @event("Issued")
    def __init__(
        self,
        *,
        number: str,
        enrollment_id: UUID,
        learner_id: UUID,
        mooc_code: str,
        course_title: str,
        credits: int,
        issued_on: date,
        kid: str,
        personal: Personal | None,
        supersedes: str | None = None,
    ) -> None:
        self.number = number
        self.supersedes = supersedes
        self.enrollment_id = enrollment_id
        self.learner_id = learner_id
        self.mooc_code = mooc_code
        self.course_title = course_title
        self.credits = credits
        self.issued_on = issued_on
        self.kid = kid
        self.full_name: str = field(personal, "full_name", erased=ERASED) or ERASED
        self.token: str | None = field(personal, "token")
        # The Open Badges credential (SPEC §11) as signed, JSON text; personal: it names the
        # holder. None for certificates issued before credentials existed, and after erasure.
        self.credential: str | None = field(personal, "credential")
        self.status = CertificateStatus.ACTIVE
        self.revocation_reason: str | None = None
        self.superseded_by: str | None = None
        self.holder_erased = False

    # -- erasure of the holder's personal data (SPEC §10) -----------------------------------

    @event("HolderErased")
    def erase_holder(self) -> None:
        """The holder's personal data was erased: the certificate keeps its number and
        status; its name, signed token and revocation reason are gone from the registry."""
        self.full_name = ERASED
        self.token = None
        self.credential = None
        self.revocation_reason = None
        self.holder_erased = True

    def revoke(self, *, reason: str) -> None:
        reason = revocation_reason(reason)
        if self.status is not CertificateStatus.ACTIVE:
            raise InvalidTransition(
                f"Certificate {self.number} is {self.status.value}: only an active certificate "
                "can be revoked.",
                status=self.status.value,
            )
        self._revoked(personal={"reason": reason})

    @event("Revoked")
    def _revoked(self, *, personal: Personal | None) -> None:
        self.status = CertificateStatus.REVOKED
        # after the holder's erasure the reason was kept nowhere (it is their personal data)
        self.revocation_reason = None if self.holder_erased else \
            field(personal, "reason", erased=ERASED)

    def check_reissuable(self) -> None:
        if self.status is not CertificateStatus.ACTIVE:
            raise InvalidTransition(
                f"Certificate {self.number} is {self.status.value}: only an active certificate "
                "is reissued.",
                status=self.status.value,
            )

    def supersede(self, *, by: str, reason: str) -> None:
        self.check_reissuable()
        self._superseded(by=by, personal={"reason": reason})

    @event("Superseded")
    def _superseded(self, *, by: str, personal: Personal | None) -> None:
        self.status = CertificateStatus.SUPERSEDED
        self.superseded_by = by


def revocation_reason(text: str) -> str:
    """Kept and shown word for word (trimmed, NFC): employers read it."""
    return clean_text(text, "reason", max_length=2000)


def check_number(text: str) -> str:
    number, problem = read_number(text)
    if number is None:
        raise InvalidInput(f"{text!r} is not a certificate number: {problem}", field="number")
    return number


class VerificationStatus(StrEnum):
    VALID = "VALID"
    REVOKED = "REVOKED"
    SUPERSEDED = "SUPERSEDED"
    INVALID = "INVALID"


def verdict_for(status: CertificateStatus) -> VerificationStatus:
    """What an employer is told about a genuine certificate in ``status``."""
    return {
        CertificateStatus.ACTIVE: VerificationStatus.VALID,
        CertificateStatus.REVOKED: VerificationStatus.REVOKED,
        CertificateStatus.SUPERSEDED: VerificationStatus.SUPERSEDED,
    }[CertificateStatus(status)]


def judge_key(key: KeyWindow | None, issued_on: date
              ) -> tuple[VerificationStatus, Reason] | None:
    """What the signing key alone says about a certificate issued on ``issued_on`` — INVALID
    (unknown key, or a date outside its window), REVOKED (compromised by then) — or ``None``.
    Offline verifiers, who know the keys but not the registry's records, use it too."""
    if key is None:
        return VerificationStatus.INVALID, Reason.of("KEY_UNKNOWN")
    if not key.covers(issued_on):
        window = {"issued_on": issued_on, "kid": key.kid, "active_from": key.active_from}
        if key.active_until:
            return VerificationStatus.INVALID, Reason.of("KEY_WINDOW", **window,
                                                         until=key.active_until.isoformat())
        return VerificationStatus.INVALID, Reason.of("KEY_WINDOW_OPEN", **window)
    if key.compromised_for(issued_on):
        why = f" ({key.compromise_reason})" if key.compromise_reason else ""
        return VerificationStatus.REVOKED, Reason.of(
            "KEY_COMPROMISED", kid=key.kid, since=key.compromised_since, why=why)
    return None


def standing(
    status: CertificateStatus, revocation_reason: str | None, key: KeyWindow | None,
    issued_on: date,
) -> tuple[CertificateStatus, str | None]:
    """The status (and revocation reason) every answer shows for a certificate — GraphQL, the
    learner's list, the PDF and ``/api/verify`` alike: an active certificate signed with a key
    compromised by its issue date is revoked, whatever its own record says."""
    if status is CertificateStatus.ACTIVE and key is not None:
        by_key = judge_key(key, issued_on)
        if by_key is not None and by_key[0] is VerificationStatus.REVOKED:
            return CertificateStatus.REVOKED, str(by_key[1])
    return status, revocation_reason


def judge(
    *,
    key: KeyWindow | None,
    issued_on: date,
    status: CertificateStatus | None,
    revocation_reason: str | None,
    superseded_by: str | None,
    holder_erased: bool = False,
) -> tuple[VerificationStatus, Reason | None]:
    """The verdict on a token whose signature verified under ``key``'s public half.

    The signature alone is not enough: the key must have been active on the issue date, the
    number must be one this registry issued, and a compromised key revokes what it signed
    from the compromise date on. When the holder's personal data was erased, the reason says
    so (after what the verdict itself needs to say)."""
    verdict, reason = _judge(key=key, issued_on=issued_on, status=status,
                             revocation_reason=revocation_reason, superseded_by=superseded_by)
    if holder_erased and verdict is not VerificationStatus.INVALID:
        erased = Reason.of("HOLDER_ERASED")
        reason = reason.followed_by(erased) if reason else erased
    return verdict, reason


def _judge(
    *,
    key: KeyWindow | None,
    issued_on: date,
    status: CertificateStatus | None,
    revocation_reason: str | None,
    superseded_by: str | None,
) -> tuple[VerificationStatus, Reason | None]:
    by_key = judge_key(key, issued_on)
    if by_key is not None and by_key[0] is VerificationStatus.INVALID:
        return by_key
    if status is None:
        return VerificationStatus.INVALID, Reason.of("NOT_ISSUED")
    if by_key is not None:
        return by_key
    verdict = verdict_for(status)
    if verdict is VerificationStatus.REVOKED:
        return verdict, Reason.of("REVOKED", reason=revocation_reason) if revocation_reason \
            else None
    if verdict is VerificationStatus.SUPERSEDED:
        return verdict, Reason.of("SUPERSEDED", number=group_number(superseded_by or ""))
    return verdict, None
