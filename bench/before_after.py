"""Benchmark: this checkout against another one, on ``bench/serving.py``'s hot paths, in one run.

    git worktree add /tmp/before <commit>
    PYTHONPATH=$PWD .venv/bin/python bench/before_after.py /tmp/before [--seconds 3] [--rounds 5]

A change's effect measured directly, where ``bench/serving.py``'s ratios against a plain app
move with the machine's load (its plain endpoint is the most sensitive side): a
``registry demo --learners N`` store is made once and copied, ``registry serve`` of each
checkout serves its copy exactly as in production (pinned to core 0, the rate limits raised
as in ``serving.py``), and the same distinct requests — every active certificate's token, 64
admin tokens (``{ __typename }``, and ``read_api.py``'s page of 100 enrolments), every
certificate's number — are sent to both in alternated pairs from core 1.
Prints after ÷ before (requests per CPU second and per second, medians of the pairs' ratios)
and each side's p50/p99. Not part of the pytest suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from read_api import CLIENT_CORE, PAGE, alternate, free_port, post, start, stop  # noqa: E402
from serving import CERTIFICATE, PUBLIC_URL, seed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("before", type=Path, help="the other checkout (its root folder)")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--learners", type=int, default=300)
    parser.add_argument("--tokens", type=int, default=64)
    args = parser.parse_args()
    before_root = args.before.resolve()
    if not (before_root / "registry" / "cli.py").is_file():
        parser.error(f"{before_root}: not a checkout of the registry (no registry/cli.py)")
    os.sched_setaffinity(0, {CLIENT_CORE})
    with tempfile.TemporaryDirectory(prefix="bench-before-after-") as tmp:
        after_dir, before_dir = Path(tmp) / "after", Path(tmp) / "before"
        certificates, tokens = seed(after_dir, args.learners, args.tokens)
        shutil.copytree(after_dir, before_dir)
        print(f"{len(certificates)} distinct certificates, {len(tokens)} distinct tokens; "
              f"after = {ROOT}, before = {before_root}")
        limits = {"REGISTRY_PUBLIC_URL": PUBLIC_URL,
                  "REGISTRY_RATE_LIMIT_PUBLIC": "100000000/minute",
                  "REGISTRY_RATE_LIMIT_VERIFY": "100000000/minute"}
        sides = []
        try:
            for data_dir, root in ((after_dir, ROOT), (before_dir, before_root)):
                port = free_port()
                server = start(["-m", "registry.cli", "serve", "--port", str(port)],
                               {**limits, "REGISTRY_DATA_DIR": str(data_dir)}, port, root)
                sides.append((port, server))
            loads = {
                "POST /api/verify": (lambda port: [post(port, "/api/verify", {"token": token})
                                                   for _, token in certificates], b'"VALID"'),
                "{ __typename } with a token": (lambda port: [
                    post(port, "/graphql", {"query": "{ __typename }"}, token)
                    for token in tokens], b"Query"),
                "a page of 100 enrolments with learner.fullName": (lambda port: [
                    post(port, "/graphql", {"query": PAGE}, token) for token in tokens],
                    b'"nodes"'),
                "certificate(number)": (lambda port: [
                    post(port, "/graphql", {"query": CERTIFICATE, "variables": {"n": number}})
                    for number, _ in certificates], b'"number"'),
            }
            print(f"server on core 0, load on core {CLIENT_CORE}; {args.connections} "
                  f"connections, {args.rounds} × {args.seconds:g} s pairs")
            for name, (requests, check) in loads.items():
                (after_port, after), (before_port, before) = sides
                alternate(f"{name}: after ÷ before",
                          (after_port, requests(after_port), check, after.pid),
                          (before_port, requests(before_port), check, before.pid), args,
                          latency=True)
        finally:
            for _, server in sides:
                stop(server)


if __name__ == "__main__":
    main()
