"""``registry keys …``: the certificate-signing keys, for the registry's operators.

Private keys live in files in ``$REGISTRY_DATA_DIR/keys`` (mode 0600, optionally encrypted
with ``REGISTRY_KEY_PASSPHRASE``); every key event — activated, retired, compromised — is
recorded as an event of the key ring, and the public keys with their windows are published at
``/.well-known/jwks.json``.
"""

from __future__ import annotations

import argparse
import datetime
import getpass
import os
import sys
from collections.abc import Callable
from typing import Any

from .application.context import CommandContext
from .config import Settings
from .domain.errors import DomainError

OPERATOR = CommandContext(actor_name="registry-cli", actor_role="operator")


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    if getattr(args, "encrypt", False) and settings.key_passphrase is None:
        first = getpass.getpass("Passphrase for the key file: ")
        if not first or first != getpass.getpass("Again: "):
            raise SystemExit("registry: the passphrases are empty or differ")
        os.environ["REGISTRY_KEY_PASSPHRASE"] = first
        settings = Settings.from_env()
    return settings


def _with_registry(args: argparse.Namespace, work: Callable[[Any], int]) -> int:
    from .bootstrap import build

    container = build(_settings(args))
    try:
        return work(container)
    except DomainError as refusal:
        print(f"registry: {refusal.message}", file=sys.stderr)
        return 1
    finally:
        container.close()


def _generate(args: argparse.Namespace) -> int:
    from .signing import KeyStore

    settings = _settings(args)
    key = KeyStore(settings.data_dir / "keys", password=settings.key_passphrase).ensure_key()
    print(key.kid)
    print(f"certificate-signing key {key.kid} in {settings.data_dir / 'keys'}", file=sys.stderr)
    return 0


def _list(args: argparse.Namespace) -> int:
    def work(container: Any) -> int:
        held = {key.kid for key in container.keys.keys()}
        print(f"{'kid':<18}{'status':<13}{'active from':<13}{'active until':<14}"
              f"{'compromised since':<19}private key")
        for kid, window in sorted(container.service.key_windows().items(),
                                  key=lambda item: item[1].active_from):
            status = ("compromised" if window.compromised_since else
                      "active" if window.active else "retired")
            print(f"{kid:<18}{status:<13}{window.active_from.isoformat():<13}"
                  f"{(window.active_until.isoformat() if window.active_until else '-'):<14}"
                  f"{(window.compromised_since.isoformat() if window.compromised_since else '-'):<19}"
                  f"{'here' if kid in held else 'MISSING'}")
        return 0
    return _with_registry(args, work)


def _rotate(args: argparse.Namespace) -> int:
    return _with_registry(args, _rotate_in)


def _retire(args: argparse.Namespace) -> int:
    def work(container: Any) -> int:
        window = container.service.key_windows().get(args.kid)
        if window is not None and window.active and not args.no_successor:
            print("registry: this is the active key: 'registry keys rotate' retires it and "
                  "makes its successor (or pass --no-successor to stop issuing)",
                  file=sys.stderr)
            return 1
        container.service.run(OPERATOR, lambda cmd: cmd.keys.retire(args.kid, args.on))
        print(f"key {args.kid} retired", file=sys.stderr)
        return 0
    return _with_registry(args, work)


def _compromise(args: argparse.Namespace) -> int:
    def work(container: Any) -> int:
        window = container.service.key_windows().get(args.kid)
        container.service.run(OPERATOR, lambda cmd: cmd.keys.compromise(
            args.kid, args.since, args.reason))
        print(f"key {args.kid} compromised since {args.since}: certificates it signed from "
              "that day on answer REVOKED", file=sys.stderr)
        if window is not None and window.active:
            return _rotate_in(container)
        return 0
    return _with_registry(args, work)


def _rotate_in(container: Any) -> int:
    key = container.keys.create_key()
    container.service.run(OPERATOR, lambda cmd: cmd.keys.activate(key.kid, key.public_jwk))
    print(key.kid)
    print(f"key {key.kid} signs from today; the previous key retires today and stays "
          "published", file=sys.stderr)
    return 0


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def register(sub: Any) -> None:
    keys = sub.add_parser("keys", help="certificate-signing keys").add_subparsers(
        dest="action", required=True)
    generate = keys.add_parser("generate", help="create the first key before the first start; "
                                                "prints its kid")
    generate.add_argument("--encrypt", action="store_true",
                          help="encrypt the key file (passphrase from REGISTRY_KEY_PASSPHRASE "
                               "or a prompt)")
    generate.set_defaults(func=_generate, founds_registry=True)
    keys.add_parser("list", help="every key with its window and status").set_defaults(
        func=_list)
    rotate = keys.add_parser("rotate", help="make a new key active today; the old one retires "
                                            "today and stays published; prints the new kid")
    rotate.add_argument("--encrypt", action="store_true")
    rotate.set_defaults(func=_rotate)
    retire = keys.add_parser("retire", help="retire a key (its certificates still verify)")
    retire.add_argument("kid", help="the key's id (put '--' before one that begins with '-')")
    retire.add_argument("--on", type=_date, default=None, help="YYYY-MM-DD (default today)")
    retire.add_argument("--no-successor", action="store_true",
                        help="allow retiring the active key without a new one")
    retire.set_defaults(func=_retire)
    compromise = keys.add_parser("compromise", help="record a key as compromised since a date "
                                                    "(rotates when it is the active key)")
    compromise.add_argument("kid", help="the key's id (put '--' before one that begins with '-')")
    compromise.add_argument("--since", type=_date, required=True, help="YYYY-MM-DD")
    compromise.add_argument("--reason", default="private key exposed")
    compromise.set_defaults(func=_compromise)
