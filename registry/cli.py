"""``registry`` — the command line (SPEC §4): serve, tokens, keys, schema, imports.

The CLI works on the local database directly and needs no token: it is run by the
registry's operators. Output meant for scripts (a token) goes alone to stdout; everything
else goes to stderr.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import tempfile
import uuid
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from datetime import date, datetime
from typing import Any

from . import demo_cli, import_cli, keys_cli, oidc, personal_cli, verify_cli
from .audit.cli import register as register_audit_commands
from .config import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    PROJECTION_MODES,
    ConfigError,
    Settings,
    log_format,
)
from .domain.access import Role
from .domain.errors import DomainError
from .projections.cli import register as register_projection_commands


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings(host=args.host, port=args.port)
    if args.projections:
        settings = dataclasses.replace(settings, projections=args.projections)
    oidc.from_settings(settings)  # a bad OIDC key set stops the start here, in one line
    _check_start(settings, args.workers)
    if args.workers > 1:  # each worker builds its own app from the environment
        os.environ["REGISTRY_PUBLIC_URL"] = settings.public_url
        os.environ["REGISTRY_PROJECTIONS"] = settings.projections
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="registry-m"))
    from .web.app import create_app
    from .web.logs import lean_records, log_config

    # uvicorn believes X-Forwarded-For/-Proto from the same proxies as the rate limits do.
    trusted = list(settings.trusted_proxies)
    app: Any = (create_app(settings, freeze_heap=True) if args.workers == 1
                else "registry.web.app:serving_app")
    loop, http = event_loop_and_parser()
    lean_records()
    said = logging.getLogger("registry.serve")
    said.setLevel(logging.INFO)  # a start line, as uvicorn's own
    said.info("serving with the %s event loop and the %s HTTP parser", loop, http)
    # uvicorn reads no WebSocket message bigger than the app accepts (the app checks too).
    uvicorn.run(app, factory=args.workers > 1, workers=args.workers, host=args.host,
                port=args.port, loop=loop, http=http, log_level="info", proxy_headers=bool(trusted),
                forwarded_allow_ips=trusted, ws_max_size=settings.max_ws_message_bytes,
                log_config=log_config(settings.log_format))
    return 0


def event_loop_and_parser() -> tuple[str, str]:
    """uvicorn's standard extras when this platform has them (``uvicorn[standard]``: uvloop
    and httptools), else asyncio's loop and h11."""
    from importlib.util import find_spec

    return ("uvloop" if find_spec("uvloop") else "asyncio",
            "httptools" if find_spec("httptools") else "h11")


def _check_start(settings: Settings, workers: int) -> None:
    """What ``serve`` refuses before it starts: several workers each running the projections,
    an unusable data folder, emblem or database, and a public URL the audit log was not
    named for."""
    from . import preflight
    from .audit.note import existing_log_name

    if workers < 1:
        raise ConfigError(f"--workers: {workers}: a whole number from 1")
    if workers > 1 and settings.projections == "embedded":
        raise ConfigError(f"--workers: {workers}: with several workers, run the projections "
                          "once beside them: REGISTRY_PROJECTIONS=external (or --projections "
                          "external) and 'registry projections run'")
    preflight.private_data_dir(settings)
    if settings.emblem is not None:  # a file that only looks like a PNG stops here, too
        from .web.pdf import load_emblem

        load_emblem(settings.emblem)
    if settings.database_url:  # reachable now, rather than a traceback from the lifespan
        from .storage.backend import backend_for

        # under the start lock: servers started together on a new schema must not race on
        # CREATE SCHEMA (CI saw "a server stopped at start" from exactly that)
        with preflight.storage_started(backend_for(settings.database_url, settings.data_dir),
                                       settings):
            pass
    wanted = f"{settings.public_authority}/log"
    named = existing_log_name(settings.data_dir / "keys")
    if named is not None and named != wanted:
        raise ConfigError(
            f"REGISTRY_PUBLIC_URL: {settings.public_url!r}: this registry's audit log is named "
            f"{named!r} for good (fixed at its first start); serve it at that address, or "
            "give the log this address's name with 'registry audit rename --reason …' (README "
            "'The audit log's name')")


