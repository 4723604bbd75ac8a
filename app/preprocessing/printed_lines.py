"""Printed lines: ruled, squared and margin lines found and erased, the strokes crossing them kept.

Works on ``paper.ink_map``'s ink at working size (``paper.to_working_size``); its frames (``printed_boxes``)
are built from the lines found here.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from app.preprocessing.marks import find_marks

LINE_SPAN = 0.55
"""A printed line is straight for at least this share of the image's width (or height)."""
LINE_MAX_THICKNESS = 5
"""Thickest printed line at working size; strokes crossing one are bridged over this."""
LINE_LEVEL = 0.2
"""Ink strength from which a pixel can belong to a printed line."""
MIN_LINE_LENGTH = 12
"""Shortest straight run (working pixels) taken as a line at all."""
ACROSS_SLACK = 3
"""A line starting and ending this close to the image's edges runs across it (a ruled or margin line)."""
ACROSS_MIN_SIDE = 48
"""... in an image at least this many working pixels across it: in smaller ones (8x8 scans, tight
crops of small uploads) the lines found are the digit's own strokes (a point lost on each kind)."""
ACROSS_MARGIN = 0.1
"""... and is printed if it runs past the writing by this share of its length at both ends, as a
page's line runs well past a digit; a digit's own long stroke overshoots its other strokes by less.
(The bench's figures were the same with ``_runs_past``'s 2 pixels, seed 0.)"""


@dataclass(frozen=True)
class Line:
    """A straight run of ink: its pixels, where it starts and ends along itself, and which way it runs."""

    pixels: np.ndarray
    start: int
    end: int
    horizontal: bool
    band: tuple[int, int]
    """The rows (horizontal) or columns (vertical) across it, first and last + 1: known where it is found,
    where a search of its pixels cost ~10 us a line, and ``remove_frames`` asks for it many times."""

    def position(self) -> int:
        """Its middle row (horizontal) or column (vertical)."""
        first, end = self.band
        return (first + end - 1) // 2

    def thickness(self) -> int:
        """How many rows (horizontal) or columns (vertical) it spans across."""
        first, end = self.band
        return end - first


def runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """Start and end (exclusive) of each run of true values."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], flags.astype(np.int8), [0]))))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def find_lines(
    mask: np.ndarray, span: float = LINE_SPAN, shortest: int | None = None, only: bool | None = None
) -> list[Line]:
    """Horizontal and vertical runs straight for ``span`` of the image, slightly slanted ones included.

    Without ``shortest``, a direction in which ``span`` is under ``MIN_LINE_LENGTH`` pixels has no
    lines; with it, lines there need ``shortest`` pixels (a small box's short sides).

    The lines' pixels are found by ``_straight``; the rows (columns) holding them by ``cv2.reduce``:
    3 us against numpy's 5-9 over an axis (160x160 mask; its ``REDUCE_MAX`` took 15-93).
    """
    height, width = mask.shape
    lines = []
    for horizontal in (True, False) if only is None else (only,):
        side = width if horizontal else height
        length = int(span * side) if shortest is None else max(int(span * side), shortest)
        if length < MIN_LINE_LENGTH if shortest is None else length > side:
            continue
        straight = _straight(mask, horizontal, length)
        if straight is None:
            continue
        rows = cv2.reduce(straight, 1 if horizontal else 0, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel()
        for low, high in runs(rows > 0):
            pixels = np.zeros(mask.shape, dtype=bool)
            if horizontal:
                pixels[low:high] = straight[low:high] > 0
                along = np.flatnonzero(pixels[low:high].any(axis=0))
            else:
                pixels[:, low:high] = straight[:, low:high] > 0
                along = np.flatnonzero(pixels[:, low:high].any(axis=1))
            lines.append(Line(pixels, int(along[0]), int(along[-1]) + 1, horizontal, (low, high)))
    return lines


def _straight(mask: np.ndarray, horizontal: bool, length: int) -> np.ndarray | None:
    """The mask's pixels on runs ``length`` long along rows (``horizontal``) or columns; ``None`` where
    no row (column) holds that much ink.

    An opening with a long thin element keeps only what the element fits in; thickening the mask
    across the line first lets a line slanted by a few degrees (a photo's perspective) still fit.
    The opening is skipped where no row (column) has as much ink as a line's length (the element
    needs that many pixels in one row; but for a run touching the image's edge, which the opening's
    border lets through from half the length on): 143 -> 103 us per ``find_lines`` on canvas
    uploads (thread CPU, best of 5), four calls per reading. Where one does, only the band of rows
    (columns) holding at least half the length is opened, which is exact (each row's opening is its
    own, and needs that many pixels): ``find_lines`` for frames' sides 54 -> 39 us on the 600x600
    photo. The rows' (columns') sums by ``cv2.reduce``: 4 us against numpy's 12-15 over an axis
    (160x160 mask).
    """
    thick = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 3) if horizontal else (3, 1)))
    sums = cv2.reduce(thick, 1 if horizontal else 0, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel()
    if int(sums.max()) < length:
        return None
    # the shortest run the opening keeps: at the image's edge, the element's part inside the image
    kept = np.flatnonzero(sums >= min(length - length // 2, length // 2 + 1))
    band = slice(int(kept[0]), int(kept[-1]) + 1)
    where = (band, slice(None)) if horizontal else (slice(None), band)
    element = cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1) if horizontal else (1, length))
    straight = np.zeros_like(mask)
    straight[where] = cv2.morphologyEx(thick[where], cv2.MORPH_OPEN, element) & mask[where]
    return straight


def _runs_past(line: Line, rest: np.ndarray, margin: int = 2) -> bool:
    """True when the line goes on past the rest of the ink at both ends, as printed lines do.

    A digit's own straight strokes (a 1, a 7's bar, in a crop that leaves no margin) end where the
    digit ends, at one end at least. It must go on past by ``margin`` and by its own thickness: a
    bold 4's stem, 20 pixels wide, 3 past its arm and its foot, was erased and the 4 flagged (bench,
    200 a kind, seeds 0 / 1: 8x8 scans 94.0 -> 95.5 / 95.0, rotated 96.5 -> 97.0 / 100, MNIST PNGs
    98.5 -> 98.5 / 99.5, form fields 85.0 -> 84.5 / 74.0 -> 74.5, overall 95.6 -> 95.7 / 94.7 -> 94.8).
    """
    extent = np.flatnonzero(rest.any(axis=0) if line.horizontal else rest.any(axis=1))
    margin = max(margin, line.thickness())
    return bool(line.start < extent[0] - margin and line.end > extent[-1] + margin)


def _framed(line: Line, lines: list[Line]) -> bool:
    """True when perpendicular lines meet this one at both ends: a side of a printed box."""
    reach = 4 + LINE_MAX_THICKNESS
    position = line.position()
    ends = [False, False]
    for other in lines:
        if other.horizontal == line.horizontal or not other.start - reach <= position <= other.end + reach:
            continue
        where = other.position()
        ends[0] |= abs(where - line.start) <= reach
        ends[1] |= abs(where - (line.end - 1)) <= reach
    return ends[0] and ends[1]


def remove_lines(ink: np.ndarray, frames: bool = False) -> np.ndarray:
    """Printed lines erased: those that run past the writing at both ends, and with ``frames`` box sides.

    Strokes crossing an erased line are kept: a closing across the line (over at most
    ``LINE_MAX_THICKNESS``) joins the ink above it to the ink below, and what it joins stays. The
    frame rule alone also took the sides of tight-cropped 0s and 1s, so callers try it as a second
    reading (``app.preprocessing.pipeline``) rather than always.
    """
    mask = (ink > LINE_LEVEL).astype(np.uint8)
    return remove_found_lines(ink, mask, find_lines(mask), frames)


def remove_found_lines(ink: np.ndarray, mask: np.ndarray, lines: list[Line], frames: bool) -> np.ndarray:
    """``remove_lines`` once the ``lines`` of the ink's ``mask`` are found."""
    if not lines:
        return ink
    on_lines = np.zeros(mask.shape, dtype=bool)
    for line in lines:
        on_lines |= line.pixels
    rest = mask.astype(bool) & ~on_lines
    if not rest.any():  # nothing but straight strokes: a lone 1, not a page of lines
        return ink
    printed = [_runs_past(line, rest) or (frames and _framed(line, lines)) for line in lines]
    across = [i for i, line in enumerate(lines) if not printed[i] and _across(line, ink.shape)]
    if across:
        writing = _writing(ink, rest)
        for i in across:
            reach = int(ACROSS_MARGIN * _side(lines[i], ink.shape))
            printed[i] = writing is not None and _runs_past(lines[i], writing, reach)
    erased = [line for line, erase in zip(lines, printed, strict=True) if erase]
    if not erased:
        return ink
    return erase_lines(ink, mask, erased)


