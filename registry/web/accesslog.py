"""What the access log may say (SPEC §10): never the query string of ``/graphql`` or ``/v``.

A ``GET /graphql?query=…&variables=…`` carries searched names, IINs and certificate tokens, and
a ``/v?…`` link may carry a token; the log keeps the method, the path and the status of such a
request, and replaces its query string with ``?…``. ``registry serve`` installs the filter on
uvicorn's ``uvicorn.access`` logger through its logging configuration.
"""

from __future__ import annotations

import copy
import http
import logging
from typing import Any

from uvicorn.logging import AccessFormatter

PRIVATE_PATHS = ("/graphql", "/v")
REDACTED = "…"


def redact(path_with_query: str) -> str:
    path, question, _ = path_with_query.partition("?")
    if question and any(path == p or path.startswith(f"{p}/") for p in PRIVATE_PATHS):
        return f"{path}?{REDACTED}"
    return path_with_query


class QueryStringFilter(logging.Filter):
    """Strips private query strings from uvicorn's access records (its arguments are
    ``client, method, path_with_query, http_version, status``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact(args[2]), *args[3:])
        return True


UVICORN_ACCESS_FORMAT = '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s'
PHRASES = {status.value: f"{status.value} {status.phrase}" for status in http.HTTPStatus}


class LeanAccessFormatter(AccessFormatter):
    """uvicorn's access line, the same text (``INFO:     127.0.0.1:5000 - "POST /api/verify
    HTTP/1.1" 200 OK``) made in one f-string: uvicorn's formatter copies the record twice,
    looks the status phrase up, and goes through ``logging.Formatter``'s ``%`` formatting — a
    tenth of an ``/api/verify``'s cost. Colours (a terminal) and any other format: uvicorn's."""

    def __init__(self, fmt: str | None = None, datefmt: str | None = None, style: Any = "%",
                 use_colors: bool | None = None) -> None:
        super().__init__(fmt, datefmt, style, use_colors)
        self._lean = fmt == UVICORN_ACCESS_FORMAT and not self.use_colors

    def format(self, record: logging.LogRecord) -> str:
        args = record.args
        if not (self._lean and isinstance(args, tuple) and len(args) == 5
                and record.exc_info is None):
            return super().format(record)
        client, method, path, version, status = args
        level = record.levelname
        shown = PHRASES.get(status) if isinstance(status, int) else None
        return (f'{level}:{" " * (8 - len(level))} {client} - "{method} {path} HTTP/{version}" '
                f"{shown or self.get_status_code(int(status))}")  # type: ignore[call-overload]


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's default logging configuration with :class:`QueryStringFilter` on the access
    logger, and :class:`LeanAccessFormatter` for its lines."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["access"]["()"] = f"{__name__}.{LeanAccessFormatter.__name__}"
    config.setdefault("filters", {})["private_query_strings"] = {
        "()": f"{__name__}.QueryStringFilter"}
    config["loggers"]["uvicorn.access"]["filters"] = ["private_query_strings"]
    return config
