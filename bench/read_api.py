"""Benchmark (issue 12): the read API's speed as ratios measured in one run, on real uvicorn
processes.

    .venv/bin/python bench/read_api.py [--seconds 3] [--rounds 7] [--connections 8]
                                       [--profile DIR]

(a) a page of 100 enrolments (id, totalPoints, admitted, passed, learner.fullName) from our
    server ÷ a plain strawberry app on Starlette answering 100 × 5 constant fields (target
    ≥ 0.8);
(b) ``certificate(number)`` ÷ ``{ __typename }``, both on our server (target ≥ 0.6).

A registry on SQLite is seeded in a fresh directory (100 learners, each enrolled in one MOOC,
one certificate), then served by ``registry serve`` exactly as in production; the plain app is
served by the same uvicorn. Each server is pinned to core 0, this load generator to core 1
(``os.sched_setaffinity``); the load is ``--connections`` keep-alive HTTP/1.1 connections
sending one request after another for ``--seconds``. The two sides of each ratio alternate,
``--rounds`` pairs after a warm-up; the ratio printed is the median of the pairs' ratios, once
in requests per second of wall time and once in requests per CPU second of the server process
(all its threads, from ``/proc``) — the steadier one when other jobs share the cores.

``--profile DIR`` runs our server under pyinstrument (if installed) or cProfile and writes
what it spent its time on under (a) and (b) to DIR. Not part of the pytest suite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVER_CORE, CLIENT_CORE = 0, 1

from asgi_driver import CERTIFICATE, PAGE  # noqa: E402,F401  (beside this script: what the benches ask)

PLAIN_PAGE = "query { rows { id totalPoints admitted passed fullName } }"
TYPENAME = "{ __typename }"


# -- the plain strawberry app (the baseline of (a)) ------------------------------------------

import strawberry  # noqa: E402


@strawberry.type
class Row:
    id: strawberry.ID
    total_points: int
    admitted: bool
    passed: bool
    full_name: str


ROWS = [Row(id=strawberry.ID(str(uuid.UUID(int=i))), total_points=240, admitted=True,
            passed=True, full_name=f"Learner {i:03}") for i in range(100)]


@strawberry.type
class PlainQuery:
    @strawberry.field
    def rows(self) -> list[Row]:
        return ROWS


def plain_app() -> Any:
    from starlette.applications import Starlette
    from starlette.routing import Route
    from strawberry.asgi import GraphQL

    return Starlette(routes=[Route("/graphql", GraphQL(strawberry.Schema(query=PlainQuery)))])


def serve_plain(port: int) -> None:
    import uvicorn

    from registry.web.accesslog import uvicorn_log_config

    uvicorn.run(plain_app(), host="127.0.0.1", port=port, log_level="info",
                log_config=uvicorn_log_config())


def serve_profiled(out: str) -> None:
    """``registry serve`` under a profiler, until SIGTERM; the profile goes to ``out``."""
    import signal

    from registry.cli import main

    def stop(*_: Any) -> None:
        raise KeyboardInterrupt

    def serve() -> None:
        try:
            main(["serve", "--port", os.environ["BENCH_PORT"]])
        except KeyboardInterrupt:
            pass

    signal.signal(signal.SIGTERM, stop)
    try:
        from pyinstrument import Profiler
    except ImportError:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.runcall(serve)
        with open(out, "w") as f:
            pstats.Stats(profile, stream=f).sort_stats("cumulative").print_stats(60)
            pstats.Stats(profile, stream=f).sort_stats("tottime").print_stats(40)
        return
    profiler = Profiler(interval=0.0005, async_mode="disabled")
    profiler.start()
    serve()
    profiler.stop()
    Path(out).write_text(profiler.output_text(unicode=True, show_all=False))


# -- seeding -----------------------------------------------------------------------------------

def seed(data_dir: Path) -> tuple[str, str]:
    """A registry with 100 enrolments and a certificate; (an admin token, its number)."""
    from registry.application.context import CommandContext
    from registry.bootstrap import build
    from registry.config import Settings
    from registry.domain.access import Role
    from registry.domain.moocs import LocalizedText

    admin = CommandContext(actor_name="bench", actor_role="admin")
    container = build(Settings(data_dir=data_dir), poll_interval=0.05)
    try:
        service = container.service
        run = service.run
        title = LocalizedText(kk="Алгебра", en="Algebra")
        run(admin, lambda cmd: cmd.moocs.draft(code="ALG-101", title=title, language="kk",
                                               credits=5, hours=150, department="Science"))
        run(admin, lambda cmd: cmd.moocs.submit_for_review("ALG-101"))
        run(admin, lambda cmd: cmd.moocs.record_expert_review(
            code="ALG-101", passed=True, reviewer="Prof", remarks=None))
        run(admin, lambda cmd: cmd.moocs.record_approbation(code="ALG-101", passed=True,
                                                            remarks=None))
        run(admin, lambda cmd: cmd.moocs.publish(code="ALG-101", platform_code="moocs.kz"))
        first = None
        for i in range(100):
            learner = run(admin, lambda cmd, i=i: cmd.learners.register(
                full_name=f"Learner {i:03}", email=None, iin=None, full_name_latin=None))
            enrollment = run(admin, lambda cmd, lid=learner: cmd.enrollments.enroll(
                learner_id=uuid.UUID(lid), mooc_code="ALG-101"))
            first = first or uuid.UUID(enrollment)
        assert first is not None
        for component, points in (("RATING_1", 80), ("MIDTERM", 90), ("RATING_2", 70)):
            run(admin, lambda cmd, c=component, p=points: cmd.enrollments.record_score(
                enrollment_id=first, component=c, points=p, reason=None))
        run(admin, lambda cmd: cmd.enrollments.record_final_exam(
            enrollment_id=first, points=88, mode="ON_CAMPUS"))
        number: str = run(admin, lambda cmd: cmd.certificates.issue(enrollment_id=first))
        token: str = run(admin, lambda cmd: cmd.tokens.create(
            name="bench", role=Role.ADMIN, learner_id=None, courses=None))
        return token, number
    finally:
        container.close()


# -- servers -----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(args: list[str], env: dict[str, str], port: int, root: Path = ROOT
          ) -> subprocess.Popen[bytes]:
    """``python args…`` on the server's core with the registry of checkout ``root``."""
    process = subprocess.Popen(
        [sys.executable, *args], env={**os.environ, **env, "PYTHONPATH": str(root)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=lambda: os.sched_setaffinity(0, {SERVER_CORE}))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"the server {args} stopped at start") from None
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the server {args} did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# -- the load generator: keep-alive HTTP/1.1 over asyncio streams ------------------------------

