"""Comb fields: a form's row of printed boxes, one per digit, found and erased, and its boxes' walls given.

The number reader (``app.preprocessing.number``) looks for a comb in a number's ink before cutting it:
two long horizontal lines (``COMB_LINE_SPAN``) joined by evenly spaced walls (``COMB_PITCH``) are a
comb; its lines and walls are erased with the strokes crossing them kept, and each box's ink is then
one digit's (``number._cells``). Ink darker than the comb's grey or coloured lines is a stroke over
them (``DARKER_THAN_LINE``). Measured with ``python -m bench.numbers --styles comb_field``: see README.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import cv2
import numpy as np

from app.preprocessing.printed_lines import LINE_LEVEL, LINE_MAX_THICKNESS, LINE_SPAN, Line, find_lines

FRINGE = np.ones((3, 3), np.uint8)
"""A mark's ink is taken with this neighbourhood: its faint anti-aliased edge is part of the stroke."""
COMB_LINE_SPAN = 0.3
"""A comb's top and bottom lines are straight for this share of the image's width at least (a two-box
field beside a label such as "PIN" is a third of the width), and where they are shorter than
``printed_lines.LINE_SPAN`` it has two boxes at least: one box that small is a 0 as often as a box. From 0.55,
with the lines ending at the walls (``COMB_END_SLACK``) and every pair of lines tried: comb fields 78.5 ->
80.0% (seed 0), 78.3 -> 78.3% (seed 1 of 300); every other style unchanged (seed 0)."""
COMB_FAINT_LEVEL = 0.05
"""Where no comb stands out in ink above ``printed_lines.LINE_LEVEL``, one is looked for in ink from this strength:
the ink map is stretched to the writing's strength, and a form's grey lines beside dark, bold writing
fell under ``LINE_LEVEL``, the comb went unseen and its walls were read as 1s or joined the digits (14
of 200 comb fields of 2 or more digits, seed 0; 9 of them found now). Only as a second search, since
at this level a found comb's walls take in more of the digits' faint edges (as the first search:
comb fields 78.0 -> 78.0% (seed 0), at 0.1 78.0%); second: 78.0 -> 79.5% (seed 0), 79.0 -> 79.5%
(seed 1); 0.1: 78.5% (seed 0)."""
COMB_END_SLACK = 4
"""A comb's top and bottom lines end within this many pixels of its first and last walls."""
COMB_END_OVERRUN = 0.4
"""... or one of them runs on past them by up to this share of the band's height: a digit overflowing the first
or last box writes its stroke over the line's end, and the line is found that much longer ("35292587": its 3
over the top line's start, read as 10 digits of plain paper). The other line must still stop at the wall:
two rulings run on alike. Comb fields 82.0 -> 82.5% (seed 0), 82.5 -> 83.5% (seed 1), 80.0 -> 80.5% (seed
2), one more number right each and none fewer, every other style's texts unchanged (200 a style)."""
COMB_LINE_CLEARANCE = 2
"""Rows kept clear of a comb's horizontal lines (their thickness and anti-aliased edge)."""
MIN_COMB_HEIGHT = 10
"""Lowest band between two horizontal lines that can be a comb field's row of boxes."""
COMB_PITCH = (0.5, 1.4)
"""A comb's boxes are this many times as wide as they are high (the band between its lines)."""
COMB_PITCH_SLACK = 0.25
"""A wall stands within this share of the pitch from where the grid puts it."""
DARKER_THAN_LINE = 0.1
"""A comb's pixel this much darker (in ink strength) than its printed lines' core (``_darker``) is a stroke over
them. Reading each box also with those kept, with ``WEAK_WALL_SPAN`` and ``number.CELL_TALL_SHARE`` (at 0.45): comb
fields 74.5 -> 78.5% (seed 0), 71.3 -> 78.3% (seed 1 of 300). Against the core rather than the median of
all the lines' pixels, and 0.2 -> 0.1: comb fields 82.5 -> 84.0% (seed 0), 83.0 -> 83.5% (seed 1), 81.5 ->
82.0% (seed 2), no other style's figure changed (200 a style); the core with 0.2: 83.0 and 82.0%; the
median with 0.1: 84.0 and 82.5% (seeds 0, 1)."""
RULE_STROKE_REACH = 2
"""An erased top or bottom line's pixels within this many rows (working pixels) of a stroke beside it, in the
same column, are kept (``_along``): what the erased band takes of a stroke running along it is its edge, the
band's dilation by ``FRINGE`` and the line's anti-aliased row, about two rows. Half the line's thickness
(as before) grew a bar of printed line over every stroke that only touched a bold line, a 6's tip or a 9's
loop ("963" read as 923, "2809100" as 2808100): comb fields 82.5 -> 83.5% (seed 0), 83.0 -> 83.5% (seed 1),
82.5 -> 85.0% (seed 2) with ``--styles comb_field``; in the full bench's other 200 combs a seed, 82.5 ->
82.5%, 83.5 -> 83.0%, 80.5 -> 81.5%. One row: 83.0, 83.0 and 84.5% (``--styles comb_field``). Half the
thickness had taken comb fields 71.5 -> 72.0% (seed 0), 73.0 -> 75.0% (seed 1) from none; the whole
thickness kept too much (67%)."""
WALL_STROKE_REACH = 3
"""An erased wall's pixels within this many columns (working pixels) of a stroke beside it, in the same row,
are kept: a digit that fills its box runs along its walls (a 0's side, a 9's loop), and erasing the wall's
band with its anti-aliased edges took that side off (0 read as 7, 9 as 3). Comb fields 79.5 -> 81.5%
(seed 0), 79.5 -> 82.5% (seed 1); 2 pixels: 81.0 and 81.5%; a third of the band's width: 81.0, 83.0%;
half the pen's stroke width: 80.5, 82.5%."""
COMB_WALL_SPAN = 0.9
"""A comb's walls span this share of its band at least; digits' own straight strokes rarely do."""
WEAK_WALL_SPAN = 0.5
"""Where the comb's pitch puts a wall, a column covering this share of the band is it (a faint or broken wall)."""


