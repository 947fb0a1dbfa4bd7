"""Where the personal part of each event lives: apart from the event, with its own salt,
encrypted under a data key of the person it is about.

An event's stored state keeps only a reference to its personal part and the commitment
``base64(SHA-256(salt ‖ JCS(personal part)))`` (SPEC §6). The part and its salt are sealed with
AES-256-GCM under the data key of their *subject* — the learner the event is about — or, when
it is about nobody identifiable, under a key of its own. Data keys are stored wrapped
(AES-256-GCM) by the key-encryption key (KEK), which is kept outside the database
(``keys/personal.kek`` or ``REGISTRY_PERSONAL_KEK``).

Erasing a subject destroys its data key together with its rows and salts, in one transaction:
a copy of the database made afterwards holds nothing that can be decrypted, while the events,
their commitments and every audit proof stay as they were.

Rows written before encryption existed (scheme ``plain``) are still read; bootstrap seals them
on start (:func:`registry.application.sealing.seal_plaintext_rows`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SALT_BYTES = 16
KEY_BYTES = 32
NONCE_BYTES = 12

PLAIN = "plain"  # rows from before encryption: salt and JCS bytes as they are
SEALED = "aesgcm-v1"  # nonce ‖ AES-256-GCM(data key, salt ‖ JCS bytes, aad = ref)


@dataclass(frozen=True)
class PersonalRecord:
    ref: str
    salt: bytes
    data: bytes  # the JCS bytes committed to

    @property
    def commitment(self) -> str:
        return commitment(self.salt, self.data)


@dataclass(frozen=True)
class Originator:
    """An aggregate whose personal parts belong to ``subject`` (a learner id)."""

    originator_id: str
    kind: str  # the aggregate's class name: Certificate, Enrollment, ApiToken, …
    subject: str


def canonical(personal: Mapping[str, str | None]) -> bytes:
    return rfc8785.dumps(dict(personal))


def commitment(salt: bytes, data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(salt + data).digest()).decode("ascii")


def new_record(ref: str, personal: Mapping[str, str | None]) -> PersonalRecord:
    return PersonalRecord(ref=ref, salt=secrets.token_bytes(SALT_BYTES), data=canonical(personal))


# -- keys ------------------------------------------------------------------------------------


class PersonalKeyError(RuntimeError):
    """The KEK cannot open the stored data keys (a different KEK, or a damaged one)."""


class KeyEncryptionKey:
    """Wraps and unwraps data keys. ``kek_id`` names the KEK (not secret) so that a registry
    started with another KEK says so instead of reading every personal part as erased."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"the personal-data KEK must be {KEY_BYTES} bytes; got {len(key)}")
        self._aead = AESGCM(key)
        self.kek_id = hashlib.sha256(b"det-registry/personal-kek\n" + key).hexdigest()[:16]

    @classmethod
    def parse(cls, value: str) -> KeyEncryptionKey:
        """``REGISTRY_PERSONAL_KEK``: base64 of 32 bytes, or the path of a file holding them
        (raw, or base64 text)."""
        text = value.strip()
        path = Path(text)
        if path.is_file():
            raw = path.read_bytes()
            if len(raw) == KEY_BYTES:
                return cls(raw)
            text = raw.decode("ascii", errors="replace").strip()
        try:
            return cls(base64.b64decode(text, validate=True))
        except (binascii.Error, ValueError):
            raise ValueError(
                "REGISTRY_PERSONAL_KEK must be base64 of 32 random bytes (e.g. "
                "'openssl rand -base64 32') or the path of a file holding them") from None

    def wrap(self, key_id: str, data_key: bytes) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, data_key, key_id.encode("utf-8"))

    def unwrap(self, key_id: str, wrapped: bytes, kek_id: str) -> bytes:
        if kek_id != self.kek_id:
            raise PersonalKeyError(
                f"personal data key {key_id} is wrapped by KEK {kek_id}, but this registry "
                f"runs with KEK {self.kek_id}: start it with the KEK the data was written with "
                "(REGISTRY_PERSONAL_KEK or keys/personal.kek)")
        try:
            return self._aead.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:],
                                      key_id.encode("utf-8"))
        except InvalidTag:
            raise PersonalKeyError(f"personal data key {key_id} does not unwrap") from None


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def seal(data_key: bytes, record: PersonalRecord) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(data_key).encrypt(nonce, record.salt + record.data,
                                            record.ref.encode("utf-8"))


