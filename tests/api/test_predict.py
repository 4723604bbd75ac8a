"""/predict and /predict/batch over HTTP with the shipped model and real MNIST test digits."""

from __future__ import annotations

import base64
import io

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.config import Settings
from app.main import create_app
from tests.support.images import encode_image
from tests.support.paths import SHIPPED_MODEL
from training.sources import MnistSplit

pytestmark = pytest.mark.mnist


def assert_prediction(body: dict[str, object], digit: int, version: str) -> None:
    assert body["digit"] == digit
    probabilities = body["probabilities"]
    assert isinstance(probabilities, list)
    assert len(probabilities) == 10
    assert sum(probabilities) == pytest.approx(1.0, abs=1e-4)
    # P(right) = P(a digit at all) x P(this digit): at most the digit's own probability. Whether real
    # digits are flagged is a rate, asserted on larger samples in test_realistic_uploads.
    confidence = body["confidence"]
    assert isinstance(confidence, float)
    assert 0.0 < confidence <= max(probabilities)
    assert isinstance(body["is_digit"], bool)
    assert body["model_version"] == version


@pytest.fixture(scope="module")
def version(client: TestClient) -> str:
    return str(client.get("/model").json()["version"])


def test_predict_json_flat_784_values(client: TestClient, test_digits: MnistSplit, version: str) -> None:
    for image, label in zip(test_digits.images, test_digits.labels, strict=True):
        response = client.post("/predict", json={"pixels": image.reshape(-1).tolist()})
        assert response.status_code == 200
        assert_prediction(response.json(), int(label), version)


def test_predict_json_nested_28x28_in_unit_range(client: TestClient, test_digits: MnistSplit, version: str) -> None:
    for image, label in zip(test_digits.images, test_digits.labels, strict=True):
        response = client.post("/predict", json={"pixels": (image / 255.0).tolist()})
        assert_prediction(response.json(), int(label), version)


@pytest.mark.parametrize(
    ("fmt", "mode"),
    [
        ("PNG", None),
        ("JPEG", None),
        ("BMP", None),
        ("GIF", None),
        ("TIFF", None),
        ("WEBP", None),
        ("PNG", "RGBA"),
    ],
)
def test_predict_multipart_upload_of_each_format(
    client: TestClient, test_digits: MnistSplit, version: str, fmt: str, mode: str | None
) -> None:
    for image, label in zip(test_digits.images, test_digits.labels, strict=True):
        data = encode_image(image, fmt, mode=mode, **({"quality": 95} if fmt == "JPEG" else {}))
        response = client.post("/predict", files={"file": (f"digit.{fmt.lower()}", data, "application/octet-stream")})
        assert response.status_code == 200, response.text
        assert_prediction(response.json(), int(label), version)


@pytest.mark.parametrize(("fmt", "mode"), [("GIF", "P"), ("BMP", "P"), ("TIFF", "1"), ("TIFF", "I;16")])
def test_predict_large_palette_bilevel_and_16_bit_scans(
    client: TestClient, test_digits: MnistSplit, version: str, fmt: str, mode: str
) -> None:
    """Over 600 px these were a 500 (Pillow cannot reduce them) or, at 16 bits, a blank page."""
    for image, label in zip(test_digits.images[:3], test_digits.labels[:3], strict=True):
        paper = np.asarray(255 - image, dtype=np.uint8).repeat(25, axis=0).repeat(25, axis=1)  # 700x700
        if mode == "I;16":
            buffer = io.BytesIO()
            Image.fromarray(paper.astype(np.uint16) * 257).save(buffer, format=fmt)
            data = buffer.getvalue()
        else:
            data = encode_image(paper, fmt, mode=mode)
        response = client.post("/predict", content=data, headers={"content-type": f"image/{fmt.lower()}"})
        assert response.status_code == 200, response.text
        assert_prediction(response.json(), int(label), version)


def test_predict_raw_image_body_dark_ink_on_paper(client: TestClient, test_digits: MnistSplit, version: str) -> None:
    for image, label in zip(test_digits.images, test_digits.labels, strict=True):
        paper = np.asarray(255 - image, dtype=np.uint8).repeat(8, axis=0).repeat(8, axis=1)  # 224x224 scan
        response = client.post("/predict", content=encode_image(paper), headers={"content-type": "image/png"})
        assert_prediction(response.json(), int(label), version)


def test_predict_batch_json_keeps_request_order(client: TestClient, test_digits: MnistSplit) -> None:
    instances = [image.tolist() for image in test_digits.images] + [
        {"pixels": test_digits.images[0].reshape(-1).tolist()}
    ]
    response = client.post("/predict/batch", json={"instances": instances})
    assert response.status_code == 200
    digits = [p["digit"] for p in response.json()["predictions"]]
    assert digits == [*test_digits.labels.tolist(), int(test_digits.labels[0])]


