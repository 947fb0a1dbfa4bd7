"""Benchmark: ``GET /certificates/{number}.pdf`` rendered on every request vs served from the
cache, and revalidated with ``If-None-Match``.

    .venv/bin/python bench/pdf_cache.py [--requests 50]

One fresh SQLite registry with one issued certificate, rate limits off, requests through
Starlette's test client (the whole ASGI stack, no network). Baseline: a cache that keeps
nothing (``PdfCache(max_bytes=0)``: every request renders, as before the cache). Then the
default cache (the first request renders, the rest are served from memory), then 304s.
Prints wall and CPU milliseconds per request and the ratios. Not part of the pytest suite.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = os.path.join(os.path.dirname(__file__), "..")
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

from starlette.testclient import TestClient  # noqa: E402
from support import certified  # noqa: E402

from registry.config import Settings  # noqa: E402
from registry.web.app import create_app  # noqa: E402
from registry.web.pdf import PdfCache  # noqa: E402


def per_request(client: TestClient, path: str, n: int, **headers: str) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        response = client.get(path, headers=headers)
        assert response.status_code in (200, 304), response.text
    return ((time.perf_counter() - wall) * 1000 / n, (time.process_time() - cpu) * 1000 / n)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50)
    n = parser.parse_args().requests
    settings = Settings(data_dir=Path(tempfile.mkdtemp()) / "var",
                        public_url="https://bench.example", rate_limit_public="0")
    app = create_app(settings, poll_interval=0.05)
    with TestClient(app) as client:
        number = certified(app.state.container.service)["number"]
        path = f"/certificates/{number}.pdf"
        app.state.pdf_cache = PdfCache(max_bytes=0)
        uncached = per_request(client, path, n)
        app.state.pdf_cache = cache = PdfCache()
        cached = per_request(client, path, n)
        etag = client.get(path).headers["etag"]
        revalidated = per_request(client, path, n, **{"if-none-match": etag})
    print(f"{n} requests each; the cache rendered {cache.renders} time(s)")
    print(f"{'':24}{'wall ms/req':>12}{'CPU ms/req':>12}")
    for name, (wall, cpu) in (("render every time", uncached), ("cached", cached),
                              ("If-None-Match → 304", revalidated)):
        print(f"{name:24}{wall:12.2f}{cpu:12.2f}")
    print(f"cached: {uncached[0] / cached[0]:.1f}× faster (wall), "
          f"{uncached[1] / max(cached[1], 1e-9):.1f}× less CPU; "
          f"304: {uncached[0] / revalidated[0]:.1f}× faster (wall)")


if __name__ == "__main__":
    main()
