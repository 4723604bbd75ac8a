"""Things that are not one digit, which the service must flag ``is_digit: false``.

Letters and symbols (hand-drawn and typeset), doodles, short words, signatures, blank paper, and
several digits side by side. Each is shown through ``render.present`` like a real upload (a scan, a photo, a canvas
export), the same presentations digits get, so that a detector learns what the ink looks like
rather than how it was sent. Characters a fair reader would take for a digit are never used
(``strokes.DIGIT_LOOKALIKES`` lists them and why).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import cv2
import numpy as np
import numpy.typing as npt

from training.synthesis import ink
from training.synthesis import render as r
from training.synthesis.numbers import layout
from training.synthesis.paper import PAPER_KINDS
from training.synthesis.rand import chance, integer, log_uniform, pick, uniform
from training.synthesis.strokes import LETTERS, SYMBOLS, draw_polylines, font_text, hand_text, pen_thickness, slant

Digit = npt.NDArray[np.uint8]
Points = npt.NDArray[np.float64]
MarkMaker = Callable[[np.random.Generator], bytes]

# Short words written only with letters that cannot pass for digits (no o, l, i, s, z, b, g, q...).
WORDS = (
    "at",
    "an",
    "he",
    "we",
    "me",
    "up",
    "ex",
    "the",
    "and",
    "cat",
    "dew",
    "fun",
    "hat",
    "man",
    "net",
    "pen",
    "red",
    "ten",
    "van",
    "war",
    "wet",
    "hand",
    "deer",
    "name",
    "near",
    "date",
    "cake",
    "hear",
    "fact",
    "Mark",
    "Anne",
    "Peter",
    "water",
    "tree",
    "nerve",
    "Eva",
    "Kate",
    "pea",
    "tea",
    "under",
    "after",
    "mum",
    "dad",
    "Ken",
    "Fred",
)


def _height(rng: np.random.Generator) -> float:
    return log_uniform(rng, 20, 220)


def _text_mask(text: str, rng: np.random.Generator) -> ink.FloatArray:
    """``text`` hand-drawn (most of the time) or typeset, at a random size (smaller for words)."""
    height = _height(rng) / math.sqrt(len(text))
    if chance(rng, 0.6):
        return hand_text(text, height, rng)
    return font_text(text, height, rng)


def letters(rng: np.random.Generator) -> bytes:
    """One letter that is not a digit look-alike, upper or lower case."""
    return r.present(_text_mask(pick(rng, LETTERS), rng), rng)


def symbols(rng: np.random.Generator) -> bytes:
    """One symbol: + - = ? ! @ # % & * ( ) < > $ ~."""
    return r.present(_text_mask(pick(rng, SYMBOLS), rng), rng)


def words(rng: np.random.Generator) -> bytes:
    """A short word, or 2-5 random letters, in one of several casings."""
    word = pick(rng, WORDS)
    if chance(rng, 0.4):
        word = "".join(pick(rng, LETTERS) for _ in range(integer(rng, 2, 5)))
    casings = [c for c in (word, word.upper(), word.capitalize()) if all(ch in LETTERS for ch in c)]
    word = pick(rng, casings or ["ten"])
    return r.present(_text_mask(word, rng), rng)


def signature(rng: np.random.Generator) -> bytes:
    """A signature-like scribble: loops, garlands or a jagged run, some letters tall, maybe underlined."""
    loops = integer(rng, 3, 10)
    t = np.linspace(0, loops * 2 * math.pi, loops * 16)
    vary = ink.smooth_field(2, len(t), rng, 6)
    width = uniform(rng, 0.2, 0.5)
    x = t / (2 * math.pi) * width + uniform(rng, 0.05, 0.3) * (1 + 0.4 * vary[0]) * np.cos(t)
    style = pick(rng, ["loops", "garland", "jagged"])
    if style == "garland":  # connected u-shapes, like "uuu" or "www"
        wave = -np.abs(np.sin(t / 2)) * 2 + 1
    elif style == "jagged":  # a fast, spiky hand
        wave = np.sign(np.sin(t)) * np.abs(np.sin(t)) ** 0.3
    else:
        wave = np.sin(t)
    amplitude = uniform(rng, 0.2, 0.5) * (1 + 0.5 * vary[1])
    tall = rng.random(loops) < uniform(rng, 0.0, 0.4)  # ascenders such as l, h, k
    amplitude = amplitude * np.where(np.repeat(tall, 16)[: len(t)] & (wave > 0), 2.5, 1.0)
    y = -wave * amplitude + np.cumsum(rng.normal(0, 0.01, len(t))) - t * uniform(rng, -0.02, 0.04)
    strokes = [np.stack([x, y], 1)]
    if chance(rng, 0.5):
        x_end = x.max()
        strokes.append(np.array([[uniform(rng, -0.2, 0.3), 0.7], [x_end * 0.6, 0.62], [x_end + 0.2, 0.75]]))
    if chance(rng, 0.4):  # a capital-like first loop, taller than the rest
        strokes.append(np.array([[0.0, 0.5], [0.1, -0.9], [0.25, 0.5]]) + rng.normal(0, 0.05, (3, 2)))
    height = log_uniform(rng, 25, 120)
    return r.present(_draw(strokes, height, rng, pen=max(1, round(height * uniform(rng, 0.02, 0.06)))), rng)


