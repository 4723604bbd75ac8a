"""One exception class per error code of the API, raised from the real app's own answers over HTTP.

A few codes no public client method can provoke (a misnamed JSON field, an over-long batch, which
``predict_batch`` splits, an unknown model): for those the test sends the raw request through the
client's transport, and the real app still answers it. ``internal_error``, ``bad_request`` and codes
the client does not know come from a scripted stand-in server, since the app has no way to make them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import digit_client
import numpy as np
import pytest
from digit_client import (
    DigitClient,
    DigitClientError,
    DigitServiceError,
    DigitTransportError,
    UnknownServiceError,
)
from digit_client._core import json_body

from tests.client.conftest import API_KEY, AppServer, ScriptedServer, number_image, png

ROOT = Path(__file__).resolve().parents[2]
BLANK = np.zeros((28, 28), np.uint8)


@pytest.fixture(scope="module")
def digits(live_server: Any) -> Iterator[DigitClient]:
    with DigitClient(live_server.url) as client:
        yield client


@pytest.fixture(scope="module")
def locked(locked_server: AppServer) -> Iterator[DigitClient]:
    with DigitClient(locked_server.url, api_key=API_KEY) as client:
        yield client


def raised(call: Callable[[], object], code: str, status: int) -> DigitServiceError:
    """The error ``call`` raises: the class registered for ``code``, with that code and ``status``."""
    kind = DigitServiceError.registry[code]
    with pytest.raises(kind) as caught:
        call()
    error = caught.value
    assert type(error) is kind
    assert error.status == status
    assert error.code == code == kind.default_code
    assert error.message
    assert error.request_id
    assert error.message in str(error)
    assert error.code in str(error)
    return error


def test_every_error_code_of_the_service_has_its_class() -> None:
    """Scan the service's source for its codes, wherever its modules move."""
    source = "\n".join(path.read_text() for path in (ROOT / "app").rglob("*.py"))
    codes = set(re.findall(r'^\s+code = "(\w+)"', source, re.MULTILINE))
    codes |= set(re.findall(r'error_response\([^)]*"(\w+)"\)', source))
    codes |= {"not_found"}  # the 404 of an unknown path (other HTTP errors are http_<status>)
    assert len(codes) >= 16
    missing = codes - set(DigitServiceError.registry)
    assert not missing, f"the client lacks a class for {sorted(missing)}"
    for cls in DigitServiceError.registry.values():
        assert getattr(digit_client, cls.__name__) is cls  # exported


def test_malformed_json(digits: DigitClient) -> None:
    error = raised(lambda: digits.predict(np.full(784, np.nan)), "malformed_json", 400)  # NaN is not JSON
    assert "NaN" in error.message or "JSON" in error.message


def test_empty_body(digits: DigitClient) -> None:
    raised(lambda: digits.predict(b""), "empty_body", 400)


def test_invalid_image(digits: DigitClient) -> None:
    raised(lambda: digits.predict(b"these bytes are not an image"), "invalid_image", 400)


def test_unsupported_media_type(digits: DigitClient) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28"></svg>'
    raised(lambda: digits.predict(svg), "unsupported_media_type", 415)


def test_invalid_pixels(digits: DigitClient) -> None:
    error = raised(lambda: digits.predict(np.zeros(3)), "invalid_pixels", 422)
    assert "784" in error.message


def test_invalid_request(digits: DigitClient) -> None:
    raised(lambda: digits._send("POST", "/predict", **json_body({"pixel": [0] * 784})), "invalid_request", 422)


def test_no_digit_found(digits: DigitClient) -> None:
    raised(lambda: digits.predict(png(BLANK)), "no_digit_found", 422)


def test_no_digit_found_in_a_number(digits: DigitClient) -> None:
    """Needs ``POST /predict/number``."""
    raised(lambda: digits.read_number(png(np.full((60, 200), 255, np.uint8))), "no_digit_found", 422)


def test_too_many_digits(locked: DigitClient, test_digits: Any) -> None:
    """Needs ``POST /predict/number`` (the locked app reads at most 3 digits)."""
    raised(lambda: locked.read_number(png(number_image(test_digits.images[:5]))), "too_many_digits", 422)


