"""``registry projections status | rebuild | verify | run`` (SPEC §9; README: projections).

They work on the local store (``REGISTRY_DATABASE_URL`` or the data directory) while a server
may be serving it: a rebuild fills new tables and switches when they have caught up, a verify
fills scratch tables it drops afterwards, and ``run`` is the engine in a process of its own
(for ``registry serve --projections external``).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

EXIT_DIFFERENT = 1
EXIT_USAGE = 2


def _err(message: str) -> None:
    print(message, file=sys.stderr)


@contextmanager
def _registry(run_projections: bool = False, poll_interval: float = 1.0) -> Iterator[Any]:
    from ..bootstrap import build
    from ..cli import settings_or_exit

    settings = settings_or_exit()
    container = build(settings, seed=False, run_projections=run_projections,
                      poll_interval=poll_interval)
    try:
        yield container
    finally:
        container.close()


def _daemon(container: Any) -> Any:
    from .engine import EventSource, ProjectionDaemon

    return ProjectionDaemon(EventSource(container.app), container.views,
                            list(container.views.projections.values()))


def _names(container: Any, wanted: Sequence[str]) -> list[str] | None:
    known = list(container.views.projections)
    unknown = [n for n in wanted if n not in known]
    if unknown:
        _err(f"registry: no projection named {', '.join(unknown)} "
             f"(there are: {', '.join(known)})")
        return None
    return list(wanted) or known


# -- status -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    name: str
    version: int
    build: int | None
    state: str
    position: int
    behind: int
    seconds_behind: float | None
    error: str | None
    error_position: int | None

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "build": self.build,
                "state": self.state, "position": self.position, "eventsBehind": self.behind,
                "secondsBehind": self.seconds_behind, "error": self.error,
                "errorPosition": self.error_position}


def status_lines(container: Any) -> list[Line]:
    """One line per build a projection has (the serving one, and one being filled)."""
    from .store import BUILDING, SERVING

    head = int(container.app.recorder.max_notification_id() or 0)
    now = time.time()
    lines = []
    builds = container.views.builds()
    for name, projection in container.views.projections.items():
        mine = [b for b in builds if b.name == name and b.state in (SERVING, BUILDING)]
        if not mine:
            lines.append(Line(name, projection.version, None, "missing", 0, head, None, None,
                              None))
            continue
        for b in mine:
            behind = max(head - b.position, 0)
            if b.error:
                state = "stopped"
            elif b.state == BUILDING:
                state = f"building {100 * b.position // head if head else 100}%"
            else:
                state = "serving" if behind == 0 else "catching up"
            if not container.views.current(b):
                state += f" (replaced by {projection.describe()} when built)"
            lines.append(Line(name, b.version, b.build, state, b.position, behind,
                              _seconds_behind(container, b.position, now) if behind else 0.0,
                              b.error, b.error_position))
    return lines


def _seconds_behind(container: Any, position: int, now: float) -> float | None:
    """How old the oldest event this build has not processed is."""
    from ..application.mapper import stored_state

    after = container.app.recorder.select_notifications(start=position, limit=1,
                                                        inclusive_of_start=False)
    if not after:
        return 0.0
    meta = stored_state(container.app.mapper, after[0].state).get("meta") or {}
    recorded = meta.get("recorded_at")
    if not recorded:
        return None
    return round(max(now - datetime.fromisoformat(recorded).astimezone(UTC).timestamp(), 0), 1)


def _status(args: argparse.Namespace) -> int:
    with _registry() as container:
        lines = status_lines(container)
    if args.json:
        print(json.dumps([line.as_json() for line in lines], ensure_ascii=False, indent=2))
    else:
        columns = ("name", "version", "build", "position", "behind", "seconds", "state")
        rows = [(l.name, f"v{l.version}", l.build or "-", l.position, l.behind,
                 "-" if l.seconds_behind is None else l.seconds_behind, l.state) for l in lines]
        widths = [max(len(str(v)) for v in column) for column in zip(columns, *rows, strict=True)]
        for row in (columns, *rows):
            print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
        for line in lines:
            if line.error:
                print(f"\n{line.name} stopped at notification {line.error_position}: "
                      f"{line.error}\n  fix the cause, then restart the process that runs the "
                      "projections: it resumes from that event")
    return 1 if any(line.error for line in lines) else 0


# -- rebuild ------------------------------------------------------------------------------


def _rebuild(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .engine import rebuild

    with _registry() as container:
        names = _names(container, args.names)
        if names is None:
            return EXIT_USAGE
        head = int(container.app.recorder.max_notification_id() or 0)
        bars = {name: tqdm(total=head, desc=name, unit="ev", file=sys.stderr,
                           disable=args.quiet, leave=True) for name in names}

        def progress(name: str, position: int, total: int) -> None:
            bar = bars[name]
            bar.total = max(total, 1)
            bar.n = position
            bar.refresh()

        started = time.monotonic()
        try:
            rebuild(_daemon(container), names, progress=progress)
        except RuntimeError as failed:
            _err(f"registry: {failed}")
            return 1
        finally:
            for bar in bars.values():
                bar.close()
        _err(f"registry: rebuilt {', '.join(names)} from {head} events in "
             f"{time.monotonic() - started:.1f} s; they serve now")
    return 0


# -- verify -------------------------------------------------------------------------------


def _verify(args: argparse.Namespace) -> int:
    from .engine import verify

    with _registry() as container:
        names = _names(container, args.names)
        if names is None:
            return EXIT_USAGE
        different = False
        for name in names:
            report = verify(_daemon(container), name)
            if report.problem:
                different = True
                _err(f"{name}: cannot verify: {report.problem}")
            elif report.differences:
                different = True
                _err(f"{name}: DIFFERENT at position {report.position} — "
                     f"{len(report.differences)} rows differ from a fresh replay:")
                for line in report.differences[:20]:
                    _err(f"  {line}")
            else:
                _err(f"{name}: OK — {report.rows} rows equal a fresh replay of "
                     f"{report.position} events")
    return EXIT_DIFFERENT if different else 0


# -- run ----------------------------------------------------------------------------------


def _run(args: argparse.Namespace) -> int:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    # On SQLite nothing wakes this process when a server writes: it polls, often (on
    # PostgreSQL it is woken by LISTEN/NOTIFY and polls only as a fallback).
    with _registry(run_projections=True, poll_interval=0.1) as container:
        _err(f"registry: projections running on {container.backend.name} "
             f"({', '.join(container.views.projections)}); Ctrl-C stops")
        while not stop.wait(1.0):
            pass
    return 0


def register(sub: Any) -> None:
    projections = sub.add_parser("projections", help="the read models: status, rebuild, "
                                 "verify, run").add_subparsers(dest="projections_command",
                                                               required=True)
    status = projections.add_parser("status", help="each projection's version, position, "
                                    "lag and state")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=_status)
    rebuild = projections.add_parser("rebuild", help="rebuild from the first event into new "
                                     "tables while the old ones serve, then switch")
    rebuild.add_argument("names", nargs="*", metavar="NAME")
    rebuild.add_argument("--quiet", action="store_true", help="no progress bar")
    rebuild.set_defaults(func=_rebuild)
    verify = projections.add_parser("verify", help="replay into scratch tables and compare "
                                    "row by row (exit 1 on any difference)")
    verify.add_argument("names", nargs="*", metavar="NAME")
    verify.set_defaults(func=_verify)
    run = projections.add_parser("run", help="run the projections in this process (for "
                                 "'registry serve --projections external')")
    run.set_defaults(func=_run)


__all__ = ["register", "replace", "status_lines"]
