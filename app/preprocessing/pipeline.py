"""An uploaded image to the model inputs worth trying: decode, shrink, clean the paper, find the marks, normalise.

Where a step cannot be sure (which side of the grey scale is ink in a tight 8x8 scan; whether the
straight sides around a digit are a printed box or the digit's own strokes), the reading keeps
each version as a candidate, and the prediction step keeps the one the model reads most surely: a
model call costs 0.04 ms, a wrong guess the whole answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import cv2
import numpy as np

from app.errors import NoDigitFoundError
from app.preprocessing.decode import LAYER_PAPER, decode_grayscale
from app.preprocessing.marks import Marks, find_marks
from app.preprocessing.normalize import to_mnist
from app.preprocessing.paper import Working, clean, drawing_ink, flat_paper, ink_sides, to_working_size
from app.preprocessing.printed_boxes import without_print

SMALL_DIGIT_SIDE = 40
"""A digit smaller than this at working size is cleaned again from the decoded image, at finer scale."""
REFINE_AREA = 96 * 96
"""Working area for that second look: the digit and a digit's size of paper around it."""
BLOCK_MIN = 3
"""Blocks of repeated rows and columns at least this long make an image a blocky enlargement."""
MIN_BLOCKS = 6
"""A blocky enlargement has at least this many blocks a side (8x8 scans and up; not a flat page)."""
TINY_SCAN = 16
"""An enlargement of at most this many blocks a side is a tiny scan (8x8 to 16x16): nothing in it is a
printed line (``_as_scan``)."""
TINY_ENLARGED = 64
"""A tiny image uploaded at its own size is enlarged to at least this on its shorter side, smoothly
(``_as_scan``), as a blocky enlargement of one is smoothed (``smooth_blocks``)."""
FRINGE = np.ones((3, 3), np.uint8)
"""A mark's ink is taken with this neighbourhood: its faint anti-aliased edge is part of the stroke."""


@dataclass(frozen=True)
class DigitReading:
    """Model inputs for one image, ``(k, 28, 28)`` float32 in 0-1, each one's count of digit-sized marks,
    and whether its mark has a dot apart under it (``Marks.dotted``: a "!" or a "?", not a digit)."""

    inputs: np.ndarray
    marks: tuple[int, ...]
    dotted: tuple[bool, ...]


@dataclass(frozen=True)
class _Crop:
    ink: np.ndarray
    top: int
    bottom: int
    left: int
    right: int
    marks: int
    dotted: bool


def _crop_marks(ink: np.ndarray) -> _Crop | None:
    """The ink of the writing's marks (``Marks.writing``), cropped to their joint box.

    The box is ``cv2.boundingRect`` of the inked pixels near the marks, and only its ink is copied:
    against ``np.where`` over the whole image and two numpy reductions, 148 -> 123 us a call on the
    600x600 photo (thread CPU, medians of 3,000, alternated), ``find_marks``' 89 included.
    """
    found: Marks = find_marks(ink)
    if not found.marks:
        return None
    near = cv2.dilate(found.mask(found.writing()).view(np.uint8), FRINGE)
    left, top, width, height = cv2.boundingRect(cv2.bitwise_and(near, (ink != 0).view(np.uint8)))
    box = (slice(top, top + height), slice(left, left + width))
    cropped = cv2.copyTo(ink[box], near[box], np.zeros((height, width), dtype=ink.dtype))
    return _Crop(cropped, top, top + height, left, left + width, found.digit_count(), found.dotted())


InkReader = Callable[..., list[np.ndarray]]
"""Working-size grey to its ink readings, ``photo=True`` for a crop of a larger photo (``paper.clean``)."""


def _drawing_inks(gray: np.ndarray, paper: int, printed: bool, photo: bool | None = None) -> list[np.ndarray]:
    """A digital drawing's ink readings: its distance from ``paper``, and where it may hold ``printed`` lines
    and boxes (not on a transparent layer), with those erased."""
    drawn = drawing_ink(gray, paper)
    if drawn is None:
        return []
    return without_print(drawn) if printed else [drawn]


