"""Prometheus metrics at ``/metrics`` (issue 14, capability 2), with ``prometheus-client``.

Counted as they happen (cheap: one dict look-up and two locked additions per request):

* ``registry_http_requests_total{route, method, operation, status}`` and
  ``registry_http_request_duration_seconds{route, operation}`` — the route is the path
  template (``/certificates/{number}.pdf``), never the path a client typed; ``operation`` is the
  GraphQL operation's name (``""`` for other routes or an unnamed one; after
  :data:`MAX_OPERATIONS` distinct names, ``other``);
* ``registry_graphql_errors_total{code}`` — each error of an answer by its ``extensions.code``;
* ``registry_events_appended_total{type}`` — events stored by this process, by event class;
* ``registry_verifications_total{verdict}`` — ``POST /api/verify`` answers by status;
* ``registry_witness_submissions_total{witness, outcome}`` — checkpoints offered to the log's
  witnesses, by outcome (``cosigned``, ``resend``, ``unreachable``, a refusal's status, …).

Read when scraped (off the event loop, in the thread pool): each projection's lag behind the
newest event and whether it stopped, the audit log's size, its entries not yet under a signed
checkpoint and the age of the newest checkpoint, the witnesses (how many, the quorum, the
newest witnessed checkpoint's size and age, each one's cosigned size and whether it is
failing), and the live subscribers.

With several processes (``registry serve --workers N``) the counters go through
prometheus-client's multiprocess mode: ``PROMETHEUS_MULTIPROC_DIR`` (``serve`` makes a fresh
folder when it is unset) holds each worker's values and any worker's ``/metrics`` sums them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

MAX_OPERATIONS = 200
OPERATION_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter("registry_http_requests", "HTTP requests answered",
                   ["route", "method", "operation", "status"])
LATENCY = Histogram("registry_http_request_duration_seconds",
                    "Time from a request's arrival to its answer's end",
                    ["route", "operation"], buckets=BUCKETS)
GRAPHQL_ERRORS = Counter("registry_graphql_errors", "GraphQL errors answered, by "
                         "extensions.code", ["code"])
EVENTS = Counter("registry_events_appended", "Events stored by this process, by type",
                 ["type"])
VERIFICATIONS = Counter("registry_verifications", "POST /api/verify answers, by verdict",
                        ["verdict"])
WITNESS_SUBMISSIONS = Counter("registry_witness_submissions", "Checkpoint submissions to the "
                              "log's witnesses, by outcome (cosigned, resend, unreachable, "
                              "conflict, fork, bad_cosignature, or the HTTP status of a "
                              "refusal)", ["witness", "outcome"])

# The operation of the request being served: a holder the GraphQL view fills in.
_operation: ContextVar[list[str] | None] = ContextVar("graphql_operation", default=None)


def note_operation(name: str | None) -> None:
    """Called by the GraphQL view with the request's ``operationName``."""
    holder = _operation.get()
    if holder is not None and name:
        holder.append(name)


def count_graphql_errors(codes: list[str]) -> None:
    for code in codes:
        GRAPHQL_ERRORS.labels(code).inc()


def count_verification(verdict: str) -> None:
    VERIFICATIONS.labels(verdict).inc()


def count_witness_submission(witness: str, outcome: str) -> None:
    """A :attr:`Witnessing.observers` entry."""
    WITNESS_SUBMISSIONS.labels(witness, outcome).inc()


def age_seconds(iso_time: str, now: datetime) -> float:
    """Seconds from an ISO time (naive: UTC) to ``now``, never negative."""
    then = datetime.fromisoformat(iso_time)
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    return max((now - then).total_seconds(), 0.0)


def count_events(recordings: list[Any]) -> None:
    """A :attr:`Registry.saved_observers` entry: the stored events, by their class."""
    for recording in recordings:
        EVENTS.labels(type(recording.domain_event).__qualname__).inc()


