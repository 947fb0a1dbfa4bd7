"""Benchmark: the application's own cost per request, called in process through its whole ASGI
stack (no uvicorn, no sockets, no load generator) — this checkout, or against another one.

    PYTHONPATH=$PWD .venv/bin/python bench/in_process.py [--before DIR] [--requests 400]
                                                          [--rounds 4] [--learners 300]
                                                          [--profile page]

Why: on a shared 2-core machine the HTTP benchmarks' pairs move by ±20 %, more than most
single changes; here one process on one core calls the app (``create_app``, its lifespan run,
the rate limits raised as in ``serving.py``) with the same distinct requests in turn — every
active certificate's token (``POST /api/verify``), 64 admin tokens (``{ __typename }`` and
``read_api.py``'s page of 100 enrolments), every certificate's number — and times them after a
warm-up: µs per request, the median of five passes. With ``--before DIR`` (another checkout,
e.g. ``git worktree add /tmp/before <commit>``) each ``--rounds`` runs both, alternating, on
copies of one store, and prints after ÷ before (a ratio below 1 is faster). What this leaves
out — uvicorn, the access line, the kernel — is in ``serving.py`` and ``read_api.py``.
Not part of the pytest suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

LOADS = ("verify", "typename", "page", "certificate")

# Run in a child process with the checkout under test first on sys.path: the app is built,
# its lifespan started, and each load timed; prints one JSON object (µs per request by load).
CHILD = r'''
import asyncio, json, os, statistics, sys, time
root, data_dir, seed_file, requests, core, bench = sys.argv[1:7]
sys.path.insert(0, root)
sys.path.append(bench)  # after the checkout under test: only the driver comes from here
os.sched_setaffinity(0, {int(core)})
import registry
assert registry.__file__.startswith(root), registry.__file__
from registry.web.app import create_app
from asgi_driver import CERTIFICATE, PAGE, Lifespan, call, post
certificates, tokens = json.load(open(seed_file))

async def main():
    app = create_app()
    life = Lifespan(app)
    state = await life.started()
    loads = {
        "verify": [post("/api/verify", {"token": t}) for _, t in certificates],
        "typename": [post("/graphql", {"query": "{ __typename }"}, t) for t in tokens],
        "page": [post("/graphql", {"query": PAGE}, t) for t in tokens],
        "certificate": [post("/graphql", {"query": CERTIFICATE, "variables": {"n": n}})
                        for n, _ in certificates],
    }
    n = int(requests)
    found = {}
    for name, calls in loads.items():
        each = max(n // 10, 10) if name == "page" else n
        for scope, body in calls[:each]:  # warm-up: caches, first reads
            await call(app, state, scope, body)
        profiler = None
        if os.environ.get("BENCH_PROFILE") == name:
            import cProfile
            profiler = cProfile.Profile()
            profiler.enable()
        passes = []
        for _ in range(5):
            began = time.perf_counter()
            for i in range(each):
                scope, body = calls[i % len(calls)]
                await call(app, state, scope, body)
            passes.append((time.perf_counter() - began) / each * 1e6)
        found[name] = statistics.median(passes)
        if profiler is not None:
            import pstats
            profiler.disable()
            stats = pstats.Stats(profiler, stream=sys.stderr)
            stats.sort_stats(os.environ.get("BENCH_PROFILE_SORT", "tottime")).print_stats(40)
    await life.stopped()
    print(json.dumps(found))

try:
    import uvloop
    uvloop.run(main())
except ImportError:
    asyncio.run(main())
'''


def measure(root: Path, data_dir: Path, seed_file: Path, requests: int,
            profile: str | None = None) -> dict[str, float]:
    env = {**({"BENCH_PROFILE": profile} if profile else {}),**os.environ, "REGISTRY_DATA_DIR": str(data_dir),
           "REGISTRY_PUBLIC_URL": "http://127.0.0.1:8000",
           "REGISTRY_RATE_LIMIT_PUBLIC": "100000000/minute",
           "REGISTRY_RATE_LIMIT_VERIFY": "100000000/minute", "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", CHILD, str(root), str(data_dir), str(seed_file),
                           str(requests), "0", str(ROOT / "bench")], env=env, check=True, capture_output=True,
                          text=True)
    if profile:
        print(done.stderr, file=sys.stderr)
    found: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", type=Path, help="another checkout to compare with")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--learners", type=int, default=300)
    parser.add_argument("--profile", choices=LOADS,
                        help="print cProfile's 40 costliest functions of this load "
                             "(this checkout; BENCH_PROFILE_SORT=cumulative to sort so)")
    args = parser.parse_args()
    from serving import seed

    with tempfile.TemporaryDirectory(prefix="bench-in-process-") as tmp:
        after_dir = Path(tmp) / "after"
        certificates, tokens = seed(after_dir, args.learners, 64)
        seed_file = Path(tmp) / "requests.json"
        seed_file.write_text(json.dumps([certificates, tokens]))
        sides = {"after": (ROOT, after_dir)}
        if args.before is not None:
            before_dir = Path(tmp) / "before"
            shutil.copytree(after_dir, before_dir)
            sides["before"] = (args.before.resolve(), before_dir)
        print(f"{len(certificates)} distinct certificates, {len(tokens)} tokens; core 0; "
              f"{args.rounds} rounds, each load's median of 5 passes")
        results: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
        for _ in range(args.rounds):
            for side, (root, data_dir) in sides.items():
                results[side].append(measure(root, data_dir, seed_file, args.requests,
                                             args.profile if side == "after" else None))
        for load in LOADS:
            after = [r[load] for r in results["after"]]
            line = f"{load:12s} after {statistics.median(after):9.1f} µs/request"
            if "before" in results:
                before = [r[load] for r in results["before"]]
                ratios = [a / b for a, b in zip(after, before, strict=True)]
                line += (f"   before {statistics.median(before):9.1f}   after ÷ before "
                         f"{statistics.median(ratios):.2f} (rounds: "
                         f"{', '.join(f'{r:.2f}' for r in ratios)})")
            print(line)


if __name__ == "__main__":
    main()
