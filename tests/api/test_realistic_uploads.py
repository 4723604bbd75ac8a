"""Uploads made from MNIST test digits and drawn marks, posted to /predict over HTTP.

Digits of every kind (scans, photos, canvas exports, form boxes, shadowed photos, squared and ruled
paper, tight crops, 8x8 scans, chalk, ballpoint, pencil, coloured paper) must be read right and not
flagged; letters, symbols, doodles, words, signatures and several digits must be flagged
``is_digit: false``. The floors sit a little under what ``python -m bench.realistic_uploads``
measures on larger samples (see the README), so that a regression fails and sampling noise does not.
"""

from __future__ import annotations

from io import BytesIO

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from training.sources import Mnist
from training.synthesis import NON_DIGIT_KINDS, PAPER_KINDS, UPLOAD_KINDS, several_digits

pytestmark = pytest.mark.mnist
PER_KIND = 30
SKIPPED_MARKS = ("blank",)  # no ink at all: answered 422 no_digit_found, tested with the errors


def _post(client: TestClient, data: bytes) -> dict[str, object]:
    """The answer; a 422 ``no_digit_found`` (ink too faint to find) counts as a digit not read."""
    response = client.post("/predict", files={"file": ("upload", data, "application/octet-stream")})
    if response.status_code == 422 and response.json()["code"] == "no_digit_found":
        return {"digit": None, "is_digit": False}
    assert response.status_code == 200, response.text
    answer: dict[str, object] = response.json()
    return answer


def _read_right(client: TestClient, mnist: Mnist, kinds: dict[str, object], seed: int) -> dict[str, float]:
    """Per kind, the share of uploads answered with the right digit and not flagged."""
    rng = np.random.default_rng(seed)
    rates = {}
    for kind, make in kinds.items():
        assert callable(make)
        picks = rng.choice(len(mnist.test), size=PER_KIND, replace=False)
        right = 0
        for index in picks:
            answer = _post(client, make(mnist.test.images[index], rng))
            right += answer["digit"] == int(mnist.test.labels[index]) and answer["is_digit"] is True
        rates[kind] = right / PER_KIND
    return rates


def test_realistic_uploads_are_read_correctly(client: TestClient, mnist: Mnist) -> None:
    rates = _read_right(client, mnist, dict(UPLOAD_KINDS), seed=2026)
    assert sum(rates.values()) / len(rates) >= 0.95, rates
    assert min(rates.values()) >= 0.9, rates


def test_digits_on_real_paper_are_read_correctly(client: TestClient, mnist: Mnist) -> None:
    rates = _read_right(client, mnist, dict(PAPER_KINDS), seed=2027)
    # measured at 30 a kind, seeds 2027/1/2: mean 0.92/0.92/0.91, weakest 0.67/0.70/0.73 (form boxes,
    # shadowed photos; 0.63/0.63/0.57 before the desk's strips and boxes' sides were read better); at 200
    # a kind (bench, seeds 0 and 1) neither is under 0.7
    assert sum(rates.values()) / len(rates) >= 0.85, rates
    assert min(rates.values()) >= 0.55, rates  # form boxes and shadowed photos: the weakest kinds, see the README


def test_non_digits_are_flagged(client: TestClient, mnist: Mnist) -> None:
    rng = np.random.default_rng(2028)
    flagged: dict[str, float] = {}
    for kind, make in NON_DIGIT_KINDS.items():
        if kind not in SKIPPED_MARKS:
            flagged[kind] = sum(_post(client, make(rng))["is_digit"] is False for _ in range(PER_KIND)) / PER_KIND
    pairs = 0
    for _ in range(PER_KIND):
        picks = rng.choice(len(mnist.test), size=int(rng.integers(2, 5)), replace=False)
        answer = _post(client, several_digits([mnist.test.images[i] for i in picks], rng))
        pairs += answer["is_digit"] is False
    flagged["several_digits"] = pairs / PER_KIND
    assert sum(flagged.values()) / len(flagged) >= 0.85, flagged
    assert min(flagged.values()) >= 0.6, flagged


@pytest.mark.parametrize(("side", "floor"), [(8, 0.8), (12, 0.9)])
def test_tiny_scans_sent_at_their_own_size_are_read(client: TestClient, mnist: Mnist, side: int, floor: float) -> None:
    """MNIST test digits averaged down to ``side`` pixels and uploaded as they are (not enlarged),
    either polarity. Measured at 300 (seed 11): 8x8 61.7 -> 89.3% right and 25.7 -> 1.3% flagged
    once they are enlarged smoothly, 12x12 96.0 -> 97.7%."""
    right = 0
    for k in range(PER_KIND):
        small = np.asarray(Image.fromarray(mnist.test.images[k]).resize((side, side), Image.Resampling.BOX))
        buffer = BytesIO()
        Image.fromarray(255 - small if k % 2 else small).save(buffer, "PNG")
        answer = _post(client, buffer.getvalue())
        right += answer["digit"] == int(mnist.test.labels[k]) and answer["is_digit"] is True
    assert right / PER_KIND >= floor, right
