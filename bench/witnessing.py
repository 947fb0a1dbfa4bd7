"""Benchmark: the cost of witnessing on the write path (issue 16) — N commands in a registry
whose log has two witnesses ÷ the same with none.

    .venv/bin/python bench/witnessing.py [--writes 300] [--pairs 5]

Two witnesses run in a child process: two registries in witness mode, served by uvicorn on
127.0.0.1, each trusting the log of every round (``registry witness trust``). Each pair
builds two fresh SQLite registries as ``registry serve`` runs them (log runner, checkpointer
and submitter on; a checkpoint every 10 events or 5 s): one with no witness, one with both
(``registry audit witness add``; real HTTP, ``tlog-witness``), in alternating order. It
times N ``draftMooc`` commands through the service layer (each waits for its read model, as
the API does) and lets the log catch up. Prints each pair's ratio, the median of the ratios,
and how long after the last write the last checkpoint was witnessed by both. Not part of
the pytest suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from registry.application.context import CommandContext  # noqa: E402
from registry.application.witnesses import WitnessCommands  # noqa: E402
from registry.bootstrap import build  # noqa: E402
from registry.config import Settings  # noqa: E402
from registry.domain.moocs import LocalizedText  # noqa: E402

ACTOR = CommandContext(actor_name="bench", actor_role="admin")
OPERATOR = CommandContext(actor_name="registry-cli", actor_role="operator")


# -- the witnesses' process ---------------------------------------------------------------------


def serve_witnesses(ports: list[int]) -> None:
    """Serve one witness registry per port; read ``origin vkey`` lines on stdin and trust
    each log at every witness; print each witness's vkey, then ``ok`` after each trust."""
    import uvicorn

    from registry.web.app import create_app

    servers = []
    for port in ports:
        settings = Settings(data_dir=Path(tempfile.mkdtemp()) / "var",
                            public_url=f"http://127.0.0.1:{port}")
        app = create_app(settings)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                               log_level="warning", access_log=False))
        threading.Thread(target=server.run, daemon=True).start()
        servers.append((server, app))
    while not all(server.started for server, _ in servers):
        time.sleep(0.05)
    for _, app in servers:
        print(app.state.container.witness.signer.verifier.vkey, flush=True)
    for line in sys.stdin:
        origin, vkey = line.split()
        for _, app in servers:
            container = app.state.container
            container.service.execute(OPERATOR, lambda _, c=container, o=origin, k=vkey:
                                      WitnessCommands(c.app).trust(origin=o, vkey=k))
        print("ok", flush=True)


# -- the log ----------------------------------------------------------------------------------


def run(writes: int, witnesses: list[tuple[int, str]], child: Any, round_no: int
        ) -> tuple[float, float | None]:
    settings = Settings(data_dir=Path(tempfile.mkdtemp()) / "var",
                        public_url=f"https://bench-{round_no}.example")
    container = build(settings)
    try:
        if witnesses:
            child.stdin.write(f"{container.audit.origin} {container.audit.verifier.vkey}\n")
            child.stdin.flush()
            assert child.stdout.readline().strip() == "ok"
            for port, vkey in witnesses:
                container.service.execute(OPERATOR, lambda _, p=port, v=vkey: WitnessCommands(
                    container.app).add(url=f"http://127.0.0.1:{p}/witness", vkey=v))
            container.witnessing.witnesses(fresh=True)
        container.audit_runner.wait(container.app.last_notification_id())
        started = time.perf_counter()
        for i in range(writes):
            container.service.run(ACTOR, lambda cmd, i=i: cmd.moocs.draft(
                code=f"BENCH-{i}", title=LocalizedText(kk="Қазақ әдебиеті", en="Literature"),
                language="kk", credits=5, hours=150, department="Philology"))
        container.audit_runner.wait(container.app.last_notification_id(), timeout=60)
        elapsed = time.perf_counter() - started
        if not witnesses:
            return elapsed, None
        size = container.audit.size()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # until both witnesses cosigned every entry
            latest = container.witnessing.latest()
            if latest is not None and latest[0].size == size and len(latest[1]) == 2:
                return elapsed, time.perf_counter() - started - elapsed
            time.sleep(0.02)
        return elapsed, None
    finally:
        container.close()


def free_ports(count: int) -> list[int]:
    import socket

    ports = []
    for _ in range(count):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            ports.append(int(sock.getsockname()[1]))
    return ports


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--serve-witnesses", nargs="+", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_witnesses:
        serve_witnesses(args.serve_witnesses)
        return
    ports = free_ports(2)
    child = subprocess.Popen([sys.executable, __file__, "--serve-witnesses", *map(str, ports)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        witnesses = [(port, child.stdout.readline().strip()) for port in ports]
        ratios, off, on, lags = [], [], [], []
        for pair in range(args.pairs):
            if pair % 2:  # alternate which goes first: a warm-up favours neither
                with_two, lag = run(args.writes, witnesses, child, 2 * pair + 1)
                without, _ = run(args.writes, [], child, 2 * pair)
            else:
                without, _ = run(args.writes, [], child, 2 * pair)
                with_two, lag = run(args.writes, witnesses, child, 2 * pair + 1)
            off.append(without)
            on.append(with_two)
            ratios.append(with_two / without)
            if lag is not None:
                lags.append(lag)
            print(f"pair {pair + 1}: {without:6.2f} s without, {with_two:6.2f} s with two "
                  f"witnesses: {with_two / without:.3f}x", flush=True)
    finally:
        child.terminate()
        child.wait(10)
    print(f"writes             {args.writes} x {args.pairs} pairs (SQLite)")
    print(f"no witness         {statistics.median(off):8.2f} s (median)")
    print(f"two witnesses      {statistics.median(on):8.2f} s (median)")
    print(f"ratio              {statistics.median(ratios):8.3f}x (median of pairs)   "
          "target: ≤ 1.1x")
    if lags:
        print(f"witnessed          {statistics.median(lags):8.2f} s after the last write "
              f"(median; {len(lags)}/{args.pairs} rounds fully witnessed)")


if __name__ == "__main__":
    main()
