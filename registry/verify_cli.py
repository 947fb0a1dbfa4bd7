"""``registry verify TOKEN|IMAGE.png|CERT.pdf|URL|NUMBER [--jwks FILE] [--revocations FILE]
[--server URL] [--proof FILE --log-vkey VKEY [--witness VKEY …] [--quorum N]]`` and
``registry verify CREDENTIAL.json [--did FILE] [--status-list FILE]`` — an employer's or
auditor's check of a certificate without trusting anyone's screen.

The signature is checked against a saved JWKS (a credential's proof against a saved DID
document) with no network. Whether the certificate was later revoked or superseded only the
registry knows: a saved revocations snapshot (``/status/revocations``; for a credential, its
saved status list) says so as of the time it was made, with no network either; with
``--server`` the registry is asked. The output always says whether, and how, the status was
checked.

With ``--proof`` (the certificate's ``/certificates/{number}/proof``, a
``c2sp.org/tlog-proof@v1``) it also checks, offline, that the university's public log recorded
this certificate's issuance: the proof's checkpoint is signed by the log's key (``--log-vkey``,
saved once from ``/log/vkey``) and cosigned by at least ``--quorum`` of the independent
witnesses given (``--witness``, each one's verifier key; quorum 1 by default when any is
given), and the logged envelope is the issuance of the very certificate in hand — its number,
course, credits, date and signing key as the QR's signed token states them. The employer holds
the certificate (PDF, QR image or URL) and its proof file; a number typed from the paper with
``--proof`` shows what the log recorded for it, but carries no signature of its own.
Exit status: 0 valid, 1 not valid, 2 could not check.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .audit import proof
from .audit.cli import _text_or_file
from .audit.cosignature import WitnessVerifier
from .audit.note import NoteError, Verifier
from .domain.certificates import VerificationStatus, judge_key, read_number
from .domain.keys import KeyWindow
from .domain.revocations import Snapshot
from .signing import CertificateClaims, InvalidToken, verify_token
from .signing.credentials import did_web_document_url, revoked_in, verify_issued
from .signing.dataintegrity import InvalidProof
from .signing.jsonld import UnsafeDocument
from .signing.revocations import InvalidSnapshot, verify_snapshot

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp"}
#: Pixels per PDF point when a certificate's page is rendered to find its QR (≈ 216 dpi).
PDF_SCALE = 3


class CannotCheck(Exception):
    pass


def token_from(source: str) -> str:
    """A token from a token, a verification URL (the part after '#'), a QR image or a PDF
    certificate."""
    path = Path(source)
    if path.suffix.lower() in IMAGE_SUFFIXES | {".pdf"}:
        if not path.exists():
            raise CannotCheck(f"no such file: {source}")
        source = decode_qr(path)
    if "#" in source:
        return source.split("#", 1)[1].strip()
    return source.strip()


def _pages(path: Path) -> list[Any]:
    """The images to look for a QR in: the image itself, or each page of a PDF rendered."""
    from PIL import Image

    if path.suffix.lower() != ".pdf":
        return [Image.open(path)]
    try:
        import pypdfium2
    except ImportError as missing:  # pragma: no cover - depends on the machine
        raise CannotCheck("reading a PDF certificate needs pypdfium2: "
                          "pip install 'det-registry[verify]'") from missing
    try:
        document = pypdfium2.PdfDocument(path)
    except pypdfium2.PdfiumError as error:
        raise CannotCheck(f"{path} is not a PDF that can be read ({error})") from None
    try:
        return [page.render(scale=PDF_SCALE).to_pil() for page in document]
    finally:
        document.close()


def decode_qr(path: Path) -> str:
    try:
        from pyzbar.pyzbar import decode
    except ImportError as missing:  # pragma: no cover - depends on the machine
        raise CannotCheck("reading a QR image needs pyzbar and the zbar library: "
                          "pip install 'det-registry[verify]' and apt-get install libzbar0"
                          ) from missing
    for image in _pages(path):
        found: list[str] = [symbol.data.decode("utf-8") for symbol in decode(image)]
        if found:
            return found[0]
    raise CannotCheck(f"no QR code found in {path}")


def _get_json(url: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def _read_json(name: str, what: str) -> Any:
    try:
        return json.loads(Path(name).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise CannotCheck(f"{name} is not JSON ({error}): save {what} again") from None


def _usable(jwk: Any) -> bool:
    return (isinstance(jwk, dict) and jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519"
            and isinstance(jwk.get("x"), str) and isinstance(jwk.get("kid"), str))


def load_jwks(args: argparse.Namespace) -> dict[str, Any]:
    if args.jwks:
        jwks = _read_json(args.jwks, "<registry>/.well-known/jwks.json")
        where = args.jwks
    elif args.server:
        jwks = _get_json(f"{args.server.rstrip('/')}/.well-known/jwks.json")
        where = f"{args.server}'s key set"
    else:
        raise CannotCheck("offline verification needs the registry's public keys: save "
                          "<registry>/.well-known/jwks.json once and pass --jwks FILE "
                          "(or --server URL to fetch them)")
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list) or not any(_usable(jwk) for jwk in keys):
        raise CannotCheck(f"{where} holds no usable public key (no Ed25519 key with a kid): "
                          "save <registry>/.well-known/jwks.json again")
    return dict(jwks)


def check(args: argparse.Namespace) -> tuple[int, list[str]]:
    path = Path(args.source)
    if path.suffix.lower() == ".json" and path.is_file():
        return check_credential(args, path)
    if "." not in args.source and "#" not in args.source and not path.exists():
        return check_number(args)
    token = token_from(args.source)
    jwks = load_jwks(args)
    try:
        claims, kid = verify_token(token, jwks)
    except InvalidToken as invalid:
        return 1, [f"INVALID: {invalid}", "Nothing in this token can be trusted."]
    jwk = next(k for k in jwks["keys"] if k.get("kid") == kid)
    window = KeyWindow.from_published(jwk)
    lines = [
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
    elif args.revocations:
        snapshot, made = _revocations(args.revocations, jwks)
        listed = snapshot.judge(kid, claims.number, claims.issued_on)
        if listed is not None:
            verdict, code = f"{listed[0].value}: {listed[1]}", 1
        elif code == 0:
            verdict = f"VALID: not revoked or superseded as of {made}"
        lines.append(f"status        checked offline: the registry's revocations of {made}")
    else:
        lines.append("status        NOT checked (offline): revocation and reissue need the "
                     "registry's revocations (--revocations FILE) or the registry "
                     "(--server URL)")
    if args.proof:
        problem, said = check_proof(args, claims.number, claims, kid)
        lines += said
        if problem:
            verdict, code = f"INVALID: {problem}", 1
    return code, [verdict, *lines]


def _log_keys(args: argparse.Namespace) -> tuple[Verifier, list[WitnessVerifier], int]:
    if not args.log_vkey:
        raise CannotCheck("checking a log proof needs the log's verifier key: save "
                          "<registry>/log/vkey once and pass --log-vkey FILE")
    try:
        log_key = Verifier.parse(_text_or_file(args.log_vkey))
        witnesses = [WitnessVerifier.parse(_text_or_file(w)) for w in args.witness or ()]
    except NoteError as error:
        raise CannotCheck(f"a verifier key cannot be read: {error}") from None
    quorum = args.quorum if args.quorum is not None else min(len(witnesses), 1)
    if quorum > len(witnesses):
        raise CannotCheck(f"--quorum {quorum} needs at least {quorum} --witness keys")
    return log_key, witnesses, quorum


def check_proof(args: argparse.Namespace, number: str, claims: CertificateClaims | None = None,
                kid: str | None = None) -> tuple[str | None, list[str]]:
    """Why the log proof in ``args.proof`` does not show certificate ``number``'s issuance
    (as ``claims`` and ``kid`` state it, when the token is at hand) — ``None`` when it
    does — and the lines to print."""
    log_key, witnesses, quorum = _log_keys(args)
    try:
        text = Path(args.proof).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CannotCheck(f"the proof file cannot be read ({error}): save "
                          f"<registry>/certificates/{number}/proof again") from None
    try:
        verified = proof.verify(proof.TlogProof.parse(text), log_key, witnesses, quorum)
        payload = proof.issued_certificate(verified, number)
    except proof.ProofInvalid as invalid:
        return f"the log proof: {invalid}", ["log           NOT confirmed by the log proof"]
    if claims is not None:
        stated = {"course_title": claims.course_title, "credits": claims.credits,
                  "issued_on": claims.issued_on.isoformat(), "kid": kid}
        differ = sorted(k for k, v in stated.items() if payload.get(k) != v)
        if differ:
            return (f"the log recorded certificate {number} with another "
                    f"{', '.join(differ)} than this certificate states",
                    ["log           NOT confirmed by the log proof"])
    checkpoint = verified.checkpoint
    lines = [f"log           recorded: entry {verified.index} of {checkpoint.origin} "
             f"(checkpoint of {checkpoint.size} entries, signed by the log's key)"]
    if witnesses:
        names = ", ".join(sorted(verified.witnesses)) or "none"
        lines.append(f"witnesses     {len(verified.witnesses)} of {len(witnesses)} cosigned it "
                     f"({names}); {quorum} needed")
    else:
        lines.append("witnesses     NOT checked: pass each witness's key as --witness VKEY")
    if claims is None:
        lines.append(f"course        {payload.get('course_title')}")
        lines.append(f"credits       {payload.get('credits')}")
        lines.append(f"issued on     {payload.get('issued_on')}")
    return None, lines


def _revocations(name: str, jwks: dict[str, Any]) -> tuple[Snapshot, str]:
    """The snapshot in file ``name``, checked with ``jwks``, and when it was made."""
    try:
        snapshot, signer = verify_snapshot(Path(name).read_text(encoding="utf-8"), jwks)
    except (InvalidSnapshot, UnicodeDecodeError) as invalid:
        raise CannotCheck(f"the revocations file {name} cannot be trusted: {invalid} — fetch "
                          "<registry>/status/revocations again") from None
    window = KeyWindow.from_published(next(k for k in jwks["keys"] if k.get("kid") == signer))
    if window is not None and window.compromised_for(snapshot.made.date()):
        raise CannotCheck(f"the revocations file {name} is signed by key {signer}, compromised "
                          f"since {window.compromised_since}: fetch "
                          "<registry>/status/revocations again")
    return snapshot, snapshot.made.isoformat(timespec="minutes").replace("+00:00", "Z")


def check_number(args: argparse.Namespace) -> tuple[int, list[str]]:
    """A number typed from the paper: its check symbol here, the rest by the registry."""
    number, problem = read_number(args.source)
    if number is None:
        return 1, [f"INVALID: {problem}"]
    if not args.server and args.proof:
        unproven, said = check_proof(args, number)
        if unproven:
            return 1, [f"INVALID: {unproven}", f"certificate   {number}", *said]
        return 0, [f"RECORDED: the university's log holds the issuance of {number}",
                   f"certificate   {number}", *said,
                   "signature     NOT checked: a number carries none; verify the QR (its "
                   "image, the PDF or the URL)",
                   "status        NOT checked (offline): ask the registry (--server URL)"]
    if not args.server:
        raise CannotCheck("a number alone carries no signature: verify the QR (its image, the "
                          "PDF or the URL) offline, or ask the registry with --server URL")
    answer = _get_json(f"{args.server.rstrip('/')}/api/verify", {"number": number})
    status = answer.get("status")
    verdict = status + (f": {answer['reason']}" if answer.get("reason") else "")
    return (0 if status == "VALID" else 1), [
        verdict, f"certificate   {number}",
        f"status        checked online at {urlsplit(args.server).netloc}"]


def _did_location(credential: dict[str, Any]) -> str:
    """Where the credential's issuer publishes its DID document (did:web's Read rule), or
    the registry's usual place when the issuer is not a did:web."""
    issuer = credential.get("issuer")
    did = issuer.get("id") if isinstance(issuer, dict) else issuer
    try:
        return did_web_document_url(str(did))
    except ValueError:
        return "<registry>/.well-known/did.json"


