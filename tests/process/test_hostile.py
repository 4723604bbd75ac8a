"""A battery of hostile and malformed requests at every API (native, v2, v1) against a real server
process: each gets a 4xx JSON error naming the problem, and the process's memory does not grow."""

from __future__ import annotations

import io
import subprocess
import time
from collections.abc import Iterator

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.support.images import encode_image, png_header_only
from tests.support.server import memory_mib, server_process

pytestmark = pytest.mark.slow
MAX_GROWTH_MIB = 50
DIGIT = np.zeros((28, 28), dtype=np.uint8)
DIGIT[5:23, 12:16] = 255


def frames(fmt: str) -> bytes:
    pages = [Image.fromarray(255 - DIGIT), Image.fromarray(np.full((28, 28), 128, np.uint8))]
    buffer = io.BytesIO()
    pages[0].save(buffer, fmt, save_all=True, append_images=pages[1:])
    return buffer.getvalue()


def truncated(fmt: str) -> bytes:
    data = encode_image(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8), fmt)
    return data[: len(data) // 2]


def sliver(height: int, width: int, mode: str = "L") -> bytes:
    """A PNG far longer than wide, with dark stripes across it: 862 bytes crashed the decoder with a 500."""
    pixels = np.full((height, width), 255, np.uint8)
    pixels[::50] = pixels[:, ::50] = 0
    if mode == "LA":  # the stripes drawn on a transparent layer (too thin to stay opaque when it is reduced)
        pixels = np.dstack([pixels, 255 - pixels])
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode).save(buffer, "PNG")
    return buffer.getvalue()


