"""One MNIST digit per image, on the papers and in the lights where the service used to fail.

Each kind takes a 28x28 MNIST digit (uint8, white on black) and a ``np.random.Generator`` and
returns encoded image bytes; the label is the digit's own. Every parameter is drawn from a wide range
and most kinds have several sub-variants, because held-out tests come from other generators: a set
tuned to one look would teach and measure the wrong thing.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from training.synthesis import ink
from training.synthesis import render as r
from training.synthesis.rand import Colour, chance, integer, jitter_colour, log_uniform, pick, uniform
from training.synthesis.strokes import font_text

Digit = npt.NDArray[np.uint8]
DigitMaker = Callable[[Digit, np.random.Generator], bytes]

LIGHT_FILLS: tuple[Colour, ...] = ((255, 250, 205), (225, 238, 252), (235, 235, 235), (228, 245, 228))
FORM_LABELS = ("No.", "Qty", "Age", "Code", "Box", "Day", "Nr", "Item", "Ref", "Units", "Grade", "Class", "Room")


def _sheet_around(mask: ink.FloatArray, rng: np.random.Generator, low: float, high: float) -> tuple[int, int, int, int]:
    """A page size and digit position with margins of ``low``-``high`` digit heights on each side."""
    mh, mw = mask.shape
    left, right, top, bottom = (round(uniform(rng, low, high) * mh) for _ in range(4))
    return mh + top + bottom, mw + left + right, top, left


def form_box(digit: Digit, rng: np.random.Generator) -> bytes:
    """A digit written into a printed form field: a box of 1-4 px lines, maybe filled, maybe labelled.

    Margins between digit and box go from generous to negative, so the digit may touch or cross it.
    """
    mask = ink.digit_mask(digit, log_uniform(rng, 24, 140), rng)
    mh, mw = mask.shape
    gap = [round(uniform(rng, -0.12, 0.5) * mh) if chance(rng, 0.85) else round(uniform(rng, 0.5, 1.2) * mh)]
    gap += [round(uniform(rng, -0.12, 0.5) * mh) for _ in range(3)]
    box_w, box_h = mw + gap[0] + gap[1], mh + gap[2] + gap[3]
    box_w, box_h = max(box_w, round(0.6 * mh)), max(box_h, round(0.8 * mh))
    outer = [integer(rng, 0, 4) if chance(rng, 0.5) else round(uniform(rng, 0.1, 0.8) * mh) for _ in range(4)]
    label = font_text(pick(rng, FORM_LABELS), uniform(rng, 0.18, 0.4) * mh, rng)
    outer = [max(margin, 1 - g) for margin, g in zip(outer, gap, strict=True)]  # the digit stays whole
    label_left = chance(rng, 0.3)
    label_top = not label_left and chance(rng, 0.25)
    if label_left:
        outer[0] = max(outer[0], label.shape[1] + integer(rng, 4, 20))
    if label_top:
        outer[2] = max(outer[2], label.shape[0] + integer(rng, 3, 12))
    h, w = box_h + outer[2] + outer[3], box_w + outer[0] + outer[1]
    sheet = r.page(h, w, r.paper_colour(rng), rng)
    x0, y0 = outer[0], outer[2]
    colour = jitter_colour(rng, pick(rng, r.FORM_LINES), 10)
    if chance(rng, 0.3):
        fill = r.line_mask(h, w, [("rect", (x0, y0, x0 + box_w, y0 + box_h), -1)])
        r.apply_ink(sheet, fill, jitter_colour(rng, pick(rng, LIGHT_FILLS), 4))
    thickness = integer(rng, 1, 4)
    shape = pick(rng, ["rect", "rect", "rect", "double", "underline"])
    items: list[tuple[str, tuple[float, ...], int]] = [("rect", (x0, y0, x0 + box_w, y0 + box_h), thickness)]
    if shape == "double":
        inset = thickness + integer(rng, 2, 5)
        items.append(("rect", (x0 + inset, y0 + inset, x0 + box_w - inset, y0 + box_h - inset), 1))
    elif shape == "underline":  # an open field: a base line with short ticks at each end
        tick = box_h * uniform(rng, 0.15, 0.4)
        bottom = y0 + box_h
        items = [
            ("line", (x0, bottom, x0 + box_w, bottom), thickness),
            ("line", (x0, bottom - tick, x0, bottom), thickness),
            ("line", (x0 + box_w, bottom - tick, x0 + box_w, bottom), thickness),
        ]
    r.apply_ink(sheet, r.line_mask(h, w, items), colour, uniform(rng, 0.7, 1.0))
    if label_left:
        r.apply_ink(sheet, label, colour, 0.9, y0 + (box_h - label.shape[0]) // 2, x0 - label.shape[1] - 6)
    elif label_top:
        r.apply_ink(sheet, label, colour, 0.9, y0 - label.shape[0] - 3, x0)
    r.apply_ink(sheet, mask, r.dark_ink(rng), uniform(rng, 0.8, 1.0), y0 + gap[2], x0 + gap[0])
    if chance(rng, 0.3):
        return r.photo_finish(sheet, rng)
    return r.finish(sheet, rng)


DESKS: tuple[Colour, ...] = ((120, 85, 55), (80, 55, 35), (60, 60, 62), (200, 200, 195), (30, 30, 32), (150, 120, 90))


def shadow_photo(digit: Digit, rng: np.random.Generator) -> bytes:
    """A phone photo of a page in poor light: strong fall-off, a hard shadow, a cast, tilt, JPEG.

    Uploads are 400-1600 px; the scene is drawn at a working resolution and enlarged at the end.
    """
    long_side = log_uniform(rng, 400, 1600)
    out_h, out_w = round(long_side), round(long_side * uniform(rng, 0.6, 1.0))
    if chance(rng, 0.4):  # landscape
        out_h, out_w = out_w, out_h
    h, w, _ = r.working_size(out_h, out_w)
    mask = ink.digit_mask(digit, uniform(rng, 0.15, 0.6) * min(h, w), rng)
    sheet = r.page(h, w, r.paper_colour(rng), rng, texture=6)
    top = integer(rng, 0, max(0, h - mask.shape[0]))
    left = integer(rng, 0, max(0, w - mask.shape[1]))
    r.apply_ink(sheet, mask, r.dark_ink(rng), uniform(rng, 0.7, 1.0), top, left)
    r.light(sheet, r.gradient(h, w, rng, uniform(rng, 0.3, 0.75)))
    if chance(rng, 0.65):
        r.light(sheet, 1.0 - r.hard_shadow(h, w, rng) * np.float32(uniform(rng, 0.25, 0.6)), (0.85, 0.95, 1.15))
    r.colour_cast(sheet, rng, 0.12)
    if chance(rng, 0.35):  # the page does not fill the frame: a desk shows round it
        sheet = r.warp(sheet, _shrink(h, w, rng), jitter_colour(rng, pick(rng, DESKS), 10))
    sheet = r.warp(sheet, r.perspective_matrix(h, w, rng, uniform(rng, 0.01, 0.08)))
    blur_px = uniform(rng, 0.3, 1.2) * max(out_h, out_w) / 500
    return phone_jpeg(sheet, rng, (out_h, out_w), noise=(3, 12), blur_px=blur_px, quality=(50, 90))


def phone_jpeg(
    sheet: ink.FloatArray,
    rng: np.random.Generator,
    size: tuple[int, int],
    *,
    noise: tuple[float, float],
    blur_px: float,
    quality: tuple[int, int],
) -> bytes:
    """``sheet`` saved as a phone saves a photo: enlarged to ``size`` (h, w), always a colour JPEG.

    ``blur_px`` is the lens blur in output pixels. The benchmark's fixed phone photos
    (``bench.upload_images``) are finished by it too, so they look like :func:`shadow_photo`'s.
    """
    return r.finish(
        sheet, rng, noise=noise, blur_px=(blur_px, blur_px), jpeg=1.0, quality=quality, grey_chance=0.0, size=size
    )


def _shrink(h: int, w: int, rng: np.random.Generator) -> npt.NDArray[np.float64]:
    """A homography that shrinks the page into part of the frame."""
    scale = uniform(rng, 0.75, 0.95)
    dx, dy = uniform(rng, 0, 1 - scale) * w, uniform(rng, 0, 1 - scale) * h
    return np.array([[scale, 0, dx], [0, scale, dy], [0, 0, 1]], dtype=np.float64)


def grid_paper(digit: Digit, rng: np.random.Generator) -> bytes:
    """Squared exercise-book paper (squares 15-60 px), grid lines running through the digit."""
    square = log_uniform(rng, 15, 60)
    mask = ink.digit_mask(digit, square * uniform(rng, 0.8, 2.6), rng)
    h, w, top, left = _sheet_around(mask, rng, 0.15, 1.2)
    sheet = r.page(h, w, r.paper_colour(rng), rng)
    every = 5 if chance(rng, 0.35) else 0
    heavy = 2 if square > 25 else 1
    colour = jitter_colour(rng, pick(rng, r.LINE_BLUES), 12)
    opacity = uniform(rng, 0.35, 0.85)
    ox, oy = uniform(rng, 0, square * 10), uniform(rng, 0, square * 10)
    grid = np.maximum(r.ruling(h, w, square, ox, True, every, heavy), r.ruling(h, w, square, oy, False, every, heavy))
    r.apply_ink(sheet, grid, colour, opacity)
    r.apply_ink(sheet, mask, r.dark_ink(rng), uniform(rng, 0.75, 1.0), top, left)
    if chance(rng, 0.5):
        return r.photo_finish(sheet, rng)
    return r.finish(sheet, rng)


def ruled_paper(digit: Digit, rng: np.random.Generator) -> bytes:
    """Lined notebook paper: the digit on a line, lines above and below, sometimes a red margin."""
    spacing = log_uniform(rng, 20, 70)
    mask = ink.digit_mask(digit, spacing * uniform(rng, 0.6, 1.8), rng)
    mh, mw = mask.shape
    above, below = uniform(rng, 0.5, 2.5) * spacing, uniform(rng, 0.3, 2.0) * spacing
    h = round(mh + above + below)
    left = round(uniform(rng, 0.2, 1.5) * mh)
    w = round(mw + left + uniform(rng, 0.2, 1.5) * mh)
    baseline = above + mh + uniform(rng, -0.15, 0.1) * spacing  # the digit's foot sits on this line
    sheet = r.page(h, w, r.paper_colour(rng), rng)
    lines = r.ruling(h, w, spacing, baseline, False, 0, 1)
    r.apply_ink(sheet, lines, jitter_colour(rng, pick(rng, r.LINE_BLUES), 12), uniform(rng, 0.35, 0.9))
    if chance(rng, 0.35):
        x = uniform(rng, 0.0, 1.0) * w
        items: list[tuple[str, tuple[float, ...], int]] = [("line", (x, 0, x, h), integer(rng, 1, 2))]
        if chance(rng, 0.3):
            items.append(("line", (x + 4, 0, x + 4, h), 1))
        r.apply_ink(sheet, r.line_mask(h, w, items), jitter_colour(rng, (220, 90, 100), 15), uniform(rng, 0.5, 0.9))
    r.apply_ink(sheet, mask, r.dark_ink(rng), uniform(rng, 0.75, 1.0), round(above), left)
    if chance(rng, 0.5):
        return r.photo_finish(sheet, rng)
    return r.finish(sheet, rng)


def tight_crop(digit: Digit, rng: np.random.Generator) -> bytes:
    """Ink cropped to the digit (0-3 px margin), 20-200 px; sometimes touching one edge only."""
    mask = ink.digit_mask(digit, log_uniform(rng, 20, 200), rng)
    margins = [integer(rng, 0, 3) for _ in range(4)]
    if chance(rng, 0.3):  # touching one edge, loose on the others
        side = integer(rng, 0, 3)
        margins = [round(uniform(rng, 0.05, 0.4) * mask.shape[0]) for _ in range(4)]
        margins[side] = 0
    full = ink.pad(mask, margins[0], margins[1], margins[2], margins[3])
    h, w = full.shape
    if chance(rng, 0.2):  # light on dark: a crop of a canvas or of a screen
        sheet = r.page(h, w, jitter_colour(rng, (20, 20, 20), 10), rng)
        r.apply_ink(sheet, full, jitter_colour(rng, (240, 240, 240), 10))
    else:
        sheet = r.page(h, w, r.paper_colour(rng), rng)
        r.apply_ink(sheet, full, r.dark_ink(rng), uniform(rng, 0.8, 1.0))
    return r.finish(sheet, rng, blur_px=(0.0, 0.6))


def small_scan(digit: Digit, rng: np.random.Generator) -> bytes:
    """A tiny scan, like scikit-learn's digits: 8x8 (or 10-16 px) with 16 grey levels, enlarged.

    The digit fills its small square (size-normalised, as in the UCI optdigits bitmaps), has a 0-3 px
    margin at the small scale, and is enlarged to 32-128 px with nearest or bilinear interpolation,
    white on black or black on white.
    """
    drawn = ink.crop_to_ink(ink.coverage(digit))
    side = 8 if chance(rng, 0.6) else integer(rng, 10, 16)
    margin = 0 if chance(rng, 0.4) else integer(rng, 0, 3 if side > 8 else 1)
    inner = side - 2 * margin
    ih, iw = drawn.shape
    scale = inner / max(ih, iw)
    small = np.zeros((side, side), dtype=np.float32)
    sh, sw = max(1, round(ih * scale)), max(1, round(iw * scale))
    y, x = (side - sh) // 2, (side - sw) // 2
    small[y : y + sh, x : x + sw] = ink.resize(drawn, sw, sh)
    small = np.round(small / small.max() * 16) / 16 if small.max() > 0 else small
    out = integer(rng, 32, 128)
    big = ink.resize(small.astype(np.float32), out, out, smooth=chance(rng, 0.4))
    if chance(rng, 0.5):
        big = 1 - big
    return r.encode(r.to_uint8(big * 255))


def chalkboard(digit: Digit, rng: np.random.Generator) -> bytes:
    """Chalk on a green or charcoal board: light, grainy, broken strokes; smudges of old chalk."""
    mask = ink.digit_mask(digit, log_uniform(rng, 40, 220), rng, weight=uniform(rng, -0.2, 0.4))
    h, w, top, left = _sheet_around(mask, rng, 0.2, 1.2)
    board = pick(rng, [(40, 70, 55), (30, 55, 45), (45, 48, 50), (35, 38, 42), (25, 45, 40)])
    sheet = r.page(h, w, jitter_colour(rng, board, 6), rng, texture=6)
    smudge = np.clip(ink.smooth_field(h, w, rng, integer(rng, 3, 7)) - 0.3, 0, None)
    r.apply_ink(sheet, smudge * np.float32(uniform(rng, 0.05, 0.25)), (200, 205, 200))
    r.add_noise(sheet, rng, 4, 0)
    grain = max(1.0, mask.shape[0] / 60)
    chalk = ink.texture_ink(mask, rng, uniform(rng, 0.2, 0.6), grain)
    colour = pick(rng, [(240, 240, 235), (235, 235, 225), (245, 235, 150), (240, 190, 200), (190, 220, 245)])
    r.apply_ink(sheet, chalk, jitter_colour(rng, colour, 8), uniform(rng, 0.6, 0.95), top, left)
    if chance(rng, 0.6):
        return r.photo_finish(sheet, rng, grey_chance=0.05)
    return r.finish(sheet, rng, grey_chance=0.05)


def ballpoint(digit: Digit, rng: np.random.Generator) -> bytes:
    """A ballpoint pen: thin (1.5-4.5 px at any size) blue, black or red strokes that vary in density."""
    height = log_uniform(rng, 30, 250)
    mask = ink.digit_mask(digit, height, rng, pen=uniform(rng, 1.5, 4.5) / height)
    h, w, top, left = _sheet_around(mask, rng, 0.1, 1.2)
    sheet = r.page(h, w, r.paper_colour(rng), rng)
    pressure = 1 - np.float32(uniform(rng, 0.1, 0.4)) * np.abs(ink.smooth_field(mask.shape[0], mask.shape[1], rng, 5))
    colour = pick(rng, [(25, 45, 150), (20, 30, 100), (30, 30, 40), (190, 30, 40), (30, 90, 60)])
    r.apply_ink(sheet, ink.harden(mask, 2.0) * pressure, jitter_colour(rng, colour, 10), 1.0, top, left)
    if chance(rng, 0.4):
        return r.photo_finish(sheet, rng)
    return r.finish(sheet, rng)


def pencil(digit: Digit, rng: np.random.Generator) -> bytes:
    """Graphite: low-contrast grey strokes broken by the paper's tooth, on textured paper."""
    mask = ink.digit_mask(digit, log_uniform(rng, 30, 250), rng, weight=uniform(rng, -0.4, 0.3))
    h, w, top, left = _sheet_around(mask, rng, 0.1, 1.2)
    sheet = r.page(h, w, r.paper_colour(rng), rng, texture=8)
    r.add_noise(sheet, rng, uniform(rng, 2, 6), 0)
    graphite = ink.texture_ink(mask, rng, uniform(rng, 0.15, 0.5), max(1.0, mask.shape[0] / 120))
    tone = uniform(rng, 60, 130)
    r.apply_ink(sheet, graphite, (tone, tone, tone + 5), uniform(rng, 0.55, 0.9), top, left)
    if chance(rng, 0.4):
        return r.photo_finish(sheet, rng)
    return r.finish(sheet, rng, jpeg=0.4)


