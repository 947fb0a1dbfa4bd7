"""Benchmark (issue 13, capability 4): the signed revocation snapshot (``/status/revocations``)
for 100,000 certificates with 1 % revoked and 0.5 % superseded, against baselines of the same
run: the lapsed certificates' numbers in clear as a JSON list (what a registry without hashed
ids would publish), and the time of an offline token check without a snapshot.

    PYTHONPATH=$PWD .venv/bin/python bench/revocations_size.py [--certificates 100000]
        [--revoked 0.01] [--superseded 0.005] [--repeats 20]

It prints the snapshot's size (as served, and GZIP-compressed as an HTTP cache would store
it), the time to make and sign it from the lapsed certificates (what the registry does once
per change of the views, never per request), and the time of ``registry verify``'s offline
core with the snapshot: checking the snapshot's signature, reading it, and looking up one
token. Not part of the pytest suite.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from registry.domain.certificates import CertificateStatus, encode_number  # noqa: E402
from registry.domain.keys import KeyWindow  # noqa: E402
from registry.domain.revocations import Snapshot  # noqa: E402
from registry.signing import CertificateClaims, SigningKey, sign_certificate  # noqa: E402
from registry.signing.revocations import sign_snapshot, verify_snapshot  # noqa: E402
from registry.signing.tokens import verify_token  # noqa: E402


def median_ms(work: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--certificates", type=int, default=100_000)
    parser.add_argument("--revoked", type=float, default=0.01)
    parser.add_argument("--superseded", type=float, default=0.005)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    key = SigningKey.from_private_key(Ed25519PrivateKey.generate())
    windows = {key.kid: KeyWindow(key.kid, key.public_jwk, date(2026, 1, 1))}
    jwks = {"keys": [windows[key.kid].published()]}
    numbers = [encode_number(rng.randbytes(10)) for _ in range(args.certificates)]
    revoked = round(args.certificates * args.revoked)
    superseded = round(args.certificates * args.superseded)
    lapsed = ([(n, key.kid, CertificateStatus.REVOKED) for n in numbers[:revoked]]
              + [(n, key.kid, CertificateStatus.SUPERSEDED)
                 for n in numbers[revoked:revoked + superseded]])
    made = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)

    def make() -> str:
        return sign_snapshot(Snapshot.of("https://registry.kaznu.kz", made, windows, lapsed),
                             key)

    served = make()
    clear = json.dumps([n for n, _, _ in lapsed])
    token = sign_certificate(key, CertificateClaims(numbers[0], "Әлия Құрманова",
                                                    "Қазақ әдебиеті", 5, date(2026, 6, 15)))

    def check_with_snapshot() -> object:
        claims, kid = verify_token(token, jwks)
        snapshot, _ = verify_snapshot(served, jwks)
        return snapshot.judge(kid, claims.number, claims.issued_on)

    make_ms = median_ms(make, args.repeats)
    token_ms = median_ms(lambda: verify_token(token, jwks), args.repeats)
    check_ms = median_ms(check_with_snapshot, args.repeats)
    assert check_with_snapshot() is not None  # numbers[0] is revoked
    print(f"{args.certificates:,} certificates, {revoked:,} revoked, {superseded:,} superseded "
          f"({len(lapsed):,} listed)")
    print(f"snapshot (JWS)        {len(served):9,} characters served")
    print(f"snapshot, gzip        {len(gzip.compress(served.encode(), 9)):9,} bytes")
    print(f"numbers in clear      {len(clear):9,} characters (baseline)")
    print(f"ratio                 {len(served) / len(clear):9.2f}x the baseline")
    print(f"make + sign           {make_ms:9.2f} ms (once per change of the views)")
    print(f"offline check         {check_ms:9.2f} ms with the snapshot, "
          f"{token_ms:.2f} ms token alone ({check_ms / token_ms:.1f}x)")


if __name__ == "__main__":
    main()
