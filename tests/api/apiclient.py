"""An HTTP client against the ASGI app (lifespan and all), with helpers for GraphQL.

The fixtures live in ``conftest.py`` beside this file."""

from __future__ import annotations

from typing import Any

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
