"""Configuration from the environment (SPEC §4): one frozen object, read once at start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from .domain.grading import GradeWeights

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


MULTIPART_OVERHEAD = 1024 * 1024


def _upload_limit(value: str | None) -> dict[str, Any]:
    """``REGISTRY_MAX_UPLOAD_BYTES``: bytes, or with a ``KB``/``MB`` suffix."""
    if value is None or not value.strip():
        return {}
    text = value.strip().upper().removesuffix("B")
    scale = {"K": 1024, "M": 1024 * 1024}.get(text[-1:], 1)
    number = text[:-1] if scale > 1 else text
    if not number.strip().isdigit() or int(number) * scale <= 0:
        raise ValueError(f"REGISTRY_MAX_UPLOAD_BYTES must be a positive size; got {value!r}")
    return {"max_upload_bytes": int(number) * scale}


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    database_url: str | None = None
    public_url: str = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"
    timezone: str = "Asia/Almaty"
    production: bool = False
    grade_weights: GradeWeights = field(default_factory=GradeWeights)
    max_request_bytes: int = 25 * 1024 * 1024
    key_passphrase: bytes | None = field(default=None, repr=False)
    # The key-encryption key of personal data: base64 of 32 bytes, or a file holding them;
    # None: keys/personal.kek in the data directory, made on first start.
    personal_kek: str | None = field(default=None, repr=False)
    checkpoint_every: int = 10  # the transparency log signs a checkpoint every N events …
    checkpoint_seconds: float = 5.0  # … or every S seconds while an event is unsigned
    max_upload_bytes: int = 20 * 1024 * 1024  # one programme document (R3)
    university_name: dict[str, str] = field(
        default_factory=lambda: {
            "kk": "Әл-Фараби атындағы Қазақ ұлттық университеті",
            "ru": "Казахский национальный университет имени аль-Фараби",
            "en": "Al-Farabi Kazakh National University",
        }
    )

    def __post_init__(self) -> None:
        # The request must admit an upload at the limit plus the multipart request around it.
        needed = self.max_upload_bytes + MULTIPART_OVERHEAD
        if self.max_request_bytes < needed:
            object.__setattr__(self, "max_request_bytes", needed)

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
    ) -> Settings:
        env = os.environ if environ is None else environ
        public_url = env.get("REGISTRY_PUBLIC_URL") or f"http://{host}:{port}"
        weights = env.get("REGISTRY_GRADE_WEIGHTS")
        settings = cls(
            data_dir=Path(env.get("REGISTRY_DATA_DIR") or "var"),
            database_url=env.get("REGISTRY_DATABASE_URL") or None,
            public_url=public_url.rstrip("/"),
            timezone=env.get("REGISTRY_TIMEZONE") or "Asia/Almaty",
            production=_flag(env.get("REGISTRY_PRODUCTION")),
            grade_weights=GradeWeights.parse(weights) if weights else GradeWeights(),
            key_passphrase=(env.get("REGISTRY_KEY_PASSPHRASE") or "").encode() or None,
            personal_kek=env.get("REGISTRY_PERSONAL_KEK") or None,
            checkpoint_every=int(env.get("REGISTRY_CHECKPOINT_EVERY") or 10),
            checkpoint_seconds=float(env.get("REGISTRY_CHECKPOINT_SECONDS") or 5.0),
            **_upload_limit(env.get("REGISTRY_MAX_UPLOAD_BYTES")),
        )
        _ = settings.tz  # fail early on an unknown zone
        return settings

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def public_authority(self) -> str:
        """Host, and port when not the scheme's default (the transparency log's origin)."""
        parts = urlsplit(self.public_url)
        default = {"http": 80, "https": 443}.get(parts.scheme)
        host = parts.hostname or "localhost"
        return host if parts.port in (None, default) else f"{host}:{parts.port}"

    def verification_url(self, token: str) -> str:
        return f"{self.public_url}/v#{token}"
