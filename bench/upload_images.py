"""The four uploads the benchmark posts, made deterministically from MNIST test digits.

Each is what a real caller sends, at the size that matters for cost (issue 16):

* ``canvas``: the drawing page's export, a 280x280 RGBA PNG, black strokes on transparency;
* ``photo600``: a 600x600 JPEG phone photo of a digit on paper (fall-off, a shadow, a cast, grain);
* ``phone12mp``: a 12-megapixel (4000x3000) JPEG at quality 90, as phone cameras save them, with
  grain at full resolution so that it has a real photo's entropy (and decoding cost);
* ``number``: a 5-digit number written on paper, about 600x150, for ``POST /predict/number``.

Pillow's full decode of the same bytes (:func:`pillow_decode_seconds`) is the floor the service's
cost per upload is compared with.
"""

from __future__ import annotations

import io
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

from training.synthesis import ink
from training.synthesis import render as r
from training.synthesis.numbers import make_number
from training.synthesis.paper import phone_jpeg
from training.synthesis.uploads import make_canvas

Digit = npt.NDArray[np.uint8]
NUMBER_SIZE = (150, 600)  # (h, w) of the number image
NUMBER_DIGITS = 5


@dataclass(frozen=True)
class UploadImage:
    """An upload's bytes and what the service is expected to read from it."""

    name: str
    data: bytes
    content_type: str
    filename: str
    text: str  # the digit or number written on it
    description: str


def _photo_of_digit(digit: Digit, h: int, w: int, quality: int, rng: np.random.Generator) -> bytes:
    """A digit on a sheet of paper photographed in poor light, drawn at about 480 px, saved at ``h`` x ``w``."""
    wh, ww, _ = r.working_size(h, w)
    mask = ink.digit_mask(digit, 0.45 * min(wh, ww), rng)
    sheet = r.page(wh, ww, (238, 236, 228), rng, texture=6)
    top, left = (wh - mask.shape[0]) // 2, (ww - mask.shape[1]) // 2
    r.apply_ink(sheet, mask, (25, 35, 110), 0.9, top, left)
    r.light(sheet, r.gradient(wh, ww, rng, 0.45))
    r.light(sheet, 1.0 - r.hard_shadow(wh, ww, rng) * np.float32(0.35), (0.9, 0.95, 1.1))
    r.colour_cast(sheet, rng, 0.08)
    return phone_jpeg(sheet, rng, (h, w), noise=(6, 6), blur_px=0.8 * max(h, w) / 500, quality=(quality, quality))


def _number(digits: list[Digit], labels: list[int], rng: np.random.Generator) -> tuple[bytes, str]:
    """A number on paper ('clear_gaps'), fitted into ``NUMBER_SIZE`` on the same paper colour."""
    data, text, _ = make_number(digits, labels, "clear_gaps", rng)
    image = Image.open(io.BytesIO(data)).convert("RGB")
    h, w = NUMBER_SIZE
    scale = min(w / image.width, h / image.height)
    fitted = image.resize(
        (max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.Resampling.LANCZOS
    )
    corner = np.asarray(fitted)[:4, :4].reshape(-1, 3).mean(axis=0)
    canvas = Image.new("RGB", (w, h), tuple(int(c) for c in corner))
    canvas.paste(fitted, ((w - fitted.width) // 2, (h - fitted.height) // 2))
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return buffer.getvalue(), text


def make_upload_images(
    digits: npt.NDArray[np.uint8], labels: npt.NDArray[np.integer], seed: int = 16
) -> list[UploadImage]:
    """The four uploads, from the first MNIST test digits (``digits`` (n, 28, 28), n >= 6)."""
    rng = np.random.default_rng(seed)
    number, text = _number(
        [digits[i] for i in range(1, 1 + NUMBER_DIGITS)], [int(x) for x in labels[1 : 1 + NUMBER_DIGITS]], rng
    )
    digit, label = digits[0], str(labels[0])
    # Made in this order, which the seed's draws depend on: the same seed gives the same bytes.
    canvas = make_canvas(digit, rng)
    photo = _photo_of_digit(digit, 600, 600, 85, rng)
    phone = _photo_of_digit(digit, 3000, 4000, 90, rng)
    number_description = f"{NUMBER_SIZE[1]}x{NUMBER_SIZE[0]} number PNG, {NUMBER_DIGITS} digits"
    return [
        UploadImage("canvas", canvas, "image/png", "drawing.png", label, "280x280 canvas PNG (RGBA)"),
        UploadImage("photo600", photo, "image/jpeg", "photo.jpg", label, "600x600 photo JPEG"),
        UploadImage("phone12mp", phone, "image/jpeg", "IMG_0001.jpg", label, "4000x3000 phone JPEG (q90)"),
        UploadImage("number", number, "image/png", "number.png", text, number_description),
    ]


def pillow_decode(data: bytes) -> None:
    """Pillow's plain full decode: the floor any image service pays."""
    Image.open(io.BytesIO(data)).load()


def median_seconds(function: Callable[[bytes], object], data: bytes, repeats: int) -> float:
    """Median CPU time of this thread in ``function(data)`` over ``repeats`` calls, after one warm-up call.

    CPU time, not wall time: on a machine shared with other work the wall time of a 1 ms decode
    doubles with the load, and the floor is compared with the server's CPU time per upload.
    """
    function(data)
    times = []
    for _ in range(repeats):
        started = time.thread_time()
        function(data)
        times.append(time.thread_time() - started)
    return statistics.median(times)


def pillow_decode_seconds(data: bytes, budget: float = 1.0) -> float:
    """Median CPU time of Pillow's decode of ``data``, one thread, over about ``budget`` seconds of calls."""
    once = median_seconds(pillow_decode, data, 3)
    return median_seconds(pillow_decode, data, max(5, min(2000, int(budget / max(once, 1e-6)))))