def _ink_readers(gray: np.ndarray, layer: bool, printed: bool) -> list[InkReader]:
    """How to read a working-size image's ink: as a drawing on flat paper, else with each polarity worth trying.

    A transparent ``layer``'s paper is known (``decode.LAYER_PAPER``); ``printed``: lines or boxes may be
    printed on the image (not on a layer, nor on a tiny scan: ``_as_scan``).
    """
    paper = LAYER_PAPER if layer else flat_paper(gray)
    if paper is not None:  # the ink is whatever differs from the paper, either side
        return [partial(_drawing_inks, paper=paper, printed=printed)]
    return [partial(clean, dark_ink=dark_ink, printed=printed) for dark_ink in ink_sides(gray)]


def _refined(gray: np.ndarray, work: Working, crop: _Crop, read: InkReader) -> _Crop:
    """A small digit in a large image, cleaned again from the decoded pixels around it."""
    pad = max(crop.bottom - crop.top, crop.right - crop.left)
    top, bottom = max(0, int((crop.top - pad) / work.scale)), int((crop.bottom + pad) / work.scale)
    left, right = max(0, int((crop.left - pad) / work.scale)), int((crop.right + pad) / work.scale)
    closer = to_working_size(gray[top:bottom, left:right], REFINE_AREA)
    for ink in read(closer.gray, photo=True)[:1]:
        refined = _crop_marks(ink)
        if refined is not None:
            return refined
    return crop


def _block_count(lines: np.ndarray) -> int | None:
    """How many blocks of repeated rows ``lines`` enlarges, or ``None`` when it is no such enlargement.

    The rows where the image changes must all fall (within a pixel, whichever rounding the
    enlarging used) on the boundaries of ``n`` equal blocks; the fewest such ``n`` is the answer.
    Counting runs of equal rows instead merged a blank margin's blocks into one and misplaced the
    digit. A row differs from the next where the sum of their absolute differences is not 0, by
    OpenCV: ``smooth_blocks`` 16 -> 10 us on the 600x600 photo, 22 -> 13 on the 12 MP photo and
    16 -> 11 on the canvas (thread CPU, medians of 3,000, alternated), against numpy's comparison
    and ``any``.
    """
    size = len(lines)
    differences = cv2.reduce(cv2.absdiff(lines[1:], lines[:-1]), 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S)
    changes = np.flatnonzero(differences) + 1.0
    if len(changes) + 1 > size / BLOCK_MIN:  # most rows differ from the next: not blocks
        return None
    for count in range(MIN_BLOCKS, int(size / BLOCK_MIN) + 1):
        step = size / count
        if (np.abs(changes - np.round(changes / step) * step) <= 1.0).all():
            return count
    return None


def blocks(gray: np.ndarray) -> tuple[int, int] | None:
    """The rows and columns of blocks ``gray`` enlarges by repeating pixels (``_block_count``), else ``None``."""
    rows = _block_count(gray)
    if rows is None:
        return None
    cols = _block_count(gray.T)
    return None if cols is None else (rows, cols)


def smooth_blocks(gray: np.ndarray, counts: tuple[int, int] | None) -> np.ndarray:
    """An image enlarged by repeating pixels (an 8x8 scan shown at 64x64) enlarged smoothly instead.

    ``counts``: its blocks' rows and columns (``blocks``; ``None``: no enlargement, ``gray`` as it is).
    The middle pixel of each block is the small image, and that is enlarged back to the same size
    with bilinear interpolation, as MNIST's own digits were smoothed when they were size-normalised.
    The model read the blocky 20x20 crops of 8x8 scans worse: smoothing them took 8x8 scans from
    86-88% to 93-96% read right (bench, two seeds of 150; an independent generator's: 81-82% to 81-85%),
    for 0.005-0.06 ms an image (one comparison of neighbouring rows, and of columns if those repeat).
    """
    if counts is None:
        return gray
    height, width = gray.shape
    rows, cols = counts
    row_at = ((np.arange(rows) + 0.5) * height / rows).astype(np.intp)
    col_at = ((np.arange(cols) + 0.5) * width / cols).astype(np.intp)
    smooth: np.ndarray = cv2.resize(gray[np.ix_(row_at, col_at)], (width, height), interpolation=cv2.INTER_LINEAR)
    return smooth


