"""``registry audit …`` and ``registry events …``: the auditor's commands.

``audit export`` and ``audit checkpoint``/``vkey`` work on the local database directly (no
token: they are for the registry's operators); ``audit verify`` needs no registry at all.
Machine output (envelopes, notes, keys) goes alone to stdout; progress and verdicts to stderr.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

EXIT_BAD = 1
EXIT_USAGE = 2


def register(sub: Any) -> None:
    """Add ``audit`` and ``events`` to the ``registry`` command's subparsers."""
    audit = sub.add_parser("audit", help="the tamper-evident audit log").add_subparsers(
        dest="action", required=True)

    export = audit.add_parser(
        "export", help="write every envelope's exact bytes, one a line, to stdout or --out")
    export.add_argument("--from", dest="start", type=int, default=0, metavar="INDEX",
                        help="first leaf index (default 0)")
    export.add_argument("--out", metavar="FILE", help="write here instead of stdout")
    export.add_argument("--personal", metavar="FILE",
                        help="also write each entry's personal part and salt (JSON lines)")
    export.set_defaults(func=_export)

    verify = audit.add_parser("verify", help="check an export against a signed checkpoint, "
                              "offline; names the first bad entry")
    verify.add_argument("file", help="the export (- for stdin)")
    verify.add_argument("--checkpoint", required=True, metavar="NOTE",
                        help="the signed checkpoint note (a file, from /log/checkpoint)")
    verify.add_argument("--vkey", required=True, metavar="VKEY",
                        help="the log's verifier key (a file, from /log/vkey, or the key)")
    verify.add_argument("--personal", metavar="FILE",
                        help="check the personal parts against their commitments")
    verify.add_argument("--witness", action="append", default=[], metavar="VKEY",
                        help="a witness's verifier key (a file or the key; repeatable): the "
                        "checkpoint must carry its valid cosignature")
    verify.add_argument("--quorum", type=int, metavar="N",
                        help="how many of the --witness keys must have cosigned "
                        "(default: 1 when --witness is given)")
    verify.set_defaults(func=_verify)

    checkpoint = audit.add_parser("checkpoint", help="print the latest signed checkpoint "
                                  "(signing one for every entry logged so far)")
    checkpoint.set_defaults(func=_checkpoint)
    vkey = audit.add_parser("vkey", help="print the log's verifier key")
    vkey.add_argument("--previous", action="store_true",
                      help="also the verifier keys of its earlier names (after a rename), "
                      "oldest first, before the current one")
    vkey.set_defaults(func=_vkey)
    rename = audit.add_parser("rename", help="give the log the name REGISTRY_PUBLIC_URL gives "
                              "(with the server stopped); the rename is an event, old "
                              "checkpoints stay valid under the old verifier key")
    rename.add_argument("--reason", required=True, help="why (recorded in the event)")
    rename.set_defaults(func=_rename)

    witnesses = audit.add_parser("witness", help="the witnesses that cosign the log's "
                                 "checkpoints (each change is an event)").add_subparsers(
        dest="witness_action", required=True)
    add = witnesses.add_parser("add", help="submit every checkpoint to this witness from now on")
    add.add_argument("--url", required=True, help="the witness's submission prefix (the log "
                     "posts to URL/add-checkpoint)")
    add.add_argument("--vkey", required=True, help="the witness's verifier key (or a file)")
    add.set_defaults(func=_witness_add)
    listing = witnesses.add_parser("list", help="the witnesses, their URL, key and the "
                                   "largest checkpoint each cosigned")
    listing.add_argument("--json", action="store_true", help="one JSON array on stdout")
    listing.set_defaults(func=_witness_list)
    remove = witnesses.add_parser("remove", help="stop submitting to this witness")
    remove.add_argument("name", help="the witness's name (its vkey's first part)")
    remove.set_defaults(func=_witness_remove)

    witness = sub.add_parser("witness", help="the registry as a witness of other logs "
                             "(POST /witness/add-checkpoint)").add_subparsers(
        dest="action", required=True)
    trust = witness.add_parser("trust", help="cosign the checkpoints of this log (an event)")
    trust.add_argument("--origin", required=True, help="the log's origin line")
    trust.add_argument("--vkey", required=True, help="the log's verifier key (or a file)")
    trust.set_defaults(func=_witness_trust)
    own = witness.add_parser("vkey", help="print this registry's cosigning (witness) key")
    own.set_defaults(func=_witness_vkey)

    events = sub.add_parser("events", help="the event catalog (events/)").add_subparsers(
        dest="action", required=True)
    catalog = events.add_parser("export", help="write one JSON Schema per event type and "
                                "version into events/ (generated from the code)")
    catalog.add_argument("--dir", default="events", help="target folder (default: events)")
    catalog.set_defaults(func=_events_export)


def _err(message: str) -> None:
    print(message, file=sys.stderr)


