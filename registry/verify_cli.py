"""``registry verify TOKEN|IMAGE.png|URL [--jwks FILE] [--server URL]`` — an employer's or
auditor's check of a certificate without trusting anyone's screen.

The signature is checked against a saved JWKS with no network. Whether the certificate was
later revoked or superseded only the registry knows: with ``--server`` that is asked too, and
the output always says whether it was. Exit status: 0 valid, 1 not valid, 2 could not check.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .domain.certificates import VerificationStatus, judge_key
from .domain.keys import KeyWindow
from .signing import InvalidToken, verify_token

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp"}


class CannotCheck(Exception):
    pass


def token_from(source: str) -> str:
    """A token from a token, a verification URL (the part after '#'), or a QR image."""
    path = Path(source)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        if not path.exists():
            raise CannotCheck(f"no such image: {source}")
        source = decode_qr(path)
    if "#" in source:
        return source.split("#", 1)[1].strip()
    return source.strip()


def decode_qr(path: Path) -> str:
    try:
        from PIL import Image
        from pyzbar.pyzbar import decode
    except ImportError as missing:  # pragma: no cover - depends on the machine
        raise CannotCheck("reading a QR image needs pyzbar and the zbar library: "
                          "pip install 'det-registry[verify]' and apt-get install libzbar0"
                          ) from missing
    found: list[str] = [symbol.data.decode("utf-8") for symbol in decode(Image.open(path))]
    if not found:
        raise CannotCheck(f"no QR code found in {path}")
    return found[0]


def _get_json(url: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def load_jwks(args: argparse.Namespace) -> dict[str, Any]:
    if args.jwks:
        return dict(json.loads(Path(args.jwks).read_text(encoding="utf-8")))
    if args.server:
        return dict(_get_json(f"{args.server.rstrip('/')}/.well-known/jwks.json"))
    raise CannotCheck("offline verification needs the registry's public keys: save "
                      "<registry>/.well-known/jwks.json once and pass --jwks FILE "
                      "(or --server URL to fetch them)")


def check(args: argparse.Namespace) -> tuple[int, list[str]]:
    token = token_from(args.source)
    jwks = load_jwks(args)
    lines: list[str] = []
    try:
        claims, kid = verify_token(token, jwks)
    except InvalidToken as invalid:
        return 1, [f"INVALID: {invalid}", "Nothing in this token can be trusted."]
    jwk = next(k for k in jwks["keys"] if k.get("kid") == kid)
    window = KeyWindow.from_published(jwk)
    lines += [
        f"certificate   {claims.number}",
        f"holder        {claims.full_name}",
        f"course        {claims.course_title}",
        f"credits       {claims.credits}",
        f"issued on     {claims.issued_on.isoformat()}",
        f"signed by key {kid}",
    ]
    verdict, code = "VALID (signature)", 0
    by_key = judge_key(window, claims.issued_on) if window is not None else None
    if by_key is not None:
        status, reason = by_key
        if status is VerificationStatus.INVALID:
            return 1, [f"INVALID: {reason}"]
        verdict, code = f"{status.value}: {reason}", 1
    if args.server:
        answer = _get_json(f"{args.server.rstrip('/')}/api/verify", {"token": token})
        status = answer.get("status")
        verdict = status + (f": {answer['reason']}" if answer.get("reason") else "")
        code = 0 if status == "VALID" else 1
        lines.append(f"status        checked online at {urlsplit(args.server).netloc}")
    else:
        lines.append("status        NOT checked (offline): revocation and reissue need the "
                     "registry (--server URL)")
    return code, [verdict, *lines]


def _verify(args: argparse.Namespace) -> int:
    try:
        code, lines = check(args)
    except CannotCheck as problem:
        print(f"registry: {problem}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as problem:
        print(f"registry: could not check: {problem}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return code


def register(sub: Any) -> None:
    verify = sub.add_parser("verify", help="check a certificate token, QR image or URL offline")
    verify.add_argument("source", help="a token, a verification URL, or a QR image (.png)")
    verify.add_argument("--jwks", help="the registry's saved public keys (jwks.json)")
    verify.add_argument("--server", help="the registry's URL, to ask for the status too")
    verify.set_defaults(func=_verify)
