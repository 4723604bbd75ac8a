"""A Prometheus scrape of /metrics whose counters move with traffic."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_counters_move_with_traffic(client: TestClient) -> None:
    predict_ok = ("mnist_http_requests_total", (("method", "POST"), ("route", "/predict"), ("status", "200")))
    predict_bad = ("mnist_http_requests_total", (("method", "POST"), ("route", "/predict"), ("status", "422")))
    batches = ("mnist_inference_batch_size_count", ())
    before = scrape(client)
    digit = np.zeros((28, 28), dtype=np.uint8)
    digit[5:23, 12:16] = 255
    for _ in range(3):
        assert client.post("/predict", json={"pixels": digit.tolist()}).status_code == 200
    assert client.post("/predict", json={"pixels": [1]}).status_code == 422
    client.get("/no/such/path")
    after = scrape(client)
    assert after[predict_ok] - before.get(predict_ok, 0) == 3
    assert after[predict_bad] - before.get(predict_bad, 0) == 1
    assert after[batches] - before.get(batches, 0) >= 1
    unmatched = ("mnist_http_requests_total", (("method", "GET"), ("route", "unmatched"), ("status", "404")))
    assert after[unmatched] >= 1
    latency = ("mnist_http_request_duration_seconds_count", (("method", "POST"), ("route", "/predict")))
    assert after[latency] - before.get(latency, 0) == 4


def test_model_and_process_metrics_are_exported(client: TestClient) -> None:
    samples = scrape(client)
    info = [labels for (name, labels), value in samples.items() if name == "mnist_model_info" and value == 1]
    assert len(info) == 1
    assert dict(info[0])["version"] == client.get("/model").json()["version"]
    assert samples[("mnist_model_test_accuracy", ())] >= 0.99
    assert samples[("process_resident_memory_bytes", ())] > 0
    assert ("mnist_http_requests_in_flight", ()) in samples