def _column_runs(columns: np.ndarray) -> list[tuple[int, int]]:
    """Consecutive columns grouped: (first, last + 1) of each run."""
    if columns.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(columns) > 1)
    starts = np.concatenate(([columns[0]], columns[breaks + 1]))
    ends = np.concatenate((columns[breaks], [columns[-1]])) + 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _on_a_grid(
    walls: list[tuple[int, int]], coverage: np.ndarray, height: int, pitch: float | None = None
) -> list[tuple[int, int]]:
    """The walls that stand at the comb's regular pitch: a digit's straight stroke beside a wall does not.

    The pitch, unless given, is the median of the walls' plausible spacings. The grid is walked from
    the first wall, one pitch at a time. A printed wall can fall short of
    ``COMB_WALL_SPAN`` (thin and faint in a small scan, broken by JPEG): where none stands at the next
    place, the column there covered at least ``WEAK_WALL_SPAN`` is the wall, and failing that, a wall
    at the place after it shows that the comb goes on, so the missing one is put where the grid says.
    Stopping at the first missing wall read 8- and 9-digit combs as their first few digits, surely.
    """
    middles = [(first + end) / 2 for first, end in walls]
    if pitch is None:
        spacings = np.diff(middles)
        plausible = spacings[(spacings >= COMB_PITCH[0] * height) & (spacings <= COMB_PITCH[1] * height)]
        if plausible.size == 0:
            return walls
        pitch = float(np.median(plausible))
    slack = COMB_PITCH_SLACK * pitch
    kept = [walls[0]]
    while True:
        expected = (kept[-1][0] + kept[-1][1]) / 2 + pitch
        near = [wall for wall, middle in zip(walls, middles, strict=True) if abs(middle - expected) <= slack]
        if near:
            kept.append(min(near, key=lambda wall: abs((wall[0] + wall[1]) / 2 - expected)))
            continue
        low, high = max(0, round(expected - slack)), min(coverage.size, round(expected + slack) + 1)
        if low < high and coverage[low:high].max() >= WEAK_WALL_SPAN:
            column = low + int(coverage[low:high].argmax())
            kept.append((column, column + 1))
        elif any(abs(middle - expected - pitch) <= slack for middle in middles):
            kept.append((round(expected), round(expected) + 1))
        else:
            return kept


