"""Benchmark: `registry import moodle-grades` on a 10,000-row gradebook, against eventsourcing's
raw batch save of the same events on the same database (issue 14's figure, target ≥ 0.5).

    PYTHONPATH=$PWD /work/venv/bin/python bench/import_moodle.py [--rows 10000] [--rounds 3]
        [--store DIR]

Builds a SQLite registry with one published MOOC and N learners (each with an IIN, enrolled),
saved straight through the application in batches; writes a Moodle-style comma export of N
rows (three scores with decimals and the exam, all admitted: 4 N events to record); copies the
database file. Then times

1. the import's work — reading the file, finding the N learners by IIN, and
   ``record_grades`` a batch of 500 rows at a time (load, domain rules, one save per batch),
   as the command runs it (projections off, so their catching up is not counted), and
2. on the copy, the same stored events (read back from the first database) inserted with
   eventsourcing's ``recorder.insert_events`` in the same batches: the raw save.

Each round runs on fresh copies of the store; the medians of ``--rounds`` are printed, with
the process's CPU seconds beside the wall-clock ones (on a shared machine the CPU time is the
steadier figure), and the ratio raw ÷ import (1.0: the import costs no more than storing its
events).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from registry.application.context import SYSTEM, CommandContext  # noqa: E402
from registry.bootstrap import Container, build  # noqa: E402
from registry.config import Settings  # noqa: E402
from registry.domain.enrollments import Enrollment  # noqa: E402
from registry.domain.iin import iin_check_digit  # noqa: E402
from registry.domain.learners import IinClaim, Learner  # noqa: E402
from registry.domain.moocs import LocalizedText  # noqa: E402
from registry.import_cli import BATCH_ROWS, _run  # noqa: E402
from registry.moodle import parse_map, read  # noqa: E402

CODE = "BENCH-101"
MAP = ("Assignment: Rating 1=RATING_1,Quiz: Midterm=MIDTERM,Assignment: Rating 2=RATING_2,"
       "Quiz: Final exam=EXAM")
NAMES = ["Әлия Құрманова", "Нұрлан Әбішев", "Дмитрий Иванов", "Гүлназ Төлеуова", "Анна Смирнова"]


def iins(count: int) -> list[str]:
    """``count`` distinct IINs with valid check digits (born in 2000, serials in a row)."""
    found: list[str] = []
    for n in itertools.count():
        day, serial = divmod(n, 9000)
        first = f"00{day // 28 + 1:02d}{day % 28 + 1:02d}5{serial:04d}"
        check = iin_check_digit(first)
        if check is not None:
            found.append(f"{first}{check}")
        if len(found) == count:
            return found
    raise AssertionError("unreachable")


def opened(settings: Settings, *, seed: bool = False) -> Container:
    """The registry without its background work (projections, the audit log's runner and
    checkpointer): what is timed is the import and the save, not the log (bench/write_cost.py
    measures that)."""
    container = build(settings, seed=seed, run_projections=False)
    # stopped for good before anything is timed: a runner caught mid-batch finishes that
    # batch first, and a 5 s join would leave it logging events while the import is timed
    container.audit_runner.stop(timeout=3600)
    container.checkpointer.stop(timeout=3600)
    container.service.wait_seconds = 0
    return container


def publish_mooc(service: Any, code: str = CODE) -> None:
    """A MOOC drafted, reviewed, piloted and published on moocs.kz (the benchmarks' course)."""
    admin = CommandContext(actor_name="bench", actor_role="admin")
    title = LocalizedText(kk="Қазақ әдебиеті", en="Kazakh literature")
    for step in (lambda c: c.moocs.draft(code=code, title=title, language="kk", credits=5,
                                         hours=150, department="Philology"),
                 lambda c: c.moocs.submit_for_review(code),
                 lambda c: c.moocs.record_expert_review(code=code, passed=True,
                                                        reviewer="Prof.", remarks=None),
                 lambda c: c.moocs.record_approbation(code=code, passed=True, remarks=None),
                 lambda c: c.moocs.publish(code=code, platform_code="moocs.kz")):
        service.execute(admin, step)


def build_store(settings: Settings, count: int) -> list[str]:
    container = opened(settings, seed=True)
    try:
        service, app = container.service, container.app
        service.wait_seconds = 0
        publish_mooc(service)
        numbers = iins(count)
        for start in range(0, count, 500):
            batch = []
            for n, iin in enumerate(numbers[start:start + 500], start=start):
                learner = Learner.register(full_name=NAMES[n % len(NAMES)],
                                           email=f"learner{n}@live.kaznu.kz", iin=iin,
                                           full_name_latin=None)
                batch += [learner, IinClaim(iin_digest=app.iin_digest(iin),
                                            learner_id=learner.id),
                          Enrollment(learner_id=learner.id, mooc_code=CODE)]
            app.save(*batch)
        return numbers
    finally:
        container.close()


def write_gradebook(path: Path, numbers: list[str]) -> None:
    rng = random.Random(14)
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["First name", "Last name", "ID number", "Institution", "Department",
                         "Email address", "Assignment: Rating 1 (Real)", "Quiz: Midterm (Real)",
                         "Assignment: Rating 2 (Real)", "Quiz: Final exam (Real)",
                         "Course total (Real)", "Last downloaded from this course"])
        for n, iin in enumerate(numbers):
            first, last = NAMES[n % len(NAMES)].split()
            grades = [f"{rng.randint(5000, 10000) / 100:.2f}" for _ in range(4)]
            writer.writerow([first, last, iin, "Al-Farabi KazNU", "Philology",
                             f"learner{n}@live.kaznu.kz", *grades, "0",
                             "Wednesday, 2 December 2026, 9:41 AM"])


