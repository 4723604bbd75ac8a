"""Realistic uploads (photos, scans, canvas exports, small or rotated digits) made from MNIST test
digits are read correctly over HTTP at least 97% of the time; the naive resize gets under half."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from training.sources import Mnist
from training.synthesis.uploads import UPLOAD_KINDS

pytestmark = pytest.mark.mnist
PER_KIND = 40


def test_realistic_uploads_are_read_correctly(client: TestClient, mnist: Mnist) -> None:
    rng = np.random.default_rng(2026)
    accuracy: dict[str, float] = {}
    for kind, make in UPLOAD_KINDS.items():
        picks = rng.choice(len(mnist.test), size=PER_KIND, replace=False)
        correct = 0
        for index in picks:
            response = client.post(
                "/predict",
                files={"file": ("upload", make(mnist.test.images[index], rng), "application/octet-stream")},
            )
            assert response.status_code == 200, (kind, response.text)
            correct += response.json()["digit"] == int(mnist.test.labels[index])
        accuracy[kind] = correct / PER_KIND
    overall = sum(accuracy.values()) / len(accuracy)
    assert overall >= 0.97, accuracy
    assert min(accuracy.values()) >= 0.9, accuracy
