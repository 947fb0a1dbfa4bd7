"""A live server keeps answering when its installed package is replaced under it (issue 14,
capability 6): the README's second command (``pip install -e '.[test]'``) run while the first
(``pip install . && registry serve``) still serves removes the installed files. The page, its
scripts, the fonts and the JSON-LD contexts are read once at start, so ``/v``, a PDF and an
open credential still answer."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path

import pytest
from support import certified

import registry
from registry.bootstrap import build
from registry.cli import event_loop_and_parser
from registry.clock import FixedClock
from registry.config import Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, body: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url) if body is None else urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    """A copy of the package, as ``pip install .`` puts it in site-packages."""
    site = tmp_path / "site-packages"
    shutil.copytree(Path(registry.__file__).parent, site / "registry",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return site


@pytest.fixture
def served(installed: Path, sqlite_settings: Settings, clock: FixedClock,
           tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    container = build(sqlite_settings, clock, poll_interval=0.05)
    try:
        certificate = certified(container.service)
    finally:
        container.close()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(REGISTRY_DATA_DIR=str(sqlite_settings.data_dir),
               REGISTRY_PUBLIC_URL=sqlite_settings.public_url)
    code = (f"import sys; sys.path.insert(0, {str(installed)!r}); from registry.cli import main; "
            f"sys.exit(main(['serve', '--port', '{port}']))")
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=tmp_path,
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while _get(f"{base}/readyz")[0] != 200:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "the server never got ready"
            time.sleep(0.1)
        yield base, certificate
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def test_a_live_server_survives_its_package_being_removed(
        served: tuple[str, dict[str, str]], installed: Path) -> None:
    base, certificate = served
    number = certificate["number"]
    # pip uninstalls the old files (here: moves them away, as a rename would) …
    (installed / "registry").rename(installed / "registry-uninstalled")

    # … and the page, its script and style, the PDF (fonts) and the credential still answer.
    status, page = _get(f"{base}/v?t={certificate['token']}")
    assert status == 200 and b"/static/verify.js" in page
    for asset in ("verify.js", "verify.css", "graphiql/graphiql.min.js"):
        status, body = _get(f"{base}/static/{asset}")
        assert status == 200 and body, asset
    status, pdf = _get(f"{base}/certificates/{number}.pdf")
    assert status == 200 and pdf.startswith(b"%PDF"), pdf[:200]
    status, credential = _get(f"{base}/certificates/{number}/credential.json")
    assert status == 200, credential[:300]
    assert json.loads(credential)["credentialSubject"]
    assert _get(f"{base}/static/missing.js")[0] == 404
    # And the rest of what a visitor or an auditor asks.
    status, verdict = _get(f"{base}/api/verify", {"token": certificate["token"]})
    assert status == 200 and json.loads(verdict)["status"] == "VALID"
    status, answer = _get(f"{base}/graphql", {"query": "{ __typename }"})
    assert status == 200 and json.loads(answer) == {"data": {"__typename": "Query"}}
    assert _get(f"{base}/log/checkpoint")[0] == 200
    assert _get(f"{base}/certificates/{number}/qr.png")[0] == 200


def test_serve_uses_uvicorns_standard_extras_when_importable(
        served: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    loop, http = event_loop_and_parser()
    if find_spec("uvloop") and find_spec("httptools"):  # pyproject: uvicorn[standard]
        assert (loop, http) == ("uvloop", "httptools")
    assert f"serving with the {loop} event loop and the {http} HTTP parser" in \
        (tmp_path / "serve.log").read_text()


def test_without_the_extras_serve_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    assert event_loop_and_parser() == ("asyncio", "h11")
