"""Rate limits per client at the HTTP edge (SPEC §10).

Two budgets, each in the ``limits`` notation (``60/minute``, ``10/second;500/hour``; ``0``
turns it off): ``verify`` for ``POST /api/verify`` and ``public`` for ``/v``, the PDF, the QR
images, a certificate's log proof, the witness endpoint and anonymous GraphQL (the GraphQL view asks :meth:`RateLimits.refusal` itself, after
the bearer token is checked, so that a made-up token does not escape the anonymous budget).

Counting uses ``limits``' sliding-window counter through ``limits.aio`` — never blocking the
event loop — in process memory, or in Redis when ``REGISTRY_REDIS_URL`` is set so that every process behind
one address shares the counters. If Redis cannot be reached, counting falls back to this
process's memory (one warning when that starts and one when Redis answers again; Redis is
tried again at most every :data:`REDIS_RETRY_SECONDS`): a Redis outage never answers 500, and
never turns the limits off altogether.

The client is the peer address — or, only when the peer is one of
``REGISTRY_TRUSTED_PROXIES``, the right-most address of ``X-Forwarded-For`` that is not a
trusted proxy. IPv6 clients are counted per /64 network (one subscriber's allocation).

Why the sliding-window counter and not the moving window: a moving window keeps every
request's time up to the limit, per client, and inserts into that list on each hit — fine at
60 a minute, O(limit) memory and time per request at the limits an operator gives a campus NAT
or an HR system (10,000 a minute: one client's hit cost as much as the verification it
guarded). The counter keeps two numbers per client and budget, whatever the limit; it weights
the previous window's count by how much of it still overlaps, so a burst straddling two
windows is counted as the moving window would count it, give or take that weighting.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import math
import re
import time
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse_many
from limits.aio.strategies import SlidingWindowCounterRateLimiter as Limiter
from limits.storage import storage_from_string
from starlette.datastructures import Headers
from starlette.types import Scope

from ..config import Settings
from .jsonio import JSONResponse

RATE_LIMITED = "RATE_LIMITED"  # the code of a 429 (SPEC §10)
log = logging.getLogger(__name__)

VERIFY = "verify"
PUBLIC = "public"
REDIS_RETRY_SECONDS = 5.0
REDIS_TIMEOUT_SECONDS = 0.5
MESSAGE = "Too many requests from this address: wait {seconds} s and try again."

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Refusal:
    """A request over its budget: ``retry_after`` whole seconds until one is free again."""

    retry_after: int

    @property
    def message(self) -> str:
        return MESSAGE.format(seconds=self.retry_after)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after), "Cache-Control": "no-store"}


def _limits(value: str) -> list[RateLimitItem]:
    return [] if value.strip() == "0" else parse_many(value)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address in a peer's or a forwarded hop's text, or None. Kept for the last few
    thousand texts of an address's length: a client asks again and again (``ipaddress``
    takes ≈ 8 µs a parse); a longer text (a forwarded header's, a client's to choose) is
    parsed each time and never kept."""
    return _kept_address(text) if len(text) <= ADDRESS_TEXT_MAX else _parse_address(text)


ADDRESS_TEXT_MAX = 64  # "[v6 with a zone]:port" fits


def _parse_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip().strip('"')
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


_kept_address = functools.lru_cache(maxsize=4096)(_parse_address)


