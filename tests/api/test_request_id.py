"""Every response carries an X-Request-ID; errors name it; an inference failure is a 500 with that
id, logged with it, and the service keeps serving."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from fastapi.testclient import TestClient

DIGIT = np.zeros((28, 28), dtype=np.uint8)
DIGIT[5:23, 12:16] = 255


def test_every_response_gets_a_request_id(client: TestClient) -> None:
    first = client.get("/health").headers["X-Request-ID"]
    second = client.get("/health").headers["X-Request-ID"]
    assert len(first) == 32
    assert first != second


def test_the_callers_request_id_is_echoed(client: TestClient) -> None:
    response = client.post("/predict", json={"pixels": [1]}, headers={"X-Request-ID": "order-123/7"})
    assert response.headers["X-Request-ID"] == "order-123/7"
    assert response.json()["request_id"] == "order-123/7"


@pytest.mark.parametrize("unsafe", ["", "a" * 200, "two words", "semi;colon"])
def test_unsafe_request_ids_are_replaced(client: TestClient, unsafe: str) -> None:
    assert client.get("/health", headers={"X-Request-ID": unsafe}).headers["X-Request-ID"] != unsafe


def test_inference_failure_is_a_500_with_the_request_id_and_the_service_recovers(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = client.app.state.predictor.model.runtime  # type: ignore[attr-defined]

    def broken(batch: np.ndarray) -> np.ndarray:
        raise RuntimeError("simulated TensorFlow failure")

    monkeypatch.setattr(runtime, "predict", broken)
    logger = logging.getLogger("app")
    logger.addHandler(caplog.handler)
    try:
        response = client.post("/predict", json={"pixels": DIGIT.tolist()}, headers={"X-Request-ID": "fail-1"})
    finally:
        logger.removeHandler(caplog.handler)
    assert response.status_code == 500
    assert response.json() == {
        "error": "inference failed: RuntimeError",
        "code": "inference_failed",
        "request_id": "fail-1",
    }
    assert any("inference failed" in r.getMessage() and "fail-1" in r.getMessage() for r in caplog.records)
    monkeypatch.undo()
    assert client.post("/predict", json={"pixels": DIGIT.tolist()}).json()["digit"] == 1
