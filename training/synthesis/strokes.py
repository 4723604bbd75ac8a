"""Letters and symbols as ink masks: hand-drawn from stroke skeletons, or typeset in Pillow's font.

Non-digit marks must look like what people actually put in front of a digit reader, which is
mostly handwriting, so every character we use has a skeleton (polylines in a unit box) that is
jittered and drawn with a random pen. Typefaces (the built-in scalable font, and for training the
system's TrueType families: ``use_system_typefaces``) add printed variants: labels, stickers, typed text.

Characters that a reader could fairly take for a digit are left out (``DIGIT_LOOKALIKES``): a
non-digit test set containing an "O" or an "l" would punish a correct "0" or "1".
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from training.synthesis.ink import FloatArray, affine, coverage, crop_to_ink, elastic, pad
from training.synthesis.rand import chance, pick, uniform

Point = tuple[float, float]
Glyph = list[list[Point]]

# Characters left out of non-digit sets because a fair reader could call them digits, and why.
DIGIT_LOOKALIKES: dict[str, str] = {
    "O": "0",
    "o": "0",
    "D": "0 (a narrow D)",
    "Q": "0",
    "U": "0 (closed at the top when written fast)",
    "I": "1",
    "i": "1",
    "l": "1",
    "j": "1 (dot lost)",
    "|": "1",
    "/": "1 (MNIST's ones lean right)",
    "\\": "1",
    "Z": "2",
    "z": "2",
    "S": "5",
    "s": "5",
    "b": "6",
    "G": "6",
    "B": "8",
    "g": "9",
    "q": "9",
    "y": "4 or 9 (open-top handwritten 4)",
    ".": "too small to be anything",
    ",": "too small to be anything",
}


def arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 10) -> list[Point]:
    """Points along an ellipse; angles in degrees, 0 = right, 90 = down (image coordinates)."""
    angles = np.radians(np.linspace(start, end, n))
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in angles]


def mirror(glyph: Glyph) -> Glyph:
    return [[(1 - x, y) for x, y in line] for line in glyph]


def dot(x: float, y: float) -> list[Point]:
    return [(x, y), (x + 0.01, y + 0.02)]


_P_BOWL = [(0.0, 1.0), (0.0, 0.0), (0.55, 0.0), *arc(0.55, 0.27, 0.4, 0.27, -90, 90), (0.0, 0.54)]
_PAREN = [arc(1.1, 0.5, 0.75, 0.6, 125, 235)]
_ANGLE = [[(0.85, 0.15), (0.15, 0.5), (0.85, 0.85)]]

# Unit box: x 0-1 left to right, y 0 (cap height) to 1 (baseline); lowercase x-height at 0.4,
# descenders to 1.35. Drawn in pen order so that jitter looks like a hand, not like noise.
GLYPHS: dict[str, Glyph] = {
    "A": [[(0, 1), (0.5, 0), (1, 1)], [(0.22, 0.6), (0.78, 0.6)]],
    "C": [arc(0.55, 0.5, 0.45, 0.5, -40, -320, 14)],
    "E": [[(0.9, 0), (0, 0), (0, 1), (0.9, 1)], [(0, 0.5), (0.7, 0.5)]],
    "F": [[(0.9, 0), (0, 0), (0, 1)], [(0, 0.5), (0.7, 0.5)]],
    "H": [[(0, 0), (0, 1)], [(1, 0), (1, 1)], [(0, 0.5), (1, 0.5)]],
    "J": [[(0.2, 0), (1, 0)], [(0.7, 0), (0.7, 0.7), *arc(0.4, 0.7, 0.3, 0.3, 0, 180, 8)]],
    "K": [[(0, 0), (0, 1)], [(0.95, 0), (0, 0.6)], [(0.3, 0.42), (1, 1)]],
    "L": [[(0, 0), (0, 1), (0.85, 1)]],
    "M": [[(0, 1), (0, 0), (0.5, 0.65), (1, 0), (1, 1)]],
    "N": [[(0, 1), (0, 0), (1, 1), (1, 0)]],
    "P": [_P_BOWL],
    "R": [_P_BOWL, [(0.35, 0.54), (0.95, 1)]],
    "T": [[(0, 0), (1, 0)], [(0.5, 0), (0.5, 1)]],
    "V": [[(0, 0), (0.5, 1), (1, 0)]],
    "W": [[(0, 0), (0.25, 1), (0.5, 0.35), (0.75, 1), (1, 0)]],
    "X": [[(0, 0), (1, 1)], [(1, 0), (0, 1)]],
    "Y": [[(0, 0), (0.5, 0.5), (1, 0)], [(0.5, 0.5), (0.5, 1)]],
    "a": [arc(0.42, 0.7, 0.38, 0.3, -20, 340, 14), [(0.82, 0.4), (0.82, 1)]],
    "c": [arc(0.5, 0.7, 0.42, 0.3, -40, -320, 12)],
    "d": [arc(0.42, 0.7, 0.38, 0.3, -20, 340, 14), [(0.82, 0), (0.82, 1)]],
    "e": [[(0.1, 0.72), (0.9, 0.72), *arc(0.5, 0.72, 0.4, 0.3, 0, -300, 12)]],
    "f": [[*arc(0.75, 0.2, 0.3, 0.2, -20, -180, 6), (0.45, 1)], [(0.15, 0.45), (0.8, 0.45)]],
    "h": [[(0, 0), (0, 1)], [(0, 0.68), *arc(0.42, 0.68, 0.42, 0.28, 180, 360, 8), (0.84, 1)]],
    "k": [[(0, 0), (0, 1)], [(0.75, 0.4), (0, 0.75), (0.8, 1)]],
    "m": [
        [(0, 1), (0, 0.4)],
        [(0, 0.62), *arc(0.25, 0.62, 0.25, 0.22, 180, 360, 7), (0.5, 1)],
        [(0.5, 0.62), *arc(0.75, 0.62, 0.25, 0.22, 180, 360, 7), (1, 1)],
    ],
    "n": [[(0, 1), (0, 0.4)], [(0, 0.66), *arc(0.42, 0.66, 0.42, 0.26, 180, 360, 8), (0.84, 1)]],
    "p": [[(0, 0.4), (0, 1.35)], arc(0.42, 0.7, 0.42, 0.3, 180, 540, 14)],
    "r": [[(0, 1), (0, 0.4)], [(0, 0.68), *arc(0.45, 0.68, 0.45, 0.26, 180, 310, 6)]],
    "t": [[(0.4, 0.08), (0.4, 0.88), (0.55, 1), (0.8, 0.95)], [(0.1, 0.4), (0.8, 0.4)]],
    "u": [[(0, 0.4), (0, 0.75), *arc(0.4, 0.75, 0.4, 0.25, 180, 0, 8)], [(0.8, 0.4), (0.8, 1)]],
    "v": [[(0, 0.4), (0.5, 1), (1, 0.4)]],
    "w": [[(0, 0.4), (0.25, 1), (0.5, 0.55), (0.75, 1), (1, 0.4)]],
    "x": [[(0, 0.4), (1, 1)], [(1, 0.4), (0, 1)]],
    "+": [[(0.5, 0.15), (0.5, 0.85)], [(0.15, 0.5), (0.85, 0.5)]],
    "-": [[(0.05, 0.5), (0.95, 0.5)]],
    "=": [[(0.05, 0.38), (0.95, 0.38)], [(0.05, 0.62), (0.95, 0.62)]],
    "?": [[*arc(0.5, 0.27, 0.38, 0.25, -170, 90, 10), (0.5, 0.72)], dot(0.5, 0.95)],
    "!": [[(0.5, 0), (0.5, 0.72)], dot(0.5, 0.95)],
    "@": [
        arc(0.5, 0.52, 0.18, 0.2, 0, 360, 12),
        [(0.68, 0.32), (0.68, 0.68), (0.85, 0.72), *arc(0.5, 0.52, 0.47, 0.47, 0, -320, 16)],
    ],
    "#": [
        [(0.38, 0.05), (0.28, 0.95)],
        [(0.72, 0.05), (0.62, 0.95)],
        [(0.1, 0.35), (0.95, 0.35)],
        [(0.05, 0.65), (0.9, 0.65)],
    ],
    "%": [[(0.85, 0.05), (0.15, 0.95)], arc(0.22, 0.2, 0.16, 0.16, 0, 360, 10), arc(0.78, 0.8, 0.16, 0.16, 0, 360, 10)],
    "&": [[(0.95, 1), *arc(0.45, 0.22, 0.2, 0.2, 60, -240, 10), *arc(0.4, 0.72, 0.32, 0.28, -60, 110, 8), (0.95, 0.5)]],
    "*": [[(0.5, 0.1), (0.5, 0.9)], [(0.15, 0.3), (0.85, 0.7)], [(0.85, 0.3), (0.15, 0.7)]],
    "(": _PAREN,
    ")": mirror(_PAREN),
    "<": _ANGLE,
    ">": mirror(_ANGLE),
    "$": [[*arc(0.5, 0.3, 0.35, 0.2, -30, -270, 8), *arc(0.5, 0.7, 0.35, 0.2, -90, 150, 8)], [(0.5, 0), (0.5, 1)]],
    "~": [[(0.05 + 0.9 * t, 0.5 - 0.15 * math.sin(2 * math.pi * t)) for t in np.linspace(0, 1, 12)]],
}

# How wide each glyph is drawn, relative to the cap height.
NARROW = set("!()<>-=+*?$fkrt")
WIDE = set("MWm@%#&w")
LETTERS = "".join(c for c in GLYPHS if c.isalpha())
SYMBOLS = "".join(c for c in GLYPHS if not c.isalpha())


def glyph_width(char: str) -> float:
    return 0.45 if char in NARROW else 1.05 if char in WIDE else 0.72


def draw_polylines(lines: list[npt.NDArray[np.float64]], h: int, w: int, thickness: int) -> FloatArray:
    """Anti-aliased polylines (pixel coordinates, sub-pixel precise) as a coverage mask."""
    canvas = np.zeros((h, w), dtype=np.uint8)
    shift = 3
    fixed = [np.round(line * (1 << shift)).astype(np.int32).reshape(-1, 1, 2) for line in lines]
    cv2.polylines(canvas, fixed, False, 255, max(1, thickness), cv2.LINE_AA, shift)
    return coverage(canvas)


def pen_thickness(height: float, rng: np.random.Generator) -> int:
    """A pen stroke for writing ``height`` px tall: from a fine liner to a marker."""
    return max(1, round(height * uniform(rng, 0.04, 0.12)))


def hand_text(text: str, height: float, rng: np.random.Generator, thickness: int | None = None) -> FloatArray:
    """``text`` hand-drawn with capitals about ``height`` px tall: jittered skeletons, a random pen.

    Characters without a skeleton are skipped; spaces leave a gap.
    """
    thickness = thickness or pen_thickness(height, rng)
    jitter = uniform(rng, 0.01, 0.045)
    lines: list[npt.NDArray[np.float64]] = []
    x = 0.0
    for char in text:
        width = glyph_width(char) * uniform(rng, 0.8, 1.2)
        if char == " ":
            x += 0.5
            continue
        baseline = rng.normal(0, 0.04)
        for stroke in GLYPHS.get(char, []):
            points = np.asarray(stroke, dtype=np.float64)
            points = points + rng.normal(0, jitter, points.shape)
            lines.append(np.stack([x + points[:, 0] * width, points[:, 1] + baseline], 1))
        x += width + uniform(rng, 0.12, 0.35)
    margin = thickness + 2
    scaled = [line * height + margin for line in lines]
    w = math.ceil(x * height + 2 * margin)
    h = math.ceil(1.5 * height + 2 * margin)
    mask = draw_polylines(scaled, h, w, thickness)
    return slant(mask, rng, height)


def slant(mask: FloatArray, rng: np.random.Generator, height: float) -> FloatArray:
    """A writer's slant, tilt and wobble, applied to a whole word."""
    mask = affine(mask, uniform(rng, -8, 8), uniform(rng, -0.35, 0.15), uniform(rng, 0.85, 1.15))
    if height >= 12 and chance(rng, 0.6):
        mask = elastic(mask, rng, uniform(rng, 0, 0.04) * height, cells=4)
    return crop_to_ink(mask)