def _draw(
    strokes: Sequence[Points], height: float, rng: np.random.Generator, fill: bool = False, pen: int | None = None
) -> ink.FloatArray:
    """Unit-scale strokes drawn ``height`` px tall with a random pen (filled polygons if ``fill``)."""
    pen = pen or pen_thickness(height, rng)
    points = np.concatenate(strokes)
    low, span = points.min(0), np.maximum(points.max(0) - points.min(0), 1e-3)
    scale = height / span[1] if span[1] > 0.05 * span[0] else height / span[0]
    margin = pen + 2
    scaled = [(s - low) * scale + margin for s in strokes]
    h, w = (np.ceil(span[::-1] * scale) + 2 * margin).astype(int)
    if fill:
        canvas = np.zeros((h, w), dtype=np.uint8)
        cv2.fillPoly(canvas, [np.round(s * 8).astype(np.int32) for s in scaled], 255, cv2.LINE_AA, 3)
        mask = ink.coverage(canvas)
    else:
        mask = draw_polylines(scaled, int(h), int(w), pen)
    return slant(mask, rng, height)


def _circle(cx: float, cy: float, radius: float, start: float = 0, end: float = 2 * math.pi, n: int = 24) -> Points:
    t = np.linspace(start, end, n)
    return np.stack([cx + radius * np.cos(t), cy + radius * np.sin(t)], 1)


def _doodle_strokes(kind: str, rng: np.random.Generator) -> tuple[list[Points], bool]:
    """Unit-scale strokes of one doodle sub-kind, and whether they are filled."""
    if kind == "scribble":
        # a tangle: a random walk that keeps turning back on itself, too busy to read as a character
        steps = integer(rng, 40, 120)
        heading = np.cumsum(rng.normal(0, uniform(rng, 0.5, 1.2), steps))
        walk = np.cumsum(np.stack([np.cos(heading), np.sin(heading)], 1), 0)
        return [np.asarray(cv2.blur(walk, (1, 3)), dtype=np.float64)], False
    if kind == "spiral":
        t = np.linspace(0, uniform(rng, 2.5, 5) * 2 * math.pi, 90)
        radius = 0.05 + t / t[-1] * (1 + 0.1 * rng.standard_normal(len(t)).cumsum() / 10)
        return [np.stack([radius * np.cos(t), radius * np.sin(t) * uniform(rng, 0.7, 1.2)], 1)], False
    if kind == "star":
        points = integer(rng, 5, 7)
        step = 2 if points != 6 else 1
        t = -math.pi / 2 + np.arange(points + 1) * step * 2 * math.pi / points
        if step == 1:  # a six-pointed star as an outline of alternating radii
            t = -math.pi / 2 + np.arange(2 * points + 1) * math.pi / points
            radius = np.where(np.arange(len(t)) % 2 == 0, 1.0, 0.45)
            return [np.stack([radius * np.cos(t), radius * np.sin(t)], 1)], chance(rng, 0.3)
        return [np.stack([np.cos(t), np.sin(t)], 1) + rng.normal(0, 0.04, (len(t), 2))], False
    if kind == "smiley":
        face = _circle(0, 0, 1, 0, 2 * math.pi, 30) + rng.normal(0, 0.02, (30, 2))
        mouth = _circle(0, 0.05, 0.55, 0.2 * math.pi, 0.8 * math.pi, 10)
        eyes = [np.array([[x, -0.35], [x + 0.02, -0.25]]) for x in (-0.35, 0.35)]
        return [face, mouth, *eyes], False
    if kind == "heart":
        t = np.linspace(0, 2 * math.pi, 40)
        x = 16 * np.sin(t) ** 3
        y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
        return [np.stack([x, y], 1) / 16], chance(rng, 0.3)
    if kind == "squiggle":
        t = np.linspace(0, 1, 60)
        y = 0.2 * np.sin(t * uniform(rng, 3, 8) * 2 * math.pi) * (1 + 0.3 * np.sin(t * 7))
        return [np.stack([t * uniform(rng, 2, 4), y], 1)], False
    if kind == "zigzag":
        n = integer(rng, 4, 10)
        xs = np.arange(n) + rng.normal(0, 0.1, n)
        ys = np.where(np.arange(n) % 2 == 0, 0.0, 1.0) * uniform(rng, 0.6, 1.5)
        return [np.stack([xs, ys], 1)], False
    if kind == "hatching":
        n = integer(rng, 4, 12)
        slope = uniform(rng, -1, 1)
        lines = [np.array([[i * 0.2, 0.0], [i * 0.2 + slope, 1.0]]) + rng.normal(0, 0.02, (2, 2)) for i in range(n)]
        if chance(rng, 0.4):  # cross-hatched
            lines += [np.array([[0.0, i / n], [n * 0.2 + 0.5, i / n + slope * 0.3]]) for i in range(n)]
        return lines, False
    if kind == "blob":
        t = np.linspace(0, 2 * math.pi, 20, endpoint=False)
        radius = 1 + 0.3 * ink.smooth_field(1, 20, rng, 5)[0]
        return [np.stack([radius * np.cos(t), radius * np.sin(t) * uniform(rng, 0.5, 1.0)], 1)], True
    # "curves": two or three random smooth curves crossing each other
    curves = []
    for _ in range(integer(rng, 2, 3)):
        control = rng.uniform(0, 1, (4, 2))
        t = np.linspace(0, 1, 30)[:, None]
        curve = (
            (1 - t) ** 3 * control[0]
            + 3 * (1 - t) ** 2 * t * control[1]
            + 3 * (1 - t) * t**2 * control[2]
            + t**3 * control[3]
        )
        curves.append(curve)
    return curves, False