def _comb_walls(mask: np.ndarray, upper: Line, lower: Line) -> list[tuple[int, int]]:
    """The walls of the comb between lines ``upper`` and ``lower``; none if they bound no comb."""
    top, bottom = upper.position() + COMB_LINE_CLEARANCE, lower.position() - COMB_LINE_CLEARANCE
    overrun = round(COMB_END_OVERRUN * (bottom - top))
    if bottom - top < MIN_COMB_HEIGHT or not _wall_at_start(mask[top:bottom], upper, lower, overrun):
        return []
    coverage = mask[top:bottom].mean(axis=0)
    runs = _column_runs(np.flatnonzero(coverage >= COMB_WALL_SPAN))
    walls = _on_a_grid(runs, coverage, bottom - top)
    if walls and not _spans((upper, lower), walls, overrun):
        pitch = _pitch_between(runs, (max(upper.start, lower.start), min(upper.end, lower.end)), bottom - top)
        walls = _on_a_grid(runs, coverage, bottom - top, pitch) if pitch else walls
    short = min(upper.end - upper.start, lower.end - lower.start) < LINE_SPAN * mask.shape[1]
    if len(walls) < (3 if short else 2) or not _spans((upper, lower), walls, overrun):
        return []
    return walls


def _wall_at_start(band: np.ndarray, upper: Line, lower: Line, overrun: int) -> bool:
    """Whether the first column of ``band`` (the rows between two lines) that a wall could be stands where
    the lines start, as a comb's first wall does (``_spans``: one may start up to ``overrun`` before it):
    two page-wide rulings have none there.

    Only the columns up to the lines' start are measured, so pairs of ruled lines, which the faint
    search finds on most ruled pages, are dropped without the band's coverage: with it and
    ``_on_a_grid`` they took a third of the faint search's time (cProfile, 200 ruled numbers)."""
    starts = (upper.start, lower.start)
    first, last = max(starts) - COMB_END_SLACK, min(min(starts) + overrun, max(starts) + COMB_END_SLACK)
    if last < first:
        return False
    strong = np.flatnonzero(band[:, : last + 1].mean(axis=0) >= COMB_WALL_SPAN)
    return strong.size > 0 and strong[0] >= first


def _pitch_between(walls: list[tuple[int, int]], ends: tuple[int, int], height: int) -> float | None:
    """The pitch that parts the comb's lines (from ``ends[0]`` to ``ends[1]``) into boxes whose walls stand
    best (the most walls at its places, less the places with none); ``None`` where no wall stands at
    the lines' ends.

    The median spacing of the walls is thrown where digits' straight strokes stand as tall as walls
    (a 1 beside a 3 in a 6-box comb gave a pitch of 58 pixels for 67; seed 0): the grid then missed
    the comb's last wall, and the comb went unseen. Its lines end at its first and last walls, so the
    pitch divides their length: tried where the median's grid does not reach the lines' ends.
    """
    if not walls or abs(walls[0][0] - ends[0]) > COMB_END_SLACK or abs(walls[-1][1] - ends[1]) > COMB_END_SLACK:
        return None
    middles = np.array([(first + end) / 2 for first, end in walls])
    length = middles[-1] - middles[0]
    best: tuple[int, float] | None = None
    for boxes in range(
        max(1, int(np.ceil(length / (COMB_PITCH[1] * height)))), int(length / (COMB_PITCH[0] * height)) + 1
    ):
        pitch = length / boxes
        places = middles[0] + pitch * np.arange(boxes + 1)
        standing = int(
            np.count_nonzero(np.abs(places[:, None] - middles[None, :]).min(axis=1) <= COMB_PITCH_SLACK * pitch)
        )
        score = 2 * standing - boxes - 1
        if best is None or score > best[0]:
            best = (score, pitch)
    return None if best is None else best[1]


