"""Every method of the sync and async clients, against the real app over HTTP, on real MNIST digits."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from digit_client import AsyncDigitClient, DigitClient, Health, ModelInfo, NumberReading, Prediction
from PIL import Image

from tests.client.conftest import API_KEY, AppServer, ScriptedServer, number_image, png

pytestmark = pytest.mark.mnist


@pytest.fixture(scope="module")
def digits(live_server: Any) -> Any:
    with DigitClient(live_server.url) as client:
        yield client


def labels(test_digits: Any) -> list[int]:
    return [int(label) for label in test_digits.labels]


def test_predict_a_path_bytes_a_file_object_and_arrays(
    digits: DigitClient, digit_files: list[Path], test_digits: Any
) -> None:
    path, label = digit_files[0], int(test_digits.labels[0])
    pixels = test_digits.images[0]
    with path.open("rb") as handle:
        from_file = digits.predict(handle)
    answers = [
        digits.predict(path),
        digits.predict(str(path)),
        digits.predict(path.read_bytes()),
        from_file,
        digits.predict(pixels),  # 28x28 uint8
        digits.predict(pixels.reshape(784)),  # 784
        digits.predict(pixels.astype(np.float32) / 255),  # 0-1 floats
    ]
    for answer in answers:
        assert isinstance(answer, Prediction)
        assert answer.digit == label
        assert answer.confidence > 0.9
        assert len(answer.probabilities) == 10
        assert sum(answer.probabilities) == pytest.approx(1.0, abs=1e-4)
        assert answer.probabilities[answer.digit] == max(answer.probabilities)
        assert answer.model_version == digits.model().version


def test_predict_jpeg(digits: DigitClient, digit_files: list[Path], test_digits: Any) -> None:
    assert digit_files[4].suffix == ".jpg"
    assert digits.predict(digit_files[4]).digit == test_digits.labels[4]


def test_a_digit_is_a_digit(digits: DigitClient, test_digits: Any) -> None:
    answer = digits.predict(png(test_digits.images[1]))
    assert answer.is_digit is True
    assert answer.reason is None


def test_predict_says_when_an_image_is_not_one_digit(digits: DigitClient, test_digits: Any) -> None:
    """Needs the service's ``is_digit`` and ``reason`` (several digits in one image)."""
    answer = digits.predict(png(number_image(test_digits.images[:4])))
    assert answer.is_digit is False
    assert answer.reason == "several_digits"


def test_explain_returns_the_28x28_image_the_model_saw(digits: DigitClient, test_digits: Any) -> None:
    """Needs ``?explain=true`` on ``POST /predict``."""
    answer = digits.predict(png(255 - test_digits.images[2]), explain=True)  # dark on light: it inverts
    assert answer.digit == test_digits.labels[2]
    assert answer.input_png is not None
    seen = Image.open(io.BytesIO(answer.input_png))
    assert seen.format == "PNG"
    assert seen.size == (28, 28)
    assert digits.predict(np.asarray(seen.convert("L"))).digit == answer.digit
    assert digits.predict(png(test_digits.images[2])).input_png is None


def test_predict_batch_keeps_order_and_mixes_files_and_arrays(
    digits: DigitClient, digit_files: list[Path], test_digits: Any
) -> None:
    images: list[Any] = []
    for i, path in enumerate(digit_files):
        images.append(path if i % 2 else test_digits.images[i])
    answers = digits.predict_batch(images)
    assert [a.digit for a in answers] == labels(test_digits)
    assert digits.predict_batch([]) == []


def test_predict_batch_of_a_3d_array(digits: DigitClient, test_digits: Any) -> None:
    assert [a.digit for a in digits.predict_batch(test_digits.images)] == labels(test_digits)
    flat = test_digits.images.reshape(-1, 784)
    assert [a.digit for a in digits.predict_batch(flat)] == labels(test_digits)


def test_predict_batch_splits_over_the_services_limits(locked_server: AppServer, test_digits: Any) -> None:
    """The locked app takes 4 digits a request and 64 KiB bodies; 20 digits need several requests."""
    with DigitClient(locked_server.url, api_key=API_KEY) as client:
        images = [png(image) for image in test_digits.images]
        assert [a.digit for a in client.predict_batch(images)] == labels(test_digits)
        assert [a.digit for a in client.predict_batch(test_digits.images)] == labels(test_digits)


