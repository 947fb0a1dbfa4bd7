"""Helpers that walk the spine's path through the service layer (no HTTP)."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from registry.application.context import CommandContext
from registry.application.service import RegistryService
from registry.bootstrap import Container, build
from registry.clock import FixedClock
from registry.config import Settings
from registry.domain.access import Role
from registry.domain.moocs import LocalizedText

ADMIN = CommandContext(actor_name="Test Admin", actor_role="admin")
KAZAKH_NAME = "Әлия Ғабитқызы Құрманова"
KAZAKH_TITLE = "Қазақ әдебиетінің тарихы: ң ө ұ ү һ і"


def token(service: RegistryService, role: str, name: str = "tester",
          learner_id: uuid.UUID | None = None, courses: list[str] | None = None) -> str:
    secret: str = service.run(ADMIN, lambda cmd: cmd.tokens.create(
        name=name, role=Role(role), learner_id=learner_id, courses=courses))
    return secret


def published_mooc(service: RegistryService, code: str = "KAZLIT-101") -> dict[str, Any]:
    title = LocalizedText(kk=KAZAKH_TITLE, en="History of Kazakh literature")
    service.run(ADMIN, lambda cmd: cmd.moocs.draft(
        code=code, title=title, language="kk", credits=5, hours=150, department="Philology"))
    service.run(ADMIN, lambda cmd: cmd.moocs.submit_for_review(code))
    service.run(ADMIN, lambda cmd: cmd.moocs.record_expert_review(
        code=code, passed=True, reviewer="Prof. Ахметова", remarks=None))
    service.run(ADMIN, lambda cmd: cmd.moocs.record_approbation(code=code, passed=True,
                                                                remarks="pilot ok"))
    service.run(ADMIN, lambda cmd: cmd.moocs.publish(code=code, platform_code="moocs.kz"))
    return service.doc("moocs", code)


def registered(service: RegistryService, name: str = KAZAKH_NAME,
               iin: str | None = None) -> dict[str, Any]:
    learner_id = service.run(ADMIN, lambda cmd: cmd.learners.register(
        full_name=name, email="aliya@example.kz", iin=iin, full_name_latin="Aliya Kurmanova"))
    return service.doc("learners", learner_id)


def enrolled(service: RegistryService, mooc_code: str, name: str = KAZAKH_NAME) -> dict[str, Any]:
    learner = registered(service, name)
    key = service.run(ADMIN, lambda cmd: cmd.enrollments.enroll(learner_id=uuid.UUID(learner["id"]),
                                                                mooc_code=mooc_code))
    return service.doc("enrollments", key)


def record_score(service: RegistryService, enrollment_id: str, component: str, points: int,
                 reason: str | None = None) -> dict[str, Any]:
    eid = uuid.UUID(enrollment_id)
    service.run(ADMIN, lambda cmd: cmd.enrollments.record_score(
        enrollment_id=eid, component=component, points=points, reason=reason))
    return service.doc("enrollments", enrollment_id)


def scored(service: RegistryService, enrollment: dict[str, Any],
           points: tuple[int, int, int] = (80, 90, 70)) -> dict[str, Any]:
    for component, value in zip(("RATING_1", "MIDTERM", "RATING_2"), points, strict=True):
        enrollment = record_score(service, enrollment["id"], component, value)
    return enrollment


def examined(service: RegistryService, enrollment: dict[str, Any], points: int = 88,
             mode: str = "ON_CAMPUS") -> dict[str, Any]:
    eid = uuid.UUID(enrollment["id"])
    service.run(ADMIN, lambda cmd: cmd.enrollments.record_final_exam(
        enrollment_id=eid, points=points, mode=mode))
    return service.doc("enrollments", enrollment["id"])


def issued(service: RegistryService, enrollment: dict[str, Any]) -> dict[str, Any]:
    eid = uuid.UUID(enrollment["id"])
    number = service.run(ADMIN, lambda cmd: cmd.certificates.issue(enrollment_id=eid))
    return service.doc("certificates", number)


def revoked(service: RegistryService, number: str, reason: str) -> dict[str, Any]:
    service.run(ADMIN, lambda cmd: cmd.certificates.revoke(number=number, reason=reason))
    return service.doc("certificates", number)


def reissued(service: RegistryService, number: str,
             full_name: str = "Әлия Ғабитқызы Құрманова-Сейітова") -> str:
    """A correction of the holder's name: the new certificate's number (the old one is
    superseded)."""
    new: str = service.run(ADMIN, lambda cmd: cmd.certificates.reissue(
        number=number, full_name=full_name, reason="name corrected"))
    return new


def certified(service: RegistryService, code: str = "KAZLIT-101") -> dict[str, Any]:
    published_mooc(service, code)
    return issued(service, examined(service, scored(service, enrolled(service, code))))


def eventually(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """``check()``'s first true value, polled until ``timeout``."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.02)
    return value


# -- storage cases: written once, run per back-end (SPEC §7) -------------------------------


class StorageCase:
    """Abstract: a test class over one registry; ``OnSQLite``/``OnPostgres`` pick the
    back-end. The PostgreSQL one skips without a server, except in CI (see conftest)."""

    @pytest.fixture
    def settings(self) -> Settings:
        raise NotImplementedError

    @pytest.fixture
    def registry(self, settings: Settings, clock: FixedClock) -> Iterator[Container]:
        container = build(settings, clock, poll_interval=0.05)
        yield container
        container.close()


class OnSQLite:
    @pytest.fixture
    def settings(self, sqlite_settings: Settings) -> Settings:
        return sqlite_settings


@pytest.mark.postgres
class OnPostgres:
    @pytest.fixture
    def settings(self, postgres_settings: Settings) -> Settings:
        return postgres_settings


def cli_env(monkeypatch: Any, settings: Settings) -> None:
    """The environment under which ``registry …`` commands open this registry."""
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("REGISTRY_PUBLIC_URL", settings.public_url)
    if settings.database_url:
        monkeypatch.setenv("REGISTRY_DATABASE_URL", settings.database_url)
    else:
        monkeypatch.delenv("REGISTRY_DATABASE_URL", raising=False)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(app: Any, port: int, name: str, **config: Any) -> Iterator[None]:
    """``app`` served by uvicorn on 127.0.0.1:``port`` (lifespan on) in a thread named
    ``name`` for the block; ``config`` goes to uvicorn (``ssl_certfile``, …)."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on",
                                           access_log=False, **config))
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name}: the registry did not start")
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=30)
