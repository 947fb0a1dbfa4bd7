"""Two `registry serve` processes on one PostgreSQL database, the projections in a third
(`registry projections run`), as README "Several processes" and bench/README's deployment
describe (issue 15, target 5): what one process writes the other reads, a refusal caused by a
write through one is seen by the other, and a token revoked through one is refused by both."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from support import free_port

from registry.config import Settings

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
REGISTER = """mutation($name: String!) { registerLearner(input: {fullName: $name}) { id fullName } }"""
LEARNER = "query($id: ID!) { learner(id: $id) { id fullName } }"
DRAFT = """mutation($code: String!) { draftMooc(input: {code: $code, title: {kk: "Алгебра"},
  language: "kk", credits: 5, hours: 150, department: "Science"}) { code status } }"""
MOOC = "query($code: String!) { mooc(code: $code) { code status } }"


def env_of(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env.update(REGISTRY_DATA_DIR=str(settings.data_dir), REGISTRY_PUBLIC_URL=settings.public_url,
               REGISTRY_DATABASE_URL=str(settings.database_url), PYTHONPATH=str(ROOT),
               REGISTRY_PROJECTIONS="external")
    return env


def registry(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "registry.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    return done.stdout.strip()


def wait_ready(port: int, process: subprocess.Popen[bytes], stderr: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:  # what it said: the reason, not just "stopped"
            said = stderr.read_text(errors="replace").strip()[-2000:]
            raise AssertionError(f"the server on {port} stopped at start: {said}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the server on {port} did not start")


@pytest.fixture
def processes(postgres_settings: Settings,
              tmp_path: Path) -> Iterator[tuple[dict[str, str], list[int]]]:
    env = env_of(postgres_settings)
    registry(env, "keys", "generate")  # founds the registry: the servers then share its keys
    started: list[subprocess.Popen[bytes]] = []
    try:
        started.append(subprocess.Popen([sys.executable, "-m", "registry.cli", "projections",
                                         "run"], env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL))
        ports = [free_port(), free_port()]
        for port in ports:
            with open(tmp_path / f"{port}.stderr", "wb") as stderr:  # the child keeps its own
                started.append(subprocess.Popen(
                    [sys.executable, "-m", "registry.cli", "serve", "--port", str(port)],
                    env=env, stdout=subprocess.DEVNULL, stderr=stderr))
        for port, process in zip(ports, started[1:], strict=True):
            wait_ready(port, process, tmp_path / f"{port}.stderr")
        yield env, ports
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


def call(port: int, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    answer = httpx.post(f"http://127.0.0.1:{port}/graphql", timeout=30,
                        json={"query": query, "variables": variables},
                        headers={"Authorization": f"Bearer {token}"})
    body: dict[str, Any] = answer.json()
    return body


def eventually(check: Any, what: str, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.05)
    return value


def test_two_servers_on_one_database_read_each_others_writes(
        processes: tuple[dict[str, str], list[int]]) -> None:
    env, (a, b) = processes
    token = registry(env, "token", "create", "--role", "admin", "--name", "Ops")

    written = call(a, REGISTER, {"name": "Әлия Құрманова"}, token)
    learner = written["data"]["registerLearner"]
    assert learner["fullName"] == "Әлия Құрманова"
    # the write's answer waited for the views (in the projections' own process): the other
    # server reads it at once
    seen = call(b, LEARNER, {"id": learner["id"]}, token)["data"]["learner"]
    assert seen == learner

    assert call(b, DRAFT, {"code": "TWO-101"}, token)["data"]["draftMooc"]["status"] == "DRAFT"
    assert call(a, MOOC, {"code": "TWO-101"}, token)["data"]["mooc"]["status"] == "DRAFT"
    again = call(a, DRAFT, {"code": "TWO-101"}, token)  # the code is taken, through the other
    assert again["errors"][0]["extensions"]["code"] == "ALREADY_EXISTS"


def test_a_token_revoked_through_one_server_is_refused_by_both(
        processes: tuple[dict[str, str], list[int]]) -> None:
    env, (a, b) = processes
    token = registry(env, "token", "create", "--role", "admin", "--name", "Leaving")
    nobody = {"id": "00000000-0000-4000-8000-000000000000"}  # reading learners needs a caller
    for port in (a, b):
        assert call(port, LEARNER, nobody, token) == {"data": {"learner": None}}
    (entry,) = [t for t in json.loads(registry(env, "token", "list", "--json"))
                if t["name"] == "Leaving"]
    registry(env, "token", "revoke", entry["id"])
    for port in (a, b):
        refused = eventually(lambda port=port: call(port, LEARNER, nobody, token).get("errors"),
                             f"the revocation reaching the server on {port}", timeout=3.0)
        assert refused[0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "revoked" in refused[0]["message"]
