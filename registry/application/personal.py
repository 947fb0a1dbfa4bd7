"""Where the personal part of each event lives: apart from the event, with its own salt.

An event's stored state keeps only a reference to its personal part and the commitment
``base64(SHA-256(salt ‖ JCS(personal part)))`` (SPEC §6). Erasing the row erases the person
from every replay while the event, its commitment and every audit proof stay as they were.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass

import rfc8785

SALT_BYTES = 16


@dataclass(frozen=True)
class PersonalRecord:
    ref: str
    salt: bytes
    data: bytes  # the JCS bytes committed to

    @property
    def commitment(self) -> str:
        return commitment(self.salt, self.data)


def canonical(personal: dict[str, str | None]) -> bytes:
    return rfc8785.dumps(personal)


def commitment(salt: bytes, data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(salt + data).digest()).decode("ascii")


def new_record(ref: str, personal: dict[str, str | None]) -> PersonalRecord:
    return PersonalRecord(ref=ref, salt=secrets.token_bytes(SALT_BYTES), data=canonical(personal))


class PersonalStore(ABC):
    """Personal parts by reference. Implementations: one per storage back-end."""

    @abstractmethod
    def create_table(self) -> None: ...

    @abstractmethod
    def put(self, record: PersonalRecord) -> None: ...

    @abstractmethod
    def get_many(self, refs: Iterable[str]) -> dict[str, PersonalRecord]: ...

    def get(self, ref: str) -> PersonalRecord | None:
        return self.get_many([ref]).get(ref)

    @abstractmethod
    def erase(self, ref: str) -> bool:
        """Delete the personal part and its salt; ``True`` when there was one."""
