"""Benchmark: instructions per request on the event loop's thread, counted by valgrind's
callgrind — repeatable where seconds are not.

    PYTHONPATH=$PWD .venv/bin/python bench/instructions.py [--before DIR] [--requests 10]
                                                            [--learners 300]

Why: on this shared machine the same code's time per page moved 2× within minutes
(2026-12-07: 5.9–12.0 ms for one page of 100 enrolments in process), which no pairing hides.
callgrind counts instructions, not seconds, and the count does not move with the machine's
load. Each load runs in a child under ``valgrind --tool=callgrind --collect-atstart=no
--toggle-collect=_operator_call``: the app is built and warmed up uncounted, then the measured
requests run inside ``operator.call`` — the only code counted. What runs on other threads (the
page's read of the views in the thread pool, the projection daemon) is not counted here;
``--read`` counts the page's read of the views alone, called directly.

Loads: ``page`` — ``read_api.py``'s page of 100 enrolments with learner.fullName under an
admin token, through the whole ASGI stack (no uvicorn, no sockets); with ``--loads`` also
``typename`` (``{ __typename }`` under an admin token), ``verify`` (``POST /api/verify``) and
``certificate`` (``certificate(number)``, anonymous), each request drawn in turn from the
distinct tokens or certificates, every one of them seen once in the warm-up; ``plain`` — the plain
strawberry app of 100 × 5 constant fields (``read_api.plain_app``), the baseline of issue 12's
(a); ``read`` — the views' read behind the page (``service.page`` + ``get_many``); these two
only when the page is among the loads. With ``--before DIR`` (another checkout, e.g. ``git
worktree add /tmp/before <commit>``) each load, and the read, are counted for both. Each child takes one to three minutes (valgrind runs the
start-up some 50× slower); they run two at a time. Not part of the pytest suite.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

LOAD_CHILD = r'''
import asyncio, json, operator, sys
root, seed_file, n, bench, load = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
sys.path.insert(0, root)
sys.path.append(bench)  # after the checkout under test: only the driver comes from here
import registry
assert registry.__file__.startswith(root), registry.__file__
from registry.web.app import create_app
from asgi_driver import CERTIFICATE, PAGE, Lifespan, call, post
certificates, tokens = json.load(open(seed_file))
calls = {
    "page": lambda: [post("/graphql", {"query": PAGE}, t) for t in tokens],
    "typename": lambda: [post("/graphql", {"query": "{ __typename }"}, t) for t in tokens],
    "verify": lambda: [post("/api/verify", {"token": t}) for _, t in certificates],
    "certificate": lambda: [post("/graphql", {"query": CERTIFICATE, "variables": {"n": c}})
                            for c, _ in certificates],
}[load]()
async def pages(app, state, k):
    for i in range(k):
        await call(app, state, *calls[i % len(calls)])
loop = asyncio.new_event_loop()
app = create_app()
life = Lifespan(app)
state = loop.run_until_complete(life.started())
loop.run_until_complete(pages(app, state, max(5, len(calls))))  # warm-up: caches, reads
operator.call(loop.run_until_complete, pages(app, state, n))  # counted
loop.run_until_complete(life.stopped())
'''

PLAIN_CHILD = r'''
import asyncio, operator, sys
sys.path.insert(0, sys.argv[1])
import read_api
from asgi_driver import call, post
app = read_api.plain_app()
n = int(sys.argv[2])
request = post("/graphql", {"query": read_api.PLAIN_PAGE})
async def pages(k):
    for _ in range(k):
        await call(app, {}, *request)
loop = asyncio.new_event_loop()
loop.run_until_complete(pages(5))
operator.call(loop.run_until_complete, pages(n))
'''

READ_CHILD = r'''
import operator, sys
root, n = sys.argv[1], int(sys.argv[2])
sys.path.insert(0, root)
from registry.bootstrap import build
from registry.config import Settings
container = build(Settings.from_env(), seed=False)
service = container.service
container.wait_for_views(timeout=600)
def read():
    page = service.page("enrollments", {}, limit=101, ranges={}, search=None,
                        order_by="enrolled_at", descending=False)
    return page, service.get_many("learners", sorted({d["learnerId"] for d, _, _ in page}))
read()
def reads():
    for _ in range(n):
        read()
operator.call(reads)
container.close()
'''

COLLECTED = re.compile(r"Collected : (\d+)")


def counted(code: str, args: list[str], env: dict[str, str], out: Path) -> int:
    """Instructions counted inside ``operator.call`` of one child under callgrind."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--collect-atstart=no",
         "--toggle-collect=_operator_call", f"--callgrind-out-file={out}",
         sys.executable, "-c", code, *args],
        env={**os.environ, **env}, capture_output=True, text=True)
    found = COLLECTED.search(done.stderr) if done.returncode == 0 else None
    if found is None:
        raise RuntimeError(done.stderr[-2000:])
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", type=Path, help="another checkout to compare with")
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--learners", type=int, default=300)
    parser.add_argument("--loads", default="page",
                        help="comma-separated, of page, typename, verify, certificate "
                             "(default page)")
    args = parser.parse_args()
    loads = [load.strip() for load in args.loads.split(",") if load.strip()]
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed (apt-get install valgrind)")
    from serving import seed

    with tempfile.TemporaryDirectory(prefix="bench-instructions-") as tmp:
        store = Path(tmp) / "store"
        certificates, tokens = seed(store, args.learners, 64)
        seed_file = Path(tmp) / "requests.json"
        seed_file.write_text(json.dumps([certificates, tokens]))
        sides = {"after": ROOT}
        if args.before is not None:
            sides["before"] = args.before.resolve()
        n = str(args.requests)
        jobs: dict[str, tuple[str, list[str], dict[str, str]]] = {
            "plain": (PLAIN_CHILD, [str(ROOT / "bench"), n], {})} if "page" in loads else {}
        for side, root in sides.items():
            reads = [("read", READ_CHILD, [n])] if "page" in loads else []  # the page's read
            for load, code, extra in (
                    *((load, LOAD_CHILD, [str(seed_file), n, str(ROOT / "bench"), load])
                      for load in loads),
                    *reads):
                data_dir = Path(tmp) / f"{side}-{load}"
                shutil.copytree(store, data_dir)  # one process at a time per store
                env = {"REGISTRY_DATA_DIR": str(data_dir), "PYTHONPATH": str(root),
                       "REGISTRY_PUBLIC_URL": "http://127.0.0.1:8000",
                       "REGISTRY_RATE_LIMIT_PUBLIC": "100000000/minute",
                       "REGISTRY_RATE_LIMIT_VERIFY": "100000000/minute"}
                jobs[f"{load} {side}"] = (code, [str(root), *extra], env)
        with ThreadPoolExecutor(2) as pool:
            futures = {name: pool.submit(counted, code, argv, env, Path(tmp) / f"{i}.out")
                       for i, (name, (code, argv, env)) in enumerate(jobs.items())}
            per = {name: f.result() / args.requests for name, f in futures.items()}
        print(f"{args.requests} requests each, instructions per request on the loop's thread "
              "(callgrind):")
        for name, value in per.items():
            print(f"  {name:14s} {value / 1e6:8.2f} M")
        if "page" in loads:
            page, plain = per["page after"], per["plain"]
            print(f"plain ÷ page (the loop's thread only) {plain / page:.2f}; "
                  f"plain ÷ (page + its read) {plain / (page + per['read after']):.2f}")
        if "before" in sides:
            for load in (*loads, *(["read"] if "page" in loads else [])):
                print(f"{load}: after ÷ before {per[load + ' after'] / per[load + ' before']:.2f}")


if __name__ == "__main__":
    main()