def _spans(lines: tuple[Line, Line], walls: list[tuple[int, int]], overrun: int) -> bool:
    """Whether a comb's top and bottom ``lines`` run from its first wall to its last and stop there: a comb's
    lines are its box's, where a digit's straight stroke or a page's ruling would not end at its walls.

    A digit overflowing the first or last box may write over one line's end, which is then found up to
    ``overrun`` longer; the other line still stops at the wall (two page-wide rulings run on alike)."""
    for runs_on in ([walls[0][0] - line.start for line in lines], [line.end - walls[-1][1] for line in lines]):
        if min(runs_on) > COMB_END_SLACK or not all(-COMB_END_SLACK <= past <= overrun for past in runs_on):
            return False
    return True


@dataclass(frozen=True)
class Comb:
    """A comb field: its inside with the lines and walls erased, read one or two ways (``insides``),
    its walls' column runs left to right and the height of its boxes.

    The second way keeps, on the lines, ink darker than them (``_darker``); each box's digit is then
    read from the inside the model reads it most surely in, as one image's candidate inputs are.
    """

    insides: tuple[np.ndarray, ...]
    walls: list[tuple[int, int]]
    height: int


def comb_field(ink: np.ndarray) -> Comb | None:
    """The inside of a comb field (a printed row of boxes, one digit each), walls erased; ``None`` if none.

    The walls between a comb's boxes are as tall as its digits, so the page-wide line rules
    (``printed_lines.remove_lines``: straight for 55% of the image) miss them where the form has a margin,
    and they join every digit into one mark; its box-side rule also took digits' own strokes near
    the box. Between two printed horizontal lines, a band whose columns are inked over nearly all
    its height at a regular pitch (at least two: the box's sides) is a comb: its lines and walls
    are erased except where strokes cross them, and what lies outside the box (a label such as
    "PIN") goes too. On 60 comb fields (seed 1) this took exact texts from 37% (walls left to
    ``printed_lines.remove_lines``) to 73%. It is looked for in the ink above ``printed_lines.LINE_LEVEL``, then
    above ``COMB_FAINT_LEVEL`` (grey lines beside dark writing).
    """
    mask = ink > LINE_LEVEL
    faint = ink > COMB_FAINT_LEVEL
    faint_rules = _rules(faint)
    if not faint_rules:  # an opening keeps less of less ink: no line in the faint ink, none in the strong
        return None
    found = _comb_at(mask, _rules(mask)) or _comb_at(faint, faint_rules)
    if found is None:
        return None
    walls, upper, lower = found
    rules = upper.pixels | lower.pixels
    sides = np.zeros_like(rules)
    rows = slice(upper.position(), lower.position() + 1)
    for first, end in walls:
        sides[rows, max(0, first - 1) : end + 1] = True  # and the columns its anti-aliased edges half cover
    rules, sides = (cv2.dilate(printed.astype(np.uint8), FRINGE) > 0 for printed in (rules, sides))  # their edges
    erase = rules | sides
    erase &= ~(
        _crossings(mask, erase)
        | _along(mask, erase, rules, RULE_STROKE_REACH, 0)
        | _along(mask, erase, sides, WALL_STROKE_REACH, 1)
    )
    left, right = walls[0][0], walls[-1][1]
    darker = erase & _darker(ink, upper, lower)
    insides = []
    for printed in (erase, erase & ~darker) if darker.any() else (erase,):
        inside = np.zeros_like(ink)
        inside[:, left:right] = np.where(printed, 0.0, ink)[:, left:right]
        insides.append(inside)
    return Comb(tuple(insides), walls, lower.position() - upper.position())


