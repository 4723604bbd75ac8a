"""Shared fixtures: the real app over HTTP with the shipped model, and real MNIST digits.

The helpers behind them (starting a server, making images and MNIST files) live in ``tests/support``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.support.paths import SHIPPED_MODEL, mnist_dir
from tests.support.server import LiveServer
from training.sources import Mnist, MnistSplit, load_mnist


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
    """The app with small limits, to test them without megabytes of test data; micro-batches of 2."""
    settings = Settings(
        model_path=SHIPPED_MODEL,
        max_body_bytes=64 * 1024,
        max_image_pixels=1_000_000,
        max_request_digits=4,
        max_batch_size=2,
    )
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="session")
def live_server(settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(settings) as server:
        yield server