def test_predict_batch_multipart_files(client: TestClient, test_digits: MnistSplit) -> None:
    files = [("file", (f"{i}.png", encode_image(image), "image/png")) for i, image in enumerate(test_digits.images[:8])]
    response = client.post("/predict/batch", files=files)
    assert response.status_code == 200
    assert [p["digit"] for p in response.json()["predictions"]] == test_digits.labels[:8].tolist()


def test_batch_and_single_predictions_agree(client: TestClient, test_digits: MnistSplit) -> None:
    batch = client.post("/predict/batch", json={"instances": [i.tolist() for i in test_digits.images[:4]]}).json()
    for image, predicted in zip(test_digits.images[:4], batch["predictions"], strict=True):
        single = client.post("/predict", json={"pixels": image.tolist()}).json()
        np.testing.assert_allclose(single["probabilities"], predicted["probabilities"], atol=1e-5)


def test_openapi_documents_every_request_form(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    predict_forms = spec["paths"]["/predict"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data", "image/png", "image/*"} <= set(predict_forms)
    assert len(np.ravel(predict_forms["application/json"]["example"]["pixels"])) == 784
    batch_forms = spec["paths"]["/predict/batch"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(batch_forms)
    assert client.get("/docs").status_code == 200


def test_openapi_json_example_predicts_seven(client: TestClient) -> None:
    example = client.get("/openapi.json").json()["paths"]["/predict"]["post"]["requestBody"]["content"]
    response = client.post("/predict", json=example["application/json"]["example"])
    assert response.json()["digit"] == 7


@pytest.mark.parametrize(("inline_max_us", "inline"), [(0.0, False), (1e9, True)])
def test_predict_runs_lone_digits_inline_only_below_inline_max_us(
    test_digits: MnistSplit, inline_max_us: float, inline: bool
) -> None:
    settings = Settings(model_path=SHIPPED_MODEL, inline_max_us=inline_max_us)
    with TestClient(create_app(settings)) as client:
        predictor = client.app.state.predictor  # type: ignore[attr-defined]
        assert predictor.inline_lone is inline
        assert predictor.single_digit_seconds > 0
        for image, label in zip(test_digits.images[:5], test_digits.labels[:5], strict=True):
            response = client.post("/predict", json={"pixels": image.tolist()})
            assert response.json()["digit"] == label


def test_answers_say_whether_the_image_is_a_digit(client: TestClient, test_digits: MnistSplit) -> None:
    response = client.post("/predict", json={"pixels": test_digits.images[0].tolist()})
    answer = response.json()
    assert answer["is_digit"] is True
    assert "reason" not in answer
    assert 0.0 < answer["confidence"] <= max(answer["probabilities"])


def test_explain_returns_the_input_the_model_saw(client: TestClient, test_digits: MnistSplit) -> None:
    upload = {"file": ("digit.png", encode_image(255 - test_digits.images[0]), "image/png")}
    plain = client.post("/predict", files=upload).json()
    assert "input_png" not in plain
    explained = client.post("/predict?explain=true", files=upload).json()
    seen = np.asarray(Image.open(io.BytesIO(base64.b64decode(explained["input_png"]))))
    assert seen.shape == (28, 28)
    assert seen[0, 0] == 0  # white digit on black, as MNIST
    assert seen.max() == 255
    assert explained["digit"] == plain["digit"] == test_digits.labels[0]


def test_a_bar_with_a_dot_under_it_is_not_a_digit(client: TestClient) -> None:
    """A "!" is not a 1: its point, apart under the bar, says so (``Marks.dotted``)."""
    page = np.full((200, 160), 255, np.uint8)
    cv2.line(page, (80, 30), (76, 130), 0, 9)
    one = client.post("/predict", files={"file": ("one.png", encode_image(page), "image/png")}).json()
    assert (one["digit"], one["is_digit"]) == (1, True)
    cv2.circle(page, (76, 154), 7, 0, -1)
    bang = client.post("/predict", files={"file": ("bang.png", encode_image(page), "image/png")}).json()
    assert (bang["is_digit"], bang["reason"]) == (False, "not_a_digit")
    assert bang["confidence"] < 0.1
    batch = client.post("/predict/batch", files=[("files", ("bang.png", encode_image(page), "image/png"))]).json()
    assert batch["predictions"][0]["is_digit"] is False


def test_several_digits_in_one_image_point_to_the_number_reader(client: TestClient, test_digits: MnistSplit) -> None:
    paper = np.full((120, 300), 255, np.uint8)
    for slot, image in enumerate(test_digits.images[:3]):
        paper[10:110, 10 + slot * 100 : 90 + slot * 100] = 255 - np.asarray(
            Image.fromarray(image).resize((80, 100), Image.Resampling.BICUBIC)
        )
    answer = client.post("/predict", files={"file": ("number.png", encode_image(paper), "image/png")}).json()
    assert answer["is_digit"] is False
    assert answer["reason"] == "several_digits"
    assert "/predict/number" in answer["message"]
