"""Requests of many digits (up to MAX_REQUEST_DIGITS, 1,024 by default) on every API: split into
micro-batches of MAX_BATCH_SIZE that share the batcher, answered in request order; one more is 413."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.inference.predictor import Scores
from app.inference.runtimes import model_input
from tests.support.images import encode_image
from training.sources import Mnist, MnistSplit

pytestmark = pytest.mark.mnist
SIZES = [100, 1000]


def expected_probabilities(client: TestClient, images: np.ndarray) -> np.ndarray:
    """What the runtime answers for the digits, in batches of 64, without HTTP or the batcher."""
    runtime = client.app.state.predictor.model.runtime  # type: ignore[attr-defined]
    digits = images.astype(np.float32) / 255
    outputs = np.concatenate([runtime.predict(model_input(digits[i : i + 64])) for i in range(0, len(digits), 64)])
    probabilities: np.ndarray = Scores.of(outputs).probabilities
    return probabilities


def check(client: TestClient, mnist: Mnist, count: int, probabilities: Any) -> None:
    got = np.asarray(probabilities, dtype=np.float32)
    expected = expected_probabilities(client, mnist.test.images[:count])
    assert got.shape == (count, 10)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert (got.argmax(axis=1) == mnist.test.labels[:count]).mean() >= 0.98


@pytest.mark.parametrize("count", SIZES)
def test_native_batch_of_json_digits(client: TestClient, mnist: Mnist, count: int) -> None:
    instances = mnist.test.images[:count].tolist()
    response = client.post("/predict/batch", json={"instances": instances})
    assert response.status_code == 200, response.text
    check(client, mnist, count, [p["probabilities"] for p in response.json()["predictions"]])


@pytest.mark.slow
@pytest.mark.parametrize("count", SIZES)
def test_native_batch_of_uploaded_images(client: TestClient, test_digits: MnistSplit, count: int) -> None:
    """``count`` uploads (the 20 test digits over and over, dark ink on light paper), answered in order."""
    scans = [encode_image(255 - image) for image in test_digits.images]
    picks = [i % len(scans) for i in range(count)]
    files = [("file", (f"{n}.png", scans[i], "image/png")) for n, i in enumerate(picks)]
    response = client.post("/predict/batch", files=files)
    assert response.status_code == 200, response.text
    digits = [p["digit"] for p in response.json()["predictions"]]
    assert digits == test_digits.labels[picks].tolist()


@pytest.mark.parametrize("count", SIZES)
@pytest.mark.parametrize("columnar", [False, True], ids=["rows", "columns"])
def test_tf_serving_predict(client: TestClient, mnist: Mnist, count: int, columnar: bool) -> None:
    pixels = mnist.test.images[:count].tolist()
    response = client.post("/v1/models/mnist:predict", json={"inputs": pixels} if columnar else {"instances": pixels})
    assert response.status_code == 200, response.text
    body = response.json()
    probabilities = body["outputs"]["probabilities"] if columnar else [p["probabilities"] for p in body["predictions"]]
    check(client, mnist, count, probabilities)


@pytest.mark.parametrize("count", SIZES)
@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
def test_open_inference_infer(client: TestClient, mnist: Mnist, count: int, binary: bool) -> None:
    images = mnist.test.images[:count]
    tensor: dict[str, Any] = {"name": "pixels", "shape": [count, 28, 28, 1], "datatype": "UINT8"}
    if binary:
        header = {
            "inputs": [{**tensor, "parameters": {"binary_data_size": images.size}}],
            "outputs": [{"name": "probabilities", "parameters": {"binary_data": False}}],
        }
        head = json.dumps(header).encode()
        response = client.post(
            "/v2/models/mnist/infer",
            content=head + images.tobytes(),
            headers={"Inference-Header-Content-Length": str(len(head)), "content-type": "application/octet-stream"},
        )
    else:
        response = client.post("/v2/models/mnist/infer", json={"inputs": [{**tensor, "data": images.tolist()}]})
    assert response.status_code == 200, response.text
    (output,) = [o for o in response.json()["outputs"] if o["name"] == "probabilities"]
    assert output["shape"] == [count, 10]
    check(client, mnist, count, np.asarray(output["data"]).reshape(count, 10))


def test_one_digit_over_the_limit_is_413_on_every_api(client: TestClient) -> None:
    over = client.app.state.settings.max_request_digits + 1  # type: ignore[attr-defined]
    zeros = np.zeros((over, 784), np.uint8).tolist()
    v2 = {"inputs": [{"name": "pixels", "shape": [over, 784], "datatype": "UINT8", "data": zeros}]}
    for path, body in [
        ("/predict/batch", {"instances": zeros}),
        ("/v1/models/mnist:predict", {"instances": zeros}),
        ("/v1/models/mnist:predict", {"inputs": zeros}),
        ("/v2/models/mnist/infer", v2),
    ]:
        response = client.post(path, json=body)
        assert response.status_code == 413, (path, response.text)
        assert response.json()["code"] == "batch_too_large"
        assert response.json()["error"] == f"batch of {over} digits; the limit is {over - 1}"


def test_too_many_uploaded_files_is_413(strict_client: TestClient) -> None:
    png = encode_image(np.zeros((28, 28), np.uint8))
    response = strict_client.post("/predict/batch", files=[("file", (f"{i}.png", png, "image/png")) for i in range(9)])
    assert response.status_code == 413
    assert response.json()["code"] == "batch_too_large"


def test_digits_beyond_one_micro_batch_come_back_in_request_order(strict_client: TestClient, mnist: Mnist) -> None:
    """4 digits through micro-batches of 2 (the strict client's settings)."""
    images = mnist.test.images[:4]
    response = strict_client.post("/predict/batch", json={"instances": images.tolist()})
    assert [p["digit"] for p in response.json()["predictions"]] == mnist.test.labels[:4].tolist()


def test_model_reports_the_request_limits(client: TestClient) -> None:
    settings = client.app.state.settings  # type: ignore[attr-defined]
    assert client.get("/model").json()["limits"] == {
        "max_request_digits": settings.max_request_digits,
        "max_body_bytes": settings.max_body_bytes,
        "max_image_pixels": settings.max_image_pixels,
    }
    assert settings.max_request_digits == 1024


def test_the_default_body_limit_holds_the_largest_json_request(client: TestClient) -> None:
    """1,024 digits as JSON integers at their longest (every value 255) fit within MAX_BODY_BYTES."""
    settings = client.app.state.settings  # type: ignore[attr-defined]
    body = json.dumps({"instances": np.full((settings.max_request_digits, 784), 255).tolist()}).encode()
    assert len(body) <= settings.max_body_bytes
