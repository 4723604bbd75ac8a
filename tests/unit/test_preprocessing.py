"""Image decoding and MNIST normalisation on synthetic images of each kind users send."""

from __future__ import annotations

import io
import time

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from app.errors import (
    EmptyBodyError,
    ImageTooLargeError,
    InvalidImageError,
    NoDigitFoundError,
    UnsupportedMediaTypeError,
)
from app.preprocessing.decode import decode_grayscale
from app.preprocessing.normalize import stroke_width
from app.preprocessing.paper import polarity_score
from app.preprocessing.pipeline import read_gray, read_image
from tests.support.images import encode_image, png_header_only
from training.sources import Mnist, MnistSplit

MAX_PIXELS = 25_000_000


def ink_mask(side: int = 200, offset: tuple[int, int] = (0, 0), width: int = 12) -> np.ndarray:
    """A '7' drawn as a boolean mask on a ``side``-pixel square."""
    image = Image.new("L", (side, side), 0)
    dx, dy = offset
    points = [
        (0.25 * side + dx, 0.2 * side + dy),
        (0.75 * side + dx, 0.2 * side + dy),
        (0.45 * side + dx, 0.85 * side + dy),
    ]
    ImageDraw.Draw(image).line(points, fill=255, width=width, joint="curve")
    return np.asarray(image) > 0


def assert_mnist_like(digit: np.ndarray) -> None:
    assert digit.shape == (28, 28)
    assert digit.dtype == np.float32
    assert digit.min() >= 0.0
    assert digit.max() == pytest.approx(1.0)
    rows, cols = np.flatnonzero(digit.any(axis=1)), np.flatnonzero(digit.any(axis=0))
    assert max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1) in (20, 21)  # fits MNIST's 20x20 box
    moments = cv2.moments(digit)
    assert abs(moments["m01"] / moments["m00"] - 14) <= 1  # centre of mass: row
    assert abs(moments["m10"] / moments["m00"] - 14) <= 1  # and column


def normalized(data: bytes) -> np.ndarray:
    """The pipeline's first (most likely) reading of an image."""
    digit: np.ndarray = read_image(data, MAX_PIXELS).inputs[0]
    return digit


def test_dark_ink_on_light_paper_is_inverted() -> None:
    page = np.where(ink_mask(), 30, 235).astype(np.uint8)
    digit = normalized(encode_image(page))
    assert_mnist_like(digit)
    assert digit[0, 0] == 0.0  # background became black


def test_white_on_black_and_black_on_white_give_the_same_digit() -> None:
    mask = ink_mask()
    light = normalized(encode_image(np.where(mask, 0, 255).astype(np.uint8)))
    dark = normalized(encode_image(np.where(mask, 255, 0).astype(np.uint8)))
    assert np.abs(light - dark).max() < 0.05


def test_transparent_canvas_with_black_strokes_reads_transparency_as_paper() -> None:
    rgba = np.zeros((280, 280, 4), dtype=np.uint8)  # transparent pixels are black underneath
    rgba[..., 3] = np.where(ink_mask(280), 255, 0)
    digit = normalized(encode_image(rgba))
    assert_mnist_like(digit)
    assert digit[0, 0] == 0.0


def test_transparent_canvas_with_white_strokes() -> None:
    rgba = np.full((280, 280, 4), 255, dtype=np.uint8)
    rgba[..., 3] = np.where(ink_mask(280), 255, 0)
    assert_mnist_like(normalized(encode_image(rgba)))


def test_rgb_jpeg_photo_with_uneven_lighting_and_noise() -> None:
    rng = np.random.default_rng(0)
    light = np.linspace(250, 120, 400)[None, :] * np.ones((300, 1))  # a shadow across the page
    mask = np.zeros((300, 400), dtype=bool)
    mask[:, 50:350] = ink_mask(300)
    page = light * np.where(mask, 0.2, 1.0) + rng.normal(0, 6, light.shape)
    rgb = np.repeat(np.clip(page, 0, 255).astype(np.uint8)[..., None], 3, axis=2)
    digit = normalized(encode_image(rgb, "JPEG", quality=70))
    assert_mnist_like(digit)
    clean = normalized(encode_image(np.where(mask, 255, 0).astype(np.uint8)))
    assert np.abs(digit - clean).mean() < 0.05


def test_specks_of_dust_are_ignored() -> None:
    page = np.where(ink_mask(), 0, 255).astype(np.uint8)
    with_dust = page.copy()
    with_dust[5:8, 5:8] = 0
    with_dust[190:192, 190:193] = 0
    assert np.abs(normalized(encode_image(with_dust)) - normalized(encode_image(page))).max() < 0.05


