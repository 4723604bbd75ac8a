"""Digital drawings (canvas exports, rendered PNGs) take the short way: their paper is one flat level."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.errors import NoDigitFoundError
from app.preprocessing import paper, pipeline
from app.preprocessing.decode import decode_grayscale
from app.preprocessing.pipeline import read_gray, read_image
from tests.support.images import encode_image

MAX_PIXELS = 25_000_000


def drawn_seven(side: int = 160, paper_level: int = 255, ink: int = 0) -> np.ndarray:
    """A '7' drawn with an anti-aliased pen on flat paper, as a drawing app exports it."""
    page = np.full((side, side), paper_level, np.uint8)
    points = (np.array([[0.3, 0.25], [0.7, 0.25], [0.45, 0.8]]) * side).astype(np.int32)
    cv2.polylines(page, [points], False, ink, max(2, side // 16), cv2.LINE_AA)
    return page


def test_a_drawing_on_flat_paper_is_found_with_its_paper_level() -> None:
    assert paper.flat_paper(drawn_seven(paper_level=255, ink=0)) == 255
    assert paper.flat_paper(drawn_seven(paper_level=0, ink=255)) == 0  # MNIST's own look
    assert paper.flat_paper(drawn_seven(paper_level=200, ink=40)) == 200


def test_a_photo_or_a_scan_is_not_a_drawing() -> None:
    rng = np.random.default_rng(0)
    noisy = np.clip(drawn_seven(paper_level=230, ink=30) + rng.normal(0, 3, (160, 160)), 0, 255).astype(np.uint8)
    assert paper.flat_paper(noisy) is None
    light = np.linspace(1.0, 0.6, 160, dtype=np.float32)[None, :]
    assert paper.flat_paper((drawn_seven() * light).astype(np.uint8)) is None  # a lighting gradient


def test_ink_filling_the_border_is_not_taken_for_paper() -> None:
    # A bold digit cropped tight: its ink may be the commonest level, but the paper surrounds it.
    page = np.full((60, 60), 255, np.uint8)
    page[:, :36] = 0
    assert paper.flat_paper(page) is None


def test_a_drawings_ink_is_its_distance_from_the_paper_on_either_side() -> None:
    page = np.full((100, 100), 128, np.uint8)
    page[20:40, 20:80] = 0  # darker than the paper
    page[60:80, 20:80] = 255  # lighter than the paper
    ink = paper.drawing_ink(page, 128)
    assert ink is not None
    assert ink.dtype == np.float32
    assert ink[30, 50] == 1.0
    assert ink[70, 50] > 0.99
    assert ink[5, 5] == 0.0
    assert paper.drawing_ink(np.full((50, 50), 128, np.uint8), 128) is None  # nothing drawn


def test_a_canvas_export_reads_as_it_does_through_the_paper_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """The short way gives the model what polarity, paper and noise removal give, transparent canvas or opaque."""
    seven = drawn_seven(280)
    rgba = np.zeros((280, 280, 4), np.uint8)
    rgba[..., 3] = 255 - seven  # black strokes on transparency, the hidden colour black
    for data in (encode_image(rgba), encode_image(seven)):
        assert paper.flat_paper(paper.to_working_size(decode_grayscale(data, MAX_PIXELS).gray).gray) == 255
        short = read_image(data, MAX_PIXELS)
        with monkeypatch.context() as patch:
            patch.setattr(pipeline, "flat_paper", lambda gray: None)
            full = read_image(data, MAX_PIXELS)
        assert short.marks == full.marks == (1,)
        assert len(short.inputs) == len(full.inputs) == 1
        assert np.abs(short.inputs[0] - full.inputs[0]).mean() < 0.01


def test_a_blank_drawing_has_no_digit() -> None:
    with pytest.raises(NoDigitFoundError):
        read_gray(np.full((100, 100), 255, np.uint8))


def test_a_drawing_on_a_transparent_layer_is_not_searched_for_printed_lines() -> None:
    """A box drawn round a digit on a canvas is the writer's: no reading with it erased (nor the cost)."""
    boxed = drawn_seven(280)
    cv2.rectangle(boxed, (20, 20), (260, 260), 0, 12)
    rgba = np.zeros((280, 280, 4), np.uint8)
    rgba[..., 3] = 255 - boxed
    assert decode_grayscale(encode_image(rgba), MAX_PIXELS).layer
    assert len(read_image(encode_image(rgba), MAX_PIXELS).inputs) == 1
    assert len(read_image(encode_image(boxed), MAX_PIXELS).inputs) > 1  # opaque: the box may be printed
