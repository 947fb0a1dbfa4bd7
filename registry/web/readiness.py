"""``/readyz`` (issue 14, capability 2): whether this process should get traffic now.

Beside ``/healthz`` (is it alive, and what is degraded), readiness is three checks, each with
its reason when it fails:

* ``database`` — the event store answers (the newest event's position is read);
* ``projections`` — no projection stopped on an error, and the slowest serving one is at most
  ``REGISTRY_READY_MAX_LAG`` events behind the newest (a replica still filling its views, or
  whose projection process stopped, takes no traffic);
* ``signingKey`` — the key ring has an active certificate-signing key, and this process holds
  its private half.

200 ``{"status": "ready", "checks": …}`` when all pass, else 503 ``"not ready"``; 503
``"starting"`` before the registry is built.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..storage.errors import unavailable_reason
from .jsonio import JSONResponse


def _failed(reason: str) -> dict[str, Any]:
    return {"ok": False, "reason": reason}


def _reason(error: Exception) -> str:
    return unavailable_reason(error) or f"{type(error).__name__}: {error}"


def readiness(container: Any) -> dict[str, dict[str, Any]]:
    """Each check's verdict (run in a worker thread: it reads the store)."""
    checks: dict[str, dict[str, Any]] = {}
    try:
        newest = container.app.last_notification_id()
    except Exception as error:
        unread = _failed(f"the event store cannot be read: {_reason(error)}")
        return {"database": unread, "projections": unread, "signingKey": unread}
    checks["database"] = {"ok": True, "position": newest}
    progress = container.board.progress
    bound = container.settings.ready_max_lag
    lag = newest - min(progress.positions.values(), default=newest)
    if progress.stopped:
        checks["projections"] = _failed(f"stopped on an error: {', '.join(sorted(progress.stopped))}")
    elif lag > bound:
        checks["projections"] = _failed(f"{lag} events behind the newest (at most {bound}: "
                                        "REGISTRY_READY_MAX_LAG)")
    else:
        checks["projections"] = {"ok": True, "lag": lag}
    try:
        active = container.commands.keys.ring().active
    except Exception as error:
        checks["signingKey"] = _failed(f"the key ring cannot be read: {_reason(error)}")
        return checks
    if active is None:
        checks["signingKey"] = _failed("no active certificate-signing key: run "
                                       "'registry keys rotate'")
    elif container.keys.find(active.kid) is None:
        checks["signingKey"] = _failed(f"the active key {active.kid} has no private key in "
                                       f"{container.keys.directory}")
    else:
        checks["signingKey"] = {"ok": True, "kid": active.kid}
    return checks


async def readyz(request: Request) -> Response:
    container = getattr(request.app.state, "container", None)
    headers = {"Cache-Control": "no-store"}
    if container is None:
        return JSONResponse({"status": "starting"}, status_code=503, headers=headers)
    checks = await run_in_threadpool(readiness, container)
    ready = all(check["ok"] for check in checks.values())
    return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks},
                        status_code=200 if ready else 503, headers=headers)