def post(port: int, path: str, body: dict[str, Any], token: str | None = None) -> bytes:
    """One keep-alive HTTP/1.1 POST of ``body`` as JSON, with a bearer ``token`` if given."""
    data = json.dumps(body).encode()
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\n{auth}Content-Length: {len(data)}\r\n\r\n"
            ).encode() + data


def request_bytes(port: int, query: str, variables: dict[str, Any] | None,
                  token: str | None) -> bytes:
    return post(port, "/graphql", {"query": query, "variables": variables}, token)


async def connection(port: int, requests: list[bytes], offset: int, until: float,
                     check: bytes, latencies: list[float], count: int | None = None) -> None:
    """Send ``requests`` in turn (from ``offset``) until ``until`` (or ``count`` of them),
    one after another's answer; each answer must be a 200 holding ``check`` and no GraphQL
    errors."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = offset
    try:
        while time.monotonic() < until and (count is None or i - offset < count):
            started = time.perf_counter()
            writer.write(requests[i % len(requests)])
            i += 1
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if not head.startswith(b"HTTP/1.1 200") or check not in body or b'"errors"' in body:
                raise RuntimeError(f"unexpected answer: {head[:40]!r} {body[:300]!r}")
    finally:
        writer.close()


def cpu_seconds(pid: int) -> float:
    """The CPU time (user + system, every thread) the process ``pid`` has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(port: int, requests: list[bytes], seconds: float, connections: int, check: bytes,
            pid: int | None = None) -> dict[str, float]:
    """Requests per second over ``seconds`` (``rps``), requests per CPU second of the server
    ``pid`` (``cpu``: the steadier figure on a shared machine — another job on the server's
    core slows the wall clock, not the server's own CPU time per request), and the latency's
    ``p50`` and ``p99`` in ms. The connections start at different places in ``requests``."""
    async def run() -> dict[str, float]:
        latencies: list[float] = []
        cpu = cpu_seconds(pid) if pid else 0.0
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(*(connection(port, requests, k * 7919, until, check, latencies)
                               for k in range(connections)))
        wall = time.monotonic() - started
        used = cpu_seconds(pid) - cpu if pid else 0.0
        latencies.sort()
        return {"rps": len(latencies) / wall, "cpu": len(latencies) / used if used else 0.0,
                "p50": latencies[len(latencies) // 2] * 1000,
                "p99": latencies[int(len(latencies) * 0.99)] * 1000}

    return asyncio.run(run())


Side = tuple[int, list[bytes], bytes, int]  # port, requests, what each answer holds, server pid


def alternate(name: str, ours: Side, base: Side, args: argparse.Namespace, *,
              latency: bool = False) -> tuple[float, float]:
    """``--rounds`` alternated pairs after a warm-up; the medians and the median of the pairs'
    ratios, in wall time and in CPU time (and our side's p50/p99 with ``latency``). Returns
    the medians of both sides' requests per CPU second."""
    for port, requests, check, pid in (ours, base):  # warm-up: the caches, the connections
        measure(port, requests, 1.0, args.connections, check, pid)
    pairs = []
    for _ in range(args.rounds):
        a = measure(ours[0], ours[1], args.seconds, args.connections, ours[2], ours[3])
        b = measure(base[0], base[1], args.seconds, args.connections, base[2], base[3])
        pairs.append((a, b))
    for label, key, unit in (("wall", "rps", "req/s"), ("CPU", "cpu", "req/CPU-s")):
        ratio = statistics.median(a[key] / b[key] for a, b in pairs)
        print(f"{name}, {label}: {statistics.median(a[key] for a, _ in pairs):8.1f} {unit} ÷ "
              f"{statistics.median(b[key] for _, b in pairs):8.1f} {unit} = ratio {ratio:.2f} "
              f"(pairs: {', '.join(f'{a[key] / b[key]:.2f}' for a, b in pairs)})")
    if latency:
        print(f"{name}: ours p50 {statistics.median(a['p50'] for a, _ in pairs):.2f} ms, "
              f"p99 {statistics.median(a['p99'] for a, _ in pairs):.2f} ms; baseline p50 "
              f"{statistics.median(b['p50'] for _, b in pairs):.2f} ms, "
              f"p99 {statistics.median(b['p99'] for _, b in pairs):.2f} ms "
              f"({args.connections} connections)")
    return (statistics.median(a["cpu"] for a, _ in pairs),
            statistics.median(b["cpu"] for _, b in pairs))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--profile", default=None, help="profile our server into this dir")
    parser.add_argument("--plain-server", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--profiled-server", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain_server:
        serve_plain(args.plain_server)
        return
    if args.profiled_server:
        serve_profiled(args.profiled_server)
        return
    os.sched_setaffinity(0, {CLIENT_CORE})
    with tempfile.TemporaryDirectory(prefix="bench-read-") as tmp:
        data_dir = Path(tmp) / "var"
        token, number = seed(data_dir)
        ours_port, plain_port = free_port(), free_port()
        env = {"REGISTRY_DATA_DIR": str(data_dir), "BENCH_PORT": str(ours_port),
               # the address the seeding fixed the audit log's name to (not the bench's port)
               "REGISTRY_PUBLIC_URL": "http://127.0.0.1:8000",
               # the anonymous budget (SPEC §10) would refuse a benchmark's traffic
               "REGISTRY_RATE_LIMIT_PUBLIC": "100000000/minute"}
        page = [request_bytes(ours_port, PAGE, None, token)], b"Learner 099"
        plain = [request_bytes(plain_port, PLAIN_PAGE, None, None)], b"Learner 099"
        typename = [request_bytes(ours_port, TYPENAME, None, None)], b"Query"
        certificate = ([request_bytes(ours_port, CERTIFICATE, {"n": number}, None)],
                       number.encode())
        if args.profile:
            Path(args.profile).mkdir(parents=True, exist_ok=True)
            for name, (request, check) in (("a-page", page), ("b-certificate", certificate)):
                out = str(Path(args.profile, f"{name}.txt").resolve())
                server = start([__file__, "--profiled-server", out], env, ours_port)
                try:
                    measure(ours_port, request, args.seconds * 3, args.connections, check)
                finally:
                    stop(server)
                print(f"profile of {name}: {out}")
            return
        ours = start(["-m", "registry.cli", "serve", "--port", str(ours_port)], env, ours_port)
        base = start([__file__, "--plain-server", str(plain_port)], {}, plain_port)
        try:
            print(f"server on core {SERVER_CORE}, load on core {CLIENT_CORE}; "
                  f"{args.connections} connections, {args.rounds} × {args.seconds:g} s pairs")
            alternate("(a) 100 enrolments ÷ plain strawberry 100 × 5",
                      (ours_port, *page, ours.pid), (plain_port, *plain, base.pid), args)
            alternate("(b) certificate(number) ÷ { __typename }",
                      (ours_port, *certificate, ours.pid), (ours_port, *typename, ours.pid),
                      args)
        finally:
            stop(ours)
            stop(base)


if __name__ == "__main__":
    main()
