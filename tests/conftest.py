"""Shared fixtures: settings on a fresh data directory, and a PostgreSQL schema per test.

PostgreSQL tests take their server from ``REGISTRY_TEST_DATABASE_URL``. They skip when it is
unset or unreachable — except under ``CI=true``, where they fail instead (SPEC §7).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from registry.clock import FixedClock
from registry.config import Settings

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)  # 15:00 in Almaty


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def postgres_url_or_skip() -> str:
    url = os.environ.get("REGISTRY_TEST_DATABASE_URL")
    problem = None
    if not url:
        problem = "REGISTRY_TEST_DATABASE_URL is not set"
    else:
        import psycopg

        from registry.bootstrap import postgres_env

        env = postgres_env(url)
        try:
            psycopg.connect(
                dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"],
                port=env["POSTGRES_PORT"], user=env["POSTGRES_USER"],
                password=env["POSTGRES_PASSWORD"] or None, connect_timeout=3,
            ).close()
        except psycopg.OperationalError as error:
            problem = f"PostgreSQL at {url} is unreachable: {error}"
    if problem:
        if in_ci():
            pytest.fail(f"CI=true: PostgreSQL tests must run, but {problem}")
        pytest.skip(problem)
    assert url is not None
    return url


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(Settings().tz, NOW)


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", public_url="https://registry.example.kz")


@pytest.fixture
def postgres_settings(tmp_path: Path) -> Iterator[Settings]:
    url = postgres_url_or_skip()
    schema = f"test_{uuid.uuid4().hex[:12]}"
    separator = "&" if "?" in url else "?"
    yield Settings(
        data_dir=tmp_path / "var",
        database_url=f"{url}{separator}schema={schema}",
        public_url="https://registry.example.kz",
    )
    drop_schema(url, schema)


def drop_schema(url: str, schema: str) -> None:
    import psycopg
    from psycopg import sql

    from registry.bootstrap import postgres_env

    env = postgres_env(url)
    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"], password=env["POSTGRES_PASSWORD"] or None, autocommit=True,
    ) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_settings(request: pytest.FixtureRequest) -> Settings:
    """Settings for each storage back-end in turn."""
    return request.getfixturevalue(f"{request.param}_settings")  # type: ignore[no-any-return]


# -- CI must run PostgreSQL tests ------------------------------------------------------------

_postgres_passed = 0


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    global _postgres_passed
    if report.when == "call" and report.passed and "postgres" in report.keywords:
        _postgres_passed += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if in_ci() and session.testscollected and not _postgres_passed and exitstatus == 0:
        session.exitstatus = 1
        print("\nCI=true but no PostgreSQL test passed: the scale store went untested.")
