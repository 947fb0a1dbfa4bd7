"""Benchmark (issue 13, capability 4): serving ``GET /status/revocations`` from a realistic
store — the snapshot kept in memory (what every fetch gets while the views have not moved)
against making it again from the views for each request (the baseline: what a snapshot
"counted per request" would cost), and a conditional fetch answered 304.

    PYTHONPATH=$PWD .venv/bin/python bench/revocations_serve.py [--events 20000] [--repeats 30]

The store is ``bench/projections.py``'s builder (Kazakh names, 1–2 enrolments a learner,
certificates for those who pass, 3 % of them revoked) in a temporary SQLite registry; the app
runs in-process (Starlette's test client), so the times are the handler's, without a network.
Not part of the pytest suite.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from projections import build_store, open_registry, sqlite_site  # noqa: E402
from revocations_size import median_ms  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from registry.web import credentials  # noqa: E402
from registry.web.app import create_app  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    site = sqlite_site(None)
    try:
        container = open_registry(site.settings, projections=False)
        built = build_store(container, args.events)
        container.close()
        print(f"store: {built.events:,} events, {built.learners:,} learners "
              f"({built.seconds:.0f} s to build)")
        with TestClient(create_app(site.settings, poll_interval=0.05)) as client:
            served = client.app.state.container  # type: ignore[attr-defined]
            served.wait_for_views(timeout=600)
            certificates = served.service.count("certificates")
            lapsed = len(served.service.lapsed())
            first = client.get("/status/revocations")
            assert first.status_code == 200
            etag = first.headers["etag"]

            def remade() -> None:
                client.app.state.revocations = credentials.Revocations()  # type: ignore[attr-defined]
                assert client.get("/status/revocations").status_code == 200

            made_ms = median_ms(remade, args.repeats)
            cached_ms = median_ms(lambda: client.get("/status/revocations"), args.repeats)
            not_modified_ms = median_ms(lambda: client.get(
                "/status/revocations", headers={"If-None-Match": etag}), args.repeats)
        print(f"{certificates:,} certificates, {lapsed:,} revoked or superseded; snapshot "
              f"{len(first.text):,} characters")
        print(f"made for each request  {made_ms:8.2f} ms (baseline)")
        print(f"kept in memory         {cached_ms:8.2f} ms ({made_ms / cached_ms:.1f}x faster)")
        print(f"If-None-Match → 304    {not_modified_ms:8.2f} ms "
              f"({made_ms / not_modified_ms:.1f}x faster)")
    finally:
        site.cleanup()


if __name__ == "__main__":
    main()
