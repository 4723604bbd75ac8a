"""Image bytes to a grayscale array, safely: formats allow-listed, size checked before decoding.

The result is uint8 luminance at no more resolution than the cleaning needs. A JPEG is decoded
straight to grayscale at a reduced scale (draft mode: a 12-megapixel photo decodes at 1/8 scale,
several times faster than in full); other formats are box-reduced by an integer factor, in C. The
transparency of canvas exports is resolved here, so later steps never see an alpha channel; they
only learn that the image was drawn on a transparent layer (``Decoded.layer``).
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import cv2
import imagecodecs
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from app.errors import (
    EmptyBodyError,
    ImageTooLargeError,
    InvalidImageError,
    NoDigitFoundError,
    UnsupportedMediaTypeError,
)

# Formats users upload; MPO is what many phone cameras call their JPEGs.
SUPPORTED_FORMATS = ("PNG", "JPEG", "MPO", "BMP", "GIF", "TIFF", "WEBP")
SUPPORTED_FORMATS_TEXT = "PNG, JPEG, BMP, GIF, TIFF or WebP"
# Images are decoded at no less than this on their longer side where they are larger, then reduced
# by an integer factor. Cleaning works on ~160x160; the extra leaves a small digit in a big photo
# enough pixels to be cleaned again around it. 300 rather than 400 lets a 600-799 px JPEG decode at
# half scale: a 600x600 photo's reading fell from 2.9 to 2.5 ms of CPU (1.9x Pillow's full decode),
# with the same share of photo, shadowed-photo, chalkboard, pencil, coloured-paper and small
# off-centre digits read right (seed 3, 200 a kind, ``python -m bench.realistic_uploads``); a
# 12-megapixel photo still decodes at 500x375.
DECODE_SIDE = 300
# A number's image is as long as several digits: its longer side keeps more, as measured before
# (at 300, comb fields and canvas numbers lost 1-2 points in ``python -m bench.numbers``, seed 3).
NUMBER_DECODE_SIDE = 400
# Signatures of documents people send by mistake, to answer "unsupported" rather than "corrupt".
KNOWN_UNSUPPORTED = {b"%PDF": "PDF", b"<svg": "SVG", b"<?xml": "SVG/XML"}
OPAQUE_ALPHA = 128  # alpha from which a pixel counts as drawn
LAYER_SHARE = 0.5  # an image at least this transparent was drawn on a transparent layer (a canvas export)
LAYER_PAPER = 255  # a transparent layer's paper level once flattened: its drawing becomes dark ink on white
ORIENTATION_TAG = 0x0112  # EXIF orientation; 5-8 turn the image a quarter (width and height swap)
SIDEWAYS = (5, 6, 7, 8)


@dataclass(frozen=True)
class Decoded:
    """An upload as uint8 luminance (``gray``), upright, transparency flattened.

    ``layer``: drawn on a transparent layer, as the page's canvas and drawing apps export: there is
    no paper under it, so nothing on it is printed (no ruled lines, no form boxes) and the cleaning
    need not look for any (0.39 of the 1.83 ms of CPU that reading the page's canvas took); its
    ``gray`` is its drawing as dark ink on ``LAYER_PAPER``.
    """

    gray: np.ndarray
    layer: bool = False


def _unsupported_kind(data: bytes) -> str | None:
    head = data[:256].lstrip()
    return next((kind for magic, kind in KNOWN_UNSUPPORTED.items() if head.startswith(magic)), None)


def open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Parse the header only and enforce the format allow-list and the pixel limit."""
    if not data:
        raise EmptyBodyError("the image is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        if isinstance(exc, UnidentifiedImageError):
            kind = _unsupported_kind(data)
            if kind:
                raise UnsupportedMediaTypeError(
                    f"{kind} is not supported; send a {SUPPORTED_FORMATS_TEXT} image"
                ) from exc
            raise InvalidImageError(
                f"not a recognisable image ({len(data)} bytes); send a {SUPPORTED_FORMATS_TEXT} image"
            ) from exc
        raise ImageTooLargeError(
            f"image too large: its header declares over {Image.MAX_IMAGE_PIXELS:,} pixels; the limit is {max_pixels:,}"
        ) from exc
    except Exception as exc:  # Pillow's plugins raise many kinds on hostile headers
        raise InvalidImageError(f"unreadable image header: {exc}") from exc
    if image.format not in SUPPORTED_FORMATS:
        raise UnsupportedMediaTypeError(
            f"{image.format} images are not supported; send a {SUPPORTED_FORMATS_TEXT} image"
        )
    width, height = image.size
    if width * height > max_pixels:
        raise ImageTooLargeError(f"image is {width}x{height} = {width * height:,} pixels; the limit is {max_pixels:,}")
    if width < 1 or height < 1:
        raise InvalidImageError(f"image has no pixels ({width}x{height})")
    return image


def _load_reduced(image: Image.Image, side: int = DECODE_SIDE) -> Image.Image:
    """Decode the first frame, JPEGs straight to grayscale at a reduced scale, then orient it upright.

    The draft size keeps the image's aspect, so that only the longer side must stay at least
    ``side``: a square request held a 4000x3000 photo at 1/4 scale for its shorter side (then
    halved it), where 1/8 gives the same 500x375 about 3 ms sooner.
    """
    width, height = image.size
    share = side / max(width, height)
    image.draft("L", (max(1, math.ceil(width * share)), max(1, math.ceil(height * share))))
    try:
        image.load()
        oriented = ImageOps.exif_transpose(image)
    except Exception as exc:  # truncated or corrupt data surfaces only on decode
        raise InvalidImageError(f"corrupt or truncated {image.format} image: {exc}") from exc
    oriented = _eight_bit(oriented)
    factor = max(oriented.size) // side
    if factor >= 2:
        oriented = oriented.reduce(factor)
    return oriented


def _eight_bit(image: Image.Image) -> Image.Image:
    """Palette, 1-bit and 16-bit grey images as 8-bit ones that can be averaged and turned grey.

    Pillow cannot reduce the first two (their values are indices or bits; a GIF over 600 px was a
    500), and its own conversion of 16-bit grey clips every level above 255 to white, so a 16-bit
    scan read as a blank page: its high byte is its 8-bit grey.
    """
    if image.mode.startswith("I;16"):
        return Image.fromarray(_high_byte(np.asarray(image)))
    if image.mode in ("P", "PA", "1"):
        return image.convert("RGBA" if _has_alpha(image) else "L")
    return image


def _high_byte(pixels: np.ndarray) -> np.ndarray:
    """16-bit levels as 8-bit ones: their high byte."""
    return (pixels >> 8).astype(np.uint8)


def _flatten_alpha(alpha: np.ndarray, luminance: Callable[[], np.ndarray]) -> Decoded:
    """An image with transparency as flattened grey; ``luminance`` gives its colour's grey when needed.

    On a transparent layer (a canvas export: strokes on a background mostly transparent, whose hidden
    colour is typically black) what is drawn is what is opaque, whatever its colour: it becomes dark
    ink, its opacity the ink's strength, on ``LAYER_PAPER``. A yellow or white stroke reads as well as a
    black one, and the colour is never converted: on a 280x280 canvas of black strokes, the same grey
    image in 27 us instead of 118 (converted to grey and blended; thread CPU, medians of 6,000,
    alternated), and the reading need not look for the paper's level (``paper.flat_paper``, 45 us).
    An image mostly opaque (a scan or photo with a transparent corner) keeps its colours: its
    transparent pixels take the colour opposite to the opaque ones, so they read as paper whatever
    the ink colour. In OpenCV's uint8 operations: Pillow's RGBA-to-LA conversion and numpy's uint16
    arithmetic took 0.4-0.5 ms of a 280x280 canvas, these about 0.15 ms.
    """
    opaque = cv2.threshold(alpha, OPAQUE_ALPHA - 1, 255, cv2.THRESH_BINARY)[1]
    drawn = cv2.countNonZero(opaque)
    if drawn == 0:
        raise NoDigitFoundError("the image is fully transparent")
    if drawn <= (1.0 - LAYER_SHARE) * opaque.size:
        return Decoded(cv2.bitwise_not(alpha), layer=True)
    gray = luminance()
    if drawn == opaque.size:
        return Decoded(gray)
    if cv2.mean(gray, mask=opaque)[0] < 128.0:  # dark ink: what is transparent becomes white paper
        return Decoded(cv2.bitwise_not(cv2.multiply(cv2.bitwise_not(gray), alpha, scale=1 / 255)))
    return Decoded(cv2.multiply(gray, alpha, scale=1 / 255))


def _flatten_rgba(pixels: np.ndarray) -> Decoded:
    """RGBA pixels as flattened grey."""
    return _flatten_alpha(cv2.extractChannel(pixels, 3), partial(cv2.cvtColor, pixels, cv2.COLOR_RGBA2GRAY))


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def _png(image: Image.Image, data: bytes, side: int) -> Decoded | None:
    """A PNG decoded by libspng through imagecodecs (the GIL released), reduced like the rest.

    Median thread CPU, interleaved, on a busy 2-core VM: the page's 280x280 RGBA canvas 0.78 ms
    (OpenCV's libpng 0.98, Pillow 0.97), a 600x150 RGB number 1.01 ms (OpenCV 1.35, Pillow 1.58).
    imagecodecs' libpng binding decodes as fast, but each PNG it refuses drops a reference to
    ``None``: a few thousand corrupt uploads and Python 3.11 aborts. ``None`` (Pillow decodes it)
    for a PNG with EXIF (which may turn it), a transparent colour (``tRNS``, which libspng's
    binding leaves out), grey with alpha or 16-bit grey or RGB (which it does not decode), or data
    libspng refuses; Pillow's error then names the problem.
    """
    if image.format != "PNG" or image.info.keys() & {"exif", "transparency"}:
        return None
    try:
        decoded = imagecodecs.spng_decode(data)
    except (imagecodecs.SpngError, ValueError, RuntimeError):  # the binding's own checks raise the other two
        return None
    if decoded.shape[:2] != image.size[::-1]:
        return None
    if decoded.dtype == np.uint16:
        decoded = _high_byte(decoded)
    factor = max(decoded.shape[:2]) // side
    return _png_gray(by_whole_blocks(decoded, factor) if factor >= 2 else decoded)


def by_whole_blocks(pixels: np.ndarray, factor: int) -> np.ndarray:
    """``pixels`` averaged over ``factor`` x ``factor`` blocks, the last rows and columns that fill no block
    left out: OpenCV's fast path for area averaging (280x280 to 140x140 in 5 us, to 160x160 in 135).
    The factor is capped at the shorter side, so that an image thinner than a block (2 x 8,000,000
    pixels) keeps a row rather than becoming empty."""
    factor = min(factor, pixels.shape[0], pixels.shape[1])
    height, width = pixels.shape[0] // factor, pixels.shape[1] // factor
    shrunk: np.ndarray = cv2.resize(
        pixels[: height * factor, : width * factor], (width, height), interpolation=cv2.INTER_AREA
    )
    return shrunk


def _png_gray(pixels: np.ndarray) -> Decoded:
    """Grey, RGB or RGBA pixels as flattened luminance."""
    if pixels.ndim == 2:
        return Decoded(pixels)
    if pixels.shape[2] == 3:
        return Decoded(cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY))
    return _flatten_rgba(pixels)


def _decoded(image: Image.Image, data: bytes, side: int) -> Decoded:
    """The opened ``image`` as grey: a PNG by libspng where it can (``_png``), else by Pillow."""
    fast = _png(image, data, side)
    return fast if fast is not None else _grayscale(_load_reduced(image, side))


def decode_grayscale(data: bytes, max_pixels: int) -> Decoded:
    """``data`` decoded: upright, alpha flattened, at most about twice DECODE_SIDE on a side."""
    return _decoded(open_image(data, max_pixels), data, DECODE_SIDE)


def decode_upright(data: bytes, max_pixels: int) -> tuple[Decoded, tuple[int, int]]:
    """As ``decode_grayscale`` (at ``NUMBER_DECODE_SIDE``), with the upright upload's own ``(width, height)``."""
    opened = open_image(data, max_pixels)
    width, height = opened.size
    if _orientation(opened) in SIDEWAYS:  # EXIF turns it a quarter: upright is transposed
        width, height = height, width
    return _decoded(opened, data, NUMBER_DECODE_SIDE), (width, height)


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation of an opened image, 1 (upright) when it has none.

    A PNG's EXIF chunk may follow its pixels, so Pillow's ``getexif`` decodes the whole PNG to look
    for one: 1.6 ms of the 600x150 number's 10.9. Only a chunk seen before the pixels counts, as in
    ``_png``, which decodes a PNG without one as it is.
    """
    if image.format == "PNG" and "exif" not in image.info:
        return 1
    try:
        orientation: int = image.getexif().get(ORIENTATION_TAG, 1)
    except Exception:  # a broken EXIF block: _load_reduced leaves such an image as it is, and so do we
        return 1
    return orientation


def _grayscale(image: Image.Image) -> Decoded:
    if image.mode == "RGBA":
        return _flatten_rgba(np.asarray(image))
    if _has_alpha(image):
        luminance, alpha = cv2.split(np.asarray(image.convert("LA")))
        return _flatten_alpha(alpha, lambda: luminance)
    try:
        return Decoded(np.asarray(image.convert("L")))
    except Exception as exc:
        raise InvalidImageError(f"cannot convert {image.mode} image to grayscale: {exc}") from exc
