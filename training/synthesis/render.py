"""Pages, light, camera and encoding: how ink on paper becomes the bytes a user uploads.

Every kind is built the same way: an ink coverage mask (``ink``) is laid onto a float RGB page
(0-255) in an ink colour, then the page goes through lighting, camera and encoding steps. Keeping
those steps here means the paper, mark and number modules only describe *what* is on the page, and
a fix to, say, the JPEG step reaches every kind at once. Work is done with OpenCV on float32 arrays
so that one image costs a few milliseconds; big photos are drawn at a working resolution.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from training.synthesis.ink import ByteArray, FloatArray, coverage, harden, noise_field, pad, resize, smooth_field
from training.synthesis.rand import Colour, chance, integer, jitter_colour, pick, uniform

# --- pages, ink and colour ------------------------------------------------------------------------

WHITE_PAPERS: tuple[Colour, ...] = ((246, 246, 242), (238, 236, 228), (250, 248, 240), (230, 232, 235), (242, 238, 222))
DARK_INKS: tuple[Colour, ...] = ((20, 20, 25), (25, 35, 110), (15, 30, 80), (45, 45, 50), (60, 40, 90))
LINE_BLUES: tuple[Colour, ...] = ((120, 160, 215), (150, 185, 225), (160, 170, 180), (130, 190, 200), (175, 200, 170))
FORM_LINES: tuple[Colour, ...] = ((20, 20, 20), (30, 60, 150), (110, 110, 115), (60, 60, 60), (170, 40, 40))


def paper_colour(rng: np.random.Generator) -> Colour:
    return jitter_colour(rng, pick(rng, WHITE_PAPERS), 6)


def dark_ink(rng: np.random.Generator) -> Colour:
    return jitter_colour(rng, pick(rng, DARK_INKS), 8)


def page(h: int, w: int, colour: Colour, rng: np.random.Generator, texture: float = 4.0) -> FloatArray:
    """A sheet of one colour with uneven tone (``texture`` grey levels of large-scale blotches)."""
    tone = 1.0 + smooth_field(h, w, rng, integer(rng, 2, 6)) * np.float32(texture / 255.0)
    return (tone[..., None] * np.asarray(colour, dtype=np.float32)).astype(np.float32)


def apply_ink(
    sheet: FloatArray, mask: FloatArray, colour: Colour, opacity: float = 1.0, top: int = 0, left: int = 0
) -> None:
    """Lay ink of ``colour`` with coverage ``mask`` onto ``sheet`` at (top, left), in place."""
    h, w = mask.shape
    sh, sw = sheet.shape[:2]
    y0, x0, y1, x1 = max(0, top), max(0, left), min(sh, top + h), min(sw, left + w)
    if y0 >= y1 or x0 >= x1:
        return
    alpha = mask[y0 - top : y1 - top, x0 - left : x1 - left, None] * np.float32(opacity)
    region = sheet[y0:y1, x0:x1]
    region += alpha * (np.asarray(colour, dtype=np.float32) - region)


def line_mask(h: int, w: int, draw: list[tuple[str, tuple[float, ...], int]]) -> FloatArray:
    """Printed lines and boxes as a coverage mask, anti-aliased with sub-pixel positions.

    Each item is ``("line", (x0, y0, x1, y1), thickness)`` or ``("rect", (x0, y0, x1, y1), thickness)``
    (thickness -1 fills the rectangle).
    """
    canvas = np.zeros((h, w), dtype=np.uint8)
    shift = 4
    for shape, coords, thickness in draw:
        p = [round(c * (1 << shift)) for c in coords]
        if shape == "line":
            cv2.line(canvas, (p[0], p[1]), (p[2], p[3]), 255, max(1, thickness), cv2.LINE_AA, shift)
        else:
            cv2.rectangle(canvas, (p[0], p[1]), (p[2], p[3]), 255, thickness, cv2.LINE_AA, shift)
    return coverage(canvas)


def ruling(h: int, w: int, spacing: float, offset: float, vertical: bool, every: int, heavy: int) -> FloatArray:
    """Evenly spaced printed lines across a page; every ``every``-th one ``heavy`` px thick."""
    items: list[tuple[str, tuple[float, ...], int]] = []
    length, across = (w, h) if vertical else (h, w)
    for i, pos in enumerate(np.arange(offset % spacing, length, spacing)):
        thick = heavy if every and (i + int(offset // spacing)) % every == 0 else 1
        coords = (pos, 0.0, pos, float(across)) if vertical else (0.0, pos, float(across), pos)
        items.append(("line", coords, thick))
    return line_mask(h, w, items)


# --- light and camera -----------------------------------------------------------------------------


def gradient(h: int, w: int, rng: np.random.Generator, strength: float) -> FloatArray:
    """Light falling off across the frame (linear, plus sometimes a vignette): a multiplier <= 1."""
    angle = uniform(rng, 0, 2 * math.pi)
    ys = np.linspace(-0.5, 0.5, h, dtype=np.float32)[:, None]
    xs = np.linspace(-0.5, 0.5, w, dtype=np.float32)[None, :]
    ramp = (np.float32(math.cos(angle)) * xs + np.float32(math.sin(angle)) * ys + 0.5).clip(0, 1)
    light = 1.0 - np.float32(strength) * ramp
    if chance(rng, 0.4):
        light = light * (1.0 - np.float32(uniform(rng, 0.1, 0.4)) * (xs * xs + ys * ys) * 2)
    return light.astype(np.float32)


def hard_shadow(h: int, w: int, rng: np.random.Generator) -> FloatArray:
    """A shadow of a hand or phone: a large shape from one edge with a soft penumbra, 0-1."""
    scale = 4
    sh, sw = max(2, h // scale), max(2, w // scale)
    mask = np.zeros((sh, sw), dtype=np.uint8)
    if chance(rng, 0.5):  # a straight edge across the page (phone, ruler, the photographer's body)
        a = (uniform(rng, -0.2, 1.2) * sw, -1.0)
        b = (uniform(rng, -0.2, 1.2) * sw, sh + 1.0)
        side = pick(rng, [-1.0, sw + 1.0])
        points = np.array([a, b, (side, sh + 1.0), (side, -1.0)])
    else:  # a rounded blob from an edge (a hand, a head)
        centre = np.array([pick(rng, [0.0, sw]), uniform(rng, 0, sh)])
        if chance(rng, 0.5):
            centre = np.array([uniform(rng, 0, sw), pick(rng, [0.0, sh])])
        radius = uniform(rng, 0.3, 0.8) * max(sh, sw)
        angles = np.linspace(0, 2 * math.pi, 24, endpoint=False)
        radii = radius * (1 + 0.25 * rng.standard_normal(24))
        points = centre + np.stack([np.cos(angles) * radii, np.sin(angles) * radii * uniform(rng, 0.5, 1.5)], 1)
    cv2.fillPoly(mask, [np.round(points).astype(np.int32)], 255, cv2.LINE_AA)
    soft = cv2.GaussianBlur(coverage(mask), (0, 0), uniform(rng, 0.5, 4.0))
    return np.asarray(cv2.resize(soft, (w, h), interpolation=cv2.INTER_LINEAR), dtype=np.float32)


def light(sheet: FloatArray, multiplier: FloatArray, tint: Colour = (1.0, 1.0, 1.0)) -> None:
    """Multiply the light on ``sheet`` in place; ``tint`` colours what the multiplier darkens."""
    if tint == (1.0, 1.0, 1.0):
        sheet *= multiplier[..., None]
        return
    shade = 1.0 - multiplier[..., None]
    sheet *= 1.0 - shade * (2.0 - np.asarray(tint, dtype=np.float32))


def colour_cast(sheet: FloatArray, rng: np.random.Generator, amount: float) -> None:
    """White balance off by up to ``amount``: warm lamps or cool daylight, plus a slight tint."""
    temperature = uniform(rng, -amount, amount)
    tint = uniform(rng, -amount, amount) / 3
    sheet *= np.asarray([1 + temperature, 1 + tint, 1 - temperature], dtype=np.float32)


def add_noise(sheet: FloatArray, rng: np.random.Generator, sigma: float, colour: float = 0.3) -> None:
    """Sensor or scanner noise of ``sigma`` grey levels, partly coloured, in place."""
    if sigma <= 0:
        return
    h, w = sheet.shape[:2]
    sheet += noise_field(h, w, rng)[..., None] * np.float32(sigma)
    if colour > 0 and sheet.ndim == 3:
        sheet += noise_field(h, w, rng, 2.0)[..., None] * np.asarray(
            rng.uniform(-colour, colour, 3) * sigma, dtype=np.float32
        )


def blur(sheet: FloatArray, sigma: float) -> FloatArray:
    if sigma < 0.2:
        return sheet
    return np.asarray(cv2.GaussianBlur(sheet, (0, 0), sigma), dtype=np.float32)


def perspective_matrix(h: int, w: int, rng: np.random.Generator, amount: float) -> npt.NDArray[np.float64]:
    """A random homography moving each corner by up to ``amount`` of the image size."""
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    moves = rng.uniform(-amount, amount, (4, 2)) * np.array([w, h])
    return np.asarray(cv2.getPerspectiveTransform(src, (src + moves).astype(np.float32)), dtype=np.float64)


def warp(sheet: FloatArray, matrix: npt.NDArray[np.float64], border: Colour | None = None) -> FloatArray:
    """Apply a homography; outside the sheet is ``border`` (a desk) or the sheet's own edge."""
    h, w = sheet.shape[:2]
    if border is None:
        out = cv2.warpPerspective(sheet, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    else:
        value = border if sheet.ndim == 3 else (border[0],)
        out = cv2.warpPerspective(
            sheet, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=value
        )
    return np.asarray(out, dtype=np.float32)


def warp_points(points: npt.NDArray[np.float64], matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Where the (n, 2) ``points`` land under the homography ``matrix``."""
    if len(points) == 0:
        return points
    out = cv2.perspectiveTransform(points.reshape(-1, 1, 2).astype(np.float64), matrix)
    return np.asarray(out, dtype=np.float64).reshape(-1, 2)


# --- output ---------------------------------------------------------------------------------------


def to_uint8(sheet: FloatArray) -> ByteArray:
    return np.asarray(np.clip(sheet + 0.5, 0, 255), dtype=np.uint8)


def grey(sheet: FloatArray) -> FloatArray:
    """Luma of an RGB sheet (scanners and many apps save grey)."""
    weights = np.asarray([0.299, 0.587, 0.114], dtype=np.float32)
    return np.asarray(sheet @ weights, dtype=np.float32)


def encode(pixels: ByteArray, fmt: str = "png", quality: int = 90) -> bytes:
    """PNG or JPEG bytes of a grey (h, w), RGB (h, w, 3) or RGBA (h, w, 4) uint8 image."""
    if pixels.ndim == 3:
        code = cv2.COLOR_RGBA2BGRA if pixels.shape[2] == 4 else cv2.COLOR_RGB2BGR
        pixels = np.asarray(cv2.cvtColor(pixels, code), dtype=np.uint8)
    if fmt == "jpeg":
        ok, data = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])
    else:
        ok, data = cv2.imencode(".png", pixels, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise ValueError(f"could not encode a {pixels.shape} image as {fmt}")
    return bytes(data.tobytes())


def fine_grain(pixels: ByteArray, rng: np.random.Generator, sigma: float) -> ByteArray:
    """Pixel-sized noise on a uint8 image, cheaply: a random tile repeated, added with saturation.

    Used after enlarging a scene rendered at a working resolution, to give back the sensor grain
    that enlarging smooths away; uint8 OpenCV arithmetic keeps a 2-megapixel frame to a millisecond.
    """
    if sigma <= 0:
        return pixels
    h, w = pixels.shape[:2]
    channels = pixels.shape[2:]
    tile = rng.standard_normal((97, 101, *[1 for _ in channels]), dtype=np.float32) * np.float32(sigma)
    reps = (math.ceil(h / 97) + 1, math.ceil(w / 101) + 1, *channels)
    y, x = integer(rng, 0, 96), integer(rng, 0, 100)

    def spread(part: FloatArray) -> ByteArray:
        small = np.clip(part, 0, 255).astype(np.uint8)
        if channels:
            small = np.repeat(small, channels[0], axis=2)
        return np.asarray(cv2.repeat(small, reps[0], reps[1]), dtype=np.uint8)[y : y + h, x : x + w]

    up, down = spread(tile), spread(-tile)
    return np.asarray(cv2.subtract(cv2.add(pixels, up), down), dtype=np.uint8)


def finish(
    sheet: FloatArray,
    rng: np.random.Generator,
    *,
    noise: tuple[float, float] = (1.0, 5.0),
    blur_px: tuple[float, float] = (0.0, 0.8),
    jpeg: float = 0.5,
    quality: tuple[int, int] = (60, 95),
    grey_chance: float = 0.3,
    size: tuple[int, int] | None = None,
) -> bytes:
    """The last steps every kind shares: noise, blur, sometimes grey, enlarging, PNG or JPEG.

    Each step draws its strength from the given range so a kind can be scan-clean or phone-rough.
    ``size`` (h, w) enlarges a scene drawn at a working resolution to the size of the upload
    (``blur_px`` is then in output pixels), which keeps big phone photos cheap to make.
    """
    factor = 1.0 if size is None else max(size) / max(sheet.shape[:2])
    sigma = uniform(rng, *noise)
    add_noise(sheet, rng, sigma)
    sheet = blur(sheet, uniform(rng, *blur_px) / factor)
    if sheet.ndim == 3 and chance(rng, grey_chance):
        sheet = grey(sheet)
    pixels = to_uint8(sheet)
    if size is not None and size != pixels.shape[:2]:
        resized = cv2.resize(pixels, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)
        pixels = fine_grain(np.asarray(resized, dtype=np.uint8), rng, sigma * 0.7)
    if chance(rng, jpeg):
        return encode(pixels, "jpeg", integer(rng, *quality))
    return encode(pixels, "png")


def working_size(h: int, w: int, side: int = 480) -> tuple[int, int, float]:
    """The size to draw an ``h`` x ``w`` upload at, and the scale from upload to working pixels."""
    scale = min(1.0, side / max(h, w))
    return max(1, round(h * scale)), max(1, round(w * scale)), scale


def photo_finish(
    sheet: FloatArray,
    rng: np.random.Generator,
    *,
    strength: float = 0.35,
    shadow: float = 0.2,
    tilt: float = 0.04,
    size: tuple[int, int] | None = None,
    grey_chance: float = 0.2,
) -> bytes:
    """A handheld phone photo of ``sheet``: light fall-off, maybe a shadow, a cast, a tilt, JPEG.

    ``tilt`` bounds the random perspective (0: none, for callers that warp with a known matrix);
    ``size`` is the upload's (h, w) when ``sheet`` is drawn at a smaller working resolution.
    """
    h, w = sheet.shape[:2]
    light(sheet, gradient(h, w, rng, uniform(rng, 0.05, strength)))
    if chance(rng, shadow):
        light(sheet, 1.0 - hard_shadow(h, w, rng) * np.float32(uniform(rng, 0.2, 0.5)), (0.9, 0.95, 1.1))
    colour_cast(sheet, rng, 0.08)
    if tilt > 0 and chance(rng, 0.5):
        sheet = warp(sheet, perspective_matrix(h, w, rng, tilt))
    scale = max(size or (h, w)) / 400
    return finish(
        sheet,
        rng,
        noise=(2, 8),
        blur_px=(0.3 * scale, 1.2 * scale),
        jpeg=0.9,
        quality=(55, 92),
        size=size,
        grey_chance=grey_chance,
    )


def present(mask: FloatArray, rng: np.random.Generator, style: str | None = None) -> bytes:
    """Ink as any upload a user might send: scan, photo, or a drawing app's canvas export.

    Marks and digits go through the same presentations so that a detector cannot tell them apart
    by how they were sent. ``style`` is one of ``PRESENT_STYLES`` (random when None).
    """
    style = style or pick(rng, PRESENT_STYLES)
    h, w = mask.shape
    margin = uniform(rng, 0.05, 0.8) * max(h, 0.3 * w)  # words: a margin of letter heights
    top, left = round(margin * uniform(rng, 0.3, 1.7)), round(margin * uniform(rng, 0.3, 1.7))
    full = pad(mask, top, round(2 * margin) - top, left, round(2 * margin) - left)
    if style.startswith("canvas"):
        limit = integer(rng, 200, 600) / max(full.shape)
        if limit < 1:
            full = resize(full, round(full.shape[1] * limit), round(full.shape[0] * limit))
        full = harden(full, uniform(rng, 1.5, 6.0))
        if style == "canvas_rgba":
            rgba = np.zeros((*full.shape, 4), dtype=np.uint8)
            rgba[..., :3] = 255 if chance(rng, 0.3) else 0
            rgba[..., 3] = to_uint8(full * 255)
            return encode(rgba)
        value = full * 255 if style == "canvas_dark" else 255 - full * 255
        return encode(to_uint8(value.astype(np.float32)))
    sheet = page(full.shape[0], full.shape[1], paper_colour(rng), rng)
    apply_ink(sheet, full, dark_ink(rng), uniform(rng, 0.75, 1.0))
    if style == "photo":
        return photo_finish(sheet, rng)
    return finish(sheet, rng)


PRESENT_STYLES: tuple[str, ...] = ("scan", "photo", "canvas_rgba", "canvas_dark", "canvas_light")
