"""Logs an operator's tools can read (issue 14, capability 2): ``REGISTRY_LOG_FORMAT=json``
writes one JSON object a line, and every line written while a request is served carries its
request id — the client's ``X-Request-Id`` (as GraphQL's events record it), or a new one — which
the answer echoes in ``X-Request-Id``.

``text`` (the default) keeps the familiar ``LEVEL logger: message`` lines. The access log's
query strings are redacted either way (:mod:`registry.web.accesslog`).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import sys
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.types import Scope

from .accesslog import uvicorn_log_config

REQUEST_ID_HEADER = "x-request-id"
MAX_REQUEST_ID = 100
TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"
HANDLER_NAME = "registry"

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def given_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or []:
        if name == REQUEST_ID_HEADER.encode():
            text: str = value.decode("latin-1").strip()[:MAX_REQUEST_ID]
            if text and text.isprintable():
                return text
    return None


_PROCESS = uuid.uuid4().hex[:16]  # this process's random half of every id it makes
_SERIAL = itertools.count(1)


def _forked() -> None:
    global _PROCESS, _SERIAL
    _PROCESS, _SERIAL = uuid.uuid4().hex[:16], itertools.count(1)


os.register_at_fork(after_in_child=_forked)  # a forked worker makes ids of its own


def new_request_id() -> str:
    """A new request id: 32 hex digits like a UUID's, unique across processes (a random
    half per process) and within one (a counter) — without the ``os.urandom`` system call
    per request that ``uuid4`` makes (5 % of a ``{ __typename }``'s cost)."""
    return f"{_PROCESS}{next(_SERIAL) & 0xFFFF_FFFF_FFFF_FFFF:016x}"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id; an access line's
    client, method, path and status as fields; an exception's traceback as ``exc``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or request_id.get()
        if rid:
            entry["request_id"] = rid
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
            entry.update(zip(ACCESS_FIELDS, args, strict=True))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(log_format: str) -> None:
    """The command line's own logging (warnings and above, on stderr) — unless the program
    that runs it configured logging already (as :func:`logging.basicConfig` would leave it)."""
    root = logging.getLogger()
    if any(h.get_name() != HANDLER_NAME for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else
                         logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RequestIdFilter())
    handler.set_name(HANDLER_NAME)
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)  # a second call (the tests) replaces the first's
    root.addHandler(handler)
    root.setLevel(logging.WARNING)


def lean_records() -> None:
    """Log records without the caller's file and line, the thread's and the process's names:
    no format here shows them, and looking them up is a third of an access line's cost (the
    logging HOWTO's "Optimization"). ``registry serve`` sets it in its one process; the workers
    of ``--workers N`` (fresh interpreters) keep logging's defaults."""
    logging._srcfile = None  # the documented switch
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def log_config(log_format: str) -> dict[str, Any]:
    """uvicorn's logging configuration: its own lines, redacted, with the request id, and in
    JSON when asked (the registry's own loggers keep :func:`configure`'s handler)."""
    config = uvicorn_log_config()
    config["filters"]["request_id"] = {"()": f"{__name__}.RequestIdFilter"}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("request_id")
    if log_format == "json":
        for formatter in config["formatters"].values():
            formatter.clear()
            formatter["()"] = f"{__name__}.JsonFormatter"
    return config
