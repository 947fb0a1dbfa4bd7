"""An HTTP client against the ASGI app (lifespan and all), with helpers for GraphQL.

The fixtures live in ``conftest.py`` beside this file."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from starlette.testclient import TestClient
from support import token

from registry.bootstrap import Container
from registry.clock import FixedClock
from registry.config import Settings
from registry.web.app import create_app


class Api:
    """A GraphQL caller: ``api(query, variables, token=…)`` → the decoded JSON body."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    @property
    def container(self) -> Container:
        container: Container = self.client.app.state.container  # type: ignore[attr-defined]
        return container

    def token(self, role: str, name: str | None = None, learner: str | None = None,
              courses: list[str] | None = None) -> str:
        import uuid

        return token(self.container.service, role, name or f"{role} tester",
                     uuid.UUID(learner) if learner else None, courses)

    def __call__(self, query: str, variables: dict[str, Any] | None = None, *,
                 token: str | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.client.post("/graphql", json={"query": query, "variables": variables},
                                    headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def event_count(self) -> int:
        return len(self.container.app.recorder.select_notifications(start=1, limit=1_000_000))


def make_client(settings: Settings, clock: FixedClock) -> TestClient:
    return TestClient(create_app(settings, clock=clock, poll_interval=0.05))


@contextmanager
def view_reads(api: Api) -> Iterator[list[str]]:
    """The SELECTs sent to the views' engines meanwhile (builds' bookkeeping apart)."""
    views = api.container.views
    engines = {id(e): e for e in (views.engine, views.read_engine)}.values()
    seen: list[str] = []
    lock = threading.Lock()

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        text = " ".join(statement.split())
        if text.upper().startswith(("SELECT", "WITH")) and "projection_builds" not in text:
            with lock:
                seen.append(text)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
