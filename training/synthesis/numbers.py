"""Lines of handwritten digits for ``/predict/number``, with the text and each digit's ink box.

A number is laid out from MNIST digits with a writer's irregularity (sizes 0.7-1.3x, a wandering
baseline, uneven gaps, sometimes a dash or dot between groups that is not part of the text), then
shown in one of ``NUMBER_STYLES``. Boxes are ``(x, y, w, h)`` in the returned image's pixels: the
ink bounding box of each digit, tracked through every resize and perspective warp so that a
segmenter can be scored on them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from training.synthesis import ink
from training.synthesis import render as r
from training.synthesis.rand import chance, integer, jitter_colour, log_uniform, pick, uniform
from training.synthesis.strokes import draw_polylines, font_text

Digit = npt.NDArray[np.uint8]
Box = tuple[int, int, int, int]
Points = npt.NDArray[np.float64]

NUMBER_STYLES: tuple[str, ...] = ("clear_gaps", "small_gaps", "touching", "canvas", "comb_field", "ruled", "photo_code")
CODE_LABELS = ("Code:", "PIN", "No.", "Ref", "ID:", "Tel")


@dataclass
class Line:
    """Ink of a written number, and each digit's ink as points (x, y) in the mask's pixels."""

    mask: ink.FloatArray
    inks: list[Points]

    def shifted(self, top: int, left: int) -> list[Points]:
        return [ink + np.array([left, top], dtype=np.float64) for ink in self.inks]


def pick_digits(
    images: npt.NDArray[np.uint8], labels: npt.NDArray[np.integer], count: int, rng: np.random.Generator
) -> tuple[list[Digit], list[int]]:
    """``count`` random digits (with their labels) from a split, e.g. MNIST's test images."""
    index = rng.integers(0, len(images), size=count)
    return [images[i] for i in index], [int(labels[i]) for i in index]


def ink_points(mask: ink.FloatArray, limit: int = 300) -> Points:
    """Up to ``limit`` of the inked pixels' corners, enough to bound the ink after any warp."""
    ys, xs = np.nonzero(mask > 0.1)
    if xs.size > limit:  # keep the extremes, which decide the box, and a sample of the rest
        keep = np.unique(
            np.concatenate(
                [[xs.argmin(), xs.argmax(), ys.argmin(), ys.argmax()], np.linspace(0, xs.size - 1, limit).astype(int)]
            )
        )
        xs, ys = xs[keep], ys[keep]
    corners = [(0, 0), (1, 0), (0, 1), (1, 1)]
    return np.concatenate([np.stack([xs + dx, ys + dy], 1) for dx, dy in corners]).astype(np.float64)


def bounding_box(points: Points, h: int, w: int) -> Box:
    """The integer box round ``points``, clipped to an ``h`` x ``w`` image."""
    x0, y0 = np.clip(np.floor(points.min(0)), 0, [w - 1, h - 1])
    x1, y1 = np.clip(np.ceil(points.max(0)), [x0 + 1, y0 + 1], [w, h])
    return int(x0), int(y0), int(x1 - x0), int(y1 - y0)


def _separator(height: float, rng: np.random.Generator) -> ink.FloatArray:
    """A dash or a dot between groups of digits, drawn with the same kind of pen."""
    pen = max(1, round(height * uniform(rng, 0.07, 0.14)))
    if chance(rng, 0.6):
        length = height * uniform(rng, 0.25, 0.5)
        y = height * uniform(rng, 0.45, 0.6)
        lines = [np.array([[pen, y + uniform(rng, -2, 2)], [pen + length, y]])]
        return draw_polylines(lines, round(height), round(length + 2 * pen), pen)
    y = height * uniform(rng, 0.85, 0.95)
    lines = [np.array([[pen, y], [pen + 0.5, y + 0.5]])]
    return draw_polylines(lines, round(height + pen), 3 * pen, pen + 1)


