"""C2SP signed notes (``signed-note``) and ``tlog-checkpoint`` v1.0.0 bodies, Ed25519 only.

A note is UTF-8 text: the body (ending in a newline), a blank line, then one line per
signature, ``— <key name> base64(keyID ‖ signature)``, with an em dash (U+2014). For Ed25519,
keyID = SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]. The verifier key is
``name+hex(keyID)+base64(0x01 ‖ public key)``; the signer key, kept in the data directory,
uses the same format as Go's ``golang.org/x/mod/sumdb/note``:
``PRIVATE+KEY+name+hex(keyID)+base64(0x01 ‖ private seed)``.

A checkpoint's body is ``origin\\n<tree size>\\n<base64 root hash>\\n``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..files import create_exclusive

ED25519 = 0x01
EM_DASH = "\u2014"
MAX_SIGNATURES = 100  # signed-note: a verifier rejects a note with more
LOG_KEY_FILE = "transparency-log.key"
PREVIOUS_FILE = "transparency-log.previous"  # the verifier keys of its earlier names


class NoteError(ValueError):
    """A malformed note or key, or a signature that does not verify."""


def key_id(name: str, public_key: bytes, key_type: int = ED25519) -> bytes:
    """SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4], as signed-note names keys."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public_key).digest()[:4]


def _check_name(name: str) -> str:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError(f"a key name has no spaces and no '+': {name!r}")
    return name


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class Verifier:
    name: str
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    @property
    def vkey(self) -> str:
        encoded = base64.b64encode(bytes([ED25519]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3:
            raise NoteError("a verifier key is name+keyid+key")
        name, hex_id, encoded = parts
        try:
            raw = base64.b64decode(encoded, validate=True)
            wanted_id = bytes.fromhex(hex_id)
        except (binascii.Error, ValueError):
            raise NoteError("the verifier key is not hex and base64") from None
        if len(raw) != 33 or raw[0] != ED25519:
            raise NoteError("only Ed25519 verifier keys (type 0x01, 32 bytes) are supported")
        verifier = cls(_check_name(name), raw[1:])
        if verifier.key_id != wanted_id:
            raise NoteError("the verifier key's id does not match its name and key")
        return verifier

    def verify(self, body: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, body)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Ed25519KeyText:
    """An Ed25519 private key under a note key name, written as Go's ``sumdb/note`` writes a
    signer key: ``PRIVATE+KEY+name+hex(keyID)+base64(type ‖ seed)``. The log's signer and a
    witness's cosigner differ only in the type byte (and so the key ID) and their errors."""

    name: str
    private_key: Ed25519PrivateKey

    KEY_TYPE: ClassVar[int] = ED25519
    ERROR: ClassVar[type[NoteError]] = NoteError
    KIND: ClassVar[str] = "signer"

    @property
    def public_key(self) -> bytes:
        return _raw_public(self.private_key.public_key())

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key, self.KEY_TYPE)

    def skey(self) -> str:
        seed = self.private_key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
            serialization.NoEncryption())
        encoded = base64.b64encode(bytes([self.KEY_TYPE]) + seed).decode("ascii")
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{encoded}"

    @classmethod
    def parse(cls, skey: str) -> Self:
        name, hex_id, seed = split_skey(skey, cls.KEY_TYPE, cls.ERROR)
        key = cls(name, Ed25519PrivateKey.from_private_bytes(seed))
        if key.key_id.hex() != hex_id:
            raise cls.ERROR(f"the {cls.KIND} key's id does not match its name and key")
        return key

    @classmethod
    def generate(cls, name: str) -> Self:
        return cls(_check_name(name), Ed25519PrivateKey.generate())


@dataclass(frozen=True)
class Signer(Ed25519KeyText):
    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.public_key)

    def sign(self, body: str) -> str:
        """``body`` (ending in a newline) as a signed note."""
        if not body.endswith("\n"):
            raise NoteError("a note body ends with a newline")
        signature = self.private_key.sign(body.encode())
        encoded = base64.b64encode(self.key_id + signature).decode("ascii")
        return f"{body}\n{EM_DASH} {self.name} {encoded}\n"


