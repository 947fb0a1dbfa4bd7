"""``registry`` — the command line (SPEC §4): serve, tokens, keys, schema.

The CLI works on the local database directly and needs no token: it is run by the
registry's operators. Output meant for scripts (a token) goes alone to stdout; everything
else goes to stderr.
"""

from __future__ import annotations

import argparse
import logging
import sys
import uuid
from collections.abc import Sequence

from . import keys_cli, personal_cli, verify_cli
from .audit.cli import register as register_audit_commands
from .config import DEFAULT_HOST, DEFAULT_PORT, Settings
from .domain.access import Role
from .domain.errors import DomainError


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .web.app import create_app

    settings = Settings.from_env(host=args.host, port=args.port)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info",
                proxy_headers=True)
    return 0


def _token_create(args: argparse.Namespace) -> int:
    from .application.context import CommandContext
    from .bootstrap import build

    learner_id = None
    if args.learner:
        try:
            learner_id = uuid.UUID(args.learner)
        except ValueError:
            print(f"registry: --learner {args.learner!r} is not a learner id", file=sys.stderr)
            return 2
    container = build(Settings.from_env())
    try:
        secret = container.service.run(
            CommandContext(actor_name="registry-cli", actor_role="operator"),
            lambda app: app.create_token(name=args.name, role=Role(args.role),
                                         learner_id=learner_id, faculty=args.faculty,
                                         courses=args.course),
        )
    except DomainError as refusal:
        print(f"registry: {refusal.message}", file=sys.stderr)
        return 1
    finally:
        container.close()
    print(secret)
    return 0


def _schema(args: argparse.Namespace) -> int:
    from .api.schema import sdl

    sys.stdout.write(sdl())
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="registry", description="DET Registry")
    sub = p.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the API and the verification page")
    serve.add_argument("--host", default=DEFAULT_HOST)
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.set_defaults(func=_serve)

    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="action",
                                                                       required=True)
    create = token.add_parser("create", help="create a token; prints it (only) on stdout")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--name", required=True, help="who holds it (recorded in events)")
    create.add_argument("--learner", help="the learner id a learner token is tied to")
    create.add_argument("--faculty", help="the faculty a faculty token acts for (its packages)")
    create.add_argument("--course", action="append", metavar="CODE",
                        help="a MOOC or discipline a teacher token teaches (repeatable)")
    create.set_defaults(func=_token_create)

    keys_cli.register(sub)
    personal_cli.register(sub)
    verify_cli.register(sub)

    register_audit_commands(sub)

    schema = sub.add_parser("schema", help="print the GraphQL schema (SDL)")
    schema.set_defaults(func=_schema)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