def _rules(mask: np.ndarray) -> list[Line]:
    """The horizontal lines of ``mask`` that may be a comb's top and bottom, top to bottom.

    Only horizontal lines are looked for: the vertical search took half of ``find_lines``' time, and
    a comb's walls are found by ``_comb_walls`` between its lines."""
    return sorted(find_lines(mask.view(np.uint8), COMB_LINE_SPAN, only=True), key=Line.position)


def _comb_at(mask: np.ndarray, rules: list[Line]) -> tuple[list[tuple[int, int]], Line, Line] | None:
    """The walls and the top and bottom lines of the comb that ``rules`` bound in ``mask``; ``None`` if none.

    Of the pairs of lines that bound a comb, the one with the most walls, then the tallest, is it: a
    digit's bottom stroke or a thick line's inner edge between the box's top and bottom had cut the
    band short."""
    combs = [
        (walls, upper, lower)
        for upper, lower in itertools.combinations(rules, 2)
        if (walls := _comb_walls(mask, upper, lower))
    ]
    if not combs:
        return None
    return max(combs, key=lambda comb: (len(comb[0]), comb[2].position() - comb[1].position()))


def _darker(ink: np.ndarray, upper: Line, lower: Line) -> np.ndarray:
    """Pixels clearly darker than the comb's printed lines: a pen's stroke on top of them.

    Forms print their boxes in grey or colour more often than in black, and a digit that fills its
    box runs over the box's lines (the top of a 0 on the comb's top line, a 3 against a wall). Only
    ink darker than the lines' own by ``DARKER_THAN_LINE`` is kept there: nothing where they are black.

    The lines' own strength is the median, over their columns, of their darkest pixel across them: a
    thin line's pixels are mostly its anti-aliased edge rows, and their median (0.3 where its core row
    read 0.9, seed 0) took the whole printed box for pen, which the second reading kept around every
    digit (a 2 framed by it read surely as 3)."""
    peaks = [np.where(line.pixels, ink, 0.0).max(axis=0)[line.pixels.any(axis=0)] for line in (upper, lower)]
    level = float(np.median(np.concatenate(peaks)))
    darker: np.ndarray = ink > level + DARKER_THAN_LINE
    return darker


def _along(mask: np.ndarray, erase: np.ndarray, printed: np.ndarray, reach: int, axis: int) -> np.ndarray:
    """The ``printed`` lines' erased pixels within ``reach`` pixels of a stroke lying against them, across them
    (``axis`` 0: along the columns, for the top and bottom lines; 1: along the rows, for the walls).

    Digits fill their boxes, so the top of a 0 or a 9 often runs along the comb's top line rather
    than across it; ``_crossings`` (ink on both sides) then erased it, and the 0 read as a 2 or a 7
    (about 10 of 77 misread comb digits, seed 0). A line's pixels within ``RULE_STROKE_REACH`` of
    ink in the same column are kept: a line alone has paper there. The same holds beside the walls
    (``WALL_STROKE_REACH``).
    """
    size = (1, 2 * reach + 1) if axis == 0 else (2 * reach + 1, 1)
    element = cv2.getStructuringElement(cv2.MORPH_RECT, size)
    near: np.ndarray = (cv2.dilate((mask & ~erase).astype(np.uint8), element) > 0) & printed & erase
    return near


def _crossings(mask: np.ndarray, erase: np.ndarray) -> np.ndarray:
    """Where a stroke crosses the erased lines: ink on both sides of them, across rows or across columns.

    A stroke written across a comb's wall or line is ink just left and right of it (or above and
    below); the printed line alone has paper there. Keeping those pixels keeps the digit whole.
    """
    reach = LINE_MAX_THICKNESS + 2
    ink = mask & ~erase
    crossing = np.zeros_like(erase)
    for element in ((reach * 2 + 1, 1), (1, reach * 2 + 1)):  # across columns, then across rows
        closed = cv2.morphologyEx(
            ink.astype(np.uint8), cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, element)
        )
        crossing |= closed > 0
    crossed: np.ndarray = crossing & erase
    return crossed