def route_of(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else "unmatched"


class RequestMetrics:
    """What a request's end records: its count and latency by route, method, GraphQL
    operation and status. The labelled children are kept, so a request costs a dict look-up,
    an increment and an observation. Called by :class:`registry.web.edge.Edge`."""

    def __init__(self) -> None:
        self._children: dict[tuple[str, str, str, int], tuple[Any, Any]] = {}
        self._operations: set[str] = set()

    @staticmethod
    def begin() -> tuple[list[str], Token[list[str] | None]]:
        """The holder the GraphQL view names its operation in (:func:`note_operation`)."""
        holder: list[str] = []
        return holder, _operation.set(holder)

    def end(self, scope: Scope, holder: list[str], token: Token[list[str] | None], status: int,
            seconds: float) -> None:
        _operation.reset(token)
        key = (route_of(scope), scope["method"], self._operation(holder), status)
        children = self._children.get(key)
        if children is None:
            children = (REQUESTS.labels(key[0], key[1], key[2], str(status)),
                        LATENCY.labels(key[0], key[2]))
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def _operation(self, holder: list[str]) -> str:
        if not holder:
            return ""
        name = holder[0]
        if name in self._operations:
            return name
        if not OPERATION_NAME.fullmatch(name) or len(self._operations) >= MAX_OPERATIONS:
            return "other"
        self._operations.add(name)
        return name


class RegistryState(Collector):
    """What is read when scraped: projections' lag, the audit log's checkpoints, the live
    subscribers (``container()`` is ``None`` while starting)."""

    def __init__(self, container: Callable[[], Any]) -> None:
        self.container = container

    def collect(self) -> Iterator[Metric]:
        container = self.container()
        if container is None:
            return
        newest = container.app.last_notification_id()
        progress = container.board.progress
        lag = GaugeMetricFamily("registry_projection_lag_events", "Events a projection's "
                                "serving build is behind the newest event", labels=["projection"])
        stopped = GaugeMetricFamily("registry_projection_stopped", "1 when a projection stopped "
                                    "on an error", labels=["projection"])
        for name, position in sorted(progress.positions.items()):
            lag.add_metric([name], max(newest - position, 0))
            stopped.add_metric([name], 1 if name in progress.stopped else 0)
        yield lag
        yield stopped
        yield GaugeMetricFamily("registry_events_newest_position", "The newest event's "
                                "notification id", value=newest)
        size = container.audit.size()
        checkpoint = container.audit.view.latest_checkpoint()
        yield GaugeMetricFamily("registry_audit_log_entries", "Entries in the audit log",
                                value=size)
        yield GaugeMetricFamily("registry_audit_unsigned_entries", "Audit log entries not yet "
                                "under a signed checkpoint",
                                value=size - (checkpoint.size if checkpoint else 0))
        if checkpoint is not None:
            yield GaugeMetricFamily("registry_audit_checkpoint_age_seconds", "Seconds since "
                                    "the newest signed checkpoint",
                                    value=age_seconds(checkpoint.signed_at,
                                                      container.clock.now()))
        yield from self._witnesses(container)
        yield GaugeMetricFamily("registry_live_subscribers", "Open GraphQL subscriptions of "
                                "this process", value=container.live.subscribers)


    @staticmethod
    def _witnesses(container: Any) -> Iterator[Metric]:
        witnessing = container.witnessing
        witnesses = witnessing.witnesses()
        yield GaugeMetricFamily("registry_witnesses_configured", "Witnesses the log submits "
                                "its checkpoints to", value=len(witnesses))
        if not witnesses:
            return
        yield GaugeMetricFamily("registry_witness_quorum", "Cosignatures that make a "
                                "checkpoint witnessed", value=witnessing.quorum())
        latest = witnessing.latest()
        if latest is not None:
            yield GaugeMetricFamily("registry_witnessed_checkpoint_size", "Entries under the "
                                    "newest witnessed checkpoint", value=latest[0].size)
            yield GaugeMetricFamily("registry_witnessed_checkpoint_age_seconds", "Seconds "
                                    "since the newest witnessed checkpoint was signed",
                                    value=age_seconds(latest[0].signed_at,
                                                      container.clock.now()))
        cosigned = GaugeMetricFamily("registry_witness_cosigned_size", "The largest "
                                     "checkpoint each witness cosigned", labels=["witness"])
        failing = GaugeMetricFamily("registry_witness_failing", "1 while a witness refuses "
                                    "or cannot be reached", labels=["witness"])
        problems = witnessing.problems()
        for witness in witnesses:
            status = witnessing.status.get(witness.name)
            cosigned.add_metric([witness.name], status.size or 0 if status else 0)
            failing.add_metric([witness.name], 1 if witness.name in problems else 0)
        yield cosigned
        yield failing


def exposition(state: RegistryState) -> bytes:
    """The text exposition: the counters (summed over workers in multiprocess mode), then
    the state read now."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counters = CollectorRegistry()
        multiprocess.MultiProcessCollector(counters)  # type: ignore[no-untyped-call]
    else:
        counters = REGISTRY
    now = CollectorRegistry(auto_describe=False)
    now.register(state)
    return generate_latest(counters) + generate_latest(now)


async def metrics(request: Request) -> Response:
    state = RegistryState(lambda: getattr(request.app.state, "container", None))
    body = await run_in_threadpool(exposition, state)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