def test_small_off_centre_digit_is_found_and_centred() -> None:
    page = np.full((600, 800), 240, dtype=np.uint8)
    page[420:480, 30:90] = np.where(ink_mask(60, width=4), 20, 240)
    assert_mnist_like(normalized(encode_image(page)))


def test_thin_strokes_are_thickened_to_mnist_width() -> None:
    page = np.where(ink_mask(600, width=3), 0, 255).astype(np.uint8)
    digit = normalized(encode_image(page))
    assert_mnist_like(digit)
    assert stroke_width(digit > 0.5) >= 1.8


def test_exif_orientation_is_honoured() -> None:
    page = np.where(ink_mask(), 0, 255).astype(np.uint8)
    upright = normalized(encode_image(page))
    stored = Image.fromarray(np.rot90(page, k=-1))  # stored rotated, EXIF says rotate back
    exif = stored.getexif()
    exif[0x0112] = 8  # orientation: rotate 90 CW to view
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", exif=exif, quality=95)
    assert np.abs(normalized(buffer.getvalue()) - upright).mean() < 0.03


def test_mnist_format_png_passes_through_nearly_unchanged(test_digits: MnistSplit) -> None:
    for image in test_digits.images:
        digit = normalized(encode_image(image))
        shifts = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]  # centring may round differently
        closest = min(np.abs(np.roll(digit, shift, axis=(0, 1)) - image / 255.0).mean() for shift in shifts)
        assert closest < 0.01


@pytest.mark.parametrize(
    ("fmt", "mode"),
    [("PNG", "L"), ("JPEG", "RGB"), ("BMP", "RGB"), ("GIF", "P"), ("TIFF", "L"), ("WEBP", "RGB")],
)
def test_every_supported_format_decodes(fmt: str, mode: str) -> None:
    page = np.where(ink_mask(), 0, 255).astype(np.uint8)
    assert_mnist_like(normalized(encode_image(page, fmt, mode=mode)))


def test_animated_gif_uses_the_first_frame() -> None:
    first = Image.fromarray(np.where(ink_mask(), 0, 255).astype(np.uint8))
    second = Image.fromarray(np.full((200, 200), 255, dtype=np.uint8))
    buffer = io.BytesIO()
    first.save(buffer, "GIF", save_all=True, append_images=[second])
    assert_mnist_like(normalized(buffer.getvalue()))


def test_polarity_whatever_the_coverage() -> None:
    page = np.full((500, 500), 240.0) + np.random.default_rng(0).normal(0, 3, (500, 500))
    page[200:210, 200:230] = 30  # 0.1% of the image is ink
    paper = np.clip(page, 0, 255).astype(np.uint8)
    assert polarity_score(paper) > 0
    assert polarity_score(255 - paper) < 0


