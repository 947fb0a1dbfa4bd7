"""Benchmark: the projection engine (issue 11, "Proof and speed") — rebuild ÷ read, the
incremental engine against the old reload-per-event one, and projection lag under a write load.

    PYTHONPATH=$PWD /work/venv/bin/python bench/projections.py [--backend sqlite|postgresql]
        [--events 20000] [--store DIR] [--rounds 3] [--old-events 20000]
        [--rate 200] [--seconds 20] [--profile] [--skip-lag]

1. **Store builder.** A fresh store of about ``--events`` realistic events: ``registry
   demo``'s term (``registry/demo.py``) with ``--events`` ÷ 11.6 learners — MOOCs in every
   state, learners with Kazakh and Russian names, enrolments, scores and corrections, exams,
   certificates, revocations and reissues — through the composed commands inside
   ``command_context``, projections not running, their commits gathered by the application's
   batch path (``Registry.batched``) and saved ~50 learners per ``app.save(...)``. On SQLite ``--store DIR`` keeps the built data directory for later
   runs (rebuilt only when its event count differs).
2. **Rebuild ÷ read.** Baseline: read every notification in batches of 500 and decode it
   (``app.mapper.to_domain_events``, personal parts included); raw reading is printed too.
   Measured: ``rebuild(daemon, every projection)`` into new tables, end to end.
3. **Incremental vs old.** The old engine's loop — each event's aggregate reloaded at that
   version (``app.repository.get(id, version=v)``) and presented (``rows_for``), no writes —
   against the new engine rebuilding from the same first K events.
4. **Lag under load.** A fresh registry with embedded projections; one thread records scores
   through ``service.execute`` (which does not wait for the views) at ``--rate`` per second
   for ``--seconds``; another notes when ``board.wait(position)`` shows each write projected.

Each figure is measured in the same run as its baseline; with ``--rounds`` > 1, the median
of the rounds (baseline and measured alternate). Not part of the pytest suite.
"""

from __future__ import annotations

import argparse
import bisect
import cProfile
import io
import json
import os
import pstats
import random
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from registry.application.context import CommandContext, command_context
from registry.application.registry import Registry
from registry.bootstrap import Container, build, postgres_env
from registry.config import Settings
from registry.demo import Term, person
from registry.domain.grading import ScoreComponent
from registry.domain.moocs import LocalizedText, Mooc
from registry.projections.engine import (
    EventSource,
    PositionBoard,
    Progress,
    ProjectionDaemon,
    rebuild,
)
from registry.projections.presenters import rows_for

ADMIN = CommandContext(actor_name="bench", actor_role="admin")
PG_DEFAULT = "postgresql://127.0.0.1:5432/test"
BATCH = 500
A = TypeVar("A", bound=Aggregate)

# -- the store: built by ``registry demo``'s term --------------------------------------------

EVENTS_PER_LEARNER = 11.6  # what the demo's term writes per learner, on average


@dataclass
class Built:
    events: int
    seconds: float
    learners: int
    moocs: int


def build_store(container: Container, events: int, seed: int = 11,
                log: Callable[[str], None] = print) -> Built:
    """Fill ``container``'s empty store with about ``events`` events: the demo's term
    (``registry/demo.py``) with as many learners as that takes, through the commands and the
    application's batch path, without building the views (the bench does)."""
    learners = max(1, round(events / EVENTS_PER_LEARNER))
    started = time.perf_counter()
    first_key = container.keys.ensure_key()
    container.service.execute(ADMIN, lambda cmd: cmd.keys.ensure_recorded(
        first_key.kid, first_key.public_jwk))
    with container.backend.bulk_writes(container.app):
        made = Term(container, learners, seed).run()
    return Built(container.app.last_notification_id(), time.perf_counter() - started,
                 made.learners, len(made.moocs))


# -- the registries ---------------------------------------------------------------------------


@dataclass
class Site:
    """Where a registry's data lives for one benchmark, and how to remove it."""

    settings: Settings
    cleanup: Callable[[], None]


def sqlite_site(data_dir: Path | None) -> Site:
    temp = None
    if data_dir is None:
        temp = Path(tempfile.mkdtemp(prefix="bench-projections-"))
        data_dir = temp / "var"
    settings = Settings(data_dir=data_dir, public_url="https://bench.example",
                        view_wait_seconds=0.0)
    return Site(settings, lambda: shutil.rmtree(temp, ignore_errors=True) if temp else None)


