"""The first six realistic-upload kinds, moved here from ``bench/realistic_uploads.py`` unchanged.

Scan, phone photo, HTML-canvas export, small off-centre digit, rotated digit and MNIST's own PNG.
The code is kept byte-for-byte in behaviour (same random draws in the same order), so a seed gives
the same uploads as the bench did and accuracies measured before and after the move compare; the
bench should import ``UPLOAD_KINDS`` from here. The newer kinds (``paper``) build on ``render``.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFilter

Digit = npt.NDArray[np.uint8]
UploadMaker = Callable[[Digit, np.random.Generator], bytes]


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _ink_on_paper(digit: Digit, side: int, rng: np.random.Generator, angle: float = 0.0) -> npt.NDArray[np.floating]:
    """The digit enlarged to ``side`` pixels as dark ink on light paper, float 0-255."""
    ink = Image.fromarray(digit).resize((side, side), Image.Resampling.BICUBIC)
    if angle:
        ink = ink.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=0)
    coverage = np.asarray(ink, dtype=np.float32) / 255.0
    paper = rng.uniform(215, 250)
    ink_tone = rng.uniform(10, 70)
    return paper - coverage * (paper - ink_tone)


def make_scan(digit: Digit, rng: np.random.Generator) -> bytes:
    """A flatbed scan: dark ink on white paper, mild noise, PNG."""
    side = int(rng.integers(120, 320))
    page = _ink_on_paper(digit, side, rng) + rng.normal(0, 4, (side, side))
    return _encode(Image.fromarray(np.clip(page, 0, 255).astype(np.uint8)), "PNG")


def make_photo(digit: Digit, rng: np.random.Generator) -> bytes:
    """A phone photo: RGB JPEG, uneven light, blur, a small tilt, digit placed anywhere in the frame."""
    height = int(rng.integers(360, 800))
    width = int(rng.integers(height, 2 * height))
    side = int(rng.integers(int(0.3 * height), int(0.8 * height)))
    frame = np.full((height, width), rng.uniform(200, 245), dtype=np.float32)
    top, left = int(rng.integers(0, height - side)), int(rng.integers(0, width - side))
    patch = _ink_on_paper(digit, side, rng, angle=float(rng.uniform(-8, 8)))
    frame[top : top + side, left : left + side] = np.minimum(frame[top : top + side, left : left + side], patch)
    rows, cols = np.mgrid[0:height, 0:width]
    direction = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(direction) * cols / width + np.sin(direction) * rows / height + 1) / 2
    frame *= 1.0 - rng.uniform(0.2, 0.45) * ramp  # light falls off across the page
    frame += rng.normal(0, 5, frame.shape)
    tint = rng.uniform(0.9, 1.0, 3)
    rgb = np.clip(frame[..., None] * tint, 0, 255).astype(np.uint8)
    image = Image.fromarray(rgb).filter(ImageFilter.GaussianBlur(float(rng.uniform(0.5, 2.0))))
    return _encode(image, "JPEG", quality=int(rng.integers(60, 90)))


def make_canvas(digit: Digit, rng: np.random.Generator) -> bytes:
    """An HTML canvas export: black strokes on a transparent background (hidden colour black), RGBA PNG."""
    side = 280
    alpha = np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BICUBIC))
    rgba = np.zeros((side, side, 4), dtype=np.uint8)
    rgba[..., 3] = alpha
    return _encode(Image.fromarray(rgba, mode="RGBA"), "PNG")


def make_small_offcentre(digit: Digit, rng: np.random.Generator) -> bytes:
    """A small digit in a corner of a large light image, PNG."""
    width, height = int(rng.integers(300, 600)), int(rng.integers(300, 600))
    side = int(rng.integers(36, 70))
    page = np.full((height, width), 240.0, dtype=np.float32)
    top, left = int(rng.integers(0, height - side)), int(rng.integers(0, width - side))
    page[top : top + side, left : left + side] = _ink_on_paper(digit, side, rng)
    page += rng.normal(0, 3, page.shape)
    return _encode(Image.fromarray(np.clip(page, 0, 255).astype(np.uint8)), "PNG")


def make_rotated(digit: Digit, rng: np.random.Generator) -> bytes:
    """Slightly rotated dark ink on paper, JPEG."""
    side = int(rng.integers(100, 260))
    page = _ink_on_paper(digit, side, rng, angle=float(rng.choice([-1, 1]) * rng.uniform(5, 15)))
    page = np.where(page == 0, 240, page)
    return _encode(Image.fromarray(np.clip(page, 0, 255).astype(np.uint8)), "JPEG", quality=85)


def make_mnist_png(digit: Digit, rng: np.random.Generator) -> bytes:
    """MNIST's own format, white on black 28x28, as a PNG."""
    return _encode(Image.fromarray(digit), "PNG")


UPLOAD_KINDS: dict[str, UploadMaker] = {
    "scan": make_scan,
    "photo": make_photo,
    "canvas": make_canvas,
    "small_offcentre": make_small_offcentre,
    "rotated": make_rotated,
    "mnist_png": make_mnist_png,
}
