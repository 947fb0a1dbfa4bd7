"""Configuration from the environment (SPEC §4): one frozen object, read once at start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .domain.grading import GradeWeights

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


MULTIPART_OVERHEAD = 1024 * 1024


class ConfigError(ValueError):
    """A setting that cannot be used: one line, ``VARIABLE: value: what is expected``."""


def _fail(name: str, value: str | None, expected: str) -> ConfigError:
    return ConfigError(f"{name}: {value!r}: {expected}")


def _database_url(value: str | None) -> str | None:
    """``REGISTRY_DATABASE_URL``: empty (SQLite in the data folder) or ``postgresql://…``."""
    text = (value or "").strip()
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("postgresql", "postgres") or not (parts.hostname or parts.path):
        shown = f"{parts.scheme}://…" if parts.scheme else text
        raise _fail("REGISTRY_DATABASE_URL", shown, "postgresql://user:password@host:port/db, "
                    "or unset for SQLite in REGISTRY_DATA_DIR")
    return text


def _public_url(value: str | None, default: str) -> str:
    """``REGISTRY_PUBLIC_URL``: ``http(s)://host[:port][/path]``, where the registry is reached
    (the QR codes' links, and the audit log's name at the first start)."""
    text = (value or "").strip() or default
    parts = urlsplit(text)
    try:
        parts.port  # noqa: B018  (a bad port raises)
        bad_port = False
    except ValueError:
        bad_port = True
    if parts.scheme not in ("http", "https") or not parts.hostname or bad_port or (
            parts.query or parts.fragment or parts.username):
        raise _fail("REGISTRY_PUBLIC_URL", value, "a URL with http:// or https://, like "
                    "https://registry.kaznu.kz (no query, no #)")
    return text.rstrip("/")


def _timezone(value: str | None) -> str:
    text = (value or "").strip() or "Asia/Almaty"
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail("REGISTRY_TIMEZONE", value, "an IANA time zone, like Asia/Almaty"
                    ) from None
    return text


def _weights(value: str | None) -> GradeWeights:
    text = (value or "").strip()
    if not text:
        return GradeWeights()
    try:
        return GradeWeights.parse(text)
    except ValueError:
        raise _fail("REGISTRY_GRADE_WEIGHTS", value, "two whole percents 'admission,exam' "
                    "that add up to 100, like 60,40") from None


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


def _rate_limit(name: str, value: str | None, default: str) -> str:
    """``60/minute``, ``10/second;1000/day`` (the ``limits`` notation), or ``0`` for none."""
    text = (value or "").strip() or default
    if text != "0":
        from limits import parse_many

        try:
            parse_many(text)
        except ValueError:
            raise ValueError(f"{name} must be like '60/minute' or 0; got {value!r}") from None
    return text


def _proxies(value: str | None) -> tuple[str, ...]:
    """``REGISTRY_TRUSTED_PROXIES``: comma-separated addresses or CIDR networks."""
    import ipaddress

    entries = tuple(part.strip() for part in (value or "").split(",") if part.strip())
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(f"REGISTRY_TRUSTED_PROXIES: {entry!r} is not an address or network"
                             ) from None
    return entries


def _days(name: str, value: str | None, default: int) -> int:
    """A whole number of days; empty: ``default``; ``0``: none (for a lifetime: no expiry)."""
    text = (value or "").strip()
    if not text:
        return default
    if not text.isdigit():
        raise ValueError(f"{name}: {value}: a whole number of days (0: tokens never expire)")
    return int(text)


