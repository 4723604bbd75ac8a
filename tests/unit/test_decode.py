"""Decoding: libspng (imagecodecs) takes most PNGs, Pillow everything else, and both give the same grey image."""

from __future__ import annotations

import io
import sys

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
    return decode._grayscale(decode._load_reduced(opened, side)).gray


@pytest.mark.parametrize("mode", ["L", "RGB", "P", "1"])
def test_a_png_is_decoded_by_libspng_as_pillow_decodes_it(mode: str) -> None:
    data = encode_image(page(120, 90, 3), mode=mode)
    opened = decode.open_image(data, MAX_PIXELS)
    fast = decode._png(opened, data, decode.DECODE_SIDE)
    assert fast is not None
    assert fast.gray.shape == (120, 90)
    assert np.abs(fast.gray.astype(int) - pillow_only(data)).max() <= 1
    assert not fast.layer


def test_a_transparent_canvas_is_flattened_the_same_way() -> None:
    rgba = page(100, 100, 4)
    rgba[..., 3] = 0
    rgba[30:70, 40:60, 3] = 255
    data = encode_image(rgba)
    fast = decode._png(decode.open_image(data, MAX_PIXELS), data, decode.DECODE_SIDE)
    assert fast is not None
    assert np.abs(fast.gray.astype(int) - pillow_only(data)).max() <= 1
    assert fast.layer  # drawn on a transparent layer: nothing printed under it


def test_a_coloured_drawing_on_a_transparent_layer_is_full_strength_ink() -> None:
    """On a layer, what is opaque is drawn whatever its colour: a yellow stroke is as dark as a black one."""
    rgba = np.zeros((100, 100, 4), np.uint8)
    rgba[30:70, 45:55] = (255, 230, 0, 255)  # yellow, its luminance (211) nearer white than black
    rgba[30:70, 55] = (255, 230, 0, 128)  # its anti-aliased edge, half opaque
    decoded = decode.decode_grayscale(encode_image(rgba), MAX_PIXELS)
    assert decoded.layer
    assert decoded.gray[50, 50] == 0  # full-strength dark ink
    assert decoded.gray[50, 55] == 127  # half-strength
    assert decoded.gray[0, 0] == decode.LAYER_PAPER


def test_an_image_mostly_opaque_is_no_transparent_layer() -> None:
    """A scan or photo with a transparent corner (a cut-out, a rounded frame) may show printed lines."""
    rgba = page(100, 100, 4)
    rgba[..., 3] = 255
    rgba[:30, :30, 3] = 0
    assert not decode.decode_grayscale(encode_image(rgba), MAX_PIXELS).layer


def transparent_colour_png() -> bytes:
    gray = page(60, 80)
    gray[gray == 0] = 1
    gray[:, :20] = 0  # the transparent colour (tRNS): paper, whatever it hides
    buffer = io.BytesIO()
    Image.fromarray(gray).save(buffer, format="PNG", transparency=0)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        transparent_colour_png(),
        encode_image(page(60, 80, 3), mode="LA"),
        encode_image(page(60, 80).astype(np.uint16) * 257),
    ],
    ids=["transparent colour", "grey and alpha", "16-bit grey"],
)
def test_what_libspng_leaves_out_is_left_to_pillow(data: bytes) -> None:
    assert decode._png(decode.open_image(data, MAX_PIXELS), data, decode.DECODE_SIDE) is None
    assert decode.decode_grayscale(data, MAX_PIXELS).gray.shape == (60, 80)