def settings_or_exit(**kwargs: Any) -> Settings:
    """The settings from the environment; a bad value stops in one line (exit 2)."""
    return _settings(**kwargs)


def _settings(**kwargs: Any) -> Settings:
    """The settings from the environment; a bad value raises :class:`ConfigError`, which
    :func:`main` prints in one line (exit 2)."""
    return Settings.from_env(**kwargs)


def _token_create(args: argparse.Namespace) -> int:
    learner_id = None
    if args.learner:
        try:
            learner_id = uuid.UUID(args.learner)
        except ValueError:
            print(f"registry: --learner {args.learner!r} is not a learner id", file=sys.stderr)
            return 2
    expires_on, never = None, args.expires == "never"
    if args.expires and not never:
        try:
            expires_on = date.fromisoformat(args.expires)
        except ValueError:
            print(f"registry: --expires {args.expires!r} is not a date (YYYY-MM-DD) or 'never'",
                  file=sys.stderr)
            return 2
    return _on_registry(lambda cmd: cmd.tokens.create(
        name=args.name, role=Role(args.role), learner_id=learner_id, faculty=args.faculty,
        courses=args.course, expires_on=expires_on, never_expires=never), print)


def _token_revoke(args: argparse.Namespace) -> int:
    def said(value: tuple[uuid.UUID, bool]) -> None:
        token_id, already = value
        note = "was already revoked; nothing recorded" if already else "revoked"
        print(f"registry: token {token_id} {note}", file=sys.stderr)

    return _on_registry(lambda cmd: cmd.tokens.revoke(args.id), said)


def _token_list(args: argparse.Namespace) -> int:
    from .bootstrap import build

    settings = _settings()
    container = build(settings, seed=False)
    try:
        tokens = container.commands.tokens.list_all()
    finally:
        container.close()
    if args.json:
        print(json.dumps(tokens, ensure_ascii=False, indent=2))
        return 0

    def day(instant: str | None) -> str:  # in REGISTRY_TIMEZONE, as --expires is
        return datetime.fromisoformat(instant).astimezone(settings.tz).date().isoformat() \
            if instant else "-"

    columns = ("id", "name", "role", "scope", "created", "expires", "revoked")
    rows = [(t["id"][:8], t["name"], t["role"], _scope(t), day(t["created"]),
             t["expires"] or "never", day(t["revoked"])) for t in tokens]
    widths = [max(len(str(v)) for v in column) for column in zip(columns, *rows, strict=True)]
    for row in (columns, *rows):
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _scope(token: dict[str, Any]) -> str:
    if token["learner"]:
        return f"learner {token['learner']}"
    if token["faculty"]:
        return f"faculty {token['faculty']}"
    return f"courses {','.join(token['courses'])}" if token["courses"] else "-"


def _on_registry(command: Callable[[Any], Any], report: Callable[[Any], None]) -> int:
    """Run one command on the local registry as its operator; a refusal exits 1."""
    return on_registry(lambda service, ctx: service.run(ctx, command), report)


def on_registry(call: Callable[[Any, Any], Any], report: Callable[[Any], None]) -> int:
    """``call(service, operator's command context)`` on the local registry; ``report`` its
    value. A bad setting stops in one line (exit 2), a refusal exits 1."""
    from .application.context import CommandContext
    from .bootstrap import build

    container = build(_settings())
    try:
        value = call(container.service,
                     CommandContext(actor_name="registry-cli", actor_role="operator"))
    except DomainError as refusal:
        print(f"registry: {refusal.message}", file=sys.stderr)
        return 1
    finally:
        container.close()
    report(value)
    return 0


def _schema(args: argparse.Namespace) -> int:
    from .api.schema import sdl

    sys.stdout.write(sdl())
    return 0


def _backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .backup import backup

    summary = backup(_settings(), Path(args.file))
    print(f"registry: backed up {summary.files} files ({summary.bytes} bytes) to {args.file}: "
          f"events to position {summary.events}, the audit log {summary.audit_name!r} of "
          f"{summary.audit_size} entries (root {summary.audit_root or '-'})", file=sys.stderr)
    return 0