def test_huge_declared_dimensions_are_refused_before_decoding() -> None:
    started = time.perf_counter()
    with pytest.raises(ImageTooLargeError, match=r"too large.*the limit is 25,000,000"):
        decode_grayscale(png_header_only(50_000, 50_000), MAX_PIXELS)
    assert time.perf_counter() - started < 1.0  # refused from the header: no 2.5 GB decode


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", EmptyBodyError),
        (b"definitely not an image", InvalidImageError),
        (b"%PDF-1.7\n...", UnsupportedMediaTypeError),
        (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', UnsupportedMediaTypeError),
        (b'<?xml version="1.0"?><svg></svg>', UnsupportedMediaTypeError),
    ],
)
def test_decode_rejects_non_images(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        decode_grayscale(data, MAX_PIXELS)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP", "TIFF", "BMP"])
def test_decode_rejects_truncated_images(fmt: str) -> None:
    data = encode_image(
        np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8),
        fmt,
        mode="RGB" if fmt == "JPEG" else None,
    )
    with pytest.raises((InvalidImageError, NoDigitFoundError)):
        decode_grayscale(data[: len(data) // 2], MAX_PIXELS)


@pytest.mark.parametrize("pixels", [np.full((1, 1), 255, np.uint8), np.full((100, 100), 200, np.uint8)])
def test_blank_or_one_pixel_images_have_no_digit(pixels: np.ndarray) -> None:
    with pytest.raises(NoDigitFoundError):
        normalized(encode_image(pixels))


def test_fully_transparent_image_has_no_digit() -> None:
    with pytest.raises(NoDigitFoundError, match="transparent"):
        normalized(encode_image(np.zeros((50, 50, 4), np.uint8)))


def test_ink_map_follows_a_hard_shadow_edge_and_keeps_thick_strokes() -> None:
    """A shadow band narrower than the wide opening is paper, not ink; a thick dark stroke stays whole."""
    from app.preprocessing.paper import ink_map

    side = 160
    page = np.full((side, side), 235, np.uint8)
    page[:, 100:135] = 120  # a hard-edged shadow band, 35 px wide (the wide opening is 49)
    strokes = ink_mask(side, width=14)
    page[strokes] = 30
    ink = ink_map(page, dark_ink=True)
    assert float(ink[20:140, 102:133][~strokes[20:140, 102:133]].mean()) < 0.05  # the shadow
    assert float(ink[strokes].mean()) > 0.8  # the stroke, in light and in shadow


def test_no_real_digit_is_refused_as_blank(mnist: Mnist) -> None:
    """Straight-stroked digits once lost every stroke to the line remover (test digit 584)."""
    for image in mnist.test.images[:600]:
        for upload in (image, np.asarray(Image.fromarray(255 - image).resize((112, 112), Image.Resampling.BICUBIC))):
            assert read_gray(upload).inputs.shape[1:] == (28, 28)


def test_a_dark_desk_round_the_page_is_neither_ink_nor_the_paper_side() -> None:
    """A photo whose page leaves a dark desk along two edges: dark ink still, and the desk no ink."""
    from app.preprocessing.paper import ink_map

    side = 200
    page = np.full((side, side), 225, np.uint8)
    page[:, :30] = 40  # the desk, as dark as the pen, along the left edge and the top
    page[:25, :] = 40
    strokes = ink_mask(side, offset=(15, 15), width=6)
    page[strokes] = 35
    assert polarity_score(page) > 0
    ink = ink_map(page, dark_ink=True)
    assert float(ink[:, :30].mean()) < 0.05
    assert float(ink[strokes & (page == 35)].mean()) > 0.8


def test_ink_map_of_a_crop_from_a_photo_follows_shadows_as_the_whole_photo_does() -> None:
    """A small crop is a crop or a scan unless the caller says it came from a photo (``photo=True``)."""
    from app.preprocessing.paper import ink_map

    side = 100
    page = np.full((side, side), 235, np.uint8)
    page[:, 60:82] = 120  # a shadow band 22 px wide
    strokes = ink_mask(side, width=5)
    page[strokes] = 30
    band = ~strokes[10:90, 62:80]
    assert float(ink_map(page, dark_ink=True)[10:90, 62:80][band].mean()) > 0.3  # wide opening only
    assert float(ink_map(page, dark_ink=True, photo=True)[10:90, 62:80][band].mean()) < 0.1


def test_the_writing_leaves_out_a_label_beside_the_digit_and_keeps_a_flag_drawn_apart() -> None:
    """A form field's printed label, small and away from the digit, is not part of the crop."""
    from app.preprocessing.marks import find_marks

    ink = np.zeros((100, 160), np.float32)
    ink[20:80, 100:108] = 1.0  # the digit's stem
    ink[10:16, 104:125] = 1.0  # its flag, drawn apart above it (4 px: closer, grain's gaps join it to the stem)
    ink[45:57, 10:30] = 1.0  # a label, a fifth of the digit's height, far to the left
    found = find_marks(ink)
    assert len(found.marks) == 3
    kept = found.mask(found.writing())
    assert kept[20:80, 100:108].all()
    assert kept[10:16, 104:125].all()
    assert not kept[:, :40].any()


def test_a_blocky_enlargement_is_smoothed_and_other_images_are_left_alone() -> None:
    """An 8x8 scan shown at 64x64 by repeating pixels becomes a smooth 64x64; a photo is untouched."""
    from app.preprocessing.pipeline import blocks, smooth_blocks

    small = (np.arange(64, dtype=np.uint8).reshape(8, 8) * 4).astype(np.uint8)
    blocky = cv2.resize(small, (64, 64), interpolation=cv2.INTER_NEAREST)
    assert blocks(blocky) == (8, 8)
    smooth = smooth_blocks(blocky, blocks(blocky))
    assert smooth.shape == (64, 64)
    assert len(np.unique(smooth)) > 64  # levels between the blocks'
    assert cv2.resize(smooth, (8, 8), interpolation=cv2.INTER_AREA).astype(int) == pytest.approx(small, abs=8)
    noisy = np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)
    assert blocks(noisy) is None
    assert smooth_blocks(noisy, None) is noisy
    tiny = small.copy()  # an 8x8 scan at its own size: nothing repeated
    assert blocks(tiny) is None