def layout(
    digits: Sequence[Digit],
    height: float,
    rng: np.random.Generator,
    gaps: tuple[float, float],
    *,
    gap_px: bool = False,
    separators: float = 0.0,
    pen: float | None = None,
) -> Line:
    """Write ``digits`` in a row, about ``height`` px tall.

    Gaps between inks are drawn from ``gaps`` in heights (in px when ``gap_px``: negative means
    overlap); ``separators`` is the chance of a dash or dot at one group boundary; ``pen`` the
    stroke width as a fraction of ``height`` (random when None).
    """
    pen = uniform(rng, 0.05, 0.16) if pen is None else pen  # one pen for the whole number
    marks: list[tuple[ink.FloatArray, bool]] = []
    cut = integer(rng, 1, len(digits) - 1) if len(digits) > 2 and chance(rng, separators) else -1
    for i, digit in enumerate(digits):
        if i == cut:
            marks.append((_separator(height, rng), False))
        marks.append((ink.digit_mask(digit, height * uniform(rng, 0.7, 1.3), rng, pen=pen, rotate=5), True))
    baseline = 1.4 * height
    x = 0.0
    placed: list[tuple[ink.FloatArray, int, int, bool]] = []
    for i, (mask, is_digit) in enumerate(marks):
        mh, mw = mask.shape
        drop = uniform(rng, -0.12, 0.12) * height if is_digit else 0.0
        top = round(baseline - mh + drop) if is_digit else round(baseline - mask.shape[0])
        placed.append((mask, top, round(x), is_digit))
        gap = uniform(rng, *gaps) * (1.0 if gap_px else height)
        if not (is_digit and i + 1 < len(marks) and marks[i + 1][1]):  # round a separator: a clear gap
            gap = max(gap, 0.15 * height)
        x += mw + gap
    top_min = min(top for _, top, _, _ in placed)
    h = max(top + m.shape[0] for m, top, _, _ in placed) - top_min
    w = max(left + m.shape[1] for m, _, left, _ in placed)
    canvas = np.zeros((h, w), dtype=np.float32)
    inks: list[Points] = []
    for mask, top, left, is_digit in placed:
        ink.paste_max(canvas, mask, top - top_min, left)
        if is_digit:
            inks.append(ink_points(mask) + np.array([left, top - top_min], dtype=np.float64))
    return Line(canvas, inks)


def scaled(line: Line, factor: float) -> Line:
    """The line enlarged or shrunk by ``factor``, its ink points with it."""
    h, w = line.mask.shape
    mask = ink.resize(line.mask, round(w * factor), round(h * factor))
    return Line(mask, [ink * factor for ink in line.inks])


def _boxes(inks: list[Points], h: int, w: int) -> list[Box]:
    return [bounding_box(points, h, w) for points in inks]


def _on_paper(line: Line, rng: np.random.Generator, margin: tuple[float, float]) -> tuple[bytes, list[Box]]:
    """The number on plain paper or an opaque canvas, scanned or photographed without a tilt."""
    mh, mw = line.mask.shape
    top, bottom, left, right = (round(uniform(rng, *margin) * mh) for _ in range(4))
    h, w = mh + top + bottom, mw + left + right
    boxes = _boxes(line.shifted(top, left), h, w)
    if chance(rng, 0.25):  # a drawing app's opaque export: hard strokes, either polarity
        full = ink.harden(ink.pad(line.mask, top, bottom, left, right), uniform(rng, 1.5, 5))
        dark = chance(rng, 0.5)
        return r.encode(r.to_uint8((full if dark else 1 - full) * 255)), boxes
    sheet = r.page(h, w, r.paper_colour(rng), rng)
    r.apply_ink(sheet, line.mask, r.dark_ink(rng), uniform(rng, 0.75, 1.0), top, left)
    if chance(rng, 0.4):
        return r.photo_finish(sheet, rng, tilt=0), boxes
    return r.finish(sheet, rng), boxes


