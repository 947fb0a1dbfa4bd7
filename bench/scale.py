"""Benchmark (issue 15, target 4): how the public hot paths, the memory and the start-up grow with
the store — 10⁴, 10⁵, 10⁶ events — against a near-empty store measured in the same run.

    .venv/bin/python bench/scale.py [--learners 60,800,8000,80000] [--store DIR …]
                                    [--seconds 3] [--sample 1000] [--cold 3000]
                                    [--plot bench/scale.svg]

Each store is a registry filled by ``registry demo --learners N`` (about 12 events a learner:
``--learners 80000`` is about 10⁶ events and 70,000 certificates), made in a temporary folder —
or an existing data folder given with ``--store`` (it is served as it is; the benchmark only
reads, so a store made once can be measured again). The first store is the baseline.

For each store, ``registry serve`` is started pinned to core 0 (the load on core 1) and timed
from the process's start to the first ``200`` of ``/readyz``; then, over ``--sample`` distinct
certificates drawn at random from the whole store, each read once first (the warm path: what a
certificate asked about again is answered from),

* the latency (p50, p99) of ``certificate(number)`` and of ``POST /api/verify``, one request
  at a time (the time one scan waits, without queueing behind others), and
* the throughput of each at 16 connections (requests per CPU second of the server);

and, for a store with ``--sample`` + 2 × ``--cold`` certificates, **the cold path**: each load
over ``--cold`` other certificates in rotation — more than the read cache keeps (2,000), so
every answer reads the views, as an employer's first scan of a certificate does — its p50 and
p99 one request at a time, against the smallest store that has a cold path (each store's
files are read into the OS page cache first, as on a server whose memory holds its database;
``--cold-disk`` leaves them to the disk);
and the server's resident memory after the load (``VmRSS``) and at its peak (``VmHWM``).
Prints one table (each figure and its ratio to the baseline) and, with ``--plot``, draws the
latencies and the memory against the number of events (matplotlib, if installed).

Not part of the pytest suite.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx

# read_api (beside this script) puts the project first on sys.path
from read_api import (  # noqa: E402
    CERTIFICATE,
    CLIENT_CORE,
    ROOT,
    SERVER_CORE,
    connection,
    free_port,
    measure,
    post,
    stop,
)

PUBLIC_URL = "http://127.0.0.1:8000"


def env_of(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "REGISTRY_DATA_DIR": str(data_dir), "REGISTRY_PUBLIC_URL": PUBLIC_URL,
            "PYTHONPATH": str(ROOT), "REGISTRY_RATE_LIMIT_PUBLIC": "100000000/minute",
            "REGISTRY_RATE_LIMIT_VERIFY": "100000000/minute"}


def make_store(data_dir: Path, learners: int) -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "registry.cli", "demo", "--learners", str(learners),
                    "--quiet"], env=env_of(data_dir), check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def contents(data_dir: Path, sample: int) -> tuple[int, int, list[tuple[str, str]]]:
    """(events, active certificates, a random sample of their (number, token))."""
    from registry.bootstrap import build
    from registry.config import Settings

    container = build(Settings(data_dir=data_dir, public_url=PUBLIC_URL), seed=False,
                      run_projections=False)
    try:
        events = container.app.recorder.max_notification_id() or 0
        docs = container.service.views.find("certificates", {"status": "ACTIVE"},
                                            limit=10_000_000)
        pairs = [(doc["number"], doc["token"]) for doc in docs]
        random.Random(15).shuffle(pairs)
        return events, len(pairs), pairs[:sample]
    finally:
        container.close()


def serve(data_dir: Path, port: int) -> tuple[subprocess.Popen[bytes], float]:
    """A server on core 0 and the seconds from its start to the first 200 of /readyz."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "registry.cli", "serve", "--port", str(port)],
        env=env_of(data_dir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=lambda: os.sched_setaffinity(0, {SERVER_CORE}))
    deadline = started + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server of {data_dir} stopped at start")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process, time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.02)
    process.kill()
    raise RuntimeError(f"the server of {data_dir} was not ready in 300 s")


