"""Pixel arrays (parsed JSON lists, or tensors) into MNIST digits, with no per-pixel Python work.

numpy converts the nested lists in C; every check is a vectorised test on the whole array.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.errors import InvalidPixelsError
from mnist_format import FIELD_SIDE, PIXELS

ACCEPTED_SHAPES = {(PIXELS,), (FIELD_SIDE, FIELD_SIDE), (FIELD_SIDE, FIELD_SIDE, 1)}
NUMERIC_KINDS = "iuf"  # signed, unsigned, float: not bool, strings or objects


def to_digit(value: Any, where: str = "pixels") -> np.ndarray:
    """784 numbers or a 28x28 list (MNIST format) to a float32 ``(28, 28)`` image in 0-1.

    Values are 0-255, or 0-1 floats: an array whose values never exceed 1 is read as 0-1.
    """
    if not isinstance(value, list):
        raise InvalidPixelsError(f"{where}: expected an array of 784 numbers or 28x28, got {type(value).__name__}")
    if len(value) not in (PIXELS, FIELD_SIDE):  # refuse huge arrays before converting them
        raise InvalidPixelsError(f"{where}: expected 784 numbers or 28 rows of 28, got {len(value)} items")
    array = numeric_array(value, where)
    if array.shape not in ACCEPTED_SHAPES:
        raise InvalidPixelsError(f"{where}: shape {list(array.shape)} is not [784], [28, 28] or [28, 28, 1]")
    return scale_pixels(array.reshape(FIELD_SIDE, FIELD_SIDE), where)


BATCH_SHAPES = "[N, 784], [N, 28, 28] or [N, 28, 28, 1]"


def numeric_array(value: Any, where: str) -> np.ndarray:
    """Nested JSON lists to a numeric array, refusing ragged nesting, strings, booleans and nulls."""
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise InvalidPixelsError(f"{where}: rows of unequal length or mixed nesting") from exc
    if array.dtype.kind not in NUMERIC_KINDS:
        raise InvalidPixelsError(f"{where}: every value must be a number")
    return array


def to_digit_batch(array: np.ndarray, where: str) -> np.ndarray:
    """A batch tensor of any accepted shape to ``(n, 28, 28)`` float32 in 0-1."""
    shape = tuple(array.shape)
    if len(shape) < 2 or shape[0] < 1 or shape[1:] not in ACCEPTED_SHAPES:
        raise InvalidPixelsError(f"{where}: shape {list(shape)} is not {BATCH_SHAPES} with N >= 1")
    return scale_images(array.reshape(shape[0], FIELD_SIDE, FIELD_SIDE), where)


def scale_pixels(array: np.ndarray, where: str) -> np.ndarray:
    """Check one image's values are finite and within 0-255 and scale them to 0-1 float32."""
    image: np.ndarray = scale_images(array[np.newaxis], where)[0]
    return image


def scale_images(images: np.ndarray, where: str) -> np.ndarray:
    """The same for a batch ``(n, 28, 28)``, each image's scale (0-255 or 0-1) detected on its own."""
    pixels = images.astype(np.float32, copy=False)
    if not np.isfinite(pixels).all():
        raise InvalidPixelsError(f"{where}: values must be finite numbers")
    low, high = float(pixels.min()), float(pixels.max())
    if low < 0.0 or high > 255.0:
        raise InvalidPixelsError(f"{where}: values must lie in 0-255 (or 0-1), found {low:g} to {high:g}")
    peaks = pixels.reshape(len(pixels), -1).max(axis=1)
    divisors = np.where(peaks > 1.0, np.float32(255.0), np.float32(1.0)).astype(np.float32)
    scaled: np.ndarray = pixels / divisors[:, np.newaxis, np.newaxis]
    return scaled