def _canvas(line: Line, rng: np.random.Generator) -> tuple[bytes, list[Box]]:
    """An HTML canvas export, 280-800 px wide: hard brush strokes on a transparent background."""
    width = integer(rng, 280, 800)
    margin_x = uniform(rng, 0.03, 0.2) * width
    factor = (width - 2 * margin_x) / line.mask.shape[1]
    line = scaled(line, min(factor, 0.8 * width / line.mask.shape[0]))  # short numbers stay in frame
    mh, mw = line.mask.shape
    height = min(max(round(mh * uniform(rng, 1.1, 2.5)), round(width * uniform(rng, 0.25, 0.75))), max(width, mh + 4))
    top, left = integer(rng, 0, height - mh), integer(rng, round(margin_x), max(round(margin_x), width - mw - 2))
    full = ink.harden(ink.pad(line.mask, top, height - mh - top, left, width - mw - left), uniform(rng, 2, 6))
    rgba = np.zeros((*full.shape, 4), dtype=np.uint8)
    rgba[..., :3] = 255 if chance(rng, 0.4) else 0
    rgba[..., 3] = r.to_uint8(full * 255)
    return r.encode(rgba), _boxes(line.shifted(top, left), *full.shape)


def _comb_field(digits: Sequence[Digit], rng: np.random.Generator) -> tuple[bytes, list[Box]]:
    """A printed row of adjacent boxes sharing walls, one digit in each, sometimes touching a wall."""
    cell_h = log_uniform(rng, 30, 110)
    cell_w = cell_h * uniform(rng, 0.7, 1.1)
    n = len(digits)
    margin = round(uniform(rng, 0.1, 0.6) * cell_h)
    label = font_text(pick(rng, CODE_LABELS), cell_h * uniform(rng, 0.25, 0.4), rng) if chance(rng, 0.3) else None
    x0 = margin + (label.shape[1] + 8 if label is not None else 0)
    h, w = round(cell_h + 2 * margin), round(x0 + n * cell_w + margin)
    sheet = r.page(h, w, r.paper_colour(rng), rng)
    thick = integer(rng, 1, 3)
    items: list[tuple[str, tuple[float, ...], int]] = [("rect", (x0, margin, x0 + n * cell_w, margin + cell_h), thick)]
    items += [("line", (x0 + i * cell_w, margin, x0 + i * cell_w, margin + cell_h), thick) for i in range(1, n)]
    colour = jitter_colour(rng, pick(rng, r.FORM_LINES), 10)
    r.apply_ink(sheet, r.line_mask(h, w, items), colour, uniform(rng, 0.6, 1.0))
    if label is not None:
        r.apply_ink(sheet, label, colour, 0.9, margin + round((cell_h - label.shape[0]) / 2), margin)
    written = np.zeros((h, w), dtype=np.float32)
    inks: list[Points] = []
    fill = uniform(rng, 0.6, 1.05)  # how much of its box the writer fills; above 1 touches walls
    pen = uniform(rng, 0.05, 0.16)
    for i, digit in enumerate(digits):
        mask = ink.digit_mask(digit, cell_h * fill * uniform(rng, 0.85, 1.1), rng, pen=pen)
        mh, mw = mask.shape
        top = round(margin + (cell_h - mh) / 2 + uniform(rng, -0.12, 0.12) * cell_h)
        left = round(x0 + i * cell_w + (cell_w - mw) / 2 + uniform(rng, -0.12, 0.12) * cell_w)
        ink.paste_max(written, mask, top, left)
        inks.append(ink_points(mask) + np.array([left, top], dtype=np.float64))
    r.apply_ink(sheet, written, r.dark_ink(rng), uniform(rng, 0.8, 1.0))
    data = r.photo_finish(sheet, rng, tilt=0) if chance(rng, 0.3) else r.finish(sheet, rng)
    return data, _boxes(inks, h, w)


