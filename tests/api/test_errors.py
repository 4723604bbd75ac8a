"""Every bad request gets a 4xx JSON error that names the problem, and the service stays up."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.support.images import encode_image, png_header_only

DIGIT = np.zeros((28, 28), dtype=np.uint8)
DIGIT[6:22, 12:16] = 255  # a "1"
PNG = encode_image(DIGIT)


def post(client: TestClient, path: str, body: bytes, content_type: str) -> tuple[int, dict[str, Any]]:
    response = client.post(path, content=body, headers={"content-type": content_type})
    assert response.headers["content-type"] == "application/json"
    return response.status_code, response.json()


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code", "words"),
    [
        (b"", "application/json", 400, "empty_body", "empty"),
        (b"{not json", "application/json", 400, "malformed_json", "malformed JSON"),
        (b'{"pixels": [NaN]}', "application/json", 400, "malformed_json", "NaN"),
        (b'{"pixels": [1, 2, 3]}', "application/json", 422, "invalid_pixels", "784"),
        (b'{"pixels": "abc"}', "application/json", 422, "invalid_pixels", "expected an array"),
        (b'{"pixles": []}', "application/json", 422, "invalid_request", '"pixles"'),
        (b"[1, 2]", "application/json", 400, "malformed_json", "JSON object"),
        (b"", "image/png", 400, "empty_body", "empty"),
        (b"GIF89a garbage", "image/gif", 400, "invalid_image", "not a recognisable image"),
        (PNG[: len(PNG) // 2], "image/png", 400, "invalid_image", "truncated"),
        (b"%PDF-1.4 ...", "application/pdf", 415, "unsupported_media_type", "application/pdf"),
        (b"%PDF-1.4 ...", "image/png", 415, "unsupported_media_type", "PDF"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml", 415, "unsupported_media_type", "SVG"),
        (b"hello", "text/plain", 415, "unsupported_media_type", "text/plain"),
        (png_header_only(50_000, 50_000), "image/png", 413, "image_too_large", "too large"),
        (encode_image(np.full((64, 64), 255, np.uint8)), "image/png", 422, "no_digit_found", "no digit"),
    ],
)
def test_predict_rejects_bad_input(
    client: TestClient, body: bytes, content_type: str, status: int, code: str, words: str
) -> None:
    got_status, error = post(client, "/predict", body, content_type)
    assert (got_status, error["code"]) == (status, code)
    assert words in error["error"]


def test_predict_rejects_multipart_without_file_field(client: TestClient) -> None:
    response = client.post("/predict", files={"image": ("a.png", PNG, "image/png")})
    assert response.status_code == 422
    assert '"file" field' in response.json()["error"]
    assert '"image"' in response.json()["error"]


def test_predict_rejects_multipart_with_only_text_fields(client: TestClient) -> None:
    response = client.post("/predict", files={"file": (None, "not a file")})  # a text part, no filename
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"


def test_predict_rejects_wrong_length(client: TestClient) -> None:
    response = client.post("/predict", json={"pixels": [0] * 783})
    assert response.status_code == 422
    assert "783" in response.json()["error"]


def test_predict_rejects_out_of_range_values(client: TestClient) -> None:
    response = client.post("/predict", json={"pixels": [0] * 783 + [300]})
    assert response.status_code == 422
    assert "0-255" in response.json()["error"]


def test_body_over_the_limit_is_refused_from_its_content_length(strict_client: TestClient) -> None:
    status, error = post(strict_client, "/predict", b"x" * 70_000, "image/png")
    assert (status, error["code"]) == (413, "payload_too_large")
    assert "70,000" in error["error"]


def test_body_over_the_limit_is_refused_without_a_content_length(strict_client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b"x" * 1024

    response = strict_client.post("/predict", content=chunks(), headers={"content-type": "image/png"})
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_image_over_the_pixel_limit_is_refused(strict_client: TestClient) -> None:
    big = encode_image(np.zeros((1200, 1000), np.uint8))  # 1.2 MP against a 1 MP limit, a few KB of PNG
    status, error = post(strict_client, "/predict", big, "image/png")
    assert (status, error["code"]) == (413, "image_too_large")


def test_batch_over_the_limit_is_refused(strict_client: TestClient) -> None:
    response = strict_client.post("/predict/batch", json={"instances": [DIGIT.tolist()] * 5})
    assert response.status_code == 413
    body = response.json()
    assert (body["error"], body["code"]) == ("batch of 5 digits; the limit is 4", "batch_too_large")
    assert body["request_id"] == response.headers["X-Request-ID"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/predict/batch", {"instances": [[0] * 784] * 5}),
        ("/v1/models/mnist:predict", {"instances": [[0] * 784] * 5}),
        ("/v1/models/mnist:predict", {"inputs": [[0] * 784] * 5}),
        (
            "/v2/models/mnist/infer",
            {"inputs": [{"name": "pixels", "shape": [5, 784], "datatype": "UINT8", "data": [0] * 3920}]},
        ),
    ],
    ids=["native", "v1-rows", "v1-columns", "v2"],
)
def test_a_batch_over_the_limit_is_the_same_error_on_every_api(
    strict_client: TestClient, path: str, body: dict[str, Any]
) -> None:
    response = strict_client.post(path, json=body)
    assert response.status_code == 413
    assert (response.json()["error"], response.json()["code"]) == (
        "batch of 5 digits; the limit is 4",
        "batch_too_large",
    )


def test_batch_of_too_many_files_is_refused(strict_client: TestClient) -> None:
    files = [("file", (f"{i}.png", PNG, "image/png")) for i in range(6)]
    response = strict_client.post("/predict/batch", files=files)
    assert response.status_code in (400, 413)
    assert "error" in response.json()


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b'{"instances": []}', 422, "empty"),
        (b'{"instances": 5}', 422, "array"),
        (b'{"instances": [[1, 2]]}', 422, "instances[0]"),
        (b'{"pixels": []}', 422, '"instances"'),
    ],
)
def test_batch_rejects_bad_instances(client: TestClient, body: bytes, status: int, words: str) -> None:
    got_status, error = post(client, "/predict/batch", body, "application/json")
    assert got_status == status
    assert words in error["error"]


def test_batch_rejects_raw_image_body(client: TestClient) -> None:
    assert post(client, "/predict/batch", PNG, "image/png")[0] == 415


def test_unknown_route_and_method_are_json(client: TestClient) -> None:
    missing = client.get("/nowhere").json()
    assert (missing["error"], missing["code"]) == ("Not Found", "not_found")
    response = client.get("/predict")
    assert response.status_code == 405
    assert response.json()["code"] == "http_405"


def test_multi_page_tiff_uses_the_first_page(client: TestClient) -> None:
    pages = [Image.fromarray(255 - DIGIT), Image.fromarray(np.full((28, 28), 255, np.uint8))]
    buffer = io.BytesIO()
    pages[0].save(buffer, "TIFF", save_all=True, append_images=pages[1:])
    status, body = post(client, "/predict", buffer.getvalue(), "image/tiff")
    assert status == 200
    assert body["digit"] == 1


def test_service_still_answers_after_the_bad_requests(client: TestClient) -> None:
    assert client.get("/health").status_code == 200
    assert client.post("/predict", json={"pixels": DIGIT.tolist()}).json()["digit"] == 1