def test_predict_batch_splits_again_on_413(
    locked_server: AppServer, test_digits: Any, scripted: ScriptedServer
) -> None:
    """Told nothing of the limits (or told wrong), it halves a batch the service refuses with 413."""
    scripted.upstream = locked_server.url
    with DigitClient(scripted.url, api_key=API_KEY) as client:
        answers = client.predict_batch(test_digits.images[:10], batch_size=10)
    assert [a.digit for a in answers] == labels(test_digits)[:10]
    batches = [seen for seen in scripted.seen if seen.path == "/predict/batch"]
    assert len(batches) > 3  # 10 refused, then halves until they fit


def test_read_number(digits: DigitClient, test_digits: Any, tmp_path: Path) -> None:
    """Needs ``POST /predict/number``."""
    form = tmp_path / "form.png"
    form.write_bytes(png(number_image(test_digits.images[:5])))
    reading = digits.read_number(form)
    assert isinstance(reading, NumberReading)
    assert reading.text == "".join(str(label) for label in labels(test_digits)[:5])
    assert len(reading.digits) == 5
    assert [d.digit for d in reading.digits] == labels(test_digits)[:5]
    xs = [d.box[0] for d in reading.digits]
    assert xs == sorted(xs)
    assert all(d.box[2] > 0 and d.box[3] > 0 for d in reading.digits)
    assert 0 < reading.confidence <= 1
    assert reading.model_version == digits.model().version
    assert digits.read_number(number_image(test_digits.images[5:8])).text == "".join(
        str(label) for label in labels(test_digits)[5:8]
    )  # an array goes as a PNG


def test_health(digits: DigitClient) -> None:
    health = digits.health()
    assert isinstance(health, Health)
    assert health.status == "ok"
    assert health.model_version == digits.model().version
    assert health.uptime_seconds is not None
    assert health.uptime_seconds > 0


def test_model(digits: DigitClient) -> None:
    info = digits.model()
    assert isinstance(info, ModelInfo)
    assert info.name
    assert info.version
    assert info.architecture
    assert len(info.sha256) == 64
    assert info.test_accuracy is not None
    assert info.test_accuracy > 0.99


def test_model_reports_the_request_limit(digits: DigitClient) -> None:
    """Needs ``limits`` in ``GET /model``."""
    assert digits.model().limits["max_request_digits"] >= 64


def test_api_key_is_sent(locked_server: AppServer, test_digits: Any) -> None:
    with DigitClient(locked_server.url, api_key=API_KEY) as client:
        assert client.predict(test_digits.images[0]).digit == test_digits.labels[0]
        assert client.model().version


def test_connections_are_kept_alive(scripted: ScriptedServer, test_digits: Any) -> None:
    with DigitClient(scripted.url) as client:
        for _ in range(5):
            client.predict(test_digits.images[0])
    assert len(scripted.seen) == 5
    assert len({seen.client_port for seen in scripted.seen}) == 1  # one connection, reused


def test_async_client_every_method(live_server: Any, digit_files: list[Path], test_digits: Any, tmp_path: Path) -> None:
    form = tmp_path / "form.png"
    form.write_bytes(png(number_image(test_digits.images[:3])))

    async def main() -> tuple[Any, ...]:
        async with AsyncDigitClient(live_server.url, concurrency=3) as client:
            return await asyncio.gather(
                client.predict(digit_files[0]),
                client.predict(test_digits.images[1]),
                client.predict_batch(test_digits.images, batch_size=6),
                client.health(),
                client.model(),
            )

    one, two, batch, health, info = asyncio.run(main())
    assert one.digit == test_digits.labels[0]
    assert two.digit == test_digits.labels[1]
    assert [a.digit for a in batch] == labels(test_digits)
    assert health.status == "ok"
    assert info.version == health.model_version


def test_async_read_number(live_server: Any, test_digits: Any) -> None:
    """Needs ``POST /predict/number``."""

    async def main() -> NumberReading:
        async with AsyncDigitClient(live_server.url) as client:
            return await client.read_number(png(number_image(test_digits.images[:3])))

    assert asyncio.run(main()).text == "".join(str(label) for label in labels(test_digits)[:3])