DOODLES = ("scribble", "spiral", "star", "smiley", "heart", "squiggle", "zigzag", "hatching", "blob", "curves")


def doodles(rng: np.random.Generator) -> bytes:
    """A doodle: scribble, spiral, star, smiley, heart, squiggle, zig-zag, hatching, blob or curves."""
    strokes, fill = _doodle_strokes(pick(rng, DOODLES), rng)
    return r.present(_draw(strokes, _height(rng), rng, fill), rng)


def blank(rng: np.random.Generator) -> bytes:
    """Paper with nothing written on it: an empty form box, grid, lined page, board or photo.

    Made by handing a paper kind an empty digit, so each blank looks exactly like its kind's pages.
    """
    kind = pick(rng, sorted(PAPER_KINDS))
    return PAPER_KINDS[kind](np.zeros((28, 28), dtype=np.uint8), rng)


def several_digits(digits: Sequence[Digit], rng: np.random.Generator) -> bytes:
    """Two to four MNIST digits side by side (all of ``digits``), gaps from touching to wide."""
    gaps = pick(rng, [(-0.05, 0.0), (0.0, 0.15), (0.15, 0.5), (0.5, 1.2)])
    line = layout(digits, log_uniform(rng, 24, 120), rng, gaps)
    return r.present(line.mask, rng)


NON_DIGIT_KINDS: dict[str, MarkMaker] = {
    "letters": letters,
    "symbols": symbols,
    "doodles": doodles,
    "words": words,
    "signature": signature,
    "blank": blank,
}


def make_non_digit(rng: np.random.Generator, digits: Sequence[Digit] = ()) -> tuple[str, bytes]:
    """A random non-digit and its kind; ``several_digits`` is among the kinds when ``digits`` are given.

    With ``digits`` (a pool to draw from), a ``several_digits`` sample uses 2-4 of them.
    """
    kinds = [*NON_DIGIT_KINDS, "several_digits"] if len(digits) >= 2 else list(NON_DIGIT_KINDS)
    kind = pick(rng, kinds)
    if kind == "several_digits":
        count = integer(rng, 2, min(4, len(digits)))
        chosen = [digits[int(i)] for i in rng.choice(len(digits), size=count, replace=False)]
        return kind, several_digits(chosen, rng)
    return kind, NON_DIGIT_KINDS[kind](rng)
