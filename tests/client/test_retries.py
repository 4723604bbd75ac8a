"""Retries, over real HTTP: a stand-in server answers 503 or drops the connection first, then passes
the requests on to the real app. Retried: 503 and failed connections; never a 4xx or a 500."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from digit_client import (
    AsyncDigitClient,
    DigitClient,
    InferenceFailedError,
    InvalidImageError,
    ModelNotReadyError,
    Prediction,
)
from digit_client._core import RetryPolicy

from tests.client.conftest import ScriptedServer

NOT_READY = (503, {"error": "model is loading", "code": "model_not_ready"})


def test_predict_is_retried_on_503_until_the_service_answers(scripted: ScriptedServer, test_digits: Any) -> None:
    scripted.script = [NOT_READY, NOT_READY]
    with DigitClient(scripted.url, retries=3, backoff=0.01) as client:
        answer = client.predict(test_digits.images[0])
    assert answer.digit == test_digits.labels[0]
    assert len(scripted.seen) == 3
    assert len({seen.headers["X-Request-ID"] for seen in scripted.seen}) == 1  # one request id across tries
    assert len({seen.body for seen in scripted.seen}) == 1  # the same body each time


def test_every_method_is_retried_on_503(scripted: ScriptedServer, test_digits: Any) -> None:
    with DigitClient(scripted.url, retries=1, backoff=0.01) as client:
        scripted.script = [NOT_READY]
        assert client.model().version
        scripted.script = [NOT_READY]
        assert [p.digit for p in client.predict_batch(test_digits.images[:3])] == list(test_digits.labels[:3])
    assert [seen.path for seen in scripted.seen] == ["/model", "/model", "/predict/batch", "/predict/batch"]


def test_health_reports_503_at_once(scripted: ScriptedServer) -> None:
    scripted.script = [NOT_READY]
    with DigitClient(scripted.url, retries=3, backoff=0.01) as client, pytest.raises(ModelNotReadyError):
        client.health()
    assert len(scripted.seen) == 1


def test_503_after_the_last_retry_is_raised(scripted: ScriptedServer, test_digits: Any) -> None:
    scripted.script = [NOT_READY] * 3
    with DigitClient(scripted.url, retries=2, backoff=0.01) as client, pytest.raises(ModelNotReadyError) as caught:
        client.predict(test_digits.images[0])
    assert len(scripted.seen) == 3
    assert caught.value.status == 503
    assert caught.value.request_id == scripted.seen[0].headers["X-Request-ID"]


def test_retry_after_is_honoured(scripted: ScriptedServer, test_digits: Any) -> None:
    scripted.script = [NOT_READY]
    scripted.retry_after = "1"
    started = time.monotonic()
    with DigitClient(scripted.url, retries=1, backoff=0.0) as client:
        client.predict(test_digits.images[0])
    assert time.monotonic() - started >= 1.0


def test_a_dropped_connection_is_retried(scripted: ScriptedServer, test_digits: Any) -> None:
    scripted.script = ["drop", "drop"]
    with DigitClient(scripted.url, retries=2, backoff=0.01) as client:
        assert client.predict(test_digits.images[0]).digit == test_digits.labels[0]
    assert len(scripted.seen) == 3


@pytest.mark.parametrize(
    ("reply", "kind"),
    [
        ((400, {"error": "not an image", "code": "invalid_image"}), InvalidImageError),
        ((500, {"error": "inference failed: RuntimeError", "code": "inference_failed"}), InferenceFailedError),
    ],
)
def test_4xx_and_500_are_never_retried(
    scripted: ScriptedServer, test_digits: Any, reply: tuple[int, object], kind: type[Exception]
) -> None:
    scripted.script = [reply]
    with DigitClient(scripted.url, retries=3, backoff=0.01) as client, pytest.raises(kind):
        client.predict(test_digits.images[0])
    assert len(scripted.seen) == 1


def test_async_client_retries_on_503_and_dropped_connections(scripted: ScriptedServer, test_digits: Any) -> None:
    scripted.script = [NOT_READY, "drop"]

    async def main() -> Prediction:
        async with AsyncDigitClient(scripted.url, retries=2, backoff=0.01) as client:
            return await client.predict(test_digits.images[0])

    assert asyncio.run(main()).digit == test_digits.labels[0]
    assert len(scripted.seen) == 3


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(retries=5, backoff=0.5, max_backoff=3.0)
    for attempt in range(6):
        delays = [policy.delay(attempt) for _ in range(200)]
        assert all(0 <= d <= min(3.0, 0.5 * 2**attempt) for d in delays)
        assert max(delays) > 0.5 * min(3.0, 0.5 * 2**attempt)
    assert policy.delay(0, "2") == 2.0
    assert policy.delay(0, "120") == 3.0