@functools.lru_cache(maxsize=4096)
def _client_key(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """A client's budget key: its IPv4 address, or its IPv6 address's /64 (one host's
    share of addresses)."""
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class ClientAddress:
    """Who is asking: the peer, or what a trusted proxy says in ``X-Forwarded-For``."""

    def __init__(self, trusted: tuple[str, ...]) -> None:
        self.trusted: tuple[Network, ...] = tuple(
            ipaddress.ip_network(entry, strict=False) for entry in trusted)

    def is_trusted(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
        return address is not None and any(address in network for network in self.trusted)

    def of(self, scope: Scope) -> str:
        peer = (scope.get("client") or ("unknown", 0))[0]
        address = _address(peer)
        if self.trusted and self.is_trusted(address):
            forwarded = Headers(scope=scope).getlist("x-forwarded-for")
            hops = [hop for value in forwarded for hop in value.split(",") if hop.strip()]
            for hop in reversed(hops):
                address = _address(hop)
                if address is None:  # not an address: the proxy passed it on as it came
                    return f"unparsed:{hop.strip()[:64]}"
                if not self.is_trusted(address):
                    break
        if address is None:
            return str(peer)[:64]
        return _client_key(address)


class RateLimits:
    """The budgets and their counters. Build it on the event loop that serves requests
    (the application's lifespan): the async storages belong to that loop."""

    def __init__(self, settings: Settings) -> None:
        self.budgets: dict[str, list[RateLimitItem]] = {
            VERIFY: _limits(settings.rate_limit_verify),
            PUBLIC: _limits(settings.rate_limit_public),
        }
        self.clients = ClientAddress(settings.trusted_proxies)
        self.redis_url = settings.redis_url
        self.memory = Limiter(storage_from_string("async+memory://"))
        self.shared: Limiter | None = None
        if self.redis_url and any(self.budgets.values()):
            url = self.redis_url if self.redis_url.startswith("async+") else (
                f"async+{self.redis_url}")
            self.shared = Limiter(storage_from_string(
                url, implementation="redispy", key_prefix=settings.rate_limit_prefix,
                wrap_exceptions=True, socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                socket_timeout=REDIS_TIMEOUT_SECONDS))
        self._redis_down_since: float | None = None
        self._redis_retry_at = 0.0

    def enabled(self, budget: str) -> bool:
        return bool(self.budgets[budget])

    async def refusal(self, budget: str, scope: Scope) -> Refusal | None:
        """Count one request against ``budget``; a :class:`Refusal` if it is over."""
        items = self.budgets[budget]
        if not items:
            return None
        client = self.clients.of(scope)
        limiter = self._limiter()
        try:
            return await self._hit(limiter, items, budget, client)
        except Exception as error:
            if limiter is self.memory:
                raise
            self._redis_failed(error)
            return await self._hit(self.memory, items, budget, client)

    async def _hit(self, limiter: Limiter, items: list[RateLimitItem],
                   budget: str, client: str) -> Refusal | None:
        for item in items:
            if not await limiter.hit(item, budget, client):
                stats = await limiter.get_window_stats(item, budget, client)
                if limiter is not self.memory:
                    self._redis_answered()
                return Refusal(max(1, math.ceil(stats.reset_time - time.time())))
        if limiter is not self.memory:
            self._redis_answered()
        return None

    def _limiter(self) -> Limiter:
        if self.shared is None or time.monotonic() < self._redis_retry_at:
            return self.memory
        return self.shared

    def _redis_failed(self, error: Exception) -> None:
        self._redis_retry_at = time.monotonic() + REDIS_RETRY_SECONDS
        if self._redis_down_since is None:
            self._redis_down_since = time.monotonic()
            log.warning("rate limits: Redis is unreachable (%s); counting in this process "
                        "until it answers again", _reason(error))

    def _redis_answered(self) -> None:
        if self._redis_down_since is not None:
            self._redis_down_since = None
            log.warning("rate limits: Redis answers again; counters are shared again")

    async def aclose(self) -> None:
        if self.shared is not None:
            try:
                await self.shared.storage.bridge.storage.aclose()  # type: ignore[attr-defined]
            except Exception:  # pragma: no cover - closing a dead connection
                log.debug("rate limits: closing Redis failed", exc_info=True)


def _reason(error: BaseException) -> str:
    cause = error.__cause__ or getattr(error, "storage_error", None) or error
    return f"{type(cause).__name__}: {cause}"


# -- the HTTP routes' budgets ------------------------------------------------------------

_PUBLIC_PATHS = re.compile(r"^/(v|certificates/[^/]+\.pdf|certificates/[^/]+/qr\.[^/]+"
                           r"|certificates/[^/]+/proof|witness/add-checkpoint)$")


def budget_of(scope: Scope) -> str | None:
    """Which budget an HTTP request spends (``/graphql`` decides for itself)."""
    path = scope.get("path", "")
    if path == "/api/verify" and scope.get("method") == "POST":
        return VERIFY
    if _PUBLIC_PATHS.match(path):
        return PUBLIC
    return None


def limits_of(scope: Scope) -> RateLimits | None:
    app: Any = scope.get("app")
    state = getattr(app, "state", None)
    return getattr(state, "rate_limits", None)


def refused(refusal: Refusal) -> JSONResponse:
    return JSONResponse({"error": refusal.message, "code": RATE_LIMITED}, status_code=429,
                        headers=refusal.headers())