def check_credential(args: argparse.Namespace, path: Path) -> tuple[int, list[str]]:
    """An Open Badges credential file: its proof against a saved DID document, its
    revocation bit in a saved (and itself checked) status list."""
    credential = _read_json(str(path), "the credential")
    if not isinstance(credential, dict) or "proof" not in credential:
        raise CannotCheck(f"{path} is not a signed credential (no proof)")
    where = _did_location(credential)
    if not args.did:
        raise CannotCheck("checking a credential offline needs the registry's DID document: "
                          f"save {where} once and pass --did FILE")
    did = _read_json(args.did, where)
    if not isinstance(did, dict) or not isinstance(did.get("verificationMethod"), list):
        raise CannotCheck(f"{args.did} is not a DID document: save {where} again")
    try:
        proof = verify_issued(credential, did)
    except (InvalidProof, UnsafeDocument) as invalid:
        return 1, [f"INVALID: {invalid}", "Nothing in this credential can be trusted."]
    subject = credential.get("credentialSubject") or {}
    names = [i.get("identityHash") for i in subject.get("identifier") or []
             if isinstance(i, dict) and i.get("identityType") == "name"]
    lines = [
        f"credential    {credential.get('id')}",
        f"holder        {', '.join(map(str, names)) or '-'}",
        f"course        {(subject.get('achievement') or {}).get('name')}",
        f"credits       {subject.get('creditsEarned')}",
        f"valid from    {credential.get('validFrom')}",
        f"signed by key {proof['verificationMethod']}",
    ]
    if not args.status_list:
        return 0, ["VALID (proof)", *lines,
                   "status        NOT checked (offline): pass the saved status list "
                   "(credentialStatus.statusListCredential) as --status-list FILE"]
    listed = _read_json(args.status_list, "the credential's status list")
    try:
        if not isinstance(listed, dict):
            raise ValueError("it is not a JSON object")
        verify_issued(listed, did)
        revoked = revoked_in(credential, listed)
    except (InvalidProof, UnsafeDocument, ValueError, KeyError) as invalid:
        raise CannotCheck(f"the status list {args.status_list} cannot be used: {invalid} — "
                          "fetch it again") from None
    lines.append(f"status        checked offline: the registry's status list of "
                 f"{listed.get('validFrom')}")
    if revoked:
        return 1, ["REVOKED: the registry's status list sets this credential's revocation "
                   "bit (revoked, superseded by a reissue, or its key compromised)", *lines]
    return 0, [f"VALID: not revoked as of {listed.get('validFrom')}", *lines]