def _oidc(env: Mapping[str, str]) -> dict[str, Any]:
    """``REGISTRY_OIDC_*``: all three of issuer, audience and JWKS, or none of them."""
    names = ("REGISTRY_OIDC_ISSUER", "REGISTRY_OIDC_AUDIENCE", "REGISTRY_OIDC_JWKS")
    given = {name: (env.get(name) or "").strip() for name in names}
    if not any(given.values()):
        return {}
    for name, value in given.items():
        if not value:
            others = ", ".join(n for n in names if n != name)
            raise ValueError(f"{name}: (empty): needed with {others} (OIDC sign-in)")
    jwks = given["REGISTRY_OIDC_JWKS"]
    if "://" in jwks and not jwks.startswith("https://"):
        raise ValueError(f"REGISTRY_OIDC_JWKS: {jwks}: an https:// URL or a file path")
    claims = {key: (env.get(f"REGISTRY_OIDC_{key.upper()}") or "").strip() or default
              for key, default in (("role_claim", "roles"), ("learner_claim", "iin"))}
    return {"oidc_issuer": given["REGISTRY_OIDC_ISSUER"],
            "oidc_audience": given["REGISTRY_OIDC_AUDIENCE"], "oidc_jwks": jwks,
            "oidc_role_claim": claims["role_claim"], "oidc_learner_claim": claims["learner_claim"]}


QUERY_LIMITS = {"max_query_cost": "REGISTRY_MAX_QUERY_COST",
                "max_query_depth": "REGISTRY_MAX_QUERY_DEPTH",
                "max_aliases": "REGISTRY_MAX_ALIASES",
                "max_fragment_spreads": "REGISTRY_MAX_FRAGMENT_SPREADS",
                "max_query_tokens": "REGISTRY_MAX_QUERY_TOKENS"}


def _query_limits(env: Mapping[str, str]) -> dict[str, Any]:
    """``REGISTRY_MAX_QUERY_*`` and friends: positive whole numbers."""
    limits: dict[str, Any] = {}
    for name, variable in QUERY_LIMITS.items():
        if (env.get(variable) or "").strip():
            limits[name] = _positive(variable, env.get(variable), 0)
    return limits


def _origins(value: str | None) -> tuple[str, ...]:
    """``REGISTRY_CORS_ORIGINS``: comma-separated origins (``https://host[:port]``), or ``*``;
    each as browsers send it (scheme and host in lower case, no default port)."""
    origins = []
    for entry in (part.strip() for part in (value or "").split(",")):
        if not entry:
            continue
        if entry == "*":
            origins.append(entry)
            continue
        parts = urlsplit(entry)
        try:
            port = parts.port
        except ValueError:
            port = -1
        if parts.scheme not in ("http", "https") or not parts.hostname or port == -1 or (
                parts.path not in ("", "/") or parts.query or parts.fragment or parts.username):
            raise ValueError(f"REGISTRY_CORS_ORIGINS: {entry!r} is not an origin like "
                             "https://portal.example.kz (scheme, host, optional port)")
        default = {"http": 80, "https": 443}[parts.scheme]
        shown = f"{parts.scheme}://{parts.hostname}"
        origins.append(shown if port in (None, default) else f"{shown}:{port}")
    return tuple(dict.fromkeys(origins))


def _positive(name: str, value: str | None, default: int) -> int:
    text = (value or "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) <= 0:
        raise ValueError(f"{name} must be a positive whole number; got {value!r}")
    return int(text)


PROJECTION_MODES = ("embedded", "external")
LOG_FORMATS = ("text", "json")


def log_format(value: str | None) -> str:
    """``REGISTRY_LOG_FORMAT``: text (default) or json."""
    text = (value or "").strip().lower() or "text"
    if text not in LOG_FORMATS:
        raise _fail("REGISTRY_LOG_FORMAT", value, "text or json")
    return text


def _projections_mode(value: str | None) -> str:
    mode = (value or "").strip().lower() or "embedded"
    if mode not in PROJECTION_MODES:
        raise ValueError(f"REGISTRY_PROJECTIONS must be embedded or external; got {value!r}")
    return mode


def _seconds(name: str, value: str | None, default: float) -> float:
    text = (value or "").strip()
    if not text:
        return default
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= 600:
        raise ValueError(f"{name} must be a number of seconds from 0 to 600; got {value!r}")
    return seconds


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EMBLEM_MAX_BYTES = 2 * 1024 * 1024


def emblem_kind(data: bytes) -> str | None:
    """``png`` or ``svg`` by the file's first bytes (what fpdf2 draws), else ``None``."""
    if data.startswith(PNG_MAGIC):
        return "png"
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"<?xml ", b"<svg ")) and b"<svg" in data[:4096]:
        return "svg"
    return None


