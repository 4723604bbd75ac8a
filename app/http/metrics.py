"""Prometheus metrics: HTTP traffic by route, micro-batching, the model, and the process.

Each app gets a registry of its own, so several apps in one process (tests) never collide.
Requests are labelled by route template (``/v2/models/{model_name}/infer``), never by raw path,
so scanners probing random URLs cannot blow up the number of series.
"""

from __future__ import annotations

import time

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http.middleware import ScopeMiddleware

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
UNMATCHED = "unmatched"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.requests = Counter(
            "mnist_http_requests_total", "HTTP requests answered", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "mnist_http_request_duration_seconds",
            "Time from request to the end of the response",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        # A plain count read at scrape time: Gauge.inc/dec take a lock twice a request. The event
        # loop's thread is the only one that changes it.
        self.requests_in_flight = 0
        Gauge("mnist_http_requests_in_flight", "Requests being handled", registry=self.registry).set_function(
            lambda: self.requests_in_flight
        )
        self.batch_size = Histogram(
            "mnist_inference_batch_size", "Digits per micro-batch", buckets=BATCH_BUCKETS, registry=self.registry
        )
        self.inference_seconds = Histogram(
            "mnist_inference_duration_seconds",
            "Model time per micro-batch",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.queue_wait_seconds = Histogram(
            "mnist_inference_queue_wait_seconds",
            "Time a batch's oldest request waited before inference",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.model_info = Gauge(
            "mnist_model_info",
            "The served model (value 1)",
            ["version", "architecture", "runtime", "device"],
            registry=self.registry,
        )
        self.model_accuracy = Gauge(
            "mnist_model_test_accuracy", "The served model's MNIST test accuracy", registry=self.registry
        )
        self.model_loads = Counter(
            "mnist_model_version_loads_total",
            "Model versions loaded while serving, by outcome (loaded, or refused: unloadable or failed a check)",
            ["outcome"],
            registry=self.registry,
        )
        self.model_loads.labels("loaded")
        self.model_loads.labels("refused")

        # (method, route, status) -> its request counter and (method, route) latency histogram;
        # labels() takes a lock and validates the values on every call, a few us a request.
        self._request_series: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}

    def observe_request(self, method: str, route: str, status: str, seconds: float) -> None:
        series = self._request_series.get((method, route, status))
        if series is None:
            series = (self.requests.labels(method, route, status), self.latency.labels(method, route))
            self._request_series[method, route, status] = series
        count, latency = series
        count.inc()
        latency.observe(seconds)

    def observe_batch(self, size: int, queue_wait: float, inference: float) -> None:
        self.batch_size.observe(size)
        self.queue_wait_seconds.observe(queue_wait)
        self.inference_seconds.observe(inference)

    def set_model(self, version: str, architecture: str, runtime: str, device: str, accuracy: float | None) -> None:
        self.model_info.clear()
        self.model_info.labels(version, architecture, runtime, device).set(1)
        if accuracy is not None:
            self.model_accuracy.set(accuracy)


class MetricsMiddleware(ScopeMiddleware):
    """Counts and times every HTTP request by method, route template and status."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        super().__init__(app)
        self.metrics = metrics

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        status = 500
        started = time.perf_counter()

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        self.metrics.requests_in_flight += 1
        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            self.metrics.requests_in_flight -= 1
            template = getattr(scope.get("route"), "path", UNMATCHED)
            self.metrics.observe_request(scope["method"], template, str(status), time.perf_counter() - started)
