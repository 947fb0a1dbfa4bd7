"""Fixtures for the API tests: a client on a fresh SQLite registry, an admin token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from apiclient import Api, make_client

from registry.clock import FixedClock
from registry.config import Settings


@pytest.fixture
def api(sqlite_settings: Settings, clock: FixedClock) -> Iterator[Api]:
    with make_client(sqlite_settings, clock) as client:
        yield Api(client)


@pytest.fixture
def admin(api: Api) -> str:
    return api.token("admin", "Test Admin")
