"""Health endpoints before and after the model loads, and /model."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.support.paths import SHIPPED_MODEL


def test_health_reports_version_and_uptime_when_ready(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["model_version"] == client.get("/model").json()["version"]
    assert body["uptime_seconds"] > 0


def test_liveness_and_readiness_when_ready(client: TestClient) -> None:
    assert client.get("/health/live").json()["status"] == "alive"
    assert client.get("/health/ready").json()["status"] == "ready"


def test_health_is_503_before_the_model_loads() -> None:
    client = TestClient(create_app(Settings(model_path=SHIPPED_MODEL)))  # no `with`: lifespan not run
    for path in ("/health", "/health/ready"):
        response = client.get(path)
        assert response.status_code == 503
        assert response.json()["code"] == "model_not_ready"
    assert client.get("/health/live").status_code == 200
    assert client.post("/predict", json={"pixels": [0] * 784}).status_code == 503


def test_readiness_turns_503_once_shutdown_begins() -> None:
    app = create_app(Settings(model_path=SHIPPED_MODEL))
    with TestClient(app) as client:
        assert client.get("/health/ready").status_code == 200
    assert TestClient(app).get("/health/ready").status_code == 503  # lifespan exited


def test_model_metadata(client: TestClient) -> None:
    info = client.get("/model").json()
    assert info["architecture"] == "cnn"
    assert info["test_accuracy"] >= 0.995
    assert info["input"]["shape"] == [28, 28, 1]
    assert len(info["sha256"]) == 64
    assert info["trained_at"]
    assert info["runtime"]
    assert info["device"]


def test_startup_freezes_what_loading_allocated(client: TestClient) -> None:
    """TensorFlow's and the model's objects are frozen, so full collections never walk them."""
    assert gc.isenabled()
    assert gc.get_freeze_count() > 100_000
