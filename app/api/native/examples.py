"""A hand-drawn 7 in MNIST format, for the OpenAPI docs' ready-to-run examples."""

from __future__ import annotations

from functools import cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SEVEN_STROKES = [(7, 7), (21, 7), (13, 23)]


@cache
def example_pixels() -> list[list[int]]:
    """A 28x28 white-on-black 7, drawn with a 3-pixel pen and softened like MNIST's anti-aliasing."""
    image = Image.new("L", (28, 28), 0)
    ImageDraw.Draw(image).line(SEVEN_STROKES, fill=255, width=3, joint="curve")
    softened = image.filter(ImageFilter.GaussianBlur(0.5))
    pixels: list[list[int]] = np.asarray(softened, dtype=np.uint8).tolist()
    return pixels
