"""Shared fixtures: the real app over HTTP with the shipped model, real MNIST digits, image bytes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np
import pytest
import uvicorn
from fastapi.testclient import TestClient
from PIL import Image

from app.config import Settings
from app.main import create_app
from bench.throughput import free_port
from training.data import Mnist, MnistSplit, load_mnist

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_MODEL = ROOT / "models" / "mnist.keras"
DEFAULT_MNIST_DIR = ROOT.parent / "shared" / "datasets" / "mnist"


def mnist_dir() -> Path:
    return Path(os.environ.get("MNIST_DIR") or DEFAULT_MNIST_DIR)


@pytest.fixture(scope="session")
def mnist() -> Mnist:
    """The real MNIST files; tests that need them skip where they are absent."""
    if not mnist_dir().is_dir():
        pytest.skip(f"MNIST not found at {mnist_dir()} (set MNIST_DIR)")
    return load_mnist(mnist_dir())


@pytest.fixture(scope="session")
def test_digits(mnist: Mnist) -> MnistSplit:
    """The first 20 test images: every digit appears, and the shipped model gets them all right."""
    return MnistSplit(mnist.test.images[:20], mnist.test.labels[:20])


def encode_image(pixels: np.ndarray, fmt: str = "PNG", mode: str | None = None, **options: object) -> bytes:
    image = Image.fromarray(pixels)
    if mode:
        image = image.convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings(model_path=SHIPPED_MODEL)


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    """The real app with the shipped model; the lifespan runs, so the model is loaded and warm."""
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="session")
def strict_client() -> Iterator[TestClient]:
    """The app with small limits, to test them without megabytes of test data."""
    settings = Settings(
        model_path=SHIPPED_MODEL, max_body_bytes=64 * 1024, max_image_pixels=1_000_000, max_batch_size=4
    )
    with TestClient(create_app(settings)) as client:
        yield client


class LiveServer:
    """The real app served by uvicorn on a free local port, in a background thread."""

    def __init__(self, settings: Settings) -> None:
        self.config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 120
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the live server did not start")
            time.sleep(0.05)
        return self

    @property
    def port(self) -> int:
        port: int = self.server.servers[0].sockets[0].getsockname()[1]
        return port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc_info: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@contextmanager
def server_process(
    settings: dict[str, str] | None = None, stderr: Path | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``python -m app`` (what ``make run`` runs) with the shipped model on a free port, once ready.

    ``settings`` are extra environment variables; ``stderr``, a file to write the logs to.
    """
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "MODEL_PATH": str(SHIPPED_MODEL),
        "LOG_LEVEL": "warning",
        **(settings or {}),
    }
    log = stderr.open("wb") if stderr else None
    process = subprocess.Popen([sys.executable, "-m", "app"], cwd=ROOT, env=env, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not become ready"
            assert process.poll() is None, "the server exited"
            time.sleep(0.1)
        yield process, url
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
        if log:
            log.close()


@pytest.fixture(scope="session")
def live_server(settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(settings) as server:
        yield server
