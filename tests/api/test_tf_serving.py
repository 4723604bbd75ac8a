"""The TensorFlow Serving REST API as its documentation describes it, with real MNIST digits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from training.sources import MnistSplit

pytestmark = pytest.mark.mnist


def test_model_status_is_available(client: TestClient) -> None:
    status = client.get("/v1/models/mnist").json()["model_version_status"]
    assert status[0]["state"] == "AVAILABLE"
    version = status[0]["version"]
    assert client.get(f"/v1/models/mnist/versions/{version}").status_code == 200


def test_metadata_describes_the_serving_signature(client: TestClient) -> None:
    signature = client.get("/v1/models/mnist/metadata").json()["metadata"]["signature_def"]["signature_def"]
    inputs = signature["serving_default"]["inputs"]
    assert [int(dim["size"]) for dim in inputs["pixels"]["tensor_shape"]["dim"]] == [-1, 28, 28, 1]
    assert set(signature["serving_default"]["outputs"]) == {"probabilities", "digit", "is_digit"}


@pytest.mark.parametrize(
    "instances",
    [
        lambda images: [image.tolist() for image in images],  # 28x28
        lambda images: [image.reshape(-1).tolist() for image in images],  # 784
        lambda images: [image[..., None].tolist() for image in images],  # 28x28x1
        lambda images: [{"pixels": (image / 255.0).tolist()} for image in images],  # named, 0-1
    ],
    ids=["28x28", "784", "28x28x1", "named-unit-range"],
)
def test_row_format_predicts_real_digits(
    client: TestClient, test_digits: MnistSplit, instances: Callable[[np.ndarray], list[Any]]
) -> None:
    response = client.post("/v1/models/mnist:predict", json={"instances": instances(test_digits.images)})
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    assert [p["digit"] for p in predictions] == test_digits.labels.tolist()
    assert [p["is_digit"] for p in predictions] == [True] * len(predictions)
    assert all(abs(sum(p["probabilities"]) - 1) < 1e-4 for p in predictions)


def test_columnar_format_predicts_real_digits(client: TestClient, test_digits: MnistSplit) -> None:
    version = client.get("/model").json()["version"]
    body = {"signature_name": "serving_default", "inputs": {"pixels": test_digits.images[..., None].tolist()}}
    response = client.post(f"/v1/models/mnist/versions/{version}:predict", json=body)
    outputs = response.json()["outputs"]
    assert outputs["digit"] == test_digits.labels.tolist()
    assert outputs["is_digit"] == [True] * len(outputs["digit"])
    assert np.asarray(outputs["probabilities"]).shape == (20, 10)


def test_v1_agrees_with_native_predict(client: TestClient, test_digits: MnistSplit) -> None:
    v1 = client.post("/v1/models/mnist:predict", json={"instances": test_digits.images[:3].tolist()}).json()
    for image, prediction in zip(test_digits.images[:3], v1["predictions"], strict=True):
        native = client.post("/predict", json={"pixels": image.tolist()}).json()
        np.testing.assert_allclose(native["probabilities"], prediction["probabilities"], atol=1e-6)


@pytest.mark.parametrize(
    ("path", "body", "status", "words"),
    [
        ("/v1/models/resnet:predict", {"instances": [[0] * 784]}, 404, "not found"),
        ("/v1/models/mnist/versions/1:predict", {"instances": [[0] * 784]}, 404, "not found"),
        ("/v1/models/mnist:predict", {"instances": [[0] * 783]}, 400, "shape"),
        ("/v1/models/mnist:predict", {"instances": [["x"] * 784]}, 400, "number"),
        ("/v1/models/mnist:predict", {"instances": []}, 400, "non-empty"),
        ("/v1/models/mnist:predict", {"instances": [[0] * 784], "inputs": [[0] * 784]}, 400, "exactly one"),
        ("/v1/models/mnist:predict", {"signature_name": "other", "instances": [[0] * 784]}, 400, "signature"),
        ("/v1/models/mnist:predict", {"inputs": {"image": [[0] * 784]}}, 400, '"pixels"'),
    ],
)
def test_predict_errors_use_tf_serving_status_codes(
    client: TestClient, path: str, body: dict[str, object], status: int, words: str
) -> None:
    response = client.post(path, json=body)
    assert response.status_code == status
    assert words in response.json()["error"]


def test_unknown_model_status_is_404(client: TestClient) -> None:
    assert client.get("/v1/models/resnet").status_code == 404
    assert client.get("/v1/models/mnist/versions/1/metadata").status_code == 404
