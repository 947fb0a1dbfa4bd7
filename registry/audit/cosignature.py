"""C2SP ``tlog-cosignature`` v1: witnesses' timestamped signatures on a checkpoint.

A cosignature is a signed-note signature line, ``— <witness name> base64(keyID ‖ payload)``.

* Ed25519 (type 0x04): keyID = SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4]; payload =
  uint64 big-endian timestamp ‖ Ed25519 signature of
  ``cosignature/v1\\ntime <timestamp>\\n`` + the whole checkpoint body (extension lines too).
* ML-DSA-44 (type 0x06, verified only): keyID over the 1312-byte key the same way; payload =
  timestamp ‖ 2420-byte signature of the ``subtree/v1`` ``cosigned_message`` structure (name,
  timestamp, origin, start 0, end = tree size, root hash).

The verifier key is ``name+hex(keyID)+base64(type ‖ public key)``; the cosigner's private key,
kept in the data directory, has the format of the log's (``note.py``) with type 0x04:
``PRIVATE+KEY+name+hex(keyID)+base64(0x04 ‖ Ed25519 seed)``.
"""

from __future__ import annotations

import base64
import binascii
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .note import (
    EM_DASH,
    Checkpoint,
    Ed25519KeyText,
    NoteError,
    _check_name,
    key_id,
    split_note,
)

ED25519_COSIGNATURE = 0x04
ML_DSA_44 = 0x06
_KEY_SIZES = {ED25519_COSIGNATURE: 32, ML_DSA_44: 1312}
_SIGNATURE_SIZES = {ED25519_COSIGNATURE: 64, ML_DSA_44: 2420}
MAX_TIMESTAMP = 2**63 - 1


class CosignatureError(NoteError):
    """A malformed witness key or cosignature, or a known witness's cosignature that does not
    verify."""


def cosigner_key_id(name: str, algorithm: int, public_key: bytes) -> bytes:
    return key_id(name, public_key, algorithm)  # signed-note's key ID, with the witness's type


def signed_message(checkpoint_body: str, timestamp: int) -> bytes:
    """What an Ed25519 ``cosignature/v1`` signs."""
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint_body}".encode()


def subtree_message(name: str, timestamp: int, origin: str, start: int, end: int,
                    root: bytes) -> bytes:
    """What an ML-DSA-44 cosignature signs (``cosigned_message``; a checkpoint is start 0,
    end = its size)."""
    name_bytes, origin_bytes = name.encode(), origin.encode()
    if not (0 < len(name_bytes) < 256 and 0 < len(origin_bytes) < 256):
        raise CosignatureError("a cosigner name and a log origin are 1 to 255 bytes")
    return (b"subtree/v1\n\x00" + bytes([len(name_bytes)]) + name_bytes
            + struct.pack(">Q", timestamp) + bytes([len(origin_bytes)]) + origin_bytes
            + struct.pack(">QQ", start, end) + root)


def cosignature_timestamp(payload: bytes) -> int:
    """The timestamp of a decoded cosignature (key ID included)."""
    if len(payload) not in {4 + 8 + size for size in _SIGNATURE_SIZES.values()}:
        raise CosignatureError("a cosignature is a key ID, a timestamp and a signature")
    (timestamp,) = struct.unpack(">Q", payload[4:12])
    if timestamp > MAX_TIMESTAMP:
        raise CosignatureError(f"the cosignature's timestamp {timestamp} exceeds 2^63-1")
    return int(timestamp)


