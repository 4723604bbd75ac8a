"""The synthetic image kinds: every one decodes, has a plausible size and is reproducible from a seed.

Most tests use drawn stand-in digits so that they run without MNIST; one runs every kind over real
MNIST digits, where the odd shapes (very thin, very wide, touching the frame) live.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from training.sources import Mnist
from training.synthesis import (
    DIGIT_KINDS,
    NON_DIGIT_KINDS,
    NUMBER_STYLES,
    make_non_digit,
    make_number,
    pick_digits,
    several_digits,
)
from training.synthesis.strokes import DIGIT_LOOKALIKES, GLYPHS, LETTERS, SYMBOLS

Digit = npt.NDArray[np.uint8]


def drawn_digit(kind: int) -> Digit:
    """A 28x28 MNIST-like stand-in (white on black): a 1, a 7 or a 0."""
    digit = np.zeros((28, 28), dtype=np.uint8)
    if kind == 1:
        cv2.line(digit, (15, 4), (12, 23), 255, 3, cv2.LINE_AA)
    elif kind == 7:
        cv2.polylines(digit, [np.array([[7, 5], [21, 5], [11, 23]], np.int32)], False, 255, 2, cv2.LINE_AA)
    else:
        cv2.ellipse(digit, (14, 14), (6, 9), 0, 0, 360, 255, 3, cv2.LINE_AA)
    return digit


DIGITS = [drawn_digit(kind) for kind in (1, 7, 0)]


def decode(data: bytes) -> npt.NDArray[np.uint8]:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    assert image is not None, "not a decodable image"
    return np.asarray(image, dtype=np.uint8)


def assert_plausible(data: bytes) -> npt.NDArray[np.uint8]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" or data[:2] == b"\xff\xd8", "neither PNG nor JPEG"
    image = decode(data)
    h, w = image.shape[:2]
    assert min(h, w) >= 8, f"implausible size {w}x{h}"
    assert max(h, w) <= 3000, f"implausible size {w}x{h}"
    assert image.ndim == 2 or image.shape[2] in (3, 4)
    return image


def assert_has_ink(image: npt.NDArray[np.uint8]) -> None:
    """Something is drawn: beyond its noise the picture is not one flat tone (alpha, if it has one)."""
    channel = image[..., 3] if image.ndim == 3 and image.shape[2] == 4 else image
    if channel.ndim == 3:
        channel = np.asarray(cv2.cvtColor(channel, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    smooth = cv2.medianBlur(channel, 3)
    assert int(smooth.max()) - int(smooth.min()) > 40


@pytest.mark.parametrize("kind", sorted(DIGIT_KINDS))
def test_digit_kinds_decode_and_are_reproducible(kind: str) -> None:
    make = DIGIT_KINDS[kind]
    for seed in range(3):
        first = make(DIGITS[seed], np.random.default_rng(seed))
        assert_has_ink(assert_plausible(first))
        assert make(DIGITS[seed], np.random.default_rng(seed)) == first
    if kind not in ("canvas", "mnist_png"):  # the two kinds that draw nothing at random
        assert make(DIGITS[0], np.random.default_rng(10)) != make(DIGITS[0], np.random.default_rng(11))


@pytest.mark.parametrize("kind", sorted(NON_DIGIT_KINDS))
def test_non_digit_kinds_decode_and_are_reproducible(kind: str) -> None:
    make = NON_DIGIT_KINDS[kind]
    for seed in range(4):
        first = make(np.random.default_rng(seed))
        image = assert_plausible(first)
        if kind != "blank":
            assert_has_ink(image)
        assert make(np.random.default_rng(seed)) == first


def test_several_digits_and_the_kind_picker() -> None:
    assert_has_ink(assert_plausible(several_digits(DIGITS[:2], np.random.default_rng(0))))
    kinds = {make_non_digit(np.random.default_rng(seed), DIGITS)[0] for seed in range(60)}
    assert kinds == {*NON_DIGIT_KINDS, "several_digits"}
    assert {make_non_digit(np.random.default_rng(seed))[0] for seed in range(30)} <= set(NON_DIGIT_KINDS)


def test_no_digit_lookalike_is_drawn_as_a_non_digit() -> None:
    assert not set(DIGIT_LOOKALIKES) & set(LETTERS + SYMBOLS)
    assert set(LETTERS + SYMBOLS) == set(GLYPHS)
    assert not set("0123456789") & set(GLYPHS)


@pytest.mark.parametrize("style", NUMBER_STYLES)
def test_numbers_have_their_text_and_boxes_inside_the_image(style: str) -> None:
    for seed, count in enumerate((2, 3, 5, 8)):
        rng = np.random.default_rng(seed)
        labels = [int(x) for x in rng.integers(0, 10, count)]
        digits = [DIGITS[(1, 7, 0).index(label)] if label in (1, 7, 0) else DIGITS[0] for label in labels]
        data, text, boxes = make_number(digits, labels, style, rng)
        image = assert_plausible(data)
        h, w = image.shape[:2]
        assert text == "".join(map(str, labels))
        assert len(boxes) == count
        for x, y, bw, bh in boxes:
            assert min(x, y) >= 0
            assert min(bw, bh) >= 1
            assert x + bw <= w
            assert y + bh <= h
        centres = [x + bw / 2 for x, _, bw, _ in boxes]
        assert centres == sorted(centres), "digits are written left to right"
        again = make_number(digits, labels, style, np.random.default_rng(seed))
        assert make_number(digits, labels, style, np.random.default_rng(seed)) == again


def test_number_boxes_hold_the_ink() -> None:
    """On a clean canvas export, each box is where its digit's alpha is, and nothing is outside them."""
    for seed in range(5):
        rng = np.random.default_rng(seed)
        data, _, boxes = make_number(DIGITS, [1, 7, 0], "canvas", rng)
        alpha = decode(data)[..., 3].astype(np.float32)
        inside = np.zeros(alpha.shape, dtype=bool)
        for x, y, bw, bh in boxes:
            assert alpha[y : y + bh, x : x + bw].max() > 128
            inside[y : y + bh, x : x + bw] = True
        assert alpha[~inside].max(initial=0) < 128


def test_bad_number_requests_fail_clearly() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="style"):
        make_number(DIGITS, [1, 7, 0], "sideways", rng)
    with pytest.raises(ValueError, match="label"):
        make_number(DIGITS, [1, 7], "clear_gaps", rng)


def test_pick_digits_draws_matching_pairs() -> None:
    images = np.stack([np.full((28, 28), i, dtype=np.uint8) for i in range(10)])
    labels = np.arange(10, dtype=np.uint8)
    digits, picked = pick_digits(images, labels, 6, np.random.default_rng(0))
    assert len(digits) == len(picked) == 6
    assert all(int(d[0, 0]) == label for d, label in zip(digits, picked, strict=True))


@pytest.mark.mnist
def test_every_kind_on_real_mnist_digits(mnist: Mnist) -> None:
    rng = np.random.default_rng(0)
    images, labels = mnist.test.images, mnist.test.labels
    for _ in range(3):
        for make in DIGIT_KINDS.values():
            assert_has_ink(assert_plausible(make(images[int(rng.integers(len(images)))], rng)))
        for style in NUMBER_STYLES:
            digits, picked = pick_digits(images, labels, int(rng.integers(2, 9)), rng)
            data, text, boxes = make_number(digits, picked, style, rng)
            assert len(text) == len(boxes) == len(digits)
            assert_plausible(data)