def split_note(text: str) -> tuple[str, list[tuple[str, bytes]]]:
    """A signed note's body (ending in a newline) and its signatures (key name, decoded
    ``keyID ‖ signature``), in order; :class:`NoteError` when it is not one (signed-note: text
    with no control character but newline, a blank line, then one or more lines
    ``— <name> <base64>`` of at least 5 bytes, at most 100)."""
    if any((ord(c) < 0x20 and c != "\n") or 0xD800 <= ord(c) < 0xE000 for c in text):
        raise NoteError("a signed note holds no control character other than newline")
    body, sep, lines = text.rpartition("\n\n")
    if not sep or not lines.endswith("\n"):
        raise NoteError("a signed note is a body, a blank line and signature lines")
    signatures: list[tuple[str, bytes]] = []
    for line in lines[:-1].split("\n"):
        dash, _, rest = line.partition(" ")
        name, _, encoded = rest.partition(" ")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raw = b""
        if dash != EM_DASH or not name or len(raw) < 5:
            raise NoteError(f"malformed signature line {line!r}")
        signatures.append((_check_name(name), raw))
    if len(signatures) > MAX_SIGNATURES:
        raise NoteError(f"a signed note has at most {MAX_SIGNATURES} signatures")
    return body + "\n", signatures


def open_note(text: str, verifier: Verifier) -> str:
    """The body of ``text`` when ``verifier`` signed it; :class:`NoteError` otherwise."""
    body, signatures = split_note(text)
    for name, raw in signatures:
        if name == verifier.name and raw[:4] == verifier.key_id \
                and verifier.verify(body.encode(), raw[4:]):
            return body
    raise NoteError(f"no valid signature by {verifier.name} ({verifier.key_id.hex()})")


def split_skey(skey: str, algorithm: int, error: type[NoteError]) -> tuple[str, str, bytes]:
    """``PRIVATE+KEY+name+hex(keyID)+base64(algorithm ‖ 32-byte seed)`` → (name, hex key
    ID, seed); the caller checks the key ID against the key it makes."""
    parts = skey.strip().split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise error("a signer key is PRIVATE+KEY+name+keyid+key")
    try:
        raw = base64.b64decode(parts[4], validate=True)
    except binascii.Error:
        raise error("the signer key is not base64") from None
    if len(raw) != 33 or raw[0] != algorithm:
        raise error(f"this signer key is not of type 0x{algorithm:02x} with a 32-byte seed")
    return _check_name(parts[2]), parts[3], raw[1:]


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode('ascii')}\n"

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        lines = body.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise NoteError("a checkpoint body is origin, size and root hash, one a line")
        origin, size, encoded = lines[:3]
        if not size.isdigit() or (size != "0" and size.startswith("0")):
            raise NoteError(f"the tree size {size!r} is not a decimal number")
        try:
            root = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise NoteError("the root hash is not base64") from None
        if not origin or len(root) != 32:
            raise NoteError("a checkpoint needs an origin and a 32-byte root hash")
        return cls(origin, int(size), root)


def read_checkpoint(text: str, verifier: Verifier) -> Checkpoint:
    """Verify a signed checkpoint note and parse its body."""
    checkpoint = Checkpoint.parse(open_note(text, verifier))
    if checkpoint.origin != verifier.name:
        raise NoteError(f"the checkpoint's origin {checkpoint.origin!r} is not the key's "
                        f"name {verifier.name!r}")
    return checkpoint


def existing_log_name(keys_dir: Path) -> str | None:
    """The name the log was given at its first start, or ``None`` before it."""
    path = keys_dir / LOG_KEY_FILE
    return Signer.parse(path.read_text()).name if path.exists() else None


def load_or_create_signer(keys_dir: Path, name: str) -> Signer:
    """The log's own key, made on first start (atomically: first writer wins). Its name is
    fixed then; a later change of ``REGISTRY_PUBLIC_URL`` does not rename the log."""
    path = keys_dir / LOG_KEY_FILE
    if not path.exists():
        create_exclusive(path, (Signer.generate(name).skey() + "\n").encode())
    return Signer.parse(path.read_text())


def previous_verifiers(keys_dir: Path) -> list[Verifier]:
    """The verifier keys of the names the log had before (``registry audit rename``)."""
    path = keys_dir / PREVIOUS_FILE
    if not path.exists():
        return []
    return [Verifier.parse(line) for line in path.read_text().splitlines() if line.strip()]


def rename_signer(keys_dir: Path, old: Signer, new: Signer) -> None:
    """Keep the old name's verifier key (public) among the previous ones, then make ``new``
    the log's key. The old private key is not kept: nothing signs under the old name again."""
    kept = [v.vkey for v in previous_verifiers(keys_dir)]
    _replace(keys_dir / PREVIOUS_FILE, "".join(f"{v}\n" for v in [*kept, old.verifier.vkey]))
    _replace(keys_dir / LOG_KEY_FILE, new.skey() + "\n")


def _replace(path: Path, text: str) -> None:
    """Write ``path`` whole (0600) or not at all."""
    tmp = path.with_name(f".{path.name}.new")
    tmp.unlink(missing_ok=True)
    create_exclusive(tmp, text.encode())
    os.replace(tmp, path)