def _has_ml_dsa() -> bool:
    try:
        from cryptography.hazmat.primitives.asymmetric import mldsa  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class WitnessVerifier:
    """A witness's public key, as its vkey names it."""

    name: str
    public_key: bytes
    algorithm: int = ED25519_COSIGNATURE

    @property
    def key_id(self) -> bytes:
        return cosigner_key_id(self.name, self.algorithm, self.public_key)

    @property
    def vkey(self) -> str:
        encoded = base64.b64encode(bytes([self.algorithm]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    @classmethod
    def parse(cls, vkey: str) -> WitnessVerifier:
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3:
            raise CosignatureError("a witness's verifier key is name+keyid+key")
        name, hex_id, encoded = parts
        try:
            raw = base64.b64decode(encoded, validate=True)
            wanted_id = bytes.fromhex(hex_id)
        except (binascii.Error, ValueError):
            raise CosignatureError("the witness's verifier key is not hex and base64") from None
        if len(hex_id) != 8 or not raw or _KEY_SIZES.get(raw[0]) != len(raw) - 1:
            raise CosignatureError(
                "a witness's verifier key is of type 0x04 (Ed25519 cosignature/v1, 32 bytes) "
                "or 0x06 (ML-DSA-44, 1312 bytes)")
        verifier = cls(_check_name(name), raw[1:], raw[0])
        if verifier.algorithm == ML_DSA_44 and not _has_ml_dsa():
            raise CosignatureError("ML-DSA-44 witness keys need a cryptography release that "
                                   "has ML-DSA (this one has not)")
        if verifier.key_id != wanted_id:
            raise CosignatureError("the witness key's id does not match its name and key")
        return verifier

    def timestamp_if_valid(self, checkpoint_body: str, payload: bytes) -> int | None:
        """The cosignature's timestamp when ``payload`` (key ID included) is this witness's
        valid cosignature of ``checkpoint_body``, else ``None``."""
        if len(payload) != 12 + _SIGNATURE_SIZES[self.algorithm] or payload[:4] != self.key_id:
            return None
        timestamp = cosignature_timestamp(payload)
        signature = payload[12:]
        try:
            if self.algorithm == ED25519_COSIGNATURE:
                Ed25519PublicKey.from_public_bytes(self.public_key).verify(
                    signature, signed_message(checkpoint_body, timestamp))
            else:
                from cryptography.hazmat.primitives.asymmetric.mldsa import MLDSA44PublicKey
                checkpoint = Checkpoint.parse(checkpoint_body)
                MLDSA44PublicKey.from_public_bytes(self.public_key).verify(
                    signature, subtree_message(self.name, timestamp, checkpoint.origin, 0,
                                               checkpoint.size, checkpoint.root))
        except InvalidSignature:
            return None
        return timestamp


@dataclass(frozen=True)
class WitnessSigner(Ed25519KeyText):
    """This registry's own cosigning key (Ed25519, type 0x04)."""

    KEY_TYPE: ClassVar[int] = ED25519_COSIGNATURE
    ERROR: ClassVar[type[NoteError]] = CosignatureError
    KIND: ClassVar[str] = "cosigner"

    @property
    def verifier(self) -> WitnessVerifier:
        return WitnessVerifier(self.name, self.public_key)


def cosign(checkpoint_body: str, signer: WitnessSigner, timestamp: int) -> str:
    """The cosignature line (ending in a newline) of ``signer`` on a checkpoint body."""
    Checkpoint.parse(checkpoint_body)  # only checkpoints are cosigned
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise CosignatureError(f"a cosignature's timestamp is 0 to 2^63-1, not {timestamp}")
    signature = signer.private_key.sign(signed_message(checkpoint_body, timestamp))
    payload = signer.verifier.key_id + struct.pack(">Q", timestamp) + signature
    return f"{EM_DASH} {signer.name} {base64.b64encode(payload).decode('ascii')}\n"


def verify_cosignatures(note_text: str, witnesses: Sequence[WitnessVerifier]) -> dict[str, int]:
    """The witnesses (name → cosignature timestamp) whose valid cosignatures are on the note.

    Lines of other keys (the log's own signature, unknown witnesses) are ignored; a line with
    a known witness's name and key ID whose signature does not verify is a
    :class:`CosignatureError`, as is a malformed note."""
    body, signatures = split_note(note_text)
    Checkpoint.parse(body)
    known = {(w.name, w.key_id): w for w in witnesses}
    found: dict[str, int] = {}
    for name, payload in signatures:
        witness = known.get((name, payload[:4]))
        if witness is None:
            continue
        timestamp = witness.timestamp_if_valid(body, payload)
        if timestamp is None:
            raise CosignatureError(
                f"the cosignature of witness {name} ({witness.key_id.hex()}) does not verify")
        found[name] = max(timestamp, found.get(name, timestamp))
    return found
