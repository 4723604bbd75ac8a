"""SIGTERM under load: every request already accepted gets its complete answer (queued micro-batches
included), new work is refused, and the process exits 0."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from app.__main__ import GracefulServer
from app.config import Settings
from app.main import create_app
from tests.support.images import encode_image
from tests.support.server import server_process
from training.sources import MnistSplit

pytestmark = [pytest.mark.slow, pytest.mark.mnist]
CLIENTS = 16
IMAGES_PER_REQUEST = 64
HELD_AFTER = 1024  # bytes of each body sent before the clients wait for one another


def wait_until_in_flight(url: str, count: int) -> None:
    """Until the server reports ``count`` requests in flight (besides the metrics scrape itself)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for line in httpx.get(f"{url}/metrics").text.splitlines():
            if line.startswith("mnist_http_requests_in_flight ") and float(line.split()[1]) >= count + 1:
                return
        time.sleep(0.005)
    raise AssertionError(f"{count} requests never were in flight together")


def test_sigterm_finishes_accepted_requests_and_exits_zero(test_digits: MnistSplit) -> None:
    """Each client sends its headers and the first part of its body, and holds the rest until all are
    in flight: the signal then finds every request accepted and unfinished, whatever the machine's speed."""
    with server_process() as (server, url):
        labels = [int(label) for label in test_digits.labels]
        files = [
            ("file", (f"{i}.png", encode_image(255 - test_digits.images[i % len(labels)]), "image/png"))
            for i in range(IMAGES_PER_REQUEST)
        ]
        expected = [labels[i % len(labels)] for i in range(IMAGES_PER_REQUEST)]
        encoded = httpx.Request("POST", f"{url}/predict/batch", files=files)
        body, content_type = encoded.read(), encoded.headers["content-type"]
        all_in_flight = threading.Event()
        outcomes: list[str] = []

        def held_body() -> Iterator[bytes]:
            yield body[:HELD_AFTER]
            all_in_flight.wait(timeout=60)
            yield body[HELD_AFTER:]

        def post_batch() -> None:
            try:
                response = httpx.post(
                    f"{url}/predict/batch", content=held_body(), headers={"content-type": content_type}, timeout=60
                )
                digits = [p["digit"] for p in response.json()["predictions"]]
                outcomes.append("complete" if response.status_code == 200 and digits == expected else "wrong")
            except httpx.TransportError as exc:
                outcomes.append(f"lost: {exc!r}")

        clients = [threading.Thread(target=post_batch) for _ in range(CLIENTS)]
        for client in clients:
            client.start()
        try:
            wait_until_in_flight(url, CLIENTS)
            server.send_signal(signal.SIGTERM)
        finally:
            all_in_flight.set()
        for client in clients:
            client.join(timeout=60)
        assert server.wait(timeout=30) == 0
        assert outcomes == ["complete"] * CLIENTS
        with pytest.raises(httpx.ConnectError):  # stopped accepting
            httpx.get(f"{url}/health/ready")


def test_readiness_turns_503_the_moment_the_signal_arrives(settings: Settings) -> None:
    app = create_app(settings)
    with TestClient(app) as client:
        server = GracefulServer(app, uvicorn.Config(app))
        assert client.get("/health/ready").status_code == 200
        server.handle_exit(signal.SIGTERM, None)
        assert server.should_exit
        assert client.get("/health/ready").status_code == 503
        assert client.post("/predict", json={"pixels": [0] * 784}).status_code == 503
