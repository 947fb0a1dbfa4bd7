"""Offline verification of an audit-log export against a signed checkpoint — no server.

Checks, entry by entry: the line is complete JSON in exactly its RFC 8785 form, with no
floats; its ``index`` is its line number (nothing missing, nothing reordered); its
``previous`` is the hash of the line before. Then: the Merkle root at the checkpoint's size is
the signed root, and (with ``--personal``) every personal part hashes, with its salt, to its
envelope's ``personal_commitment``.

It names the first bad entry. A change to entry *i* that keeps it valid JSON is caught by the
link from entry *i + 1* (whose ``previous`` no longer matches); when entry *i + 1*'s own link
onward still holds, *i* is the culprit, otherwise *i + 1* is (its ``previous`` was edited).
For the very last entry, the signed root decides between the two.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import rfc8785

from ..application.personal import commitment
from . import envelope
from .cosignature import WitnessVerifier, verify_cosignatures
from .merkle import CompactRange, leaf_hash
from .note import Checkpoint


class VerificationFailed(Exception):
    def __init__(self, index: int | None, reason: str) -> None:
        where = f"entry {index}: " if index is not None else ""
        super().__init__(f"{where}{reason}")
        self.index = index
        self.reason = reason


@dataclass
class Report:
    entries: int = 0
    checkpoint_size: int = 0
    personal_checked: int = 0
    personal_erased: int = 0  # entries the personal file marks erased
    beyond_checkpoint: int = 0
    notes: list[str] = field(default_factory=list)


def _b64(data: bytes | None) -> str | None:
    return base64.b64encode(data).decode("ascii") if data is not None else None


ERASED_PART: tuple[bytes, bytes] = (b"", b"")  # a personal file's {"index": i, "erased": true}


def read_personal(lines: Iterable[bytes]) -> dict[int, tuple[bytes, bytes]]:
    """``--personal`` lines → {index: (salt, JCS bytes of the personal part)}; an entry marked
    erased maps to :data:`ERASED_PART` (nothing left to check it against)."""
    parts: dict[int, tuple[bytes, bytes]] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if item.get("erased") is True and "personal" not in item:
                parts[int(item["index"])] = ERASED_PART
                continue
            parts[int(item["index"])] = (base64.b64decode(item["salt"], validate=True),
                                         rfc8785.dumps(item["personal"]))
        except (ValueError, KeyError, TypeError, binascii.Error) as error:
            raise VerificationFailed(None, f"personal file line {number} is malformed: "
                                     f"{error}") from None
    return parts


def verify_export(lines: Iterable[bytes], checkpoint: Checkpoint,
                  personal: Mapping[int, tuple[bytes, bytes]] | None = None) -> Report:
    """Raise :class:`VerificationFailed` naming the first bad entry; else a :class:`Report`."""
    report = Report(checkpoint_size=checkpoint.size)
    size = checkpoint.size
    compact = CompactRange()
    previous: bytes | None = None  # the hash of the line before
    # Where the link i-1 → i first broke: (i, what i says i-1 hashed to, i's own hash).
    broken: tuple[int, str | None, bytes] | None = None
    near_end: CompactRange | None = None  # the tree of size-2 leaves, for the last-entry case
    root_ok = size == 0 and checkpoint.root == compact.root()
    parse, is_canonical = envelope.parse, envelope.is_canonical
    index = -1
    for index, line in enumerate(lines):
        if not line.endswith(b"\n"):
            raise VerificationFailed(index, "the line is cut off (no newline at its end)")
        body = line[:-1]
        try:
            entry = parse(body)
        except ValueError as error:
            raise VerificationFailed(index, f"not a JSON envelope ({error})") from None
        if not is_canonical(body, entry):
            raise VerificationFailed(index, "not in canonical (RFC 8785) form: it was edited")
        found = entry.get("index")
        if found != index:
            raise VerificationFailed(
                index, f"found entry {found!r} where entry {index} belongs: entries are "
                "missing, duplicated or out of order")
        hashed = leaf_hash(body)
        claimed = entry.get("previous")
        if broken is not None:
            # The entry after the break vouches for the entry at the break, or not.
            culprit = broken[0] - 1 if claimed == _b64(broken[2]) else broken[0]
            raise _changed(culprit)
        if claimed != _b64(previous):
            broken = (index, claimed, hashed)
        if personal is not None and personal.get(index) == ERASED_PART:
            if not entry.get("personal_commitment"):
                raise VerificationFailed(
                    index, "the personal file marks it erased, but it has no personal part")
            report.personal_erased += 1
        elif personal is not None and index in personal:
            salt, data = personal[index]
            if entry.get("personal_commitment") != commitment(salt, data):
                raise VerificationFailed(
                    index, "its personal part does not match its personal_commitment")
            report.personal_checked += 1
        if index == size - 2:
            near_end = compact.copy()
        compact.push(hashed)
        previous = hashed
        if compact.size == size:
            root_ok = compact.root() == checkpoint.root
    report.entries = index + 1
    if broken is not None:  # the break is at the last line
        at, claimed, hashed = broken
        if at - 1 < size and root_ok:
            raise _changed(at)  # the signed root vouches for entry at-1
        if at == size - 1:
            # Had only entry at-1 changed, its original hash is what entry `at` says.
            alternative = near_end.copy() if near_end is not None else CompactRange()
            try:
                alternative.push(base64.b64decode(claimed or "", validate=True))
            except binascii.Error:
                raise _changed(at) from None
            alternative.push(hashed)
            raise _changed(at - 1 if alternative.root() == checkpoint.root else at)
        raise _changed(at - 1)
    if report.entries < size:
        raise VerificationFailed(
            report.entries, f"missing: the export ends after {report.entries} entries but "
            f"the checkpoint covers {size}")
    if not root_ok:
        raise VerificationFailed(
            size - 1, "the Merkle root at the checkpoint's size is not the signed root "
            "(entries were rewritten, or the checkpoint is of another log)")
    report.beyond_checkpoint = report.entries - size
    return report


def witnessed_by(note: str, witnesses: Sequence[WitnessVerifier], quorum: int) -> dict[str, int]:
    """The witnesses (name → cosignature time) whose cosignatures on the checkpoint ``note``
    verify; :class:`VerificationFailed` when fewer than ``quorum`` do, or one of them carries
    a cosignature that does not verify (``CosignatureError``, a ``NoteError``)."""
    cosigned = verify_cosignatures(note, witnesses)
    if len(cosigned) < quorum:
        missing = sorted({w.name for w in witnesses} - set(cosigned))
        raise VerificationFailed(None, f"the checkpoint has {len(cosigned)} valid witness "
                                 f"cosignature(s), fewer than the quorum of {quorum} "
                                 f"(none from: {', '.join(missing)})")
    return cosigned


def _changed(index: int) -> VerificationFailed:
    return VerificationFailed(
        index, "its bytes were changed: its hash is not what the next entry (or the signed "
        "root) records")

