"""Calling an ASGI app in process, as uvicorn would (no sockets): the HTTP scope of a POST, one
call answered 200, and the app's lifespan started. Shared by the children of
``in_process.py`` and ``instructions.py``, which put this folder on ``sys.path`` after the
checkout under test (so ``--before`` checkouts need not have this file)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

PAGE = ("query { enrollments(first: 100) { nodes { id totalPoints admitted passed "
        "learner { fullName } } } }")
CERTIFICATE = "query($n: String!) { certificate(number: $n) { number status fullName } }"


def scope_of(path: str, body: bytes, token: str | None) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": b"", "root_path": "", "headers": headers,
            "client": ("127.0.0.1", 5555), "server": ("127.0.0.1", 8000)}


def post(path: str, payload: object, token: str | None = None) -> tuple[dict[str, Any], bytes]:
    data = json.dumps(payload).encode()
    return scope_of(path, data, token), data


async def call(app: Any, state: dict[str, Any], scope: dict[str, Any], body: bytes) -> None:
    """One request, its answer required to be 200."""
    answered = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answered.append(message["status"])

    await app(dict(scope, state=dict(state)), receive, send)
    assert answered == [200], answered


class Lifespan:
    """The app's lifespan: ``await started()`` gives its state; ``await stopped()``."""

    def __init__(self, app: Any) -> None:
        self.app, self.state = app, {}
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._started = asyncio.Event()
        self._task: asyncio.Task[Any] | None = None

    async def started(self) -> dict[str, Any]:
        await self._inbox.put({"type": "lifespan.startup"})

        async def send(message: dict[str, Any]) -> None:
            if message["type"].startswith("lifespan.startup"):
                self._started.set()

        self._task = asyncio.create_task(self.app(
            {"type": "lifespan", "asgi": {"version": "3.0"}, "state": self.state},
            self._inbox.get, send))
        await self._started.wait()
        return self.state

    async def stopped(self) -> None:
        await self._inbox.put({"type": "lifespan.shutdown"})
        assert self._task is not None
        await self._task
