"""Ink coverage masks: where the ink is, before any paper, colour or camera is involved.

A mask is a float32 array, 0 = no ink, 1 = full ink. It is made from an MNIST digit (resized with
the right interpolation, its pen changed by dilation, erosion or a traced centre line, then slanted,
rotated and wobbled like a real hand) or from drawn strokes (``strokes``), and ``render`` lays it on
a page. The noise fields every module shares live here too. Everything takes a
``np.random.Generator`` and is deterministic given it.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from training.synthesis.rand import uniform

FloatArray = npt.NDArray[np.float32]
ByteArray = npt.NDArray[np.uint8]
# --- fields: smooth and grainy noise --------------------------------------------------------------


def smooth_field(h: int, w: int, rng: np.random.Generator, cells: int = 4) -> FloatArray:
    """Low-frequency noise, about unit variance: stains, uneven paper, chalk dust."""
    side = max(2, cells)
    coarse = rng.standard_normal((side, side)).astype(np.float32)
    return np.asarray(cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC), dtype=np.float32)


def noise_field(h: int, w: int, rng: np.random.Generator, grain: float = 1.0) -> FloatArray:
    """High-frequency noise of unit variance with grains of about ``grain`` px.

    Large images get their noise drawn at a lower resolution and enlarged, so that an image of any
    size costs at most ~250k random numbers (sensor noise is spatially correlated after a phone's
    demosaicing and denoising anyway).
    """
    factor = max(grain, math.sqrt(h * w / 250_000))
    small_h, small_w = max(2, math.ceil(h / factor)), max(2, math.ceil(w / factor))
    small = rng.standard_normal((small_h, small_w), dtype=np.float32)
    if (small_h, small_w) == (h, w):
        return small
    return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR), dtype=np.float32) * np.float32(
        min(2.0, math.sqrt(factor))
    )


# --- ink masks ------------------------------------------------------------------------------------


def coverage(digit: npt.NDArray[np.uint8]) -> FloatArray:
    """An MNIST digit (white on black uint8) as ink coverage 0-1."""
    return np.asarray(digit, dtype=np.float32) / np.float32(255.0)


def ink_box(mask: FloatArray, threshold: float = 0.1) -> tuple[int, int, int, int]:
    """``(x, y, w, h)`` of the pixels above ``threshold``; the whole mask when there are none."""
    rows = np.flatnonzero((mask > threshold).any(axis=1))
    cols = np.flatnonzero((mask > threshold).any(axis=0))
    if rows.size == 0:
        return 0, 0, mask.shape[1], mask.shape[0]
    return int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)


def crop_to_ink(mask: FloatArray, threshold: float = 0.02) -> FloatArray:
    x, y, w, h = ink_box(mask, threshold)
    return mask[y : y + h, x : x + w]


def resize(mask: FloatArray, width: int, height: int, smooth: bool = True) -> FloatArray:
    """Area averaging when shrinking, cubic when enlarging (``smooth``), nearest otherwise."""
    width, height = max(1, width), max(1, height)
    if not smooth:
        interpolation = cv2.INTER_NEAREST
    elif width * height < mask.shape[0] * mask.shape[1]:
        interpolation = cv2.INTER_AREA
    else:
        interpolation = cv2.INTER_CUBIC
    out = cv2.resize(mask, (width, height), interpolation=interpolation)
    return np.clip(np.asarray(out, dtype=np.float32), 0, 1)


def pad(mask: FloatArray, top: int, bottom: int, left: int, right: int) -> FloatArray:
    return np.pad(mask, ((max(0, top), max(0, bottom)), (max(0, left), max(0, right))))


def stroke_width(mask: FloatArray) -> float:
    """The mean stroke width in px: for strokes of width w and length L, area wL over half the outline L."""
    ink = (mask > 0.5).astype(np.uint8)
    area = int(ink.sum())
    edge = area - int(np.asarray(cv2.erode(ink, np.ones((3, 3), np.uint8)), dtype=np.uint8).sum())
    return 2.0 * area / edge if edge else 1.0


def skeleton(ink: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Zhang-Suen thinning: the one-pixel centre lines of a binary image's strokes."""
    image = np.pad(ink, 1).astype(np.uint8)
    while True:
        changed = False
        for step in (0, 1):
            p = image
            n = [p[:-2, 1:-1], p[:-2, 2:], p[1:-1, 2:], p[2:, 2:], p[2:, 1:-1], p[2:, :-2], p[1:-1, :-2], p[:-2, :-2]]
            count = sum(x.astype(np.int32) for x in n)
            turns = sum(((n[i] == 0) & (n[(i + 1) % 8] == 1)).astype(np.int32) for i in range(8))
            if step == 0:
                keep = (n[0] * n[2] * n[4] == 0) & (n[2] * n[4] * n[6] == 0)
            else:
                keep = (n[0] * n[2] * n[6] == 0) & (n[0] * n[4] * n[6] == 0)
            remove = (p[1:-1, 1:-1] == 1) & (count >= 2) & (count <= 6) & (turns == 1) & keep
            if remove.any():
                image[1:-1, 1:-1][remove] = 0
                changed = True
        if not changed:
            return image[1:-1, 1:-1].astype(bool)


