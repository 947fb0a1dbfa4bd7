"""Uploaded files of programme packages (R3): what type a file really is, and a safe name.

The type comes from the file's leading bytes and, for zip containers, from the zip's own
directory — never from the name a browser sent. Only the central directory and at most two
small members (ODF's ``mimetype``, OOXML's ``[Content_Types].xml``) are read: the whole file
is never parsed (nor decompressed), so a zip bomb costs nothing.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from enum import StrEnum
from typing import BinaryIO

from .errors import InvalidInput


class MediaType(StrEnum):
    PDF = "application/pdf"
    DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ODT = "application/vnd.oasis.opendocument.text"
    ODS = "application/vnd.oasis.opendocument.spreadsheet"

    @property
    def extension(self) -> str:
        return "." + self.name.lower()


ACCEPTED = "PDF, DOCX, XLSX, ODT or ODS"

_ZIP_LOCAL_HEADER = b"PK\x03\x04"
_ODF_TYPES = {t.value.encode(): t for t in (MediaType.ODT, MediaType.ODS)}
# The content type of the main part, as [Content_Types].xml declares it.
_OOXML_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml":
        MediaType.DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml":
        MediaType.XLSX,
}
_CONTENT_TYPE_ATTR = re.compile(rb'ContentType\s*=\s*["\']([^"\']+)["\']')
_MAX_CONTENT_TYPES_BYTES = 256 * 1024
HEAD_BYTES = 512


def _refuse(what: str) -> InvalidInput:
    return InvalidInput(
        f"The file is not an accepted document ({what}): upload a {ACCEPTED} file. "
        "The type is read from the file's content, not from its name.",
        field="file",
    )


def identify(file: BinaryIO) -> MediaType:
    """The media type of a seekable file, from its content; ``INVALID_INPUT`` otherwise."""
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    if head.startswith(b"%PDF-"):
        return MediaType.PDF
    if not head.startswith(_ZIP_LOCAL_HEADER):
        if head.startswith(b"MZ"):
            raise _refuse("a Windows executable")
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise _refuse("an old binary Office file or an encrypted one")
        raise _refuse("unknown leading bytes")
    odf = _odf_type(head)
    try:
        with zipfile.ZipFile(file) as archive:  # reads the central directory only
            names = set(archive.namelist())
            if odf is not None:
                if "content.xml" not in names:
                    raise _refuse("an OpenDocument container without content")
                return odf
            if "[Content_Types].xml" not in names:
                raise _refuse("a zip archive that is not an office document")
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > _MAX_CONTENT_TYPES_BYTES:
                raise _refuse("an office container with an oversized type list")
            with archive.open(info) as member:
                declared = member.read(_MAX_CONTENT_TYPES_BYTES + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError,
            EOFError, ValueError):
        raise _refuse("a damaged zip archive") from None
    finally:
        file.seek(0)
    mains = {_OOXML_MAIN[t] for t in
             (m.decode("ascii", "replace") for m in _CONTENT_TYPE_ATTR.findall(declared))
             if t in _OOXML_MAIN}
    if len(mains) != 1:
        raise _refuse("an Office Open XML package that is neither DOCX nor XLSX")
    return mains.pop()


def _odf_type(head: bytes) -> MediaType | None:
    """ODF puts an uncompressed ``mimetype`` member first: read it from the local header."""
    if len(head) < 30 or head[8:10] != b"\x00\x00":  # compression method: stored
        return None
    name_length = int.from_bytes(head[26:28], "little")
    extra_length = int.from_bytes(head[28:30], "little")
    size = int.from_bytes(head[18:22], "little")
    if head[30:30 + name_length] != b"mimetype":
        return None
    start = 30 + name_length + extra_length
    return _ODF_TYPES.get(head[start:start + size])


_FORBIDDEN_IN_NAMES = re.compile(r'[<>:"|?*]')
_SPACES = re.compile(r"\s+")
MAX_FILENAME_BYTES = 200


def sanitize_filename(name: str | None, media_type: MediaType) -> str:
    """A file name safe to store and to send back: no directories, control or format
    characters (such as a right-to-left override), or characters Windows refuses; letters of
    any script kept (Kazakh ә ғ қ ң ө ұ ү һ і, Cyrillic). The extension is the one of the
    type the content has, added when the name says otherwise."""
    text = unicodedata.normalize("NFC", name or "")
    text = _SPACES.sub(" ", re.split(r"[\\/]", text)[-1])
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co"))
    text = _SPACES.sub(" ", _FORBIDDEN_IN_NAMES.sub("_", text)).strip().lstrip(".").strip()
    stem, dot, suffix = text.rpartition(".")
    if not dot:
        stem, suffix = text, ""
    if "." + suffix.lower() != media_type.extension:
        stem = text
    stem = stem.rstrip(". ") or "document"
    while len((stem + media_type.extension).encode("utf-8")) > MAX_FILENAME_BYTES:
        stem = stem[:-1]
    return stem + media_type.extension
