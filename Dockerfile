# DET Registry — the same two steps as the README: `pip install .`, then `registry serve`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    REGISTRY_DATA_DIR=/data

# A slim image has no libpq: psycopg's binary build carries its own (SPEC §8).
WORKDIR /app
COPY pyproject.toml README.md ./
COPY registry ./registry
RUN pip install --no-cache-dir . "psycopg[binary]>=3.2" \
    && useradd --system --uid 10001 --home-dir /data --create-home registry

USER 10001
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]

# SQLite in /data by default; set REGISTRY_DATABASE_URL=postgresql://… for PostgreSQL.
CMD ["registry", "serve", "--host", "0.0.0.0", "--port", "8000"]
