"""``registry backup FILE`` and ``registry restore FILE DIR`` (issue 14, capability 2).

A backup is a tar archive (gzip) of:

* ``registry.sqlite3`` — a consistent copy of the SQLite file made with SQLite's online backup
  API while the server keeps writing (WAL mode: the copy reads one snapshot, writers go on).
  The file holds everything stored: the event store, the personal-data store, the programme
  documents, the audit log (leaves, Merkle nodes, signed checkpoints) and the projections'
  views with their tracking positions, all of the same moment;
* ``keys/…`` — every file of the data folder's ``keys/``: the certificate-signing keys, the
  audit log's key (which carries the log's name), the IIN-index secret and the personal-data
  KEK (unless ``REGISTRY_PERSONAL_KEK`` holds it: the manifest says so — keep it apart);
* ``manifest.json`` — what the archive holds: each file's size and SHA-256, the newest event's
  position, and the audit log's size and root hash in the copy.

The archive is written 0600 (it holds private keys). ``restore`` checks every file against
the manifest, refuses a folder that is not empty, and writes the data folder with its private
modes. Nothing needs rebuilding after a restore: the views are as they were at the backup's
moment and catch up from there; ``registry projections rebuild`` derives them afresh from the
events if wanted (same answers). The audit log continues: the restored registry signs a
checkpoint whose root at the backup's size is the original's.

PostgreSQL has its own tools for an online, consistent copy: ``backup`` says so (exit 2) and
the README gives the ``pg_dump`` route.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from . import __version__
from .audit import merkle
from .audit.note import existing_log_name
from .config import ConfigError, Settings
from .preflight import no_registry, registry_exists
from .storage.backend import SQLITE_FILE

FORMAT = "det-registry-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
KEYS = "keys"
EVENTS_TABLE = "stored_events"
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700

PG_DUMP_ROUTE = ("registry backup: the database is PostgreSQL: back it up with pg_dump "
                 "(pg_dump -Fc -d <database> -f registry.dump) and copy the data folder's "
                 "keys/ beside it — README 'Backup and restore'")


class BackupError(ConfigError):
    """A backup or restore that cannot be done; one line, exit 2."""


@dataclass(frozen=True)
class Summary:
    events: int  # the newest event's position in the copy
    audit_size: int
    audit_root: str  # base64, "" for an empty log
    audit_name: str | None
    files: int
    bytes: int


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def snapshot(database: Path, target: Path) -> None:
    """Copy the SQLite file at ``database`` into ``target`` in one step of the online backup
    API: one read transaction, so one consistent moment, while other connections write."""
    source = sqlite3.connect(database, timeout=30)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # pages=-1: every page in one step, one snapshot
        finally:
            copy.close()
    finally:
        source.close()


def _describe(database: Path) -> tuple[int, int, str]:
    """(newest event position, audit log size, base64 audit root) of a SQLite file."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        events = 0
        if EVENTS_TABLE in tables:  # eventsourcing's SQLite table
            found = connection.execute(f"SELECT MAX(rowid) FROM {EVENTS_TABLE}")
            events = int(found.fetchone()[0] or 0)
        if "audit_leaves" not in tables:
            return events, 0, ""
        last = connection.execute("SELECT MAX(leaf_index) FROM audit_leaves").fetchone()[0]
        size = 0 if last is None else int(last) + 1

        def fetch(keys: Iterable[merkle.Node]) -> Mapping[merkle.Node, bytes]:
            found: dict[merkle.Node, bytes] = {}
            for level, idx in keys:
                row = connection.execute("SELECT hash FROM audit_nodes WHERE level = ? AND "
                                         "idx = ?", (level, idx)).fetchone()
                if row is not None:
                    found[(level, idx)] = bytes(row[0])
            return found

        root = base64.b64encode(merkle.root(size, fetch)).decode("ascii") if size else ""
        return events, size, root
    finally:
        connection.close()


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = PRIVATE_FILE
    info.mtime = int(time.time())
    archive.addfile(info, io.BytesIO(data))