def _verify(args: argparse.Namespace) -> int:
    try:
        code, lines = check(args)
    except CannotCheck as problem:
        print(f"registry: could not check: {problem}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as problem:
        print(f"registry: could not check: {problem}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return code


def register(sub: Any) -> None:
    verify = sub.add_parser("verify", help="check a certificate (token, QR image, PDF, URL, "
                                           "number) or an Open Badges credential, offline")
    verify.add_argument("source", help="a token, a verification URL, a QR image (.png), a PDF "
                                       "certificate, a number, or a credential file (.json)")
    verify.add_argument("--jwks", help="the registry's saved public keys (jwks.json)")
    verify.add_argument("--revocations", help="the registry's saved revocations snapshot "
                                              "(/status/revocations), checked with the keys")
    verify.add_argument("--did", help="for a credential: the registry's saved DID document "
                                      "(/.well-known/did.json)")
    verify.add_argument("--status-list", help="for a credential: its saved status list "
                                              "(credentialStatus.statusListCredential)")
    verify.add_argument("--server", help="the registry's URL, to ask for the status too")
    verify.add_argument("--proof", metavar="FILE",
                        help="the certificate's saved log proof (/certificates/NUMBER/proof): "
                             "check offline that the university's public log recorded it")
    verify.add_argument("--log-vkey", metavar="VKEY",
                        help="with --proof: the log's verifier key (a file from /log/vkey, or "
                             "the key)")
    verify.add_argument("--witness", action="append", metavar="VKEY",
                        help="with --proof: an independent witness's verifier key (a file or "
                             "the key); repeat for each witness")
    verify.add_argument("--quorum", type=int, metavar="N",
                        help="with --proof: how many of the witnesses must have cosigned "
                             "(default 1 when any --witness is given)")
    verify.set_defaults(func=_verify)
