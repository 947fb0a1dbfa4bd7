"""Benchmark: what Open Badges credentials add to issuing a certificate (issue 13, ≤ 1.3×).

    .venv/bin/python bench/credential_cost.py [--certificates 100] [--rounds 3]

Each round builds two fresh SQLite registries with N examined enrolments each, then times N
``issueCertificate`` commands through the service layer (each waits for its read models, as
the API does): once as the registry runs (token + credential signed with eddsa-rdfc-2022, a
status-list slot claimed), once with the credential's signing replaced by an empty document
(the token and the slot stay). The two runs of a round are a pair; prints the medians and the
median of the pairs' ratios, in wall time and in the process's CPU time (every thread of it:
the projections too) — the CPU ratio is the steadier one on a shared machine. Not part of
pytest.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

from support import ADMIN, enrolled, examined, published_mooc, scored  # noqa: E402

import registry.bootstrap as bootstrap  # noqa: E402
from registry.bootstrap import build  # noqa: E402
from registry.config import Settings  # noqa: E402

REAL = bootstrap.open_badge


def run(certificates: int, credentials: bool) -> tuple[float, float]:
    bootstrap.open_badge = REAL if credentials else (lambda *a, **k: {})  # type: ignore[assignment]
    settings = Settings(data_dir=Path(tempfile.mkdtemp()) / "var",
                        public_url="https://bench.example")
    container = build(settings)
    try:
        service = container.service
        published_mooc(service)
        ready: list[dict[str, Any]] = [
            examined(service, scored(service, enrolled(service, "KAZLIT-101", f"Тыңдаушы {i}")))
            for i in range(certificates)]
        started, cpu = time.perf_counter(), time.process_time()
        for enrollment in ready:
            eid = uuid.UUID(enrollment["id"])
            service.run(ADMIN, lambda cmd, eid=eid: cmd.certificates.issue(enrollment_id=eid))
        return time.perf_counter() - started, time.process_time() - cpu
    finally:
        container.close()
        bootstrap.open_badge = REAL


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--certificates", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    pairs = [(run(args.certificates, credentials=False), run(args.certificates, credentials=True))
             for _ in range(args.rounds)]
    n = args.certificates
    for label, i in (("wall", 0), ("CPU", 1)):
        a = statistics.median(without[i] for without, _ in pairs)
        b = statistics.median(with_[i] for _, with_ in pairs)
        ratio = statistics.median(with_[i] / without[i] for without, with_ in pairs)
        print(f"{n} certificates, {label}: without credentials {a / n * 1000:.1f} ms each, "
              f"with {b / n * 1000:.1f} ms each: {ratio:.2f}× (median of {len(pairs)} pairs)")


if __name__ == "__main__":
    main()