@contextmanager
def _caught_up_log() -> Iterator[Any]:
    """The local registry's log, with every stored event logged and a checkpoint signed."""
    from ..bootstrap import build
    from ..config import Settings
    from .log import LogInconsistent

    container = build(Settings.from_env(), seed=False)
    try:
        container.witnessing.stop()
        container.checkpointer.stop()
        container.audit_runner.stop()
        container.audit_runner.catch_up()
        try:
            container.audit.sign()
        except LogInconsistent as problem:
            _err(f"WARNING: the log refuses to sign a new checkpoint: {problem}")
        yield container.audit
    finally:
        container.close()


def _export(args: argparse.Namespace) -> int:
    if args.start < 0:
        _err("registry: --from must be ≥ 0")
        return EXIT_USAGE
    with _caught_up_log() as log, _output(args.out) as out, _output(args.personal) as personal:
        latest = log.view.latest_checkpoint()
        total = log.size()
        written, started, shown = 0, time.monotonic(), 0.0
        for page in log.iter_entries(args.start):
            out.write(b"".join(leaf.envelope + b"\n" for leaf in page))
            if args.personal:
                for index, record in log.personal_parts(page):
                    line: dict[str, Any] = {"index": index, "erased": True}
                    if record is not None:
                        line = {"index": index,
                                "salt": base64.b64encode(record.salt).decode("ascii"),
                                "personal": json.loads(record.data)}
                    personal.write(json.dumps(line, ensure_ascii=False, sort_keys=True)
                                   .encode("utf-8") + b"\n")
            written += len(page)
            if sys.stderr.isatty() and time.monotonic() - shown > 0.5:
                shown = time.monotonic()
                print(f"\r{written}/{total - args.start} entries", end="", file=sys.stderr)
    _err(f"\rexported {written} entries from index {args.start} in "
         f"{time.monotonic() - started:.1f}s; the latest checkpoint covers "
         f"{latest.size if latest else 0} (get it with 'registry audit checkpoint')")
    return 0


@contextmanager
def _output(path: str | None) -> Iterator[BinaryIO]:
    if path is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    with open(path, "wb") as file:
        yield file


def _text_or_file(value: str) -> str:
    path = Path(value)
    return path.read_text(encoding="utf-8") if path.is_file() else value


def _verify(args: argparse.Namespace) -> int:
    from .cosignature import CosignatureError, WitnessVerifier
    from .note import NoteError, Verifier, read_checkpoint
    from .verify import VerificationFailed, read_personal, verify_export, witnessed_by

    try:
        verifier = Verifier.parse(_text_or_file(args.vkey))
        note = Path(args.checkpoint).read_text(encoding="utf-8")
        checkpoint = read_checkpoint(note, verifier)
    except (NoteError, OSError, UnicodeDecodeError) as error:
        _err(f"FAILED: the checkpoint does not verify with this key: {error}")
        return EXIT_BAD
    try:
        witnesses = [WitnessVerifier.parse(_text_or_file(v)) for v in args.witness]
    except (CosignatureError, OSError, UnicodeDecodeError) as error:
        _err(f"registry: --witness: {error}")
        return EXIT_USAGE
    quorum = args.quorum if args.quorum is not None else (1 if witnesses else 0)
    if quorum < 0 or quorum > len(witnesses):
        _err(f"registry: --quorum {quorum} needs at least that many --witness keys "
             f"(got {len(witnesses)})")
        return EXIT_USAGE
    try:
        cosigned = witnessed_by(note, witnesses, quorum)
    except (NoteError, VerificationFailed) as error:
        _err(f"FAILED: {error}")
        return EXIT_BAD
    started = time.monotonic()
    try:
        personal = None
        if args.personal:
            with open(args.personal, "rb") as file:
                personal = read_personal(file)
        if args.file == "-":
            report = verify_export(sys.stdin.buffer, checkpoint, personal)
        else:
            with open(args.file, "rb") as file:
                report = verify_export(file, checkpoint, personal)
    except VerificationFailed as failure:
        first = f" (first bad index: {failure.index})" if failure.index is not None else ""
        _err(f"FAILED{first}: {failure}")
        return EXIT_BAD
    except OSError as error:
        _err(f"registry: {error}")
        return EXIT_USAGE
    _err(f"OK: {report.checkpoint_size} entries match the checkpoint of {checkpoint.origin} "
         f"(root {base64.b64encode(checkpoint.root).decode()}), signed by {verifier.name}"
         + (f", cosigned by {len(cosigned)} of {len(witnesses)} witnesses "
            f"({', '.join(sorted(cosigned))}; quorum {quorum})" if witnesses else "")
         + (f"; {report.personal_checked} personal parts match their commitments"
            if personal is not None else "")
         + (f"; {report.personal_erased} were erased (their commitments stand)"
            if report.personal_erased else "")
         + (f"; {report.beyond_checkpoint} later entries are not covered by this checkpoint"
            if report.beyond_checkpoint else "")
         + f" [{time.monotonic() - started:.1f}s]")
    return 0


