"""The throughput benchmark's arithmetic: medians over rounds, ratios taken within a round."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from bench.runs import Run
from bench.throughput import IDLE_CHECK_S, summarize, wait_until_idle


def run(server: str, concurrency: int, round_: int, rps: float, p50: float, payload: str = "json") -> Run:
    return Run(server, payload, concurrency, round_, rps, p50, p50 * 2, 0, 300.0, 100.0)


def test_ratios_are_taken_round_by_round_then_their_median() -> None:
    # The machine is twice as fast in round 2; the service keeps 0.8x of the ceiling in every round.
    runs = [
        run("ceiling", 8, 1, 1000, 2.0),
        run("service", 8, 1, 800, 3.0),
        run("ceiling", 8, 2, 2000, 1.0),
        run("service", 8, 2, 1600, 1.5),
        run("ceiling", 8, 3, 1000, 2.0),
        run("service", 8, 3, 800, 3.0),
        run("service", 8, 3, 50, 40.0, payload="png"),
    ]
    rows = {(row.server, row.payload): row for row in summarize(runs)}
    service = rows["service", "json"]
    assert service.requests_per_second == 800
    assert service.throughput_ratio == pytest.approx(0.8)
    assert service.p50_ratio == pytest.approx(1.5)
    assert rows["ceiling", "json"].throughput_ratio == pytest.approx(1.0)
    assert rows["service", "png"].throughput_ratio is None  # not comparable to a JSON ceiling


def test_wait_until_idle_waits_for_a_busy_process_to_finish() -> None:
    busy_for = 1.0
    spin_then_sleep = f"import time\nend = time.time() + {busy_for}\nwhile time.time() < end: pass\ntime.sleep(60)"
    process = subprocess.Popen([sys.executable, "-c", spin_then_sleep])
    try:
        started = time.perf_counter()
        wait_until_idle(process.pid)
        waited = time.perf_counter() - started
        assert process.poll() is None  # still running, but idle
        assert waited >= busy_for / 2
        assert waited < 30
    finally:
        process.kill()
        process.wait()


def test_wait_until_idle_returns_at_once_for_an_idle_process() -> None:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        time.sleep(0.5)  # past the interpreter's start-up
        started = time.perf_counter()
        wait_until_idle(process.pid)
        assert time.perf_counter() - started < 5 * IDLE_CHECK_S
    finally:
        process.kill()
        process.wait()


def test_upload_rows_compare_each_upload_with_the_json_of_its_own_round() -> None:
    from bench.upload_images import UploadImage
    from bench.uploads import upload_rows

    # Round 2 runs at half speed; the canvas keeps 0.25x of the JSON requests/s in both rounds.
    runs = [
        run("service", 8, 1, 4000, 2.0),
        run("service", 8, 1, 1000, 8.0, payload="canvas"),
        run("service", 8, 2, 2000, 4.0),
        run("service", 8, 2, 500, 16.0, payload="canvas"),
        run("ceiling", 8, 1, 9000, 1.0),
    ]
    image = UploadImage("canvas", b"", "image/png", "drawing.png", "7", "canvas PNG")
    (row,) = upload_rows(runs, [image], {"canvas": 0.0003}, {"canvas": "/predict"})
    assert row.json_ratio == pytest.approx(0.25)
    assert row.requests_per_second == 750
    assert row.json_requests_per_second == 3000
    assert row.cpu_ms_per_upload == pytest.approx(0.3)
    assert row.cpu_over_decode == pytest.approx(1.0)


def test_multipart_body_is_read_back_as_the_file_field() -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from bench.uploads import multipart

    async def echo(request: Request) -> Response:
        async with request.form() as form:
            upload = form["file"]
            assert not isinstance(upload, str)
            return Response(await upload.read(), media_type=upload.content_type)

    data = bytes(range(256)) * 50 + b"\r\n--not-the-boundary\r\n"
    body, content_type = multipart(data, "photo.jpg", "image/jpeg")
    client = TestClient(Starlette(routes=[Route("/", echo, methods=["POST"])]))
    response = client.post("/", content=body, headers={"content-type": content_type})
    assert response.content == data
    assert response.headers["content-type"] == "image/jpeg"


def test_upload_images_have_the_sizes_and_formats_of_issue_16() -> None:
    import io

    import numpy as np
    from PIL import Image

    from bench.upload_images import make_upload_images

    rng = np.random.default_rng(0)
    digits = (rng.random((6, 28, 28)) > 0.7).astype(np.uint8) * 255
    images = {image.name: image for image in make_upload_images(digits, np.arange(6))}
    opened = {name: Image.open(io.BytesIO(image.data)) for name, image in images.items()}
    assert (opened["canvas"].format, opened["canvas"].mode, opened["canvas"].size) == ("PNG", "RGBA", (280, 280))
    assert (opened["photo600"].format, opened["photo600"].size) == ("JPEG", (600, 600))
    assert (opened["phone12mp"].format, opened["phone12mp"].size) == ("JPEG", (4000, 3000))
    assert opened["number"].size == (600, 150)
    assert images["number"].text == "12345"
