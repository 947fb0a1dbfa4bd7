"""The document store port: programme documents kept once by their SHA-256.

An upload is first *staged*: read once, in chunks, while it is hashed and measured (the size
limit stops the reading as soon as it is passed), then its type is identified from its content.
Nothing is stored until the command has passed every check; storing is idempotent (the same
content has the same address), so a retried command or a second package with the same file
stores nothing twice. The implementations live in ``registry/storage/documents.py``.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ..domain.documents import MediaType, identify, sanitize_filename
from ..domain.errors import InvalidInput
from ..domain.programmes import StoredFile

CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class StoredDocument:
    sha256: str
    size: int
    media_type: str


@dataclass(frozen=True)
class StagedDocument:
    """An upload that passed the size and type checks, not stored yet. ``source`` is the
    seekable upload itself (Starlette spools it to a temporary file): no second copy."""

    source: BinaryIO
    file: StoredFile

    @property
    def sha256(self) -> str:
        return self.file.sha256

    def chunks(self) -> Iterator[bytes]:
        self.source.seek(0)
        while chunk := self.source.read(CHUNK_BYTES):
            yield chunk


def human_size(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{size} bytes"


def stage_upload(source: BinaryIO, filename: str | None, *, max_bytes: int) -> StagedDocument:
    """Hash, measure and identify an upload; ``INVALID_INPUT`` when it is empty, over the
    limit or not a PDF, DOCX, XLSX, ODT or ODS file."""
    digest = hashlib.sha256()
    size = 0
    source.seek(0)
    while chunk := source.read(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise InvalidInput(
                f"The file is larger than the limit of {human_size(max_bytes)} "
                f"({max_bytes} bytes).",
                field="file", maxBytes=max_bytes,
            )
        digest.update(chunk)
    if size == 0:
        raise InvalidInput("The file is empty.", field="file")
    media_type: MediaType = identify(source)
    name = sanitize_filename(filename, media_type)
    return StagedDocument(source, StoredFile(filename=name, sha256=digest.hexdigest(),
                                             size=size, media_type=media_type))


class DocumentStore(ABC):
    """Content-addressed storage of document bytes (metadata lives in the events)."""

    @abstractmethod
    def create_table(self) -> None:
        """Create what the store needs, if missing."""

    @abstractmethod
    def put(self, staged: StagedDocument) -> None:
        """Store the staged content under its SHA-256; nothing happens if it is there."""

    @abstractmethod
    def info(self, sha256: str) -> StoredDocument | None:
        """The stored document's size and type, or ``None``."""

    @abstractmethod
    def chunks(self, sha256: str) -> Iterator[bytes]:
        """The stored bytes, in order, a chunk at a time (never the whole file at once)."""
