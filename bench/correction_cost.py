"""Benchmark: what one score correction costs as an enrolment's history grows (issue 15:
"stay fast as its history grows"), in process, on SQLite and PostgreSQL.

    PYTHONPATH=$PWD .venv/bin/python bench/correction_cost.py [--history 300] [--rounds 200]
        [--backend sqlite,postgresql] [--postgres postgresql://127.0.0.1:5432/test]

A fresh registry (projections running, as served) with one published MOOC and one enrolment;
``--rounds`` corrections of its RATING_1 (each with a reason: a personal part) are timed —
the process's CPU time and the wall-clock time per correction — right after the first score,
then again once ``--history`` more corrections are stored. The ratio long ÷ short (1.0: the
history does not show) is measured in the same run. Not part of the pytest suite.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from import_moodle import CODE, publish_mooc  # noqa: E402  (beside this script)

from registry.application.context import CommandContext  # noqa: E402
from registry.bootstrap import build  # noqa: E402
from registry.config import Settings  # noqa: E402

ADMIN = CommandContext(actor_name="bench", actor_role="admin")


def measure(url: str | None, history: int, rounds: int) -> tuple[float, float, float, float]:
    settings = Settings(data_dir=Path(tempfile.mkdtemp()) / "var",
                        public_url="https://registry.example.kz",
                        database_url=f"{url}?schema=bench_corr_{uuid.uuid4().hex[:8]}"
                        if url else None)
    container = build(settings, poll_interval=0.05)
    try:
        service = container.service
        publish_mooc(service)
        learner = uuid.UUID(service.run(ADMIN, lambda c: c.learners.register(
            full_name="Әлия Құрманова", email=None, iin=None, full_name_latin=None)))
        enrollment = uuid.UUID(service.run(ADMIN, lambda c: c.enrollments.enroll(
            learner_id=learner, mooc_code=CODE)))

        def correct(points: int, reason: str | None) -> None:
            service.execute(ADMIN, lambda c: c.enrollments.record_score(
                enrollment_id=enrollment, component="RATING_1", points=points, reason=reason))

        def timed() -> tuple[float, float]:
            cpu, wall = time.process_time(), time.perf_counter()
            for n in range(rounds):
                correct(51 + n % 2, "bench: re-marked")
            return ((time.process_time() - cpu) / rounds * 1e3,
                    (time.perf_counter() - wall) / rounds * 1e3)

        correct(50, None)
        short = timed()
        for n in range(history):
            correct(51 + n % 2, "bench: re-marked")
        long = timed()
        return (*short, *long)
    finally:
        container.close()
        if url:
            drop(url, str(settings.database_url).rsplit("schema=", 1)[1])


def drop(url: str, schema: str) -> None:
    import sqlalchemy

    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--backend", default="sqlite,postgresql")
    parser.add_argument("--postgres", default="postgresql://127.0.0.1:5432/test")
    options = parser.parse_args()
    for backend in options.backend.split(","):
        url = options.postgres if backend == "postgresql" else None
        cpu_short, wall_short, cpu_long, wall_long = measure(url, options.history,
                                                             options.rounds)
        print(f"{backend}: a correction after 1–{options.rounds} events {cpu_short:.2f} ms CPU "
              f"({wall_short:.2f} wall); after {options.history + options.rounds}–"
              f"{options.history + 2 * options.rounds} events {cpu_long:.2f} ms CPU "
              f"({wall_long:.2f} wall); long ÷ short {cpu_long / cpu_short:.2f} CPU",
              flush=True)


if __name__ == "__main__":
    main()
