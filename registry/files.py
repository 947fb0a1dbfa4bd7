"""First-start files (keys, secrets) created atomically, readable only by their owner.

Several processes may start together on a fresh data directory; each would otherwise make its
own key. A file is written to a private temporary name, fsynced, then ``os.link``-ed into place:
``link`` fails when the target exists, so "first writer wins" is atomic across processes
(SPEC §2), and the winner's file is complete the moment it is visible.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def create_exclusive(path: Path, data: bytes) -> bool:
    """Create ``path`` holding ``data`` with mode 0600; ``False`` if it already existed."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            os.fchmod(file.fileno(), 0o600)  # exactly 0600, whatever the umask
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_directory(path.parent)
    return True


def read_or_create_secret(path: Path, size: int = 32) -> bytes:
    """A random secret kept in ``path``, made on first use."""
    if not path.exists():
        create_exclusive(path, secrets.token_bytes(size))
    return path.read_bytes()


def _fsync_directory(directory: Path) -> None:
    """Make the new directory entry durable (a crash must not lose a key already used)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
