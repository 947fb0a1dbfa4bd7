"""Benchmark (issue 15, target 3): ``recordScore`` through GraphQL over HTTP against
eventsourcing's raw single-event save on the same database, on SQLite and on PostgreSQL.

    .venv/bin/python bench/write_path.py [--seconds 3] [--rounds 3] [--backend sqlite,postgresql]
                                         [--postgres postgresql://127.0.0.1:5432/test]

For each back-end: a registry filled by ``registry demo --learners 60`` (PostgreSQL: in a schema
of its own) is served by ``registry serve`` on core 0 (uvicorn, uvloop, httptools, the rate
limits raised), with an admin token. The load, on core 1, is one keep-alive connection sending
``recordScore`` corrections one after another (``RATING_1`` of each enrolment that can take a
score, in turn, its points alternating so each one changes the score) — each answered, as
the API always answers a write, once the views show it. The baseline is eventsourcing's own
``insert_events`` of one stored event at a time (a new aggregate each, a ``recordScore``-sized
state) through an application recorder of the same kind (so with notification ids) in a
separate table of the same database — SQLite: a file beside the registry's in the same
folder; PostgreSQL: a schema of its own in the same database. Ratios are medians of
``--rounds`` alternated pairs: writes/s ours ÷ writes/s raw (target ≥ 0.5).

Not part of the pytest suite.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

# read_api (beside this script) puts the project first on sys.path
from read_api import CLIENT_CORE, ROOT, free_port, start, stop  # noqa: E402

PUBLIC_URL = "http://127.0.0.1:8000"
ENROLMENTS = "{ enrollments(first: 100) { nodes { id } } }"
CORRECT = ("mutation($id: ID!, $p: Int!) { recordScore(input: {enrollmentId: $id, "
           "component: RATING_1, points: $p, reason: \"bench: a corrected rating\"}) "
           "{ totalPoints } }")


def env_of(data_dir: Path, url: str | None) -> dict[str, str]:
    env = {"REGISTRY_DATA_DIR": str(data_dir), "REGISTRY_PUBLIC_URL": PUBLIC_URL,
           "REGISTRY_RATE_LIMIT_PUBLIC": "100000000/minute",
           "REGISTRY_RATE_LIMIT_VERIFY": "100000000/minute"}
    if url:
        env["REGISTRY_DATABASE_URL"] = url
    return env


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "registry.cli", *args],
                          env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


class Client:
    """One keep-alive HTTP/1.1 connection posting GraphQL with a bearer token."""

    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}

    def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        self.connection.request("POST", "/graphql", json.dumps(
            {"query": query, "variables": variables}), self.headers)
        answer: dict[str, Any] = json.loads(self.connection.getresponse().read())
        return answer


class Corrections:
    """recordScore corrections in turn over the enrolments that take them."""

    def __init__(self, client: Client) -> None:
        self.client = client
        listed = client(ENROLMENTS)
        if "errors" in listed:
            raise RuntimeError(f"the enrolments could not be listed: {listed['errors']}")
        ids = [node["id"] for node in listed["data"]["enrollments"]["nodes"]]
        self.ids = [i for i in ids if self._correct(i, 61)]  # those whose rules allow it
        if not self.ids:
            raise RuntimeError("no enrolment of the demo takes a score")
        self.turn = 0

    def _correct(self, enrollment_id: str, points: int) -> bool:
        answer = self.client(CORRECT, {"id": enrollment_id, "p": points})
        return "errors" not in answer

    def run(self, seconds: float) -> float:
        """Writes per second over ``seconds``."""
        done, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            enrollment_id = self.ids[self.turn % len(self.ids)]
            points = 62 if (self.turn // len(self.ids)) % 2 == 0 else 61
            self.turn += 1
            answer = self.client(CORRECT, {"id": enrollment_id, "p": points})
            if "errors" in answer:
                raise RuntimeError(f"a correction was refused: {answer['errors']}")
            done += 1
        return done / (time.perf_counter() - started)


class RawSaves:
    """eventsourcing's insert_events, one stored event (a new aggregate) at a time."""

    def __init__(self, data_dir: Path, url: str | None) -> None:
        from eventsourcing.persistence import StoredEvent

        self.StoredEvent = StoredEvent
        if url is None:
            from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

            datastore: Any = SQLiteDatastore(str(data_dir / "raw-baseline.sqlite3"))
            self.recorder: Any = SQLiteApplicationRecorder(datastore, "raw_events")
        else:
            from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

            from registry.storage.backend import PostgresBackend

            backend = PostgresBackend(url)
            datastore = PostgresDatastore(backend.dbname, backend.host, backend.port,
                                          backend.user, backend.password,
                                          schema="bench_raw_writes")
            with datastore.transaction(commit=True) as cursor:
                cursor.execute("CREATE SCHEMA IF NOT EXISTS bench_raw_writes")
            self.recorder = PostgresApplicationRecorder(datastore, events_table_name="raw_events")
        self.recorder.create_table()
        self.state = json.dumps({  # what a recordScore correction's event holds, about
            "originator_topic": "registry.domain.enrollments:Enrollment",
            "component": "RATING_1", "points": 62, "previous": 61,
            "reason": "bench: a corrected rating", "on": "2026-12-02",
            "actor": {"name": "bench", "role": "admin"},
            "timestamp": "2026-12-02T10:00:00.000000+00:00"}).encode()

    def run(self, seconds: float) -> float:
        done, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            self.recorder.insert_events([self.StoredEvent(
                originator_id=uuid.uuid4(), originator_version=1,
                topic="registry.domain.enrollments:Enrollment.ScoreRecorded", state=self.state)])
            done += 1
        return done / (time.perf_counter() - started)


def measure(backend: str, args: argparse.Namespace, tmp: Path) -> None:
    data_dir = tmp / backend / "var"
    url = None
    if backend == "postgresql":
        schema = f"bench_writes_{os.getpid()}"
        url = f"{args.postgres}?schema={schema}"
    env = env_of(data_dir, url)
    cli(env, "demo", "--learners", "60", "--quiet")
    token = cli(env, "token", "create", "--role", "admin", "--name", "bench")
    port = free_port()
    server = start(["-m", "registry.cli", "serve", "--port", str(port)], env, port)
    try:
        ours = Corrections(Client(port, token))
        raw = RawSaves(data_dir, url)
        ours.run(1.0)  # warm-up
        raw.run(1.0)
        pairs = []
        for _ in range(args.rounds):
            pairs.append((ours.run(args.seconds), raw.run(args.seconds)))
        ratio = statistics.median(a / b for a, b in pairs)
        print(f"{backend}: recordScore over HTTP {statistics.median(a for a, _ in pairs):7.1f} "
              f"writes/s ÷ raw insert_events {statistics.median(b for _, b in pairs):7.1f} "
              f"writes/s = ratio {ratio:.2f} (pairs: "
              f"{', '.join(f'{a / b:.2f}' for a, b in pairs)}; {len(ours.ids)} enrolments)",
              flush=True)
    finally:
        stop(server)
        if url is not None:
            drop(args.postgres, schema)


def drop(url: str, schema: str) -> None:
    import sqlalchemy

    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS bench_raw_writes CASCADE")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backend", default="sqlite,postgresql")
    parser.add_argument("--postgres", default="postgresql://127.0.0.1:5432/test")
    args = parser.parse_args()
    os.sched_setaffinity(0, {CLIENT_CORE})
    with tempfile.TemporaryDirectory(prefix="bench-writes-") as tmp:
        for backend in args.backend.split(","):
            measure(backend, args, Path(tmp))


if __name__ == "__main__":
    main()