def _emblem(value: str | None) -> Path | None:
    """``REGISTRY_EMBLEM``: the university's emblem for the PDF, a PNG or SVG file."""
    text = (value or "").strip()
    if not text:
        return None
    path = Path(text)
    expected = f"a readable PNG or SVG file of at most {EMBLEM_MAX_BYTES // 1024 // 1024} MB"
    try:
        if path.stat().st_size > EMBLEM_MAX_BYTES:
            raise _fail("REGISTRY_EMBLEM", value, f"{expected} (this one is bigger)")
        with path.open("rb") as file:
            head = file.read(4096)
    except OSError as error:
        why = (error.strerror or str(error)).lower()
        raise _fail("REGISTRY_EMBLEM", value, f"{expected} ({why})") from None
    if emblem_kind(head) is None:
        raise _fail("REGISTRY_EMBLEM", value, f"{expected} (this one is neither)")
    return path


SIGNATORY_MAX = 120


def _signatory(value: str | None) -> tuple[str, str] | None:
    """``REGISTRY_SIGNATORY``: ``Name|Position`` printed under the PDF's signature line."""
    text = (value or "").strip()
    if not text:
        return None
    name, bar, position = text.partition("|")
    name, position = " ".join(name.split()), " ".join(position.split())
    if not bar or not name or not position or "|" in position or max(
            len(name), len(position)) > SIGNATORY_MAX:
        raise _fail("REGISTRY_SIGNATORY", value, "'Name|Position', like 'Жансеит "
                    "Туймебаев|Ректор · Ректор · Rector' (each at most "
                    f"{SIGNATORY_MAX} characters)")
    return name, position


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
    # Witnesses (SPEC §13): how many cosignatures make a checkpoint witnessed (None: 1 once
    # any witness is configured), and how long a witness may take to answer.
    witness_quorum: int | None = None
    witness_timeout_seconds: float = 10.0
    max_upload_bytes: int = 20 * 1024 * 1024  # one programme document (R3)
    # Rate limits per client (SPEC §10), in the ``limits`` notation; "0" turns one off.
    rate_limit_verify: str = "60/minute"  # POST /api/verify
    rate_limit_public: str = "120/minute"  # /v, the PDF, the QR images, anonymous GraphQL
    trusted_proxies: tuple[str, ...] = ()  # peers whose X-Forwarded-For is believed
    redis_url: str | None = None  # shares the rate-limit counters across processes
    rate_limit_prefix: str = "det-registry"  # the counters' key prefix in Redis
    token_lifetime_days: int = 365  # a new API token's default lifetime; 0: never expires
    # OIDC sign-in (clause 3.5.4): bearer JWTs of the university's identity provider.
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks: str | None = None  # an https:// URL or a file path
    oidc_role_claim: str = "roles"
    oidc_learner_claim: str = "iin"
    # GraphQL document limits (registry.api.limits), checked before any resolver runs
    max_query_cost: int = 10_000
    max_query_depth: int = 12
    max_aliases: int = 30
    max_fragment_spreads: int = 100
    max_query_tokens: int = 2_000
    # Projections (README: projections): "embedded" runs them in the serving process;
    # "external" leaves them to ``registry projections run`` and only waits on their positions.
    projections: str = "embedded"
    # How long a write waits for the views to show it before answering "behind" (SPEC §2).
    view_wait_seconds: float = 5.0
    # Browser origins allowed to call /graphql from another site: CORS for HTTP, and the
    # Origin allow-list of WebSocket upgrades (SPEC §9); empty: same origin only.
    cors_origins: tuple[str, ...] = ()
    max_ws_message_bytes: int = 64 * 1024  # one WebSocket message from a client
    live_queue: int = 100  # update batches a subscriber may leave unread before it is dropped
    log_format: str = "text"  # "json": one JSON object a line, with the request's id
    # /readyz: ready while every projection is at most this many events behind the newest.
    ready_max_lag: int = 1000
    # The PDF (issue 14): the university's emblem (a PNG or SVG file), and who signs it.
    emblem: Path | None = None
    signatory: tuple[str, str] | None = None  # (name, position)
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
        try:
            return cls._from(env, host, port)
        except ConfigError:
            raise
        except ValueError as error:  # every message names its variable and value
            raise ConfigError(str(error)) from None

    @classmethod
    def _from(cls, env: Mapping[str, str], host: str, port: int) -> Settings:
        return cls(
            data_dir=Path(env.get("REGISTRY_DATA_DIR") or "var"),
            database_url=_database_url(env.get("REGISTRY_DATABASE_URL")),
            public_url=_public_url(env.get("REGISTRY_PUBLIC_URL"), f"http://{host}:{port}"),
            timezone=_timezone(env.get("REGISTRY_TIMEZONE")),
            production=_flag(env.get("REGISTRY_PRODUCTION")),
            grade_weights=_weights(env.get("REGISTRY_GRADE_WEIGHTS")),
            key_passphrase=(env.get("REGISTRY_KEY_PASSPHRASE") or "").encode() or None,
            personal_kek=env.get("REGISTRY_PERSONAL_KEK") or None,
            checkpoint_every=_positive("REGISTRY_CHECKPOINT_EVERY",
                                       env.get("REGISTRY_CHECKPOINT_EVERY"), 10),
            checkpoint_seconds=_seconds("REGISTRY_CHECKPOINT_SECONDS",
                                        env.get("REGISTRY_CHECKPOINT_SECONDS"), 5.0),
            witness_quorum=_positive("REGISTRY_WITNESS_QUORUM",
                                     env.get("REGISTRY_WITNESS_QUORUM"), 0) or None,
            witness_timeout_seconds=_seconds("REGISTRY_WITNESS_TIMEOUT_SECONDS",
                                             env.get("REGISTRY_WITNESS_TIMEOUT_SECONDS"), 10.0),
            **_upload_limit(env.get("REGISTRY_MAX_UPLOAD_BYTES")),
            rate_limit_verify=_rate_limit("REGISTRY_RATE_LIMIT_VERIFY",
                                          env.get("REGISTRY_RATE_LIMIT_VERIFY"), "60/minute"),
            rate_limit_public=_rate_limit("REGISTRY_RATE_LIMIT_PUBLIC",
                                          env.get("REGISTRY_RATE_LIMIT_PUBLIC"), "120/minute"),
            trusted_proxies=_proxies(env.get("REGISTRY_TRUSTED_PROXIES")),
            redis_url=env.get("REGISTRY_REDIS_URL") or None,
            token_lifetime_days=_days("REGISTRY_TOKEN_LIFETIME_DAYS",
                                      env.get("REGISTRY_TOKEN_LIFETIME_DAYS"), 365),
            **_oidc(env),
            **_query_limits(env),
            projections=_projections_mode(env.get("REGISTRY_PROJECTIONS")),
            view_wait_seconds=_seconds("REGISTRY_VIEW_WAIT_SECONDS",
                                       env.get("REGISTRY_VIEW_WAIT_SECONDS"), 5.0),
            cors_origins=_origins(env.get("REGISTRY_CORS_ORIGINS")),
            max_ws_message_bytes=_positive("REGISTRY_MAX_WS_MESSAGE_BYTES",
                                           env.get("REGISTRY_MAX_WS_MESSAGE_BYTES"), 64 * 1024),
            log_format=log_format(env.get("REGISTRY_LOG_FORMAT")),
            ready_max_lag=_positive("REGISTRY_READY_MAX_LAG", env.get("REGISTRY_READY_MAX_LAG"),
                                    1000),
            emblem=_emblem(env.get("REGISTRY_EMBLEM")),
            signatory=_signatory(env.get("REGISTRY_SIGNATORY")),
        )

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

    def credential_url(self, number: str) -> str:
        """Where a certificate's Open Badges credential is downloaded (SPEC §11)."""
        return f"{self.public_url}/certificates/{number}/credential.json"