def _restore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .backup import restore

    manifest = restore(Path(args.file), Path(args.dir))
    audit = manifest["auditLog"]
    print(f"registry: restored {args.file} (made {manifest['created']}) into {args.dir}: "
          f"events to position {manifest['eventsPosition']}, the audit log {audit['name']!r} "
          f"of {audit['size']} entries; serve it with REGISTRY_DATA_DIR={args.dir} "
          "registry serve" + ("; set REGISTRY_PERSONAL_KEK as before (it is not in the backup)"
                              if not manifest["personalKek"].startswith("keys/") else ""),
          file=sys.stderr)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="registry", description="DET Registry")
    sub = p.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the API and the verification page")
    serve.add_argument("--host", default=DEFAULT_HOST)
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--projections", choices=PROJECTION_MODES, default=None,
                       help="embedded (default, or REGISTRY_PROJECTIONS): this process runs "
                       "the projections; external: 'registry projections run' does, and this "
                       "process only reads and waits for the views")
    serve.add_argument("--workers", type=int, default=1, metavar="N",
                       help="N serving processes (default 1); with N > 1 the projections run "
                       "apart (REGISTRY_PROJECTIONS=external and 'registry projections run')")
    serve.set_defaults(func=_serve, founds_registry=True)

    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="action",
                                                                       required=True)
    create = token.add_parser("create", help="create a token; prints it (only) on stdout")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--name", required=True, help="who holds it (recorded in events)")
    create.add_argument("--learner", help="the learner id a learner token is tied to")
    create.add_argument("--faculty", help="the faculty a faculty token acts for (its packages)")
    create.add_argument("--course", action="append", metavar="CODE",
                        help="a MOOC or discipline a teacher token teaches (repeatable)")
    create.add_argument("--expires", metavar="YYYY-MM-DD",
                        help="the last day it is valid (in REGISTRY_TIMEZONE), or 'never'; "
                             "default: REGISTRY_TOKEN_LIFETIME_DAYS from today")
    create.set_defaults(func=_token_create)
    listing = token.add_parser("list", help="every token: id, name, role, scope, created, "
                                            "expires, revoked (never the secret)")
    listing.add_argument("--json", action="store_true", help="as a JSON array")
    listing.set_defaults(func=_token_list)
    revoke = token.add_parser("revoke", help="revoke a token (refused from then on)")
    revoke.add_argument("id", help="the token's id, or its first characters "
                                   "(as 'registry token list' shows them)")
    revoke.set_defaults(func=_token_revoke)

    backup = sub.add_parser("backup", help="write an online, consistent backup of a SQLite "
                            "registry (database, audit log, keys, manifest) to FILE")
    backup.add_argument("file", metavar="FILE", help="the archive to write (a new file)")
    backup.set_defaults(func=_backup)
    restore = sub.add_parser("restore", help="make the data folder DIR (new or empty) from "
                             "a backup FILE")
    restore.add_argument("file", metavar="FILE")
    restore.add_argument("dir", metavar="DIR")
    restore.set_defaults(func=_restore, founds_registry=True)

    keys_cli.register(sub)
    demo_cli.register(sub)
    personal_cli.register(sub)
    verify_cli.register(sub)
    import_cli.register(sub)

    register_audit_commands(sub)
    register_projection_commands(sub)

    schema = sub.add_parser("schema", help="print the GraphQL schema (SDL)")
    schema.set_defaults(func=_schema)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from .preflight import existing_only
    from .web.logs import configure

    args = parser().parse_args(argv)
    try:
        configure(log_format(os.environ.get("REGISTRY_LOG_FORMAT")))
        # Only the commands that found a registry (serve, keys generate, demo, restore) set
        # founds_registry; any other refuses to create an empty one where there is none.
        founding = getattr(args, "founds_registry", False)
        with nullcontext() if founding else existing_only():
            return int(args.func(args))
    except (ConfigError, oidc.OidcConfigError) as error:
        print(error, file=sys.stderr)  # "REGISTRY_…: <value>: <what is expected>"
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
