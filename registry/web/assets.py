"""The package's files a live server answers with, read once at start (issue 14, capability 6).

Replacing the installed package under a running server (``pip install -e .`` in a second
terminal while ``registry serve`` from ``pip install .`` serves) deletes these files; a server
that opened them per request then answered 500 for ``/v``, its scripts and every PDF until a
restart. So the static files are held in memory and answered from there (with an ``ETag``),
and the PDF's fonts are held in memory and kept on disk in a private folder of this process
(fpdf2 opens a font by its path), written again if that folder disappears.
"""

from __future__ import annotations

import atexit
import hashlib
import mimetypes
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

TEXT_TYPES = ("text/", "application/javascript", "application/json")


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


def _media_type(path: Path) -> str:
    guessed = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith(TEXT_TYPES) else guessed


def read_tree(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` by its relative POSIX path (no ``__pycache__``)."""
    return {path.relative_to(directory).as_posix(): path.read_bytes()
            for path in sorted(directory.rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts}


class StaticAssets:
    """The files of a folder, read once; an endpoint for ``/static/{path:path}``."""

    def __init__(self, directory: Path) -> None:
        self.assets = {name: Asset(body, _media_type(Path(name)),
                                   f'"{hashlib.sha256(body).hexdigest()[:32]}"')
                       for name, body in read_tree(directory).items()}

    def response(self, name: str, media_type: str | None = None) -> Response:
        asset = self.assets.get(name)
        if asset is None:
            return Response("Not Found", status_code=404, media_type="text/plain")
        return Response(asset.body, media_type=media_type or asset.media_type,
                        headers={"ETag": asset.etag})

    async def endpoint(self, request: Request) -> Response:
        name = request.path_params["path"]
        asset = self.assets.get(name)
        if asset is not None and asset.etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers={"ETag": asset.etag})
        return self.response(name)


class FontFiles:
    """Font files read once; :meth:`path` gives each one's path in a private folder of this
    process, written from memory (again, if the folder was removed)."""

    def __init__(self, directory: Path, names: tuple[str, ...]) -> None:
        self.fonts = {name: (directory / name).read_bytes() for name in names}
        self._lock = threading.Lock()
        self._folder: Path | None = None

    def path(self, name: str) -> Path:
        with self._lock:
            folder = self._folder
            if folder is None or not all((folder / n).is_file() for n in self.fonts):
                folder = Path(tempfile.mkdtemp(prefix="registry-fonts-"))
                for font, data in self.fonts.items():
                    (folder / font).write_bytes(data)
                atexit.register(shutil.rmtree, folder, ignore_errors=True)
                self._folder = folder
            return folder / name