def _as_scan(gray: np.ndarray) -> tuple[np.ndarray, bool]:
    """``gray`` with a scan's pixels enlarged smoothly where it is blocky (``smooth_blocks``) or tiny, and
    whether it is a tiny scan (nothing in it printed).

    A tiny scan enlarged (``TINY_SCAN`` blocks a side at most) has no printed lines erased: at 8-16
    pixels a side every stroke is 1-2 pixels wide, as thick as a printed line, and one straight
    stroke spans the image as a line across a page does (a 4's right stroke, a 7's bar and a 6's
    loop were erased as lines), while a printed box round the digit would take most of its pixels.
    Small scans read right 95.5/95.0/94.0 -> 95.5/96.0/94.5% (bench, seeds 0/1/2, 200 a kind),
    every other kind and every non-digit's flags as before; 1.5 -> 1.1 ms a small scan. Of the 35
    small scans read wrong in ``--kinds small_scan`` (seeds 0-2), 6 had a stroke erased so; the 4
    enlarged smoothly (bicubic) show no blocks and keep the erasing.

    A tiny image uploaded at its own size (``TINY_SCAN`` pixels a side at most) is read as such a
    scan: each pixel a block, enlarged smoothly (``TINY_ENLARGED``). Enlarged by whole pixels, as a
    28x28 MNIST image is (``to_working_size``), its 20x20 crop stayed blocky: of 300 MNIST test
    digits averaged down to 8x8 and uploaded so, either polarity, 61.7% were read right and 25.7%
    flagged, against 89.3% and 1.3% now (12x12: 96.0 -> 97.7%; 16x16: 99.0 -> 98.7%, one digit);
    ``tests/api/test_realistic_uploads.py`` posts 30 of each.
    """
    counts = blocks(gray)
    tiny = max(counts or gray.shape) <= TINY_SCAN
    if counts is None and tiny:  # each pixel a block, as smooth_blocks enlarges a blocky scan's
        factor = -(-TINY_ENLARGED // min(gray.shape))
        size = (gray.shape[1] * factor, gray.shape[0] * factor)
        return cv2.resize(gray, size, interpolation=cv2.INTER_LINEAR), True
    return smooth_blocks(gray, counts), tiny


def read_gray(gray: np.ndarray, layer: bool = False) -> DigitReading:
    """The candidates for a decoded uint8 grayscale image; ``NoDigitFoundError`` if it holds no ink.

    ``layer``: the image is a transparent layer flattened by ``decode`` (no paper to judge, nothing printed).
    """
    gray, tiny = _as_scan(gray)
    work = to_working_size(gray, whole_blocks=layer)
    inputs, marks, dotted = [], [], []
    for read in _ink_readers(work.gray, layer, printed=not (tiny or layer)):
        for ink in read(work.gray):
            crop = _crop_marks(ink)
            if crop is None:
                continue
            if max(crop.bottom - crop.top, crop.right - crop.left) < SMALL_DIGIT_SIDE and work.scale < 1:
                crop = _refined(gray, work, crop, read)
            inputs.append(to_mnist(crop.ink))
            marks.append(crop.marks)
            dotted.append(crop.dotted)
    if not inputs:
        raise NoDigitFoundError("no digit found: the image is blank or has too little contrast")
    return DigitReading(np.stack(inputs), tuple(marks), tuple(dotted))


def read_image(data: bytes, max_pixels: int) -> DigitReading:
    """Image bytes of any format, size and polarity to the model inputs worth trying."""
    decoded = decode_grayscale(data, max_pixels)
    return read_gray(decoded.gray, layer=decoded.layer)
