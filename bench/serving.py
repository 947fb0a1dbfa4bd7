"""Benchmark (issue 15, target 1): the public and authenticated hot paths against the ceiling of
their own stack, with distinct certificates and tokens rotating through the load.

    .venv/bin/python bench/serving.py [--seconds 3] [--rounds 5] [--connections 16]
                                      [--learners 300] [--tokens 64]

A registry is filled by ``registry demo --learners N`` (a KazNU-like term: every certificate
distinct), and ``--tokens`` admin tokens are made; then ``registry serve`` serves it exactly as in
production (uvicorn with uvloop and httptools, the rate limits raised so the anonymous budget
does not refuse the load), and a plain Starlette app answering a constant JSON body is served
by the same uvicorn. Each server is pinned to core 0, the load generator to core 1; the load is
``--connections`` keep-alive HTTP/1.1 connections, each request drawn in turn from a list of
distinct requests (so no cache keyed by certificate or token makes a benchmark of one hot
entry). Ratios are medians of ``--rounds`` alternated pairs, in requests per second and in
requests per CPU second of the server process (``bench/read_api.py`` explains why both):

1. ``POST /api/verify`` with a certificate's token ÷ the plain Starlette JSON endpoint (target
   ≥ 0.35, and p99 < 10 ms at 16 connections);
2. GraphQL ``{ __typename }`` with a bearer token ÷ plain Starlette (target ≥ 0.25);
3. GraphQL ``certificate(number)`` ÷ ``{ __typename }`` (target ≥ 0.6).

And the ceilings of the stack, measured in the same run: for 1, the plain endpoint plus the one
thing no cache may skip — checking one Ed25519 signature (libsodium, timed on the server's core):
no verifier can beat ``plain ÷ (plain + signature)``; for 2, a plain strawberry app (one field,
strawberry's own parser and validation caches, no token, no middleware) answering
``{ __typename }`` on the same uvicorn — the GraphQL layer's own cost.

Not part of the pytest suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from read_api import (  # noqa: E402
    CERTIFICATE,
    CLIENT_CORE,
    alternate,
    free_port,
    post,
    start,
    stop,
)

PUBLIC_URL = "http://127.0.0.1:8000"


# -- the plain Starlette app (the ceiling of 1 and 2) ------------------------------------------

def plain_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def verify(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({"status": "VALID", "certificate": None, "reason": None})

    return Starlette(routes=[Route("/api/verify", verify, methods=["POST"]),
                             Route("/graphql", verify, methods=["POST"])])


def plain_strawberry_app() -> Any:
    import strawberry
    from starlette.applications import Starlette
    from starlette.routing import Route
    from strawberry.asgi import GraphQL
    from strawberry.extensions import ParserCache, ValidationCache

    @strawberry.type
    class Query:
        ok: bool = True

    schema = strawberry.Schema(query=Query, extensions=[ParserCache(), ValidationCache()])
    return Starlette(routes=[Route("/graphql", GraphQL(schema))])


def serve_plain(port: int, app: Any = None) -> None:
    import uvicorn

    uvicorn.run(app or plain_app(), host="127.0.0.1", port=port, log_level="warning",
                access_log=False)


def signature_seconds(checks: int = 2000, rounds: int = 5) -> float:
    """One Ed25519 check of a certificate-sized token with libsodium, as the registry makes it
    (median of ``rounds``), timed on the server's core."""
    import timeit

    from nacl.signing import SigningKey
    from read_api import SERVER_CORE

    key = SigningKey.generate()
    message = b"e" * 36 + b"." + b"p" * 160
    signature = key.sign(message).signature
    verify = key.verify_key.verify
    mask = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {SERVER_CORE})
    try:
        return statistics.median(timeit.timeit(lambda: verify(message, signature),
                                               number=checks) / checks
                                 for _ in range(rounds))
    finally:
        os.sched_setaffinity(0, mask)


# -- seeding -----------------------------------------------------------------------------------