def _checkpoint(args: argparse.Namespace) -> int:
    with _caught_up_log() as log:
        note = log.checkpoint().note
    sys.stdout.write(note)
    return 0


def _vkey(args: argparse.Namespace) -> int:
    from ..config import Settings
    from ..preflight import may_found
    from .note import load_or_create_signer, previous_verifiers

    settings = Settings.from_env()
    may_found(settings)  # no log key made where there is no registry
    keys_dir = settings.data_dir / "keys"
    signer = load_or_create_signer(keys_dir, f"{settings.public_authority}/log")
    if args.previous:
        for verifier in previous_verifiers(keys_dir):
            print(verifier.vkey)
    print(signer.verifier.vkey)
    return 0


def _rename(args: argparse.Namespace) -> int:
    from ..application.context import CommandContext
    from ..config import Settings
    from ..domain.errors import DomainError
    from .rename import rename_log

    try:
        done = rename_log(Settings.from_env(), args.reason,
                          CommandContext(actor_name="registry-cli", actor_role="operator"))
    except DomainError as refusal:
        _err(f"registry: {refusal.message}")
        return EXIT_BAD
    _err(f"registry: the audit log {done.old_name!r} signed its last checkpoint at "
         f"{done.old_size} entries (root {done.old_root}); it is named {done.new_name!r} from "
         f"now on, and signed {done.new_size} entries (root {done.new_root}), the rename's "
         "own entry included. Publish both verifier keys (checkpoints signed before stay "
         f"valid under the old one):\n  old: {done.old_vkey}\n  new: {done.new_vkey}")
    return 0


@contextmanager
def _registry() -> Iterator[Any]:
    """The local registry, its background loops stopped (for a command and its reads)."""
    from ..bootstrap import build
    from ..config import Settings

    container = build(Settings.from_env(), seed=False)
    try:
        container.witnessing.stop()
        container.checkpointer.stop()
        container.audit_runner.stop()
        yield container
    finally:
        container.close()


def _command(run: Any) -> int:
    """Run a witness command as the operator (an event); a refusal's message on stderr."""
    from ..application.context import CommandContext
    from ..application.witnesses import WitnessCommands
    from ..domain.errors import DomainError

    ctx = CommandContext(actor_name="registry-cli", actor_role="operator")
    with _registry() as container:
        try:
            container.service.execute(
                ctx, lambda _: run(WitnessCommands(container.app)))
        except DomainError as refusal:
            _err(f"registry: {refusal.message}")
            return EXIT_BAD
    return 0


def _witness_add(args: argparse.Namespace) -> int:
    vkey = _text_or_file(args.vkey).strip()
    done = _command(lambda cmd: cmd.add(url=args.url, vkey=vkey))
    if done == 0:
        _err(f"registry: every new checkpoint goes to {args.url.rstrip('/')}/add-checkpoint; "
             "'registry audit witness list' shows what it cosigned (the running server "
             "reads the change within 10 s)")
    return done


def _witness_remove(args: argparse.Namespace) -> int:
    done = _command(lambda cmd: cmd.remove(args.name))
    if done == 0:
        _err(f"registry: the log no longer submits checkpoints to {args.name}")
    return done


def _witness_list(args: argparse.Namespace) -> int:
    from ..application.witnesses import configured_witnesses

    with _registry() as container:
        rows = [{"name": w.name, "url": w.url, "vkey": w.vkey,
                 "cosignedSize": container.witnessing.store.cosigned_size(w.name)}
                for w in configured_witnesses(container.app)]
        quorum = container.witnessing.quorum()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    for row in rows:
        print(f"{row['name']}\t{row['url']}\tcosigned {row['cosignedSize']}\t{row['vkey']}")
    _err(f"{len(rows)} witness(es); a checkpoint is witnessed with {quorum} cosignature(s)")
    return 0


def _witness_trust(args: argparse.Namespace) -> int:
    vkey = _text_or_file(args.vkey).strip()
    done = _command(lambda cmd: cmd.trust(origin=args.origin, vkey=vkey))
    if done == 0:
        _err(f"registry: POST /witness/add-checkpoint now cosigns {args.origin!r} "
             "checkpoints signed with this key, each consistent with the one before")
    return done


def _witness_vkey(args: argparse.Namespace) -> int:
    from ..config import Settings
    from ..preflight import may_found
    from .witness import load_or_create_witness_signer

    settings = Settings.from_env()
    may_found(settings)
    signer = load_or_create_witness_signer(settings.data_dir / "keys",
                                           f"{settings.public_authority}/witness")
    print(signer.verifier.vkey)
    return 0


def _events_export(args: argparse.Namespace) -> int:
    from .catalog import write_catalog

    written, removed = write_catalog(Path(args.dir))
    _err(f"events catalog: {len(written)} schemas in {args.dir}/"
         + (f"; removed {', '.join(removed)}" if removed else ""))
    return 0