def pen_trace(ink: FloatArray, width: int, height: int, pen: float, border: int) -> FloatArray:
    """A fine pen tracing the centre lines of ``ink`` (a small coverage mask) at ``width`` x ``height``.

    The strokes are thinned at twice MNIST's resolution, then each pair of neighbouring centre-line
    pixels is joined by an anti-aliased line ``pen`` px wide at the target size: a constant-width
    stroke like a ballpoint's, whatever the digit's own stroke was. ``border`` px pad every side.
    """
    small = resize(ink, 2 * ink.shape[1], 2 * ink.shape[0]) > 0.5
    centre = skeleton(small)
    rows, cols = centre.shape
    scale = np.array([width / cols, height / rows])
    padded = np.pad(centre, 1)
    # Each centre-line pixel moves to the mean of its neighbours on the line: no pixel staircase.
    weight = centre.astype(np.float32)
    grid_y, grid_x = np.indices(centre.shape, dtype=np.float32)
    total = np.asarray(cv2.boxFilter(weight, -1, (5, 5), normalize=False), dtype=np.float32) + 1e-6
    smooth_x = np.asarray(cv2.boxFilter(weight * grid_x, -1, (5, 5), normalize=False), dtype=np.float32) / total
    smooth_y = np.asarray(cv2.boxFilter(weight * grid_y, -1, (5, 5), normalize=False), dtype=np.float32) / total
    segments = []
    for dy, dx in ((0, 0), (0, 1), (1, 0), (1, 1), (1, -1)):  # (0, 0): lone dots stay visible
        ys, xs = np.nonzero(centre & padded[1 + dy : 1 + dy + rows, 1 + dx : 1 + dx + cols])
        starts = np.stack([smooth_x[ys, xs], smooth_y[ys, xs]], 1)
        ends = np.stack([smooth_x[ys + dy, xs + dx], smooth_y[ys + dy, xs + dx]], 1)
        segments += [(np.stack([a, b]) + 0.5) * scale + border for a, b in zip(starts, ends, strict=True)]
    canvas = np.zeros((height + 2 * border, width + 2 * border), dtype=np.uint8)
    shift = 3
    fixed = [np.round(seg * (1 << shift)).astype(np.int32).reshape(-1, 1, 2) for seg in segments]
    cv2.polylines(canvas, fixed, False, 255, max(1, round(pen)), cv2.LINE_AA, shift)
    return coverage(canvas)


def reweight(mask: FloatArray, width: float, sharpness: float = 2.5, now: float | None = None) -> FloatArray:
    """The strokes dilated or eroded to about ``width`` px, with a pen's firmer edge.

    Grey-level dilation or erosion by a disc changes the pen (erosion stops short of wiping out the
    stroke); the contrast step turns MNIST's soft, upscaled edge into a pen's edge.
    """
    now = stroke_width(mask) if now is None else now
    radius = max((width - now) / 2, 0.6 - now / 2)
    size = 2 * round(abs(radius)) + 1
    if size > 1:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
        mask = np.asarray((cv2.dilate if radius > 0 else cv2.erode)(mask, kernel), dtype=np.float32)
    return harden(mask, sharpness)


def harden(mask: FloatArray, sharpness: float = 4.0) -> FloatArray:
    """Steeper edges: the hard, evenly dark stroke of a canvas brush or a felt pen."""
    return np.asarray(np.clip((mask - 0.5) * sharpness + 0.5, 0, 1), dtype=np.float32)


