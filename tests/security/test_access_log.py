"""The access log never holds the query string of ``/graphql`` or ``/v`` (issue 10): a
``GET /graphql?query=…`` carries searched names and tokens. Checked on a real uvicorn server
with the logging configuration ``registry serve`` passes it, reading the formatted lines."""

from __future__ import annotations

import http
import logging
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from registry.config import Settings
from registry.web.accesslog import (
    LeanAccessFormatter,
    QueryStringFilter,
    redact,
    uvicorn_log_config,
)
from registry.web.app import create_app

SECRET_NAME = "Құрманова"
SECRET_TOKEN = "eyJhbGciOiJFZERTQSJ9.c2VjcmV0.c2ln"


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        from uvicorn.logging import AccessFormatter

        self.setFormatter(AccessFormatter(
            '%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Lines]]:
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings(data_dir=tmp_path / "var", public_url=f"http://127.0.0.1:{port}")
    config = uvicorn.Config(create_app(settings, poll_interval=0.05), host="127.0.0.1",
                            port=port, log_config=uvicorn_log_config(), log_level="info")
    lines = Lines()
    access = logging.getLogger("uvicorn.access")
    access.addHandler(lines)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", lines
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        access.removeHandler(lines)


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_the_access_log_keeps_no_query_string_of_graphql_or_v(
        served: tuple[str, Lines]) -> None:
    base, lines = served
    search = urllib.parse.quote(f'{{ learners(search: "{SECRET_NAME}") {{ totalCount }} }}')
    verify = urllib.parse.quote(
        f'{{ verifyCertificate(token: "{SECRET_TOKEN}") {{ status }} }}')
    assert get(f"{base}/graphql?query={search}") == 200
    assert get(f"{base}/graphql?query={verify}&variables=%7B%7D") == 200
    assert get(f"{base}/v?token={SECRET_TOKEN}") == 200
    assert get(f"{base}/healthz?probe=1") == 200
    deadline = time.monotonic() + 10
    while len(lines.lines) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    log = "\n".join(lines.lines)
    assert SECRET_TOKEN not in log and "learners" not in log and "verifyCertificate" not in log
    assert urllib.parse.quote(SECRET_NAME) not in log and SECRET_NAME not in log
    assert '"GET /graphql?… HTTP/1.1" 200' in log
    assert '"GET /v?… HTTP/1.1" 200' in log
    # Elsewhere the query string stays: it is what an operator needs to read the log.
    assert '"GET /healthz?probe=1 HTTP/1.1" 200' in log


@pytest.mark.parametrize("logged,shown", [
    ("/graphql?query=x", "/graphql?…"), ("/graphql", "/graphql"), ("/v?t=1", "/v?…"),
    ("/v/x?t=1", "/v/x?…"), ("/verify?x=1", "/verify?x=1"), ("/graphqlx?a=1", "/graphqlx?a=1"),
    ("/log/entries?start=5", "/log/entries?start=5"),
])
def test_redact_strips_only_the_private_paths(logged: str, shown: str) -> None:
    assert redact(logged) == shown


def test_the_filter_leaves_records_of_other_shapes_alone() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, "plain %s",
                               ("/graphql?query=1",), None)
    assert QueryStringFilter().filter(record)
    assert record.getMessage() == "plain /graphql?query=1"


@pytest.mark.parametrize("status", [*(s.value for s in http.HTTPStatus), 599])
@pytest.mark.parametrize("level", [logging.INFO, logging.WARNING])
def test_the_lean_access_line_is_uvicorns_line_word_for_word(status: int, level: int) -> None:
    from uvicorn.logging import AccessFormatter

    record = logging.LogRecord("uvicorn.access", level, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "POST", "/graphql?…", "1.1", status), None)
    fmt = uvicorn_log_config()["formatters"]["access"]
    lean = LeanAccessFormatter(fmt["fmt"], use_colors=False)
    assert lean.format(record) == AccessFormatter(fmt["fmt"], use_colors=False).format(record)
    assert fmt["()"].endswith(LeanAccessFormatter.__name__)


def test_a_terminals_access_line_keeps_uvicorns_colours() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d', ("127.0.0.1:5000", "GET", "/v", "1.1",
                                                           200), None)
    line = LeanAccessFormatter(uvicorn_log_config()["formatters"]["access"]["fmt"],
                               use_colors=True).format(record)
    assert "\x1b[" in line and "200 OK" in line
