"""Processes started together on a new PostgreSQL schema (two servers and a projections
process from one compose file): they start one at a time, so PostgreSQL's ``CREATE … IF NOT
EXISTS`` never races ("duplicate key value violates unique constraint
pg_namespace_nspname_index" stopped a server at start, now and then, before)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

import pytest

from registry.bootstrap import build
from registry.config import Settings
from registry.storage.backend import PostgresBackend, backend_for

pytestmark = pytest.mark.postgres
T = TypeVar("T")


def test_a_start_waits_for_the_one_before_it(postgres_settings: Settings) -> None:
    backend = backend_for(postgres_settings.database_url, postgres_settings.data_dir)
    assert isinstance(backend, PostgresBackend)
    held, entered = threading.Event(), threading.Event()
    release = threading.Event()

    def first() -> None:
        with backend.starting():
            held.set()
            release.wait(10)

    def second() -> None:
        with backend.starting():
            entered.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert held.wait(10)
    threads[1].start()
    time.sleep(0.5)
    assert not entered.is_set()  # waiting for the first start to end
    release.set()
    assert entered.wait(10)
    for thread in threads:
        thread.join(10)


def test_other_schemas_do_not_wait(postgres_settings: Settings) -> None:
    here = backend_for(postgres_settings.database_url, postgres_settings.data_dir)
    url = str(postgres_settings.database_url).replace("schema=", "schema=other_", 1)
    other = backend_for(url, postgres_settings.data_dir)
    assert isinstance(here, PostgresBackend) and isinstance(other, PostgresBackend)
    assert here.start_lock_key() != other.start_lock_key()
    done = threading.Event()

    def start_other() -> None:
        with other.starting():
            done.set()

    with here.starting():
        thread = threading.Thread(target=start_other)
        thread.start()
        assert done.wait(10)  # while this schema's start is still held
    thread.join(10)


def at_once(work: Callable[[], T], times: int) -> tuple[list[T], list[BaseException]]:
    """``work`` in ``times`` threads released together: what they returned, what they raised."""
    results: list[T] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(times)

    def run() -> None:
        try:
            barrier.wait(10)
            results.append(work())
        except BaseException as error:  # pragma: no cover - what the tests look for
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads), "a start never ended"
    return results, errors


def test_three_processes_founding_one_schema_at_once_all_start(
        postgres_settings: Settings) -> None:
    containers, errors = at_once(lambda: build(postgres_settings, poll_interval=0.05), 3)
    try:
        assert not errors, errors
        assert len(containers) == 3
        platforms = {p["code"] for p in containers[0].service.find("platforms")}
        assert "moocs.kz" in platforms  # seeded once, by whichever came first
    finally:
        for container in containers:
            container.close()


def test_servers_checking_a_new_schema_at_once_all_pass(postgres_settings: Settings) -> None:
    """``registry serve``'s check before it starts prepares the schema under the same lock
    (two servers started together stopped with exit 2 on CREATE SCHEMA, in CI)."""
    from registry.cli import _check_start

    results, errors = at_once(lambda: _check_start(postgres_settings, 1), 4)
    assert not errors, errors
    assert len(results) == 4