def _side(line: Line, shape: tuple[int, ...]) -> int:
    """The image's extent along the line: its width for a horizontal line, its height for a vertical one."""
    return shape[1] if line.horizontal else shape[0]


def _across(line: Line, shape: tuple[int, ...]) -> bool:
    """True when the line runs from one edge of the image to the other (within ``ACROSS_SLACK``)."""
    side = _side(line, shape)
    return side >= ACROSS_MIN_SIDE and line.start <= ACROSS_SLACK and line.end >= side - ACROSS_SLACK


def _writing(ink: np.ndarray, rest: np.ndarray) -> np.ndarray | None:
    """Where the marks of the ink off the lines lie (``marks.find_marks``), without its specks and smudges.

    A line across the whole image must run past the writing, not past every speck: a margin line
    through a digit was kept when the rest of the ink reached the image's edge only by the line's
    own fringe, a speck or a shadowed corner, and the model read the line as a 1 (8 of 12 misread
    ruled pages, bench seed 0). Only lines across the image, by ``ACROSS_MARGIN``: a box's side
    judged so was erased before the frame rule could see the box. ``None`` also where the writing
    reaches the image's edge: in tight crops the rule erased 2's bases and 4's bars (a point lost).
    """
    found = find_marks(np.where(rest, ink, 0.0))
    if not found.marks:
        return None
    writing = found.mask()
    left, top, width, height = cv2.boundingRect(writing.view(np.uint8))
    if min(left, top, ink.shape[1] - left - width, ink.shape[0] - top - height) <= ACROSS_SLACK:
        return None  # a tight crop: a straight stroke across it (a 2's base, a 4's bar) is the digit's own
    return writing


def erase_lines(ink: np.ndarray, mask: np.ndarray, lines: list[Line]) -> np.ndarray:
    """The lines' pixels (and their anti-aliased edges) set to 0, except where a stroke crosses them.

    A stroke crossing a horizontal line is bridged by a closing across rows; one crossing a vertical
    line, across columns. Each line is bridged only across itself: closing a vertical line along
    its own length joined the un-erased fringe of its anti-aliased (or slightly slanted) edge back
    over it, so a form box's vertical sides stayed in the digit's crop.
    """
    across, down = np.zeros(mask.shape, dtype=bool), np.zeros(mask.shape, dtype=bool)
    for line in lines:
        if line.horizontal:
            across |= line.pixels
        else:
            down |= line.pixels
    kept = (mask.astype(bool) & ~(across | down)).astype(np.uint8)
    bridge = 2 * LINE_MAX_THICKNESS + 1
    if across.any():
        rows = cv2.getStructuringElement(cv2.MORPH_RECT, (1, bridge))
        across &= cv2.morphologyEx(kept, cv2.MORPH_CLOSE, rows) == 0
    if down.any():
        cols = cv2.getStructuringElement(cv2.MORPH_RECT, (bridge, 1))
        down &= cv2.morphologyEx(kept, cv2.MORPH_CLOSE, cols) == 0
    erase = (across | down).astype(np.uint8)
    halo = cv2.dilate(erase, np.ones((3, 3), np.uint8)) > 0  # the lines' anti-aliased edges
    cleaned = ink.copy()
    cleaned[halo & (kept == 0)] = 0.0
    return cleaned
