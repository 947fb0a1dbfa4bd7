"""``registry import moodle-grades FILE --mooc CODE --map 'COLUMN=COMPONENT,…'``: a Moodle
gradebook export's scores and exams into the registry (issue 14).

The command translates and reports; it decides nothing. The file is read by
:mod:`registry.moodle`; learners are found by their ID number (IIN, through its claim) or,
without one, their e-mail address; every grade goes through
``EnrollmentCommands.record_grades`` — ``recordScore``'s and ``recordFinalExam``'s rules and
refusals, saved a batch of rows at a time. A grade equal to the recorded one is *unchanged*,
so a second run records nothing. Exit status: 0 every row fine, 1 some refused, 2 could not
run (bad arguments, unreadable file, unknown MOOC, no registry) — one line, no traceback.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .domain.enrollments import ExamMode
from .heap import frozen

if TYPE_CHECKING:
    from .application.commands import Commands
    from .application.context import CommandContext
    from .application.registry import Saved
    from .application.service import RegistryService
    from .moodle import Gradebook, Row

BATCH_ROWS = 500  # rows per atomic save: one transaction, and a progress bar step
ACTOR = "registry import moodle-grades"


def register(sub: Any) -> None:
    imports = sub.add_parser("import", help="import data from other systems").add_subparsers(
        dest="source", required=True)
    moodle = imports.add_parser(
        "moodle-grades",
        help="scores and exams from a Moodle gradebook export (.csv/.txt or .xlsx)",
        description="Records the mapped columns of a Moodle gradebook export (Grades → "
                    "Export → Plain text file or Excel spreadsheet) for the learners enrolled "
                    "in --mooc, matched by ID number (IIN) or e-mail address. Fractional "
                    "grades are rounded half up. Exit 0: every row fine; 1: some refused; "
                    "2: could not run.")
    moodle.add_argument("file", metavar="FILE", type=Path, help="the export, as downloaded")
    moodle.add_argument("--mooc", required=True, metavar="CODE", help="the MOOC's code")
    moodle.add_argument("--map", required=True, metavar="COLUMN=COMPONENT,…", dest="mapping",
                        help="which column is which component (RATING_1, MIDTERM, RATING_2, "
                             "EXAM); a column's name with or without its ' (Real)' suffix")
    moodle.add_argument("--exam-mode", choices=[m.value for m in ExamMode],
                        default=ExamMode.ON_CAMPUS.value,
                        help="how the final exam was sat (default ON_CAMPUS)")
    moodle.add_argument("--reason", metavar="TEXT",
                        help="record changed grades as corrections with this reason (without "
                             "it a grade that differs from the recorded one is refused)")
    moodle.add_argument("--dry-run", action="store_true",
                        help="show what would change; store nothing")
    moodle.set_defaults(func=_import_moodle)


@dataclass
class Report:
    # ((row, learner), component, the value now, the value recorded)
    recorded: list[tuple[tuple[int, str], str, int | None, int]] = field(default_factory=list)
    unchanged: int = 0
    no_grade: int = 0
    refused: list[tuple[int, str, str, str]] = field(default_factory=list)  # row, who, what, why


def _import_moodle(args: argparse.Namespace) -> int:
    from . import moodle

    try:
        mapping = moodle.parse_map(args.mapping)
        book = moodle.read(args.file, mapping)
    except moodle.BadGradebook as bad:
        print(f"registry: {bad}", file=sys.stderr)
        return 2
    from .application.context import CommandContext
    from .bootstrap import build
    from .cli import settings_or_exit
    from .domain.errors import DomainError, NotFound

    container = build(settings_or_exit())
    try:
        service = container.service
        try:
            code = service.commands.moocs.get(args.mooc).code
        except NotFound:
            print(f"registry: --mooc {args.mooc!r}: no such MOOC", file=sys.stderr)
            return 2
        ctx = CommandContext(actor_name=ACTOR, actor_role="operator")
        try:
            report = _run(service, ctx, book, code, args)
        except DomainError as refusal:  # the store could not take the writes: say so
            print(f"registry: {refusal.message}", file=sys.stderr)
            return 1
    finally:
        container.close()
    _print(report, book, args, code)
    return 1 if report.refused else 0


def _run(service: RegistryService, ctx: CommandContext, book: Gradebook, code: str,
         args: argparse.Namespace) -> Report:
    # What is alive now (the modules, the container) lives as long as the command: left
    # out of the collector's passes while the rows are imported (a tenth of the import).
    with frozen():
        return _import(service, ctx, book, code, args)


def _import(service: RegistryService, ctx: CommandContext, book: Gradebook, code: str,
            args: argparse.Namespace) -> Report:
    from tqdm import tqdm

    from . import moodle
    from .application.enrollments import GradeLine, Outcome

    service.wait_for(service.app.last_notification_id())  # e-mails are found in the view
    rows = book.rows
    by_iin: dict[str, uuid.UUID] = service.commands.learners.by_iins(
        [r.iin for r in rows if r.iin])
    by_email = {email: uuid.UUID(i) for email, i in service.learner_ids_by_email(
        [r.email for r in rows if r.email and not (r.iin and r.iin in by_iin)]).items()}
    report = Report()
    position = None
    with tqdm(total=len(rows), unit="row", desc=args.file.name, file=sys.stderr) as progress:
        for start in range(0, len(rows), BATCH_ROWS):
            lines: list[GradeLine] = []
            for row in rows[start:start + BATCH_ROWS]:
                learner = by_iin.get(row.iin or "") or by_email.get(row.email or "")
                if learner is None:
                    report.refused.append((row.number, _who(row), "-", _unknown(row)))
                    continue
                ref = (row.number, _who(row))
                for component, text in row.grades.items():
                    try:
                        points = moodle.points_of(text)
                    except ValueError as not_a_number:
                        report.refused.append((*ref, component, str(not_a_number)))
                        continue
                    if points is None:
                        report.no_grade += 1
                        continue
                    lines.append(GradeLine(ref, learner, code, component, points))

            def record(cmd: Commands, lines: list[GradeLine] = lines) -> Saved:
                return cmd.enrollments.record_grades(
                    lines, exam_mode=ExamMode(args.exam_mode), reason=args.reason,
                    save=not args.dry_run)

            saved = service.execute(ctx, record)
            position = saved.position
            for outcome in saved.value:
                number, who = outcome.line.ref
                if outcome.outcome is Outcome.RECORDED:
                    report.recorded.append((outcome.line.ref, outcome.line.component,
                                            outcome.previous, outcome.line.points))
                elif outcome.outcome is Outcome.UNCHANGED:
                    report.unchanged += 1
                else:
                    why = outcome.refusal.message if outcome.refusal else "refused"
                    report.refused.append((number, who, outcome.line.component, why))
            progress.update(min(BATCH_ROWS, len(rows) - start))
    if position is not None and not args.dry_run:
        service.wait_for(position)  # later queries see the import
    report.refused.sort(key=lambda r: r[0])
    return report


def _who(row: Row) -> str:
    return row.name or row.email or row.iin or "?"


def _unknown(row: Row) -> str:
    keys = [f"ID number {row.iin}" if row.iin else "", f"e-mail {row.email}" if row.email
            else ""]
    return "unknown learner: no learner registered with " + \
        (" or ".join(k for k in keys if k) or "an ID number or e-mail (both empty)")


def _print(report: Report, book: Gradebook, args: argparse.Namespace, code: str) -> None:
    columns = ", ".join(f"{c} ← {n!r}" for c, n in book.columns.items())
    print(f"{args.file.name}: {len(book.rows)} rows ({book.layout}); {columns}")
    if args.dry_run:
        print(f"dry run: nothing stored. {len(report.recorded)} grades would be recorded "
              f"in {code}:")
        table = [("row", "learner", "component", "now", "would be")] + [
            (str(ref[0]), ref[1], component, "-" if previous is None else str(previous),
             str(points)) for ref, component, previous, points in report.recorded]
        _table(table)
    verb = "would be recorded" if args.dry_run else "recorded"
    print(f"{len(report.recorded)} {verb}, {report.unchanged} unchanged, "
          f"{report.no_grade} without a grade, {len(report.refused)} refused")
    if report.refused:
        print("refused:")
        _table([("row", "learner", "component", "reason"),
                *[(str(n), who, what, why) for n, who, what, why in report.refused]])


def _table(rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(v) for v in column) for column in zip(*rows, strict=True)]
    for row in rows:
        print("  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
