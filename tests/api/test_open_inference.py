"""The Open Inference Protocol (v2) with a real client, tritonclient's HTTP client, against the live
service: health, metadata, and inference on real MNIST digits with binary and JSON tensor data."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import tritonclient.http as triton
from fastapi.testclient import TestClient
from tritonclient.utils import InferenceServerException

from tests.support.server import LiveServer
from training.sources import MnistSplit

pytestmark = pytest.mark.mnist


@pytest.fixture(scope="module")
def triton_client(live_server: LiveServer) -> Iterator[triton.InferenceServerClient]:
    client = triton.InferenceServerClient(url=f"127.0.0.1:{live_server.port}")
    yield client
    client.close()


def infer(
    client: triton.InferenceServerClient, images: np.ndarray, binary: bool, datatype: str = "FP32", **kwargs: object
) -> triton.InferResult:
    tensor = images.astype(np.float32) if datatype == "FP32" else images.astype(np.uint8)
    pixels = triton.InferInput("pixels", list(tensor.shape), datatype)
    pixels.set_data_from_numpy(tensor, binary_data=binary)
    outputs = [triton.InferRequestedOutput(name, binary_data=binary) for name in ("probabilities", "digit")]
    return client.infer("mnist", [pixels], outputs=outputs, **kwargs)


def test_server_and_model_health(triton_client: triton.InferenceServerClient) -> None:
    assert triton_client.is_server_live()
    assert triton_client.is_server_ready()
    assert triton_client.is_model_ready("mnist")
    assert not triton_client.is_model_ready("mnist", model_version="999")
    assert "binary_tensor_data" in triton_client.get_server_metadata()["extensions"]


def test_model_metadata_describes_inputs_and_outputs(triton_client: triton.InferenceServerClient) -> None:
    metadata = triton_client.get_model_metadata("mnist")
    assert metadata["inputs"] == [{"name": "pixels", "datatype": "FP32", "shape": [-1, 28, 28, 1]}]
    assert {output["name"]: output["shape"] for output in metadata["outputs"]} == {
        "probabilities": [-1, 10],
        "digit": [-1],
        "is_digit": [-1],
    }
    version = metadata["versions"][0]
    assert triton_client.get_model_metadata("mnist", model_version=version)["name"] == "mnist"


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "json"])
@pytest.mark.parametrize("shape", [(28, 28, 1), (784,), (28, 28)])
def test_batch_inference_on_real_digits(
    triton_client: triton.InferenceServerClient, test_digits: MnistSplit, binary: bool, shape: tuple[int, ...]
) -> None:
    images = test_digits.images.reshape(-1, *shape)
    result = infer(triton_client, images, binary, request_id="req-42")
    assert result.as_numpy("digit").tolist() == test_digits.labels.tolist()
    probabilities = result.as_numpy("probabilities")
    assert probabilities.shape == (20, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert result.get_response()["id"] == "req-42"


def test_uint8_and_unit_range_fp32_give_the_same_answers(
    triton_client: triton.InferenceServerClient, test_digits: MnistSplit
) -> None:
    as_uint8 = infer(triton_client, test_digits.images[..., None], True, datatype="UINT8").as_numpy("probabilities")
    as_unit = infer(triton_client, test_digits.images[..., None] / 255.0, True).as_numpy("probabilities")
    np.testing.assert_allclose(as_uint8, as_unit, atol=1e-6)


def test_v2_agrees_with_native_predict(
    triton_client: triton.InferenceServerClient, client: TestClient, test_digits: MnistSplit
) -> None:
    v2 = infer(triton_client, test_digits.images[:5, ..., None], True).as_numpy("probabilities")
    for image, probabilities in zip(test_digits.images[:5], v2, strict=True):
        native = client.post("/predict", json={"pixels": image.tolist()}).json()["probabilities"]
        np.testing.assert_allclose(native, probabilities, atol=1e-5)


def test_output_subset_and_classification_extension(
    triton_client: triton.InferenceServerClient, test_digits: MnistSplit
) -> None:
    pixels = triton.InferInput("pixels", [3, 784], "FP32")
    pixels.set_data_from_numpy(test_digits.images[:3].reshape(3, 784).astype(np.float32))
    top = triton.InferRequestedOutput("probabilities", class_count=3)
    result = triton_client.infer("mnist", [pixels], outputs=[top])
    assert [output["name"] for output in result.get_response()["outputs"]] == ["probabilities"]
    classes = result.as_numpy("probabilities")
    assert classes.shape == (3, 3)
    best = [int(row[0].decode().split(":")[1]) for row in classes]
    assert best == test_digits.labels[:3].tolist()
    scores = [float(entry.decode().split(":")[0]) for entry in classes[0]]
    assert scores == sorted(scores, reverse=True)


def test_unknown_model_and_version_are_404(
    triton_client: triton.InferenceServerClient, test_digits: MnistSplit
) -> None:
    pixels = triton.InferInput("pixels", [1, 784], "FP32")
    pixels.set_data_from_numpy(test_digits.images[:1].reshape(1, 784).astype(np.float32))
    for kwargs in ({"model_name": "resnet"}, {"model_name": "mnist", "model_version": "999"}):
        with pytest.raises(InferenceServerException, match="not found") as raised:
            triton_client.infer(inputs=[pixels], **kwargs)
        assert raised.value.status() == "404"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"inputs": [{"name": "image", "shape": [1, 784], "datatype": "FP32", "data": [0] * 784}]}, "unknown input"),
        ({"inputs": [{"name": "pixels", "shape": [1, 784], "datatype": "BYTES", "data": [0] * 784}]}, "datatype"),
        ({"inputs": [{"name": "pixels", "shape": [1, 783], "datatype": "FP32", "data": [0] * 783}]}, "shape"),
        ({"inputs": [{"name": "pixels", "shape": [1, 784], "datatype": "FP32", "data": [0] * 10}]}, "data has 10"),
        ({"inputs": [{"name": "pixels", "shape": [1, 784], "datatype": "FP32", "data": ["a"] * 784}]}, "number"),
        ({"inputs": []}, "exactly one input"),
        (
            {
                "inputs": [{"name": "pixels", "shape": [1, 784], "datatype": "FP32", "data": [0] * 784}],
                "outputs": [{"name": "x"}],
            },
            "unknown output",
        ),
    ],
)
def test_infer_rejects_bad_requests_with_a_400_error(client: TestClient, body: dict[str, object], words: str) -> None:
    response = client.post("/v2/models/mnist/infer", json=body)
    assert response.status_code == 400
    assert words in response.json()["error"]


def test_binary_size_mismatch_is_rejected(client: TestClient) -> None:
    header = (
        b'{"inputs": [{"name": "pixels", "shape": [1, 784], "datatype": "FP32",'
        b' "parameters": {"binary_data_size": 3136}}]}'
    )
    response = client.post(
        "/v2/models/mnist/infer",
        content=header + bytes(100),
        headers={"Inference-Header-Content-Length": str(len(header)), "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 400
    assert "binary_data_size" in response.json()["error"]


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "json"])
def test_is_digit_output_says_real_digits_are_digits(
    triton_client: triton.InferenceServerClient, test_digits: MnistSplit, binary: bool
) -> None:
    pixels = triton.InferInput("pixels", [len(test_digits.images), 784], "FP32")
    pixels.set_data_from_numpy(test_digits.images.reshape(-1, 784).astype(np.float32) / 255.0, binary_data=binary)
    result = triton_client.infer(
        "mnist", [pixels], outputs=[triton.InferRequestedOutput("is_digit", binary_data=binary)]
    )
    flags = result.as_numpy("is_digit")
    assert flags.dtype == np.bool_
    assert flags.tolist() == [True] * len(test_digits.images)