def backup(settings: Settings, target: Path) -> Summary:
    """Write a backup of the registry in ``settings.data_dir`` to ``target``."""
    if settings.database_url:
        raise BackupError(PG_DUMP_ROUTE)
    if not registry_exists(settings):
        raise no_registry(settings)
    database = settings.data_dir / SQLITE_FILE
    keys_dir = settings.data_dir / KEYS
    if not database.is_file():
        raise BackupError(f"registry backup: no {SQLITE_FILE} in {settings.data_dir}")
    target = target.absolute()
    if target.exists():
        raise BackupError(f"registry backup: {target} exists; give a new file name")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".registry-backup-", dir=target.parent))
    except OSError as error:
        raise BackupError(f"registry backup: {target.parent}: cannot write there ({error})") \
            from None
    try:
        copy = work / SQLITE_FILE
        snapshot(database, copy)
        events, size, root = _describe(copy)
        files: dict[str, bytes] = {SQLITE_FILE: copy.read_bytes()}
        if keys_dir.is_dir():
            for path in sorted(keys_dir.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    files[f"{KEYS}/{path.relative_to(keys_dir).as_posix()}"] = path.read_bytes()
        manifest = {
            "format": FORMAT,
            "formatVersion": FORMAT_VERSION,
            "registryVersion": __version__,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": "sqlite",
            "eventsPosition": events,
            "auditLog": {"name": existing_log_name(keys_dir), "size": size, "root": root},
            "personalKek": ("REGISTRY_PERSONAL_KEK (not in this backup: keep it apart)"
                            if settings.personal_kek else f"{KEYS}/personal.kek"),
            "files": {name: {"size": len(data), "sha256": _sha256(data)}
                      for name, data in files.items()},
        }
        partial = work / "backup.tar.gz"
        fd = os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            _add(archive, MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False)
                 .encode("utf-8"))
            for name, data in files.items():
                _add(archive, name, data)
        os.replace(partial, target)
        return Summary(events, size, root, manifest["auditLog"]["name"],  # type: ignore[index]
                       len(files), target.stat().st_size)
    finally:
        for path in sorted(work.rglob("*"), reverse=True):
            path.unlink(missing_ok=True)
        work.rmdir()


def _read(source: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest and files of a backup, each file checked against the manifest."""
    try:
        archive = tarfile.open(source, mode="r:*")
    except (OSError, tarfile.TarError) as error:
        raise BackupError(f"registry restore: {source}: not a registry backup ({error})") \
            from None
    with archive:
        contents: dict[str, bytes] = {}
        for member in archive.getmembers():
            path = PurePosixPath(member.name)
            if not member.isfile() or path.is_absolute() or ".." in path.parts:
                raise BackupError(f"registry restore: {source}: unexpected member "
                                  f"{member.name!r}; not a registry backup")
            extracted = archive.extractfile(member)
            assert extracted is not None
            contents[member.name] = extracted.read()
    try:
        manifest = json.loads(contents.pop(MANIFEST))
    except (KeyError, ValueError):
        raise BackupError(f"registry restore: {source}: no manifest; not a registry "
                          "backup") from None
    if manifest.get("format") != FORMAT or manifest.get("formatVersion") != FORMAT_VERSION:
        raise BackupError(f"registry restore: {source}: not a {FORMAT} version "
                          f"{FORMAT_VERSION}")
    listed: dict[str, Any] = manifest.get("files", {})
    if set(listed) != set(contents) or SQLITE_FILE not in contents:
        raise BackupError(f"registry restore: {source}: its files are not those its manifest "
                          "lists; the backup is incomplete")
    for member_name, data in contents.items():
        if _sha256(data) != listed[member_name]["sha256"]:
            raise BackupError(f"registry restore: {source}: {member_name} does not match its "
                              "SHA-256 in the manifest; the backup is damaged")
    return manifest, contents


def restore(source: Path, target: Path) -> dict[str, Any]:
    """Write the registry of the backup ``source`` into the new or empty folder ``target``;
    the backup's manifest."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"registry restore: {target} is not empty; restore into a new or "
                          "empty folder")
    manifest, contents = _read(source)
    try:
        target.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        os.chmod(target, PRIVATE_DIR)
        (target / KEYS).mkdir(mode=PRIVATE_DIR, exist_ok=True)
        os.chmod(target / KEYS, PRIVATE_DIR)
        for name, data in contents.items():
            path = target.joinpath(*PurePosixPath(name).parts)
            path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE)
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
    except OSError as error:
        raise BackupError(f"registry restore: {target}: cannot write there ({error})") from None
    connection = sqlite3.connect(target / SQLITE_FILE)
    try:
        verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()
    if verdict != "ok":
        raise BackupError(f"registry restore: the restored database fails SQLite's integrity "
                          f"check: {verdict}")
    return manifest
