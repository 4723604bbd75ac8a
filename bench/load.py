"""Soak the service with a realistic mix at sustained concurrency, and watch its memory.

    make load                              # 60 s at concurrency 64 against a fresh `make run`
    python -m bench.load --duration 300 --url http://127.0.0.1:8000   # against a running service

The mix: JSON pixel arrays, PNG and JPEG uploads (dark ink on paper), batches, health checks and
malformed requests. Reports requests, errors by kind (5xx, dropped connections, unexpected 4xx),
p50/p99 latency per kind, and the server's RSS sampled over time (when it started the server).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import random
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

import httpx
import numpy as np
from PIL import Image

from bench.throughput import RESULTS, start_server
from tests.support.server import ServerProcess, memory_mib
from training.sources import load_mnist


@dataclass(frozen=True)
class Request:
    kind: str
    method: str
    path: str
    expected_status: int
    json: object = None
    content: bytes | None = None
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None


def encode(pixels: np.ndarray, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image = Image.fromarray(255 - pixels).resize((140, 140))
    image.save(buffer, fmt, **({"quality": 85} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def request_mix(images: np.ndarray) -> list[tuple[float, Request]]:
    """(weight, request) pairs; one digit per request kind is enough for a soak."""
    digit = images[0]
    return [
        (0.40, Request("json", "POST", "/predict", 200, json={"pixels": digit.tolist()})),
        (0.15, Request("png", "POST", "/predict", 200, files=[("file", ("d.png", encode(digit, "PNG"), "image/png"))])),
        (
            0.15,
            Request("jpeg", "POST", "/predict", 200, files=[("file", ("d.jpg", encode(digit, "JPEG"), "image/jpeg"))]),
        ),
        (0.10, Request("batch", "POST", "/predict/batch", 200, json={"instances": [i.tolist() for i in images[:16]]})),
        (0.10, Request("health", "GET", "/health/ready", 200)),
        (0.05, Request("malformed-json", "POST", "/predict", 400, content=b'{"pixels": [NaN]}')),
        (0.05, Request("not-an-image", "POST", "/predict", 400, content=b"\x89PNG garbage")),
    ]


async def soak(
    url: str, mix: list[tuple[float, Request]], concurrency: int, duration: float, server: ServerProcess | None
) -> dict[str, object]:
    weights = [weight for weight, _ in mix]
    requests = [request for _, request in mix]
    latencies: dict[str, list[float]] = defaultdict(list)
    outcomes: Counter[str] = Counter()
    rss: list[tuple[float, float]] = []
    started = time.monotonic()
    deadline = started + duration
    rng = random.Random(0)

    async def worker(client: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline:
            request = rng.choices(requests, weights)[0]
            sent = time.perf_counter()
            try:
                response = await client.request(
                    request.method,
                    request.path,
                    json=request.json,
                    content=request.content,
                    files=request.files,
                    headers={"content-type": "application/json"} if request.content else None,
                )
            except httpx.TransportError as exc:
                outcomes[f"dropped {request.kind} ({type(exc).__name__}: {exc})"] += 1
                continue
            latencies[request.kind].append(time.perf_counter() - sent)
            if response.status_code >= 500:
                outcomes["5xx"] += 1
            elif response.status_code != request.expected_status:
                outcomes[f"unexpected {response.status_code} for {request.kind}"] += 1
            else:
                outcomes["ok"] += 1

    async def sample_memory() -> None:
        while time.monotonic() < deadline:
            if server is not None:
                rss.append((round(time.monotonic() - started, 1), round(memory_mib(server.process.pid, "VmRSS"), 1)))
            await asyncio.sleep(max(1.0, duration / 20))

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        await asyncio.gather(sample_memory(), *(worker(client) for _ in range(concurrency)))
    elapsed = time.monotonic() - started
    total = sum(outcomes.values())
    return {
        "duration_s": round(elapsed, 1),
        "concurrency": concurrency,
        "requests": total,
        "requests_per_second": round(total / elapsed, 1),
        "outcomes": dict(outcomes),
        "latency_ms": {
            kind: {
                "p50": round(float(np.percentile(values, 50)) * 1000, 2),
                "p99": round(float(np.percentile(values, 99)) * 1000, 2),
            }
            for kind, values in sorted(latencies.items())
        },
        "rss_mib_over_time": rss,
        "peak_rss_mib": round(memory_mib(server.process.pid), 1) if server else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of sustained load")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--url", help="a running service (default: start one, like make run)")
    parser.add_argument("--data", help="MNIST directory (default: $MNIST_DIR)")
    args = parser.parse_args(argv)

    images = load_mnist(args.data).test.images
    server = None
    if args.url is None:
        RESULTS.mkdir(parents=True, exist_ok=True)
        server = start_server("service", [sys.executable, "-m", "app"], {"LOG_LEVEL": "warning"}, "/health/ready")
    url = args.url or server.url  # type: ignore[union-attr]
    try:
        report = asyncio.run(soak(url, request_mix(images), args.concurrency, args.duration, server))
    finally:
        if server:
            server.stop()
    print(json.dumps(report, indent=2))
    (RESULTS / "load.json").write_text(json.dumps(report, indent=2))
    failures = {kind: count for kind, count in report["outcomes"].items() if kind != "ok"}  # type: ignore[attr-defined]
    print("PASS: no 5xx, no dropped connections" if not failures else f"FAIL: {failures}")
    return 0 if not failures else 1


if __name__ == "__main__":
    raise SystemExit(main())
