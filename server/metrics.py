"""Prometheus metrics: HTTP requests and latency (an ASGI middleware), fit durations,
store commits, and per-curriculum gauges read from the live curricula at scrape time
(so they cost nothing per request)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CurriculumStats", "Metrics", "MetricsMiddleware", "CONTENT_TYPE_LATEST"]

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                    2.5, 5.0, 10.0)


@dataclass(frozen=True)
class CurriculumStats:
    """What the metrics report about one curriculum."""

    name: str
    tasks: int
    results: int
    pending: int
    expired: int
    evaluations: int
    fits: int
    fits_behind: int
    fits_coalesced: int
    scores: int = 0


class _CurriculaCollector(Collector):
    def __init__(self, source: Callable[[], Iterable[CurriculumStats]]):
        self.source = source

    def collect(self) -> Iterator[Metric]:
        stats = list(self.source())
        label = ["curriculum"]
        fams: dict[str, CounterMetricFamily | GaugeMetricFamily] = {
            "tasks": CounterMetricFamily("curriculum_tasks", "Tasks issued", labels=label),
            "results": CounterMetricFamily(
                "curriculum_episodes", "Training episodes (results) accepted", labels=label
            ),
            "evaluations": CounterMetricFamily(
                "curriculum_evaluations", "Evaluation episodes stored", labels=label
            ),
            "expired": CounterMetricFamily(
                "curriculum_expired_tasks", "Tasks whose lease ran out unreported",
                labels=label,
            ),
            "scores": CounterMetricFamily(
                "curriculum_late_scores", "Late per-episode scores accepted", labels=label
            ),
            "fits": CounterMetricFamily("curriculum_fits", "Fits installed", labels=label),
            "fits_coalesced": CounterMetricFamily(
                "curriculum_fits_coalesced",
                "Due fits skipped because a newer window was due first", labels=label,
            ),
            "pending": GaugeMetricFamily(
                "curriculum_pending_tasks", "Tasks issued and not reported", labels=label
            ),
            "fits_behind": GaugeMetricFamily(
                "curriculum_fits_behind", "Fits due and not yet installed", labels=label
            ),
        }
        for s in stats:
            for key, fam in fams.items():
                fam.add_metric([s.name], getattr(s, key))
        yield GaugeMetricFamily("curriculum_curricula", "Live curricula", value=len(stats))
        yield from fams.values()


class Metrics:
    """The server's metrics in a registry of their own (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        GCCollector(registry=self.registry)
        ProcessCollector(registry=self.registry)
        self.requests = Counter(
            "curriculum_http_requests", "HTTP requests", ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "curriculum_http_request_duration_seconds", "HTTP request latency",
            ["method", "route"], buckets=_LATENCY_BUCKETS, registry=self.registry,
        )
        self.fit_duration = Histogram(
            "curriculum_fit_duration_seconds", "Time to compute one fit in a worker process",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
            registry=self.registry,
        )
        self.commit_duration = Histogram(
            "curriculum_store_commit_seconds", "Time to write one batch to the event store",
            buckets=_LATENCY_BUCKETS, registry=self.registry,
        )
        self.commit_batch = Histogram(
            "curriculum_store_batch_writes", "Writes grouped in one store transaction",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024), registry=self.registry,
        )

    def watch(self, source: Callable[[], Iterable[CurriculumStats]]) -> None:
        """Report the curricula ``source`` returns at each scrape."""
        self.registry.register(_CurriculaCollector(source))

    def observe_commit(self, seconds: float, writes: int) -> None:
        self.commit_duration.observe(seconds)
        self.commit_batch.observe(writes)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts requests and times them, labelled by route template (not raw path)."""

    def __init__(self, app: ASGIApp, metrics: Metrics):
        self.app = app
        self.metrics = metrics
        # Label children by key: ``labels()`` validates and locks on every call.
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._histograms: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope["method"]
            counter = self._counters.get((method, route, status))
            if counter is None:
                counter = self.metrics.requests.labels(method, route, str(status))
                self._counters[(method, route, status)] = counter
            counter.inc()
            histogram = self._histograms.get((method, route))
            if histogram is None:
                histogram = self.metrics.latency.labels(method, route)
                self._histograms[(method, route)] = histogram
            histogram.observe(elapsed)