def seed(data_dir: Path, learners: int, tokens: int) -> tuple[list[tuple[str, str]], list[str]]:
    """(certificate number, token) pairs of the ACTIVE certificates; admin bearer tokens."""
    env = {**os.environ, "REGISTRY_DATA_DIR": str(data_dir), "REGISTRY_PUBLIC_URL": PUBLIC_URL,
           "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "registry.cli", "demo", "--learners", str(learners),
                    "--quiet"], env=env, check=True, stdout=subprocess.DEVNULL)
    from registry.application.context import CommandContext
    from registry.bootstrap import build
    from registry.config import Settings
    from registry.domain.access import Role

    container = build(Settings(data_dir=data_dir, public_url=PUBLIC_URL))
    try:
        service = container.service
        docs = service.views.find("certificates", {"status": "ACTIVE"}, limit=100_000)
        admin = CommandContext(actor_name="bench", actor_role="admin")
        secrets = [service.run(admin, lambda cmd, i=i: cmd.tokens.create(
            name=f"bench {i}", role=Role.ADMIN, learner_id=None, courses=None))
            for i in range(tokens)]
        return [(doc["number"], doc["token"]) for doc in docs], secrets
    finally:
        container.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--learners", type=int, default=300)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--plain-server", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--strawberry-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain_server:
        serve_plain(args.plain_server)
        return
    if args.strawberry_server:
        serve_plain(args.strawberry_server, plain_strawberry_app())
        return
    os.sched_setaffinity(0, {CLIENT_CORE})
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as tmp:
        data_dir = Path(tmp) / "var"
        certificates, tokens = seed(data_dir, args.learners, args.tokens)
        print(f"{len(certificates)} distinct certificates, {len(tokens)} distinct tokens")
        ours_port, plain_port, straw_port = free_port(), free_port(), free_port()
        env = {"REGISTRY_DATA_DIR": str(data_dir), "REGISTRY_PUBLIC_URL": PUBLIC_URL,
               "REGISTRY_RATE_LIMIT_PUBLIC": "100000000/minute",
               "REGISTRY_RATE_LIMIT_VERIFY": "100000000/minute"}
        ours = start(["-m", "registry.cli", "serve", "--port", str(ours_port)], env, ours_port)
        base = start([__file__, "--plain-server", str(plain_port)], {}, plain_port)
        straw = start([__file__, "--strawberry-server", str(straw_port)], {}, straw_port)
        try:
            verify = [post(ours_port, "/api/verify", {"token": token})
                      for _, token in certificates]
            plain = [post(plain_port, "/api/verify", {"token": token})
                     for _, token in certificates[:1]]
            typename = [post(ours_port, "/graphql", {"query": "{ __typename }"}, token)
                        for token in tokens]
            certificate = [post(ours_port, "/graphql",
                                {"query": CERTIFICATE, "variables": {"n": number}})
                           for number, _ in certificates]
            print(f"server on core 0, load on core {CLIENT_CORE}; {args.connections} "
                  f"connections, {args.rounds} × {args.seconds:g} s pairs")
            plain_typename = [post(straw_port, "/graphql", {"query": "{ __typename }"})]
            _, plain_cpu = alternate("1. POST /api/verify ÷ plain Starlette",
                                     (ours_port, verify, b'"VALID"', ours.pid),
                                     (plain_port, plain, b'"VALID"', base.pid), args,
                                     latency=True)
            check = signature_seconds()
            print(f"1. its ceiling: plain Starlette + one Ed25519 check ({check * 1e6:.0f} µs, "
                  f"libsodium) ÷ plain Starlette = ratio "
                  f"{1 / (1 + check * plain_cpu):.2f} — no verifier that checks the "
                  "signature can do better on this machine")
            alternate("2. { __typename } with a token ÷ plain Starlette",
                      (ours_port, typename, b"Query", ours.pid),
                      (plain_port, plain, b'"VALID"', base.pid), args, latency=True)
            alternate("2. its ceiling: plain strawberry (caches on) { __typename } ÷ plain "
                      "Starlette", (straw_port, plain_typename, b"Query", straw.pid),
                      (plain_port, plain, b'"VALID"', base.pid), args)
            alternate("2. ours (token, limits, logs) ÷ plain strawberry { __typename }",
                      (ours_port, typename, b"Query", ours.pid),
                      (straw_port, plain_typename, b"Query", straw.pid), args)
            alternate("3. certificate(number) ÷ { __typename }",
                      (ours_port, certificate, b'"number"', ours.pid),
                      (ours_port, typename, b"Query", ours.pid), args, latency=True)
        finally:
            stop(ours)
            stop(base)
            stop(straw)


if __name__ == "__main__":
    main()
