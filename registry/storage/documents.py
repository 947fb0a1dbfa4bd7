"""Programme documents in the database, in 1 MB chunks, addressed by SHA-256.

The same SQL serves both back-ends: on SQLite the documents live in the registry's file, on
PostgreSQL in its schema — so every API host that serves one PostgreSQL database sees every
document (a data directory is not shared between hosts), and a database backup is a backup of
the documents. Chunks keep memory flat both ways: an upload is written, and a download read,
one chunk at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..application.documents import DocumentStore, StagedDocument, StoredDocument
from .postgres import PostgresDialect
from .sql import SqlDialect

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class FileStatements(SqlDialect):
    size_type = "INTEGER"

    def files_table(self) -> str:
        return self.qualify("document_files")

    def chunks_table(self) -> str:
        return self.qualify("document_chunks")

    def create_document_statements(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.files_table()} (sha256 TEXT PRIMARY KEY, "
            f"size {self.size_type} NOT NULL, media_type TEXT NOT NULL, "
            f"chunks INTEGER NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.chunks_table()} (sha256 TEXT NOT NULL, "
            f"seq INTEGER NOT NULL, data {self.blob_type} NOT NULL, PRIMARY KEY (sha256, seq))",
        ]


class SqlDocumentStore(FileStatements, DocumentStore):
    def __init__(self, datastore: Any) -> None:
        self.datastore = datastore

    def create_table(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            for statement in self.create_document_statements():
                c.execute(statement)

    def put(self, staged: StagedDocument) -> None:
        if self.info(staged.sha256) is not None:
            return
        insert_chunk = self.sql(
            f"INSERT INTO {self.chunks_table()} (sha256, seq, data) VALUES (?, ?, ?) "
            "ON CONFLICT (sha256, seq) DO NOTHING")
        with self.datastore.transaction(commit=True) as c:
            count = 0
            for count, chunk in enumerate(staged.chunks(), start=1):
                c.execute(insert_chunk, [staged.sha256, count - 1, chunk])
            # The file row last: a reader that sees it sees every chunk (same transaction).
            c.execute(self.sql(
                f"INSERT INTO {self.files_table()} (sha256, size, media_type, chunks) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING"),
                [staged.sha256, staged.file.size, staged.file.media_type.value, count])

    def _row(self, sha256: str) -> Any:
        if not _SHA256.match(sha256):
            return None
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.sql(f"SELECT size, media_type, chunks FROM {self.files_table()} "
                               "WHERE sha256 = ?"), [sha256])
            return c.fetchone()

    def info(self, sha256: str) -> StoredDocument | None:
        row = self._row(sha256)
        return None if row is None else StoredDocument(sha256, int(row["size"]),
                                                       row["media_type"])

    def chunks(self, sha256: str) -> Iterator[bytes]:
        row = self._row(sha256)
        if row is None:
            return
        select = self.sql(f"SELECT data FROM {self.chunks_table()} WHERE sha256 = ? AND seq = ?")
        for seq in range(int(row["chunks"])):
            # One short transaction per chunk, closed before the chunk is handed on: the
            # reader may be slow, and each chunk may be read from another thread.
            with self.datastore.transaction(commit=False) as c:
                c.execute(select, [sha256, seq])
                data = bytes(c.fetchone()["data"])
            yield data


class SQLiteDocumentStore(SqlDocumentStore):
    pass


class PostgresDocumentStore(PostgresDialect, SqlDocumentStore):
    size_type = "BIGINT"
