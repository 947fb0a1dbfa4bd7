"""``registry demo [--learners N] [--seed S]``: fill an empty registry with a demo term
(``registry/demo.py``) and print where to look at it."""

from __future__ import annotations

import argparse
import sys

from .demo import DEFAULT_LEARNERS, DEFAULT_SEED

EXIT_USAGE = 2


def _demo(args: argparse.Namespace) -> int:
    from eventsourcing.persistence import IntegrityError

    from .bootstrap import build
    from .config import Settings
    from .demo import NotEmpty, fill, links
    from .domain.errors import DomainError

    if args.learners < 1:
        print(f"registry demo: --learners {args.learners}: a whole number from 1",
              file=sys.stderr)
        return EXIT_USAGE
    settings = Settings.from_env()
    container = build(settings, seed=False, run_projections=False)
    try:
        result = fill(container, learners=args.learners, seed=args.seed, quiet=args.quiet)
        shown = links(settings, container, result.made)
    except NotEmpty as not_empty:
        print(f"registry demo: this registry already has {not_empty.args[0]} events; the demo "
              "fills an empty one only — set REGISTRY_DATA_DIR (or REGISTRY_DATABASE_URL) to "
              "a new place", file=sys.stderr)
        return EXIT_USAGE
    except DomainError as refusal:  # a rule of the domain refused a step of the story: a bug
        print(f"registry demo: refused: {refusal.message}", file=sys.stderr)
        return 1
    except IntegrityError:  # a batch's save lost to another writer (registry/application/batch.py)
        print("registry demo: another process wrote to this registry while the demo filled "
              "it; the demo stopped (what it saved stays) — run it on a new, empty registry "
              "that nothing else uses", file=sys.stderr)
        return 1
    finally:
        container.close()
    made = result.made
    rate = result.events / result.seconds if result.seconds else 0.0
    print(f"registry demo: {result.events:,} events — {made.learners:,} learners, "
          f"{made.enrollments:,} enrolments, {made.certificates:,} certificates "
          f"({len(made.revoked)} revoked, {len(made.reissued)} reissued), "
          f"{len(made.moocs)} MOOCs — in {result.seconds:.1f} s ({rate:,.0f} events/s; "
          f"fill {result.fill_seconds:.1f} s, views {result.projection_seconds:.1f} s, "
          f"audit log {result.audit_seconds:.1f} s)", file=sys.stderr)
    print(f"registry demo: serve it with 'registry serve' (REGISTRY_PUBLIC_URL="
          f"{settings.public_url}), then open:", file=sys.stderr)
    for line in shown:
        print(line)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    demo = sub.add_parser("demo", help="fill an empty registry with a realistic KazNU-like "
                                       "term and print links to look at it")
    demo.add_argument("--learners", type=int, default=DEFAULT_LEARNERS, metavar="N",
                      help=f"how many learners (default {DEFAULT_LEARNERS}; 100000 makes "
                           "about a million events)")
    demo.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="S",
                      help="the same seed makes the same term (names, scores, outcomes)")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.set_defaults(func=_demo, founds_registry=True)
