"""``registry personal erase --learner ID --reason TEXT``: erase a learner's personal data.

Works on the local database directly, like every operator command (no token). Prints the
learner id on stdout when done; refusals go to stderr with exit status 1 (2 for bad usage).
Running it again for the same learner is harmless: it finishes an erasure cut short.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from typing import Any


def register(sub: Any) -> None:
    personal = sub.add_parser("personal", help="personal data: erasure").add_subparsers(
        dest="action", required=True)
    erase = personal.add_parser(
        "erase", help="erase a learner's personal data (name, IIN, e-mail, free text) and "
                      "destroy its key; the audit log's proofs stay intact")
    erase.add_argument("--learner", required=True, metavar="ID", help="the learner's id")
    erase.add_argument("--reason", required=True, metavar="TEXT",
                       help="why (e.g. the request's number); kept with the erasure event")
    erase.set_defaults(func=_erase)


def _erase(args: argparse.Namespace) -> int:
    from .cli import on_registry
    from .domain.errors import DomainError
    from .domain.learners import erasure_reason

    try:
        learner_id = uuid.UUID(args.learner)
        reason = erasure_reason(args.reason)
    except ValueError:
        print(f"registry: --learner {args.learner!r} is not a learner id", file=sys.stderr)
        return 2
    except DomainError as refusal:
        print(f"registry: {refusal.message}", file=sys.stderr)
        return 2

    def said(erased: str) -> None:
        print(erased)
        print(f"erased the personal data of learner {erased}", file=sys.stderr)

    return on_registry(
        lambda service, ctx: service.erase_personal_data(ctx, learner_id, reason), said)