LIGHT_PAPERS: tuple[Colour, ...] = (
    (252, 236, 110),
    (250, 190, 205),
    (170, 210, 240),
    (190, 235, 185),
    (252, 200, 140),
)
DARK_PAPERS: tuple[Colour, ...] = ((25, 35, 80), (20, 20, 22), (110, 25, 35), (25, 70, 40), (60, 30, 80))
LIGHT_INKS: tuple[Colour, ...] = ((245, 245, 245), (230, 230, 230), (250, 230, 120), (200, 200, 210))


def coloured_paper(digit: Digit, rng: np.random.Generator) -> bytes:
    """A sticky note or coloured card: dark ink on light colours, or light ink on dark paper."""
    mask = ink.digit_mask(digit, log_uniform(rng, 30, 250), rng)
    h, w, top, left = _sheet_around(mask, rng, 0.1, 1.0)
    if chance(rng, 0.7):
        sheet = r.page(h, w, jitter_colour(rng, pick(rng, LIGHT_PAPERS), 12), rng, texture=5)
        colour = jitter_colour(rng, pick(rng, [*r.DARK_INKS, (170, 30, 40), (30, 30, 30)]), 10)
    else:
        sheet = r.page(h, w, jitter_colour(rng, pick(rng, DARK_PAPERS), 10), rng, texture=5)
        colour = jitter_colour(rng, pick(rng, LIGHT_INKS), 8)
    r.apply_ink(sheet, mask, colour, uniform(rng, 0.75, 1.0), top, left)
    if chance(rng, 0.6):
        return r.photo_finish(sheet, rng, grey_chance=0.1)
    return r.finish(sheet, rng, grey_chance=0.1)


PAPER_KINDS: dict[str, DigitMaker] = {
    "form_box": form_box,
    "shadow_photo": shadow_photo,
    "grid_paper": grid_paper,
    "ruled_paper": ruled_paper,
    "tight_crop": tight_crop,
    "small_scan": small_scan,
    "chalkboard": chalkboard,
    "ballpoint": ballpoint,
    "pencil": pencil,
    "coloured_paper": coloured_paper,
}