def postgres_site(url: str) -> Site:
    temp = Path(tempfile.mkdtemp(prefix="bench-projections-"))
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    separator = "&" if "?" in url else "?"
    settings = Settings(data_dir=temp / "var", database_url=f"{url}{separator}schema={schema}",
                        public_url="https://bench.example", view_wait_seconds=0.0)

    def cleanup() -> None:
        import psycopg
        from psycopg import sql

        env = postgres_env(url)
        with psycopg.connect(dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"],
                             port=env["POSTGRES_PORT"], user=env["POSTGRES_USER"],
                             password=env["POSTGRES_PASSWORD"] or None, autocommit=True) as c:
            c.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        shutil.rmtree(temp, ignore_errors=True)

    return Site(settings, cleanup)


def open_registry(settings: Settings, *, projections: bool) -> Container:
    """A registry with the transparency log stopped (it would compete for the CPU)."""
    container = build(settings, poll_interval=0.05 if projections else 1.0,
                      run_projections=projections, seed=True)
    container.checkpointer.stop()
    container.audit_runner.stop()
    return container


# -- 2. rebuild ÷ read ------------------------------------------------------------------------


def read_all(app: Registry, decode: bool, stop: int | None = None) -> int:
    """Every notification (up to ``stop``) in batches of 500, decoded or not; how many."""
    after, count = 0, 0
    while True:
        found = app.recorder.select_notifications(start=after, limit=BATCH, stop=stop,
                                                  inclusive_of_start=False)
        if not found:
            return count
        if decode:
            app.mapper.to_domain_events(found)
        count += len(found)
        after = found[-1].id


class CappedSource(EventSource):
    """The notification log as if it ended at ``cap`` (the first K events)."""

    def __init__(self, app: Any, cap: int) -> None:
        super().__init__(app)
        self.cap = cap

    def head(self) -> int:
        return min(super().head(), self.cap)

    def notifications(self, after: int, limit: int, stop: int | None = None) -> list[Any]:
        if after >= self.cap:
            return []
        return super().notifications(after, limit, self.cap if stop is None
                                     else min(stop, self.cap))


def fresh_daemon(container: Container, source: EventSource | None = None) -> ProjectionDaemon:
    """An engine over the container's projection store with no builds in it (not started)."""
    store = container.views
    store.create()
    for b in store.builds():
        store.forget_build(b)
    store.invalidate()
    return ProjectionDaemon(source or EventSource(container.app), store,
                            list(store.projections.values()), board=PositionBoard())


def timed_rebuild(container: Container, source: EventSource | None = None,
                  profile: cProfile.Profile | None = None) -> float:
    daemon = fresh_daemon(container, source)
    names = list(daemon.projections)
    started = time.perf_counter()
    if profile is not None:
        profile.enable()
    rebuild(daemon, names)
    if profile is not None:
        profile.disable()
    return time.perf_counter() - started


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


# -- 3. the old engine ------------------------------------------------------------------------


def old_engine(app: Registry, stop: int) -> int:
    """Today's engine before issue 11, without its writes: each event's aggregate reloaded
    at that version and presented as rows."""
    after, count = 0, 0
    while after < stop:
        found = app.recorder.select_notifications(start=after, limit=BATCH, stop=stop,
                                                  inclusive_of_start=False)
        if not found:
            break
        for n in found:
            aggregate = app.repository.get(n.originator_id, version=n.originator_version)
            rows_for(aggregate)
        count += len(found)
        after = found[-1].id
    return count


def position_of(app: Registry, k: int) -> int:
    """The notification id of the K-th event (ids may have gaps on PostgreSQL)."""
    after, seen = 0, 0
    while True:
        found = app.recorder.select_notifications(start=after, limit=min(BATCH, k - seen),
                                                  inclusive_of_start=False)
        if not found:
            return after
        seen += len(found)
        after = found[-1].id
        if seen >= k:
            return after


# -- 4. lag under load ------------------------------------------------------------------------


