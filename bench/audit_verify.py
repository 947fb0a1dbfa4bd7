"""Benchmark: `registry audit verify`'s core on a synthetic export, against merely reading it.

    .venv/bin/python bench/audit_verify.py [--entries 1000000] [--keep FILE]

Synthesises an export of N realistic envelopes (Kazakh text, metadata, a personal
commitment on some), signs a checkpoint for it, then times (1) reading the file line by line
and (2) the full offline verification (parse, RFC 8785 re-canonicalisation, index and link
checks, Merkle root, signature). Prints both and their ratio. Not part of the pytest suite.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from registry.audit import envelope  # noqa: E402
from registry.audit.merkle import CompactRange, leaf_hash  # noqa: E402
from registry.audit.note import Checkpoint, Signer, read_checkpoint  # noqa: E402
from registry.audit.verify import verify_export  # noqa: E402


def synthesise(path: str, entries: int) -> tuple[int, bytes]:
    compact = CompactRange()
    previous: bytes | None = None
    aggregate = uuid.uuid4()
    with open(path, "wb", buffering=1 << 20) as out:
        for index in range(entries):
            value = {
                "envelope_version": 1, "index": index,
                "previous": base64.b64encode(previous).decode() if previous else None,
                "event_id": envelope.event_id(aggregate, index + 1),
                "type": "Enrollment.ScoreRecorded", "schema_version": 1,
                "aggregate": {"kind": "Enrollment", "id": str(aggregate), "version": index + 1},
                "meta": {"actor_name": "Гүлнар Сейітқызы (INET)", "actor_role": "inet",
                         "on_behalf_of": None, "correlation_id": str(uuid.uuid4()),
                         "causation_id": str(uuid.uuid4()),
                         "recorded_at": "2026-06-15T10:00:00.123456+00:00"},
                "timestamp": "2026-06-15T10:00:00.123000+00:00",
                "payload": {"component": "MIDTERM", "points": index % 101, "previous": None,
                            "course": "Қазақ әдебиетінің тарихы: ң ө ұ ү һ і"},
                "personal_commitment": base64.b64encode(
                    hashlib.sha256(index.to_bytes(8, "big")).digest()).decode()
                if index % 3 == 0 else None,
            }
            line = envelope.canonical(value)
            hashed = leaf_hash(line)
            compact.push(hashed)
            previous = hashed
            out.write(line + b"\n")
    return compact.size, compact.root()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--keep", help="reuse/keep the synthetic export at this path")
    args = parser.parse_args()
    path = args.keep or os.path.join(tempfile.mkdtemp(), "export.jsonl")
    signer = Signer.generate("bench.example/log")
    started = time.perf_counter()
    size, root = synthesise(path, args.entries)
    print(f"synthesised {size} envelopes ({os.path.getsize(path) / 1e6:.0f} MB) in "
          f"{time.perf_counter() - started:.1f}s", file=sys.stderr)
    note = signer.sign(Checkpoint(signer.name, size, root).body())
    checkpoint = read_checkpoint(note, signer.verifier)

    started = time.perf_counter()
    with open(path, "rb") as file:
        count = sum(1 for _ in file)
    baseline = time.perf_counter() - started
    assert count == size

    started = time.perf_counter()
    with open(path, "rb") as file:
        report = verify_export(file, checkpoint)
    verify = time.perf_counter() - started
    assert report.entries == size

    print(f"entries            {size}")
    print(f"read file          {baseline:8.2f} s")
    print(f"audit verify core  {verify:8.2f} s   ({size / verify:,.0f} entries/s)")
    print(f"ratio              {verify / baseline:8.1f}x reading the file; target: verify ≤ 60 s")
    if not args.keep:
        os.unlink(path)


if __name__ == "__main__":
    main()