def unseal(data_key: bytes, ref: str, sealed: bytes) -> PersonalRecord | None:
    """The record, or ``None`` when it does not decrypt under this key."""
    try:
        opened = AESGCM(data_key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:],
                                          ref.encode("utf-8"))
    except InvalidTag:
        return None
    return PersonalRecord(ref=ref, salt=opened[:SALT_BYTES], data=opened[SALT_BYTES:])


def own_key_id(ref: str) -> str:
    """The key id of a personal part that belongs to nobody identifiable: a key of its own."""
    return f"ref:{ref}"


# -- the store -------------------------------------------------------------------------------


class PersonalStore(ABC):
    """Personal parts by reference. Implementations: one per storage back-end."""

    # ``True`` when :meth:`create_table` gave an older store its keys' tombstones: erasures
    # made before then deleted their keys and left no tombstone, so each is made again
    # (:func:`registry.application.sealing.tombstone_past_erasures`).
    tombstones_added = False

    @abstractmethod
    def create_table(self) -> None: ...

    @abstractmethod
    def put(self, record: PersonalRecord, *, subject: str | None = None) -> None:
        """Store ``record`` sealed under ``subject``'s data key (made on first use), or under a
        key of its own when ``subject`` is ``None``."""

    @abstractmethod
    def get_many(self, refs: Iterable[str]) -> dict[str, PersonalRecord]:
        """The records that still exist (erased ones are absent), decrypted, in one read."""

    def get(self, ref: str) -> PersonalRecord | None:
        return self.get_many([ref]).get(ref)

    @abstractmethod
    def erase(self, ref: str) -> bool:
        """Delete one personal part and its salt; ``True`` when there was one."""

    @abstractmethod
    def erase_subject(self, subject: str, refs: Iterable[str] = ()) -> int:
        """Destroy ``subject``'s data key, every part sealed under it, and the (plaintext,
        older) rows ``refs``, in one transaction; the number of parts destroyed. Running it
        again is harmless."""

    @abstractmethod
    def remember(self, originator: Originator) -> None:
        """Record whose personal parts ``originator``'s later events hold (kept on conflict)."""

    @abstractmethod
    def subject_of(self, originator_id: str) -> str | None: ...

    @abstractmethod
    def originators_of(self, subject: str) -> list[Originator]: ...

    @abstractmethod
    def plaintext_refs(self, limit: int) -> list[str]:
        """Refs of rows still stored in the clear (from before encryption)."""

    @abstractmethod
    def seal_plaintext(self, ref: str, subject: str | None) -> bool:
        """Encrypt one row from before encryption under ``subject``'s key (or its own);
        ``False`` when it was no longer in the clear."""

    @abstractmethod
    def has_key(self, subject: str) -> bool: ...

    def writes_together(self) -> AbstractContextManager[None]:
        """Within: this thread's writes share one transaction, committed at the end (a save's,
        before its events); by default each write is its own."""
        return nullcontext()

    def within(self, transaction: Any) -> AbstractContextManager[None]:
        """Within: this thread's writes and reads go through ``transaction`` (a cursor of the
        events' own transaction, which the caller commits); by default each is its own."""
        return nullcontext()

    def scrub(self) -> bool:
        """After an erasure: make the back-end drop copies of what was deleted (SQLite's WAL).
        ``True`` when done (or nothing to do)."""
        return True