FONT_DIRS = tuple(Path("/usr/share/fonts/truetype") / name for name in ("dejavu", "liberation2", "freefont"))
"""Where ``use_system_typefaces`` looks (``make train-judge`` installs Debian's fonts-dejavu-core,
fonts-liberation2 and fonts-freefont-ttf)."""
TYPEFACES: list[Path | None] = [None]
"""Typefaces printed marks are drawn in: Pillow's built-in font (``None``), so that every machine
makes the same test sets; training adds the system's with ``use_system_typefaces``."""


def use_system_typefaces() -> int:
    """Also draw printed marks in every TrueType face under ``FONT_DIRS``; returns how many faces are used.

    For training only: the faces installed differ from machine to machine, and test sets must not.
    """
    TYPEFACES[1:] = sorted(p for d in FONT_DIRS if d.is_dir() for p in d.glob("*.ttf"))
    return len(TYPEFACES)


@functools.lru_cache(maxsize=256)
def _font(size: int, face: Path | None = None) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size) if face is None else ImageFont.truetype(str(face), size=size)


def font_text(text: str, height: float, rng: np.random.Generator) -> FloatArray:
    """``text`` typeset in one of ``TYPEFACES``, capitals about ``height`` px, random weight.

    Weight comes from Pillow's stroke outline; an italic from a shear afterwards.
    """
    size = max(6, round(height * 1.4))
    size = int(np.clip(size - size % 2, 6, 400))  # even sizes: fewer cached fonts
    font = _font(size, pick(rng, TYPEFACES))
    bold = round(size * uniform(rng, 0, 0.06)) if chance(rng, 0.6) else 0
    left, top, right, bottom = font.getbbox(text, stroke_width=bold)
    canvas = Image.new("L", (int(right - left) + 4, int(bottom - top) + 4), 0)
    ImageDraw.Draw(canvas).text((2 - left, 2 - top), text, font=font, fill=255, stroke_width=bold, stroke_fill=255)
    mask = pad(coverage(np.asarray(canvas, dtype=np.uint8)), 2, 2, 2, 2)
    if chance(rng, 0.3):
        mask = affine(mask, 0.0, uniform(rng, -0.3, 0.0))
    return crop_to_ink(affine(mask, uniform(rng, -5, 5), 0.0))