def memory(pid: int) -> dict[str, float]:
    """The process's resident and peak resident memory, in MB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) / 1024
    return found


def touch_each(port: int, requests: list[bytes], check: bytes, connections: int = 4) -> None:
    """Send every request exactly once (``connections`` at a time, each its own slice): after
    it, each certificate of the sample has been read once — a warm-up that covers the whole
    sample, which a timed warm-up from overlapping offsets did not (it left a third of a
    1,000-certificate sample cold, and the cold third set the p99)."""
    async def run() -> None:
        await asyncio.gather(*(
            connection(port, requests[k::connections], 0, math.inf, check, [],
                       count=len(requests[k::connections])) for k in range(connections)))

    asyncio.run(run())


def page_cache(data_dir: Path) -> None:
    """Read the store's files once, so the OS page cache holds them, as it does on a server
    whose memory holds its database (a 2.8 GB store on this 24 GB machine). Without it, the
    cold path's p99 measures the virtual disk's first-touch reads, which moved 1.4–4.3 ms
    between runs at a million events."""
    for path in sorted(data_dir.rglob("*")):
        if path.is_file():
            with path.open("rb") as f:
                while f.read(1 << 24):
                    pass


def measure_store(data_dir: Path, sample: int, seconds: float, cold: int,
                  warm_files: bool = True) -> dict[str, Any]:
    if warm_files:
        page_cache(data_dir)
    events, certificates, pairs = contents(data_dir, sample + 2 * cold)
    # each cold load its own certificates, none of them in the warm sample: nothing of
    # theirs is in the read cache when their load starts
    cold_sets = ((pairs[sample:sample + cold], pairs[sample + cold:sample + 2 * cold])
                 if cold and certificates >= sample + 2 * cold else ([], []))
    pairs = pairs[:sample]
    port = free_port()
    process, ready = serve(data_dir, port)
    try:
        paths = {
            "certificate": ([post(port, "/graphql", {"query": CERTIFICATE,
                                                     "variables": {"n": number}})
                             for number, _ in pairs], b'"number"'),
            "verify": ([post(port, "/api/verify", {"token": token}) for _, token in pairs],
                       b'"VALID"'),
        }
        figures: dict[str, Any] = {"events": events, "certificates": certificates,
                                   "ready": ready}
        for name, (requests, check) in paths.items():
            touch_each(port, requests, check)  # every certificate of the sample read once
            one = measure(port, requests, seconds, 1, check, process.pid)
            many = measure(port, requests, seconds, 16, check, process.pid)
            figures[f"{name} p50"], figures[f"{name} p99"] = one["p50"], one["p99"]
            figures[f"{name} req/CPU-s"] = many["cpu"]
        # The cold path: more distinct certificates in rotation than the read cache keeps
        # (2,000), so every answer reads the views — an employer's first scan. Only for a
        # store that has that many; one request at a time.
        for name, body, cold_pairs in (
                ("certificate", lambda n, t: ("/graphql", {"query": CERTIFICATE,
                                                           "variables": {"n": n}}), cold_sets[0]),
                ("verify", lambda n, t: ("/api/verify", {"token": t}), cold_sets[1])):
            if cold_pairs:
                requests = [post(port, *body(number, token)) for number, token in cold_pairs]
                check = b'"number"' if name == "certificate" else b'"VALID"'
                # warm the connection and the code on certificates of the warm sample (their
                # rows are cached already): the cold load's own rows are all read in it
                touch_each(port, [post(port, *body(number, token))
                                  for number, token in pairs[:200]], check)
                one = measure(port, requests, seconds, 1, check, process.pid)
                figures[f"cold {name} p50"], figures[f"cold {name} p99"] = one["p50"], one["p99"]
            else:
                figures[f"cold {name} p50"] = figures[f"cold {name} p99"] = None
        figures.update(memory(process.pid))
        return figures
    finally:
        stop(process)


COLUMNS = [("events", "{:,}"), ("certificates", "{:,}"), ("ready", "{:.2f} s"),
           ("certificate p50", "{:.2f} ms"), ("certificate p99", "{:.2f} ms"),
           ("verify p50", "{:.2f} ms"), ("verify p99", "{:.2f} ms"),
           ("certificate req/CPU-s", "{:,.0f}"), ("verify req/CPU-s", "{:,.0f}"),
           ("cold certificate p50", "{:.2f} ms"), ("cold certificate p99", "{:.2f} ms"),
           ("cold verify p50", "{:.2f} ms"), ("cold verify p99", "{:.2f} ms"),
           ("VmRSS", "{:.0f} MB"), ("VmHWM", "{:.0f} MB")]


def table(rows: list[dict[str, Any]]) -> str:
    base = rows[0]
    lines = ["| " + " | ".join(name for name, _ in COLUMNS) + " |",
             "|" + "---|" * len(COLUMNS)]
    cold_base = next((row for row in rows if row["cold verify p50"] is not None), None)
    for row in rows:
        cells = []
        for name, fmt in COLUMNS:
            if row[name] is None:
                cells.append("—")
                continue
            cell = fmt.format(row[name])
            # cold figures against the smallest store that has a cold path
            against = cold_base if name.startswith("cold ") else base
            if (against is not None and row is not against and against[name]
                    and name not in ("events", "certificates")):
                cell += f" ({row[name] / against[name]:.2f}×)"
            cells.append(cell)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(rows: list[dict[str, Any]], path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no plot: matplotlib is not installed — pip install matplotlib)")
        return
    events = [max(row["events"], 1) for row in rows]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for name, style in (("certificate p50", "o-"), ("certificate p99", "o--"),
                        ("verify p50", "s-"), ("verify p99", "s--"),
                        ("cold certificate p50", "o:"), ("cold verify p50", "s:")):
        shown = [(e, row[name]) for e, row in zip(events, rows, strict=True)
                 if row[name] is not None]
        if shown:
            left.plot(*zip(*shown, strict=True), style, label=name)
    left.set(xscale="log", xlabel="events in the store", ylabel="ms, one request at a time",
             title="latency")
    left.legend()
    right.plot(events, [row["VmRSS"] for row in rows], "o-", label="RSS after the load")
    right.plot(events, [row["VmHWM"] for row in rows], "o--", label="peak RSS")
    right.plot(events, [row["ready"] * 100 for row in rows], "^-", label="start-up to /readyz ×100 s")
    right.axhline(300, color="grey", linewidth=0.8)
    right.set(xscale="log", xlabel="events in the store", ylabel="MB", title="memory, start-up")
    right.legend()
    figure.tight_layout()
    figure.savefig(path)
    print(f"plot: {path}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", default="60,800,8000",
                        help="stores to make with registry demo, smallest (the baseline) first")
    parser.add_argument("--store", action="append", default=[],
                        help="an existing data folder to measure too (after the made ones)")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--sample", type=int, default=1000,
                        help="distinct certificates in the warm load (within the read "
                             "cache's 2,000)")
    parser.add_argument("--cold", type=int, default=3000,
                        help="distinct certificates in each cold-path load (certificate, "
                             "verify), for stores with --sample + 2 × as many: more than the "
                             "read cache's 2,000 in rotation, so every answer reads the "
                             "views; 0: none")
    parser.add_argument("--cold-disk", action="store_true",
                        help="do not read the store's files into the OS page cache first "
                             "(the cold path then includes the disk's first-touch reads)")
    parser.add_argument("--plot", help="write the plot here (SVG or PNG)")
    args = parser.parse_args()
    os.sched_setaffinity(0, {CLIENT_CORE})
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        stores = []
        for learners in [int(n) for n in args.learners.split(",") if n]:
            data_dir = Path(tmp) / f"learners-{learners}"
            took = make_store(data_dir, learners)
            print(f"made a store of {learners:,} learners in {took:.0f} s", flush=True)
            stores.append(data_dir)
        stores += [Path(store) for store in args.store]
        for data_dir in stores:
            row = measure_store(data_dir, args.sample, args.seconds, args.cold,
                                warm_files=not args.cold_disk)
            print({k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()},
                  flush=True)
            rows.append(row)
    print(table(rows))
    if args.plot:
        plot(rows, args.plot)


if __name__ == "__main__":
    main()
