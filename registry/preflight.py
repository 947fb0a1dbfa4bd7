"""What a start checks before it touches anything (issue 14, capability 3).

A setting that parses can still be unusable: a data folder that cannot be written, a
PostgreSQL server that does not answer, a folder with no registry in it. Each is one
:class:`~registry.config.ConfigError` line naming the variable, the value and what is expected
(the command line prints it and exits 2). Only the commands that may found a registry
(``serve``, ``keys generate``, ``demo``, ``restore``) run with :func:`founding` allowed; every
other command refuses to create an empty registry where there is none.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .config import ConfigError, Settings
from .storage.backend import SQLITE_FILE
from .storage.errors import unavailable_reason

PRIVATE_DIR = 0o700

_may_found: ContextVar[bool] = ContextVar("may_found", default=True)


class NoRegistry(ConfigError):
    """A command that works on a registry, run where there is none."""


@contextmanager
def existing_only() -> Iterator[None]:
    """Within: opening a registry where there is none is refused (:class:`NoRegistry`)."""
    token = _may_found.set(False)
    try:
        yield
    finally:
        _may_found.reset(token)


def shown_dir(path: Path) -> str:
    """``./var`` for a relative folder, as a person would type it."""
    return str(path) if path.is_absolute() else f"./{path}"


def registry_exists(settings: Settings) -> bool:
    """A registry lives in the data folder: its keys (every start makes the log's, and
    ``keys generate`` the first signing key), or, on SQLite, its database file."""
    data = settings.data_dir
    keys = data / "keys"
    if keys.is_dir() and any(keys.iterdir()):
        return True
    return settings.database_url is None and (data / SQLITE_FILE).exists()


def may_found(settings: Settings) -> bool:
    """True when the start will found a new registry; :class:`NoRegistry` if it may not."""
    if registry_exists(settings):
        return False
    if not _may_found.get():
        raise no_registry(settings)
    return True


def no_registry(settings: Settings) -> NoRegistry:
    """The refusal of a command that needs a registry, run where there is none."""
    return NoRegistry(f"registry: no registry in {shown_dir(settings.data_dir)} — run from "
                      "the folder where the registry lives or set REGISTRY_DATA_DIR")


def private_data_dir(settings: Settings) -> None:
    """The data directory and its ``keys/`` folder, readable by their owner only, whatever
    the umask (they hold the database, keys and the personal-data KEK); a folder that cannot
    be made or written is a :class:`ConfigError`."""
    data = settings.data_dir
    try:
        for directory in (data, data / "keys"):
            directory.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
            os.chmod(directory, PRIVATE_DIR)
        if not os.access(data, os.W_OK | os.X_OK):
            raise PermissionError("permission denied")
    except OSError as error:
        why = error.strerror or str(error)
        raise ConfigError(f"REGISTRY_DATA_DIR: {str(data)!r}: a folder this user can create "
                          f"and write ({why.lower()})") from None


def without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


@contextmanager
def storage_started(backend: Any, settings: Settings) -> Iterator[None]:
    """Within: this process alone starts on the store (``Backend.starting``), which is
    prepared first (``prepare_storage``); a store that cannot be reached is the same one-line
    :class:`ConfigError`."""
    with ExitStack() as stack:
        try:
            stack.enter_context(backend.starting())
        except Exception as error:
            raise _unreachable(settings, error) from None
        prepare_storage(backend, settings)
        yield


def prepare_storage(backend: Any, settings: Settings) -> None:
    """``backend.prepare()``; a database that cannot be reached or opened is a
    :class:`ConfigError` naming ``REGISTRY_DATABASE_URL`` (or the SQLite file)."""
    try:
        backend.prepare()
    except Exception as error:
        raise _unreachable(settings, error) from None


def _unreachable(settings: Settings, error: Exception) -> ConfigError:
    reason = unavailable_reason(error) or _first_line(error)
    if settings.database_url:
        return ConfigError(f"REGISTRY_DATABASE_URL: {without_password(settings.database_url)!r}"
                           f": a PostgreSQL server that answers ({reason})")
    return ConfigError(f"REGISTRY_DATA_DIR: {str(settings.data_dir)!r}: a folder where "
                       f"{SQLITE_FILE} can be written ({reason})")


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0].strip() if text else type(error).__name__