def affine(mask: FloatArray, rotate_deg: float, shear: float, stretch: float = 1.0) -> FloatArray:
    """Rotate, shear (slant) and stretch the width, growing the canvas so that nothing is cut."""
    h, w = mask.shape
    centre = np.array([w / 2, h / 2])
    angle = math.radians(rotate_deg)
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    linear = rot @ np.array([[stretch, shear], [0.0, 1.0]])
    corners = (np.array([[0, 0], [w, 0], [0, h], [w, h]]) - centre) @ linear.T
    size = np.ceil(corners.max(0) - corners.min(0)).astype(int) + 2
    offset = size / 2 - linear @ centre
    matrix = np.hstack([linear, offset[:, None]]).astype(np.float64)
    out = cv2.warpAffine(mask, matrix, (int(size[0]), int(size[1])), flags=cv2.INTER_LINEAR)
    return np.asarray(out, dtype=np.float32)


def elastic(mask: FloatArray, rng: np.random.Generator, amplitude: float, cells: int = 3) -> FloatArray:
    """A smooth random displacement of up to ``amplitude`` px: the wobble of a real hand."""
    h, w = mask.shape
    if amplitude <= 0:
        return mask
    field = rng.standard_normal((2, cells, cells)).astype(np.float32) * np.float32(amplitude)
    dx = np.asarray(cv2.resize(field[0], (w, h), interpolation=cv2.INTER_CUBIC), dtype=np.float32)
    dy = np.asarray(cv2.resize(field[1], (w, h), interpolation=cv2.INTER_CUBIC), dtype=np.float32)
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    out = cv2.remap(mask, xs + dx, ys + dy, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    return np.asarray(out, dtype=np.float32)


def digit_mask(
    digit: npt.NDArray[np.uint8],
    height: float,
    rng: np.random.Generator,
    *,
    weight: float | None = None,
    pen: float | None = None,
    rotate: float = 6.0,
    shear: float = 0.2,
    wobble: float = 0.03,
) -> FloatArray:
    """The digit's ink, cropped tight, about ``height`` px tall, with a random hand's variation.

    ``weight`` is the relative change of the digit's own stroke width (random in [-0.5, 0.5] when
    None), ``pen`` instead sets the stroke width as a fraction of the height; ``rotate``
    (degrees), ``shear`` and ``wobble`` (fraction of the height) bound the random distortions.
    """
    ink = crop_to_ink(coverage(digit))
    ink_h, ink_w = ink.shape
    target_h = max(4, round(height))
    target_w = max(2, round(ink_w * target_h / ink_h * uniform(rng, 0.9, 1.1)))
    pad_px = max(2, target_h // 6)
    mask = pad(resize(ink, target_w, target_h), pad_px, pad_px, pad_px, pad_px)
    if target_h >= 10:
        now = stroke_width(mask)
        if pen is None:
            weight = uniform(rng, -0.5, 0.5) if weight is None else weight
            width = now * (1 + weight)
        else:
            width = pen * target_h
        if width < 0.6 * now:  # a fine pen: trace the centre lines rather than erode
            mask = pen_trace(ink, target_w, target_h, width, pad_px)
        else:
            mask = reweight(mask, width, uniform(rng, 1.2, 3.0), now)
    if wobble > 0 and target_h >= 12:
        mask = elastic(mask, rng, uniform(rng, 0, wobble) * target_h)
    if rotate or shear:
        mask = affine(mask, uniform(rng, -rotate, rotate), uniform(rng, -shear, shear))
    return crop_to_ink(mask)


def paste_max(canvas: FloatArray, mask: FloatArray, top: int, left: int) -> None:
    """Lay ``mask`` onto ``canvas`` at (top, left), keeping the darker ink; parts outside are cut."""
    h, w = mask.shape
    ch, cw = canvas.shape
    y0, x0, y1, x1 = max(0, top), max(0, left), min(ch, top + h), min(cw, left + w)
    if y0 >= y1 or x0 >= x1:
        return
    region = canvas[y0:y1, x0:x1]
    np.maximum(region, mask[y0 - top : y1 - top, x0 - left : x1 - left], out=region)


def texture_ink(mask: FloatArray, rng: np.random.Generator, grit: float, scale: float = 1.0) -> FloatArray:
    """Ink that does not cover evenly: chalk and graphite skip over the paper's tooth.

    ``grit`` 0-1 is how much of the stroke is lost; ``scale`` the size of a grain in pixels.
    """
    h, w = mask.shape
    grain = noise_field(h, w, rng, max(1.0, scale))
    blotch = smooth_field(h, w, rng, cells=max(2, int(max(h, w) / 40)))
    keep = np.clip(1.0 - grit * (0.5 + 0.9 * grain + 0.6 * blotch), 0, 1)
    return (mask * keep).astype(np.float32)