def test_refused_pngs_leave_pythons_references_alone() -> None:
    """imagecodecs' libpng binding dropped a reference to None for each PNG it refused: Python aborted."""
    data = bytearray(encode_image(page(50, 50)))
    data[len(data) // 2] ^= 0xFF
    before = sys.getrefcount(None)
    for _ in range(300):
        with pytest.raises(InvalidImageError):
            decode.decode_grayscale(bytes(data), MAX_PIXELS)
    assert sys.getrefcount(None) > before - 100


def test_a_16_bit_png_keeps_its_high_byte() -> None:
    deep = page(50, 40).astype(np.uint16) * 257  # 0-65535
    image = Image.fromarray(deep)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    data = buffer.getvalue()
    np.testing.assert_array_equal(decode.decode_grayscale(data, MAX_PIXELS).gray, page(50, 40))


def test_a_large_png_is_reduced_by_whole_blocks() -> None:
    data = encode_image(page(700, 905))
    fast = decode.decode_grayscale(data, MAX_PIXELS).gray
    assert fast.shape == (700 // 3, 905 // 3)  # 905 // 300 = 3
    assert np.abs(fast.astype(int) - pillow_only(data)[: 700 // 3, : 905 // 3]).mean() < 1.0


def test_a_sliver_thinner_than_a_block_keeps_a_row() -> None:
    """2 x 200,000 pixels: the whole-block factor (hundreds) had left no row, and OpenCV failed (a 500)."""
    assert decode.decode_grayscale(encode_image(page(2, 200_000)), MAX_PIXELS).gray.shape == (1, 100_000)
    assert decode.by_whole_blocks(page(3, 10), 5).shape == (1, 3)


def test_a_png_with_exif_is_left_to_pillow_which_turns_it_upright() -> None:
    image = Image.fromarray(page(40, 60))
    exif = Image.Exif()
    exif[decode.ORIENTATION_TAG] = 6  # turned a quarter
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", exif=exif)
    data = buffer.getvalue()
    assert decode._png(decode.open_image(data, MAX_PIXELS), data, decode.DECODE_SIDE) is None
    assert decode.decode_grayscale(data, MAX_PIXELS).gray.shape == (60, 40)


def test_a_broken_png_is_refused_with_pillows_reason() -> None:
    data = bytearray(encode_image(page(200, 200)))
    data[len(data) // 2] ^= 0xFF  # a flipped byte in the compressed pixels: libpng's CRC check fails
    with pytest.raises(InvalidImageError, match="corrupt or truncated PNG"):
        decode.decode_grayscale(bytes(data), MAX_PIXELS)


@pytest.mark.parametrize(("fmt", "mode"), [("GIF", "P"), ("BMP", "P"), ("TIFF", "1"), ("TIFF", "P")])
def test_large_palette_and_1_bit_images_are_reduced(fmt: str, mode: str) -> None:
    """Pillow cannot average indices or bits: these were a ValueError (a 500) over 600 px."""
    data = encode_image(page(700, 650, 3), fmt, mode=mode)
    gray = decode.decode_grayscale(data, MAX_PIXELS).gray
    assert gray.shape == (350, 325)
    assert gray.dtype == np.uint8


@pytest.mark.parametrize("side", [100, 700])
def test_a_16_bit_tiff_keeps_its_high_byte(side: int) -> None:
    """Pillow's own conversion clipped every level above 255 to white: a blank page."""
    deep = page(side, side).astype(np.uint16) * 257
    buffer = io.BytesIO()
    Image.fromarray(deep).save(buffer, format="TIFF")
    gray = decode.decode_grayscale(buffer.getvalue(), MAX_PIXELS).gray
    expected = pillow_only(encode_image(page(side, side)))
    assert gray.shape == expected.shape
    assert np.abs(gray.astype(int) - expected).max() <= 1


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_number_turned_by_exif_reports_its_upright_size(fmt: str) -> None:
    image = Image.fromarray(page(40, 60))
    exif = Image.Exif()
    exif[decode.ORIENTATION_TAG] = 6  # turned a quarter
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, exif=exif)
    decoded, size = decode.decode_upright(buffer.getvalue(), MAX_PIXELS)
    assert size == (40, 60)
    assert decoded.gray.shape == (60, 40)


def test_a_plain_png_number_keeps_its_size() -> None:
    decoded, size = decode.decode_upright(encode_image(page(40, 60)), MAX_PIXELS)
    assert size == (60, 40)
    assert decoded.gray.shape == (40, 60)
