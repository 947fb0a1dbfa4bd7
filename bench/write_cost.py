"""Benchmark: the cost of the audit log on writes — N commands with the log on vs off.

    .venv/bin/python bench/write_cost.py [--writes 300] [--rounds 3]

Each round builds two fresh SQLite registries: one as `registry serve` runs it (log runner and
checkpointer on, default settings: a checkpoint every 10 events or 5 s) and one with both
stopped. It times N `draftMooc` commands through the service layer (each waits for its read
model, as the API does), then lets the log catch up, so its work is not hidden. Prints the
median of each and the ratio. Not part of the pytest suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from registry.application.context import CommandContext  # noqa: E402
from registry.bootstrap import build  # noqa: E402
from registry.config import Settings  # noqa: E402
from registry.domain.moocs import LocalizedText  # noqa: E402

ACTOR = CommandContext(actor_name="bench", actor_role="admin")


def run(writes: int, log_on: bool) -> float:
    settings = Settings(data_dir=Path(tempfile.mkdtemp()) / "var",
                        public_url="https://bench.example")
    container = build(settings)
    try:
        if not log_on:
            container.checkpointer.stop()
            container.audit_runner.stop()
        container.audit_runner.wait(container.app.last_notification_id()) if log_on else None
        started = time.perf_counter()
        for i in range(writes):
            container.service.run(ACTOR, lambda cmd, i=i: cmd.moocs.draft(
                code=f"BENCH-{i}", title=LocalizedText(kk="Қазақ әдебиеті", en="Literature"),
                language="kk", credits=5, hours=150, department="Philology"))
        if log_on:  # the log's work counts: wait until it has every write
            container.audit_runner.wait(container.app.last_notification_id(), timeout=60)
        return time.perf_counter() - started
    finally:
        container.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    off, on = [], []
    for _ in range(args.rounds):
        off.append(run(args.writes, log_on=False))
        on.append(run(args.writes, log_on=True))
    off_s, on_s = statistics.median(off), statistics.median(on)
    print(f"writes             {args.writes} x {args.rounds} rounds (SQLite)")
    print(f"log off            {off_s:8.2f} s   ({off_s / args.writes * 1000:.2f} ms/write)")
    print(f"log on             {on_s:8.2f} s   ({on_s / args.writes * 1000:.2f} ms/write)")
    print(f"ratio              {on_s / off_s:8.2f}x   target: ≤ 1.2x")


if __name__ == "__main__":
    main()