class Timer:
    """Wall-clock and CPU seconds of this process (the machine is shared: the CPU time is
    the steadier figure when other work competes for the cores)."""

    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def one_round(root: Path, pristine: Path, gradebook: Path, rows: int
              ) -> tuple[Timer, Timer, Timer]:
    """The import on a fresh copy of the store, then both baselines on fresh copies."""
    def fresh(name: str) -> Settings:
        settings = Settings(data_dir=root / name / "var",
                            public_url="https://registry.example.kz")
        shutil.rmtree(root / name, ignore_errors=True)
        shutil.copytree(pristine, settings.data_dir)
        return settings

    container = opened(fresh("a"))
    try:
        service = container.service
        before = container.app.last_notification_id()
        args = argparse.Namespace(file=gradebook, exam_mode="ON_CAMPUS", reason=None,
                                  dry_run=False)
        with Timer() as imported:
            book = read(gradebook, parse_map(MAP))
            report = _run(service, SYSTEM, book, CODE, args)
        assert not report.refused, report.refused[:3]
        stored = list(container.app.recorder.select_notifications(before + 1, 10**9))
    finally:
        container.close()
    events = len(stored)
    assert events == 4 * rows, events

    # The baselines, on copies of the store as it stood before the import: eventsourcing's
    # batch save of the same domain events — EventStore.put, the application's mapper and
    # one insert per batch — and the bare recorder insert.
    per_batch = 4 * BATCH_ROWS
    raw_app = opened(fresh("b"))
    try:
        app = raw_app.app
        mapper: Any = app.mapper  # the registry's (RegistryMapper: decodes in batches)
        domain_events = mapper.to_domain_events(stored)
        with Timer() as put:
            for start in range(0, events, per_batch):
                app.events.put(domain_events[start:start + per_batch])
    finally:
        raw_app.close()
    bare_app = opened(fresh("c"))
    try:
        recorder = bare_app.app.recorder
        with Timer() as bare:
            for start in range(0, events, per_batch):
                recorder.insert_events(stored[start:start + per_batch])
    finally:
        bare_app.close()
    return imported, put, bare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3,
                        help="import and baselines this many times, each on a fresh copy of "
                             "the store; medians are reported (default 3)")
    parser.add_argument("--store", type=Path, metavar="DIR",
                        help="keep the built store (learners, no grades) in DIR and reuse it "
                             "on the next run with the same --rows (building 10,000 learners "
                             "takes about 30 s on a quiet 2-core machine)")
    options = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-moodle-"))
    try:
        t = time.perf_counter()
        pristine = root / "pristine"
        kept = options.store / f"{options.rows}" if options.store else None
        if kept is not None and (kept / "var").is_dir():
            shutil.copytree(kept / "var", pristine)
            numbers = iins(options.rows)
        else:
            settings = Settings(data_dir=root / "built" / "var",
                                public_url="https://registry.example.kz")
            numbers = build_store(settings, options.rows)
            shutil.copytree(settings.data_dir, pristine)
            if kept is not None:
                shutil.copytree(settings.data_dir, kept / "var")
        gradebook = root / "gradebook.csv"
        write_gradebook(gradebook, numbers)
        print(f"store: {options.rows} learners enrolled, ready in {time.perf_counter() - t:.1f} s")

        rounds = [one_round(root, pristine, gradebook, options.rows)
                  for _ in range(options.rounds)]
        events = 4 * options.rows
        for n, (imported, put, bare) in enumerate(rounds, start=1):
            print(f"round {n}: import {imported.wall:.2f} s (CPU {imported.cpu:.2f} s), "
                  f"EventStore.put {put.wall:.2f} s (CPU {put.cpu:.2f} s), bare insert "
                  f"{bare.wall:.2f} s (CPU {bare.cpu:.2f} s); ratio put ÷ import "
                  f"{put.wall / imported.wall:.2f} (CPU {put.cpu / imported.cpu:.2f})")

        median = statistics.median
        imp = median([r[0].wall for r in rounds])
        imp_cpu = median([r[0].cpu for r in rounds])
        put_s = median([r[1].wall for r in rounds])
        put_cpu = median([r[1].cpu for r in rounds])
        bare_s = median([r[2].wall for r in rounds])
        ratio = median([put.wall / imported.wall for imported, put, _ in rounds])
        ratio_cpu = median([put.cpu / imported.cpu for imported, put, _ in rounds])
        print(f"medians of {len(rounds)} rounds (ratios: the median of each round's pair):")
        print(f"import: {options.rows} rows, {events} events in {imp:.2f} s "
              f"({options.rows / imp:,.0f} rows/s; CPU {imp_cpu:.2f} s)")
        print(f"eventsourcing batch save (EventStore.put) of the same {events} events: "
              f"{put_s:.2f} s (CPU {put_cpu:.2f} s); ratio save ÷ import: {ratio:.2f} "
              f"(CPU {ratio_cpu:.2f}; target ≥ 0.5)")
        print(f"bare recorder.insert_events of the same events: {bare_s:.2f} s; ratio: "
              f"{median([b.wall / i.wall for i, _, b in rounds]):.2f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