def _ruled(line: Line, rng: np.random.Generator) -> tuple[bytes, list[Box]]:
    """The number written on lined notebook paper, sitting on a line."""
    mh, mw = line.mask.shape
    spacing = mh * uniform(rng, 0.9, 1.6)
    above, below = uniform(rng, 0.3, 1.5) * spacing, uniform(rng, 0.2, 1.2) * spacing
    left, right = round(uniform(rng, 0.1, 1.0) * mh), round(uniform(rng, 0.1, 1.0) * mh)
    h, w = round(mh + above + below), mw + left + right
    sheet = r.page(h, w, r.paper_colour(rng), rng)
    baseline = above + mh * uniform(rng, 0.85, 1.02)
    lines = r.ruling(h, w, spacing, baseline, False, 0, 1)
    r.apply_ink(sheet, lines, jitter_colour(rng, pick(rng, r.LINE_BLUES), 12), uniform(rng, 0.35, 0.9))
    if chance(rng, 0.3):
        x = uniform(rng, 0, 0.5) * w
        margin_line = r.line_mask(h, w, [("line", (x, 0, x, h), integer(rng, 1, 2))])
        r.apply_ink(sheet, margin_line, jitter_colour(rng, (220, 90, 100), 15), uniform(rng, 0.5, 0.9))
    top = round(above)
    r.apply_ink(sheet, line.mask, r.dark_ink(rng), uniform(rng, 0.75, 1.0), top, left)
    data = r.photo_finish(sheet, rng, tilt=0) if chance(rng, 0.4) else r.finish(sheet, rng)
    return data, _boxes(line.shifted(top, left), h, w)


def _photo_code(line: Line, rng: np.random.Generator) -> tuple[bytes, list[Box]]:
    """A code photographed with a phone: a perspective tilt, fall-off, a cast, JPEG."""
    mh, mw = line.mask.shape
    top, bottom = (round(uniform(rng, 0.4, 2.0) * mh) for _ in range(2))
    left, right = (round(uniform(rng, 0.2, 1.2) * mh) for _ in range(2))
    h, w = mh + top + bottom, mw + left + right
    sheet = r.page(h, w, r.paper_colour(rng), rng, texture=6)
    r.apply_ink(sheet, line.mask, r.dark_ink(rng), uniform(rng, 0.7, 1.0), top, left)
    matrix = r.perspective_matrix(h, w, rng, uniform(rng, 0.01, 0.07))
    sheet = r.warp(sheet, matrix)
    inks = [r.warp_points(points, matrix) for points in line.shifted(top, left)]
    return r.photo_finish(sheet, rng, strength=0.6, shadow=0.4, tilt=0), _boxes(inks, h, w)


def make_number(
    digits: Sequence[Digit], labels: Sequence[int], style: str, rng: np.random.Generator
) -> tuple[bytes, str, list[Box]]:
    """A written number in ``style`` (one of ``NUMBER_STYLES``): image bytes, its text, digit boxes.

    The text is the labels in order; separators drawn between groups are not part of it.
    """
    if style not in NUMBER_STYLES:
        raise ValueError(f"unknown number style {style!r}; expected one of {NUMBER_STYLES}")
    if len(digits) != len(labels) or not digits:
        raise ValueError("need one label per digit, and at least one digit")
    text = "".join(str(int(label)) for label in labels)
    if style == "comb_field":
        data, boxes = _comb_field(digits, rng)
        return data, text, boxes
    height = log_uniform(rng, 24, 110)
    if style == "touching":
        line = layout(digits, height, rng, (-4.0, 0.0), gap_px=True, pen=uniform(rng, 0.08, 0.16))
    elif style == "small_gaps":
        line = layout(digits, height, rng, (0.02, 0.15), separators=0.15)
    else:
        line = layout(digits, height, rng, (0.15, 0.8), separators=0.2 if style != "canvas" else 0.0)
    if style == "canvas":
        data, boxes = _canvas(line, rng)
    elif style == "ruled":
        data, boxes = _ruled(line, rng)
    elif style == "photo_code":
        data, boxes = _photo_code(line, rng)
    else:
        data, boxes = _on_paper(line, rng, (0.1, 1.0))
    return data, text, boxes
