"""What the access log may say (SPEC §10): never the query string of ``/graphql`` or ``/v``.

A ``GET /graphql?query=…&variables=…`` carries searched names, IINs and certificate tokens, and
a ``/v?…`` link may carry a token; the log keeps the method, the path and the status of such a
request, and replaces its query string with ``?…``. ``registry serve`` installs the filter on
uvicorn's ``uvicorn.access`` logger through its logging configuration.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

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


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's default logging configuration with :class:`QueryStringFilter` on the access
    logger."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["private_query_strings"] = {
        "()": f"{__name__}.QueryStringFilter"}
    config["loggers"]["uvicorn.access"]["filters"] = ["private_query_strings"]
    return config
