"""Decoding: libpng (imagecodecs) takes PNGs, Pillow everything else, and both give the same grey image."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from app.errors import InvalidImageError
from app.preprocessing import decode
from tests.support.images import encode_image

MAX_PIXELS = 25_000_000


def page(height: int, width: int, channels: int = 0) -> np.ndarray:
    """A grey gradient with a dark bar: every grey level used, so a colour-weight slip shows."""
    rng = np.random.default_rng(7)
    shape = (height, width, channels) if channels else (height, width)
    pixels = rng.integers(0, 256, shape, dtype=np.uint8)
    pixels[height // 3 : height // 2] = 0
    return pixels


def pillow_only(data: bytes, side: int = decode.DECODE_SIDE) -> np.ndarray:
    opened = decode.open_image(data, MAX_PIXELS)
    return decode._grayscale(decode._load_reduced(opened, side))


@pytest.mark.parametrize("mode", ["L", "RGB", "P", "1"])
def test_a_png_is_decoded_by_libpng_as_pillow_decodes_it(mode: str) -> None:
    data = encode_image(page(120, 90, 3), mode=mode)
    opened = decode.open_image(data, MAX_PIXELS)
    fast = decode._png(opened, data, decode.DECODE_SIDE)
    assert fast is not None
    assert fast.shape == (120, 90)
    assert np.abs(fast.astype(int) - pillow_only(data)).max() <= 1


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_a_transparent_canvas_is_flattened_the_same_way(mode: str) -> None:
    rgba = page(100, 100, 4)
    rgba[..., 3] = 0
    rgba[30:70, 40:60, 3] = 255
    data = encode_image(rgba, mode=mode)
    fast = decode._png(decode.open_image(data, MAX_PIXELS), data, decode.DECODE_SIDE)
    assert fast is not None
    assert np.abs(fast.astype(int) - pillow_only(data)).max() <= 1


def test_a_transparent_colour_is_flattened_like_an_alpha_channel() -> None:
    gray = page(60, 80)
    gray[gray == 0] = 1
    gray[:, :20] = 0  # the transparent colour (tRNS): paper, whatever it hides
    image = Image.fromarray(gray)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", transparency=0)
    data = buffer.getvalue()
    fast = decode._png(decode.open_image(data, MAX_PIXELS), data, decode.DECODE_SIDE)
    assert fast is not None
    assert np.abs(fast.astype(int) - pillow_only(data)).max() <= 1


def test_a_16_bit_png_keeps_its_high_byte() -> None:
    deep = page(50, 40).astype(np.uint16) * 257  # 0-65535
    image = Image.fromarray(deep)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    data = buffer.getvalue()
    np.testing.assert_array_equal(decode.decode_grayscale(data, MAX_PIXELS), page(50, 40))


def test_a_large_png_is_reduced_by_whole_blocks() -> None:
    data = encode_image(page(700, 905))
    fast = decode.decode_grayscale(data, MAX_PIXELS)
    assert fast.shape == (700 // 3, 905 // 3)  # 905 // 300 = 3
    assert np.abs(fast.astype(int) - pillow_only(data)[: 700 // 3, : 905 // 3]).mean() < 1.0


def test_a_png_with_exif_is_left_to_pillow_which_turns_it_upright() -> None:
    image = Image.fromarray(page(40, 60))
    exif = Image.Exif()
    exif[decode.ORIENTATION_TAG] = 6  # turned a quarter
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", exif=exif)
    data = buffer.getvalue()
    assert decode._png(decode.open_image(data, MAX_PIXELS), data, decode.DECODE_SIDE) is None
    assert decode.decode_grayscale(data, MAX_PIXELS).shape == (60, 40)


def test_a_broken_png_is_refused_with_pillows_reason() -> None:
    data = bytearray(encode_image(page(200, 200)))
    data[len(data) // 2] ^= 0xFF  # a flipped byte in the compressed pixels: libpng's CRC check fails
    with pytest.raises(InvalidImageError, match="corrupt or truncated PNG"):
        decode.decode_grayscale(bytes(data), MAX_PIXELS)