@dataclass
class Lag:
    writes: int
    seconds: float
    lags_ms: list[float]
    write_ms: list[float]

    def pct(self, values: list[float], p: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def lag_under_load(settings: Settings, rate: float, seconds: float, writers: int) -> Lag:
    """Score writes at ``rate``/s for ``seconds`` (``writers`` threads, as a server's worker
    pool) against a registry projecting embedded. Every time the engine publishes its
    positions to the board, the time and the lowest position are noted; a write's lag is
    from its commit to the first publication at or past its position."""
    writes = int(rate * seconds)
    container = open_registry(settings, projections=True)
    try:
        ids = lag_enrolments(container, writes // len(ScoreComponent) + 1)
        consistency = container.wait_for_views(timeout=120)
        assert consistency.current, f"the views did not catch up: {consistency}"
        board = container.board
        published: list[tuple[float, int]] = []
        original = board.publish

        def publish(progress: Progress) -> None:
            original(progress)
            published.append((time.perf_counter(), min(progress.positions.values())))

        board.publish = publish  # type: ignore[method-assign]
        commits: list[tuple[float, int]] = []
        write_ms: list[float] = []
        started = time.perf_counter()

        def write(k: int) -> None:
            for w in range(k, writes, writers):
                pause = started + w / rate - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                enrollment_id, component = ids[w % len(ids)], list(ScoreComponent)[w // len(ids)]
                begun = time.perf_counter()
                saved = container.service.execute(ADMIN, lambda c, e=enrollment_id,
                                                  p=component: c.enrollments.record_score(
                                                      enrollment_id=e, component=p, points=70,
                                                      reason=None))
                done = time.perf_counter()
                write_ms.append((done - begun) * 1000)
                commits.append((done, saved.position))

        threads = [threading.Thread(target=write, args=(k,), name=f"bench-writer-{k}")
                   for k in range(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        container.wait_for_views(timeout=60)
        board.publish = original  # type: ignore[method-assign]
        return Lag(writes, elapsed, lags_of(commits, published), write_ms)
    finally:
        container.close()


def lag_enrolments(container: Container, count: int) -> list[UUID]:
    """One published MOOC and ``count`` learners enrolled in it (no scores yet)."""
    cmd, rng, app = container.commands, random.Random(5), container.app
    ids: list[UUID] = []
    with command_context(ADMIN), app.batched() as batch:
        code = "LAG-101"
        cmd.moocs.draft(code=code, title=LocalizedText(kk="Қазақ тілі", en="Kazakh language"),
                        language="kk", credits=5, hours=150, department="Philology")
        batch.keep.add(Mooc.create_id(code))
        cmd.moocs.submit_for_review(code)
        cmd.moocs.record_expert_review(code=code, passed=True, reviewer="Проф. Ахметова Г.",
                                       remarks=None)
        cmd.moocs.record_approbation(code=code, passed=True, remarks=None)
        cmd.moocs.publish(code=code, platform_code="moocs.kz")
        for i in range(count):
            who = person(rng)
            learner_id = UUID(cmd.learners.register(full_name=who.full_name, email=None,
                                                    iin=None,
                                                    full_name_latin=who.latin_name).value)
            ids.append(UUID(cmd.enrollments.enroll(learner_id=learner_id,
                                                   mooc_code=code).value))
            if i % 100 == 99:
                app.flush()
    return ids


def lags_of(commits: list[tuple[float, int]], published: list[tuple[float, int]]
            ) -> list[float]:
    """Each write's lag in ms: its commit → the first publication that covers it."""
    times, floors, highest = [], [], 0
    for at, position in published:
        highest = max(highest, position)
        times.append(at)
        floors.append(highest)
    lags = []
    for done, position in commits:
        i = bisect.bisect_left(floors, position)
        if i == len(floors):
            raise RuntimeError(f"write at position {position} was never projected")
        # Visible when the first covering publication came (0: before the commit returned).
        lags.append(max(0.0, times[i] - done) * 1000)
    return lags


# -- the command ------------------------------------------------------------------------------


def median_ratio(pairs: list[tuple[float, float]]) -> float:
    return statistics.median(m / b for b, m in pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", default=PG_DEFAULT,
                        help="PostgreSQL server (a fresh schema is made and dropped)")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--store", type=Path, help="SQLite: keep/reuse the built data dir")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--old-events", type=int, default=20_000,
                        help="K: events the old engine and the new one are compared on")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--writers", type=int, default=4, help="threads issuing the load")
    parser.add_argument("--profile", action="store_true", help="cProfile one rebuild")
    parser.add_argument("--skip-lag", action="store_true")
    parser.add_argument("--cpu", type=int, default=None,
                        help="pin this process to one CPU (default on PostgreSQL: the last, "
                             "leaving the others to the server)")
    args = parser.parse_args()
    cpus = sorted(os.sched_getaffinity(0))
    cpu = args.cpu if args.cpu is not None else (cpus[-1] if args.backend == "postgresql"
                                                  and len(cpus) > 1 else None)
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})

    def site() -> Site:
        if args.backend == "postgresql":
            return postgres_site(args.database_url)
        return sqlite_site(args.store)

    print(f"backend            {args.backend}" + (f" (bench pinned to CPU {cpu})" if cpu
                                                  is not None else ""))
    store_site = site()
    try:
        marker = store_site.settings.data_dir / "bench-store.json"
        reuse = args.store is not None and marker.exists() and \
            json.loads(marker.read_text())["target"] == args.events
        if args.store is not None and not reuse and store_site.settings.data_dir.exists():
            shutil.rmtree(store_site.settings.data_dir)
        container = open_registry(store_site.settings, projections=False)
        try:
            if reuse:
                info = json.loads(marker.read_text())
                print(f"store              reused {args.store}: {info['events']:,} events "
                      f"(built in {info['seconds']:.0f} s)")
            else:
                built = build_store(container, args.events)
                print(f"store built        {built.events:,} events ({built.learners:,} learners,"
                      f" {built.moocs} MOOCs) in {built.seconds:.1f} s = "
                      f"{built.events / built.seconds:,.0f} events/s through the commands")
                marker.write_text(json.dumps({"target": args.events, "events": built.events,
                                              "seconds": built.seconds}))
            app = container.app
            events = read_all(app, decode=False)
            report_rebuild(container, events, args.rounds, args.profile)
            report_old(container, min(args.old_events, events), args.rounds)
        finally:
            container.close()
    finally:
        if args.store is None:
            store_site.cleanup()
    if not args.skip_lag:
        lag_site = site()
        try:
            report_lag(lag_site.settings, args.rate, args.seconds, args.writers)
        finally:
            lag_site.cleanup()


def report_rebuild(container: Container, events: int, rounds: int, profile: bool) -> None:
    app = container.app
    raw, pairs = [], []
    for _ in range(rounds):
        raw.append(timed(lambda: read_all(app, decode=False)))
        decoded = timed(lambda: read_all(app, decode=True))
        pairs.append((decoded, timed_rebuild(container)))
    raw_s = statistics.median(raw)
    read_s = statistics.median(b for b, _ in pairs)
    rebuild_s = statistics.median(m for _, m in pairs)
    print(f"events             {events:,}   rounds: {rounds} (medians)")
    print(f"read (raw)         {raw_s:8.2f} s  {events / raw_s:>10,.0f} events/s   "
          "select_notifications, batches of 500")
    print(f"read + decode      {read_s:8.2f} s  {events / read_s:>10,.0f} events/s   "
          "… + mapper.to_domain_events (baseline)")
    print(f"rebuild (all)      {rebuild_s:8.2f} s  {events / rebuild_s:>10,.0f} events/s   "
          f"rebuild(daemon, {len(container.views.projections)} projections), blue/green")
    print(f"rebuild ÷ read     {median_ratio(pairs):8.2f}x   target ≤ 3x   "
          f"(÷ raw read: {rebuild_s / raw_s:.2f}x)")
    if profile:
        prof = cProfile.Profile()
        timed_rebuild(container, profile=prof)
        out = io.StringIO()
        stats = pstats.Stats(prof, stream=out)
        stats.sort_stats("tottime").print_stats(18)
        stats.sort_stats("cumulative").print_stats(25)
        print(out.getvalue())


def report_old(container: Container, k: int, rounds: int) -> None:
    app = container.app
    stop = position_of(app, k)
    pairs = []
    for _ in range(rounds):
        old = timed(lambda: old_engine(app, stop))
        new = timed_rebuild(container, CappedSource(app, stop))
        pairs.append((old, new))
    old_s = statistics.median(b for b, _ in pairs)
    new_s = statistics.median(m for _, m in pairs)
    print(f"old engine         {old_s:8.2f} s  {k / old_s:>10,.0f} events/s   first {k:,} events:"
          " reload at version + present, no writes")
    print(f"new engine         {new_s:8.2f} s  {k / new_s:>10,.0f} events/s   rebuild of the same"
          " events, rows written")
    print(f"speed-up           {statistics.median(b / m for b, m in pairs):8.1f}x")


def report_lag(settings: Settings, rate: float, seconds: float, writers: int) -> None:
    lag = lag_under_load(settings, rate, seconds, writers)
    reached = lag.writes / lag.seconds
    print(f"load               {lag.writes:,} recordScore in {lag.seconds:.1f} s = "
          f"{reached:,.0f}/s (asked {rate:,.0f}/s, {writers} writer threads); write p50 {lag.pct(lag.write_ms, 50):.1f} ms"
          f", p99 {lag.pct(lag.write_ms, 99):.1f} ms")
    print(f"lag (commit→view)  p50 {lag.pct(lag.lags_ms, 50):6.1f} ms   p95 "
          f"{lag.pct(lag.lags_ms, 95):6.1f} ms   p99 {lag.pct(lag.lags_ms, 99):6.1f} ms   "
          f"max {max(lag.lags_ms):6.1f} ms   target p99 < 250 ms")


if __name__ == "__main__":
    main()