JSON = "application/json"
# (name, method, path, body, content type, expected status, words the error must contain)
BATTERY: list[tuple[str, str, str, bytes, str, int, str]] = [
    *[
        (f"truncated {fmt}", "POST", "/predict", truncated(fmt), "image/*", 400, "image")
        for fmt in ("PNG", "JPEG", "GIF", "WEBP", "TIFF", "BMP")
    ],
    ("png bomb 50000x50000", "POST", "/predict", png_header_only(50_000, 50_000), "image/png", 413, "too large"),
    ("svg", "POST", "/predict", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml", 415, "SVG"),
    ("pdf", "POST", "/predict", b"%PDF-1.7\n%\xe2\xe3\n1 0 obj\n", "application/pdf", 415, "application/pdf"),
    ("pdf as image", "POST", "/predict", b"%PDF-1.7\n%\xe2\xe3\n1 0 obj\n", "image/png", 415, "PDF"),
    ("zero bytes", "POST", "/predict", b"", "image/png", 400, "empty"),
    ("one pixel", "POST", "/predict", encode_image(np.full((1, 1), 255, np.uint8)), "image/png", 422, "no digit"),
    ("sliver 2x200000", "POST", "/predict", sliver(2, 200_000), "image/png", 422, "no digit"),
    ("sliver 200000x3 on a layer", "POST", "/predict", sliver(200_000, 3, "LA"), "image/png", 422, "transparent"),
    ("number: sliver 1x300000", "POST", "/predict/number", sliver(1, 300_000), "image/png", 422, "no digit"),
    ("nan", "POST", "/predict", b'{"pixels": [NaN]}', JSON, 400, "NaN"),
    ("infinity", "POST", "/predict", b'{"pixels": [Infinity, 1]}', JSON, 400, "Infinity"),
    ("deep nesting", "POST", "/predict", b'{"pixels": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", JSON, 400, "JSON"),
    ("strings", "POST", "/predict", b'{"pixels": [' + b'"1",' * 783 + b'"1"]}', JSON, 422, "number"),
    ("wrong length", "POST", "/predict", b'{"pixels": [1, 2, 3]}', JSON, 422, "784"),
    *[
        (f"number: truncated {fmt}", "POST", "/predict/number", truncated(fmt), "image/*", 400, "image")
        for fmt in ("PNG", "JPEG", "TIFF")
    ],
    ("number: png bomb", "POST", "/predict/number", png_header_only(50_000, 50_000), "image/png", 413, "too large"),
    ("number: svg", "POST", "/predict/number", b"<svg/>", "image/svg+xml", 415, "SVG"),
    ("number: zero bytes", "POST", "/predict/number", b"", "image/png", 400, "empty"),
    ("number: json", "POST", "/predict/number", b'{"pixels": [NaN]}', JSON, 415, "image"),
    ("wrong content type", "POST", "/predict", b"pixels=1", "application/x-www-form-urlencoded", 415, "content type"),
    (
        "multipart without a file",
        "POST",
        "/predict",
        b'--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--b--\r\n',
        "multipart/form-data; boundary=b",
        422,
        '"file"',
    ),
    (
        "batch over the limit",
        "POST",
        "/predict/batch",
        b'{"instances": [' + b",".join([b"[" + b"0," * 783 + b"0]"] * 1025) + b"]}",
        JSON,
        413,
        "limit",
    ),
    ("v2 unknown model", "POST", "/v2/models/resnet/infer", b'{"inputs": []}', JSON, 404, "not found"),
    ("v2 unknown version", "GET", "/v2/models/mnist/versions/0", b"", JSON, 404, "not found"),
    (
        "v2 nan",
        "POST",
        "/v2/models/mnist/infer",
        b'{"inputs": [{"name": "pixels", "shape": [1, 1], "datatype": "FP32", "data": [NaN]}]}',
        JSON,
        400,
        "NaN",
    ),
    (
        "v2 strings",
        "POST",
        "/v2/models/mnist/infer",
        b'{"inputs": [{"name": "pixels", "shape": [1, 2], "datatype": "FP32", "data": ["a", "b"]}]}',
        JSON,
        400,
        "number",
    ),
    (
        "v2 without inputs",
        "POST",
        "/v2/models/mnist/infer",
        b"{}",
        JSON,
        400,
        '"inputs"',
    ),
    ("v1 unknown model", "POST", "/v1/models/resnet:predict", b'{"instances": []}', JSON, 404, "not found"),
    ("v1 unknown version", "GET", "/v1/models/mnist/versions/0", b"", JSON, 404, "not found"),
    ("v1 strings", "POST", "/v1/models/mnist:predict", b'{"instances": [["a"]]}', JSON, 400, "number"),
    (
        "v1 batch over the limit",
        "POST",
        "/v1/models/mnist:predict",
        b'{"instances": [' + b",".join([b"[" + b"0," * 783 + b"0]"] * 1025) + b"]}",
        JSON,
        413,
        "limit",
    ),
]
ANIMATED = [("animated gif", frames("GIF")), ("multi-page tiff", frames("TIFF"))]
TEN_MILLION_NUMBERS = b'{"pixels": [' + b"0," * 9_999_999 + b"0]}"


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    with server_process() as running:
        yield running


def run_battery(client: httpx.Client) -> list[str]:
    problems = []
    for name, method, path, body, content_type, status, words in BATTERY:
        response = client.request(method, path, content=body, headers={"content-type": content_type})
        error = response.json().get("error", "") if response.headers.get("content-type") == JSON else ""
        if response.status_code != status or words not in error:
            problems.append(f"{name}: {response.status_code} {response.text[:200]}")
    for name, data in ANIMATED:  # the first frame or page is the digit
        response = client.post("/predict", content=data, headers={"content-type": "image/*"})
        if response.status_code != 200 or response.json()["digit"] != 1:
            problems.append(f"{name}: {response.status_code} {response.text[:200]}")
    for streamed in (False, True):  # 20 MB of numbers, with and without a Content-Length
        payload: bytes | Iterator[bytes] = iter([TEN_MILLION_NUMBERS]) if streamed else TEN_MILLION_NUMBERS
        response = client.post("/predict", content=payload, headers={"content-type": JSON})
        if response.status_code != 413 or response.json()["code"] != "payload_too_large":
            problems.append(f"10 million numbers (streamed={streamed}): {response.status_code}")
    return problems


def test_hostile_requests_get_4xx_json_errors_and_memory_stays_flat(
    server: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, url = server
    with httpx.Client(base_url=url, timeout=30) as client:
        assert run_battery(client) == []  # also warms every code path up
        before = memory_mib(process.pid, "VmRSS")
        started = time.monotonic()
        for _ in range(3):
            assert run_battery(client) == []
        elapsed = time.monotonic() - started
        after = memory_mib(process.pid, "VmRSS")
        assert client.get("/health/ready").status_code == 200
    print(f"\nRSS {before:.0f} -> {after:.0f} MiB over 3 batteries of {len(BATTERY) + 4} requests in {elapsed:.1f} s")
    assert after - before <= MAX_GROWTH_MIB
