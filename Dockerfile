# syntax=docker/dockerfile:1
# DET Registry — the README's two steps (`pip install .`, `registry serve`) in two stages:
# wheels are built in the first, the slim runtime installs them and nothing else.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY registry ./registry
# The registry with its Redis extra (shared rate limits) and psycopg's binary build, which
# carries its own libpq (a slim image has none; SPEC §8): every wheel the runtime needs.
RUN pip wheel --no-cache-dir --wheel-dir /wheels ".[redis]" "psycopg[binary]>=3.2"

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    REGISTRY_DATA_DIR=/data \
    REGISTRY_PUBLIC_URL=http://localhost:8000
# Exactly the wheels built above (mounted, not copied: no layer keeps them). The PDF's fonts (DejaVu), the
# verification page and GraphiQL's files are package data: they come with the wheel.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index /wheels/*.whl \
    && useradd --system --uid 10001 --home-dir /data --create-home registry \
    && chmod 0700 /data

USER 10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000

# /readyz: the store answers, the projections are caught up, the signing key is here.
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/readyz', timeout=2)"]

# SQLite in /data by default; REGISTRY_DATABASE_URL=postgresql://… for PostgreSQL (compose.yaml).
# Set REGISTRY_PUBLIC_URL to the registry's real address before the first start: it names the
# audit log for good (README "The audit log's name").
CMD ["registry", "serve", "--host", "0.0.0.0", "--port", "8000"]
