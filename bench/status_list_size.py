"""Benchmark (issue 13): the size of a Bitstring Status List for 100,000 certificates with
1 % revoked, against a baseline of the same run: the revoked certificates' numbers as a JSON
list (what a registry without status lists would publish for offline checks).

    .venv/bin/python bench/status_list_size.py [--certificates 100000] [--revoked 0.01]

Slots are drawn at random within the list, as issuance draws them (herd privacy), with the
same encoding the served list uses (``registry.signing.credentials.encode_list``: GZIP level 9,
multibase base64url). Not part of the pytest suite.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from registry.domain.certificates import encode_number  # noqa: E402
from registry.signing.credentials import LIST_SIZE, encode_list  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--certificates", type=int, default=100_000)
    parser.add_argument("--revoked", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    lists = -(-args.certificates // LIST_SIZE)
    slots = rng.sample(range(LIST_SIZE * lists), args.certificates)
    revoked = rng.sample(slots, round(args.certificates * args.revoked))
    encoded = [encode_list(s % LIST_SIZE for s in revoked if s // LIST_SIZE == n)
               for n in range(lists)]
    size = sum(len(e) for e in encoded)
    numbers = json.dumps([encode_number(rng.randbytes(10)) for _ in revoked])
    print(f"{args.certificates:,} certificates, {len(revoked):,} revoked, {lists} list(s) of "
          f"{LIST_SIZE:,} entries")
    print(f"encodedList          {size:8,} characters ({LIST_SIZE // 8:,} bytes of bits a list)")
    print(f"numbers as JSON      {len(numbers):8,} characters (baseline)")
    print(f"ratio                {size / len(numbers):8.2f}x the baseline")


if __name__ == "__main__":
    main()