def test_not_found(live_server: Any) -> None:
    with DigitClient(live_server.url + "/not/the/service") as client:
        raised(client.health, "not_found", 404)


def test_model_not_found(digits: DigitClient) -> None:
    raised(lambda: digits._send("GET", "/v2/models/no-such-model"), "model_not_found", 404)


@pytest.mark.parametrize("key", [None, "wrong-key"])
def test_unauthorized(locked_server: AppServer, key: str | None) -> None:
    with DigitClient(locked_server.url, api_key=key, retries=0) as client:
        raised(lambda: client.predict(BLANK), "unauthorized", 401)
        raised(client.model, "unauthorized", 401)
        raised(lambda: client.predict_batch([BLANK, BLANK]), "unauthorized", 401)


def test_the_api_key_also_goes_as_x_api_key(locked_server: AppServer, test_digits: Any) -> None:
    with DigitClient(locked_server.url, headers={"X-API-Key": API_KEY}) as client:
        assert client.predict(test_digits.images[0]).digit == test_digits.labels[0]


def test_payload_too_large(locked: DigitClient) -> None:
    raised(lambda: locked.predict(b"\x89PNG" + bytes(100 * 1024)), "payload_too_large", 413)


def test_image_too_large(locked: DigitClient) -> None:
    raised(lambda: locked.predict(png(np.zeros((1100, 1000), np.uint8))), "image_too_large", 413)


def test_batch_too_large(locked: DigitClient) -> None:
    body = json_body({"instances": [[0] * 784] * 5})
    raised(lambda: locked._send("POST", "/predict/batch", **body), "batch_too_large", 413)


def test_model_not_ready(unready_server: AppServer) -> None:
    with DigitClient(unready_server.url, retries=1, backoff=0.01) as client:
        raised(client.health, "model_not_ready", 503)
        raised(lambda: client.predict(BLANK), "model_not_ready", 503)


def test_inference_failed(
    locked_server: AppServer, locked: DigitClient, test_digits: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = locked_server.app.state.predictor.model.runtime

    def broken(batch: np.ndarray) -> np.ndarray:
        raise RuntimeError("simulated model failure")

    monkeypatch.setattr(runtime, "predict", broken)
    raised(lambda: locked.predict(test_digits.images[0]), "inference_failed", 500)
    monkeypatch.undo()
    assert locked.predict(test_digits.images[0]).digit == test_digits.labels[0]


@pytest.mark.parametrize(
    ("status", "code"),
    [(500, "internal_error"), (400, "bad_request"), (418, "a_code_from_the_future"), (405, "http_405")],
)
def test_codes_the_app_cannot_be_made_to_answer(scripted: ScriptedServer, status: int, code: str) -> None:
    kind = DigitServiceError.registry.get(code, UnknownServiceError)  # the last two: codes the client does not know
    scripted.script = [(status, {"error": "scripted failure", "code": code})]
    with DigitClient(scripted.url) as client, pytest.raises(kind) as caught:
        client.health()
    assert caught.value.code == code
    assert caught.value.status == status
    assert caught.value.message == "scripted failure"
    assert caught.value.request_id == scripted.seen[0].headers["X-Request-ID"]
    assert len(scripted.seen) == 1  # no retry


def test_an_answer_that_is_not_the_services_json(scripted: ScriptedServer) -> None:
    scripted.script = [(502, b"<html><body>502 Bad Gateway</body></html>")]
    with DigitClient(scripted.url) as client, pytest.raises(UnknownServiceError) as caught:
        client.model()
    assert caught.value.status == 502
    assert "Bad Gateway" in caught.value.message


def test_transport_error_when_nothing_listens() -> None:
    with (
        DigitClient("http://127.0.0.1:9", retries=2, backoff=0.01) as client,
        pytest.raises(DigitTransportError) as caught,
    ):
        client.health()
    assert "after 3 attempts" in str(caught.value)
    assert isinstance(caught.value, DigitClientError)


def test_every_service_error_is_a_client_error() -> None:
    for cls in [*DigitServiceError.registry.values(), UnknownServiceError, DigitTransportError]:
        assert issubclass(cls, DigitClientError)
