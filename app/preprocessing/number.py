"""An image of a written number to candidate digit segments: the model then judges which cuts are right.

The paper is read exactly as for one digit (``app.preprocessing.paper``: polarity, paper and light
removed, printed lines and, as a second reading, box walls erased; ``marks.find_marks``: the pieces
of one character grouped), at a working size chosen for a line rather than a square. Then the line
is over-segmented: every gap between marks is a cut, and a mark wider than a digit also gets
candidate cuts at the minima of its column profile (where touching digits meet): straight down the
column, and where digits lean into each other's columns, curved along the paper between them (the
paths of drops falling from the top and the bottom, ``_cuts_at``). Every run of atoms between two
cuts that could be one digit (not wider than ``MAX_SEGMENT_WIDTH`` digit heights) is normalised as a
model input; ``app.postprocessing.number`` picks, by dynamic programming over the model's
probabilities, the cuts whose segments read best. The model thus decides whether two marks are the
pieces of one broken digit, and where two touching digits part.

Marks too low for a digit (dots, dashes, the bar of a 5 drawn apart) are dropped unless close to a
digit-sized mark; then they are atoms that no segment may be alone, which the search may join to a
neighbour or leave out.
Measured with ``python -m bench.numbers`` (synthetic numbers from MNIST test digits): see README.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

import cv2
import numpy as np

from app.errors import NoDigitFoundError
from app.preprocessing.decode import decode_upright
from app.preprocessing.marks import Mark, Marks, find_marks
from app.preprocessing.normalize import STROKE_LEVEL, stroke_width, to_mnist
from app.preprocessing.paper import cut_noise, ink_map, ink_sides, to_working_size
from app.preprocessing.printed_boxes import without_print
from app.preprocessing.printed_lines import LINE_LEVEL, LINE_MAX_THICKNESS, LINE_SPAN, Line, find_lines

NUMBER_AREA = 320 * 160
"""Working pixels for a number: twice a digit's area, since a line of digits is wide and its digits small."""
NUMBER_SPECK_SHARE = 0.015
"""Marks lighter than this share of the heaviest are specks: lower than for one digit (``marks.SPECK_SHARE``),
since a small thin 1 beside a large bold 8 has a tenth of its ink; specks are also too low to be digits."""
NUMBER_CORE_LEVEL = 0.45
"""Every mark reaches this ink strength somewhere: lower than for one digit (``marks.CORE_LEVEL``), since a
small digit written with a thin pen beside large ones may nowhere reach full strength (small 1s peaked
at 0.5-0.6 and were lost). With both: 83.6% -> 85.7% exact on 420 numbers, seed 1."""
DIGIT_HEIGHT_SHARE = 0.5
"""Marks at least this share of the tallest's height set the line's digit height (their median)."""
MIN_MARK_HEIGHT = 0.45
"""Marks lower than this share of the digit height are dots, dashes or specks, not digits."""
SPLIT_WIDTH = 0.8
"""A mark wider than this many times its own height, or the line's digit height where it is taller, may hold
several digits and gets candidate cuts. A 1 touching a digit made a mark taller than the line's digits
(the two stand on a wandering baseline) yet narrower than 0.8 of its own height: it was never cut, and read
as one sure digit ("13" as 6, "31" as 4). Against the lower height: touching numbers 80.0 -> 80.5% (seed 0),
78.0 -> 80.0% (seed 1), 8% more candidate segments; at 0.7, 81.0 and 80.5% for 22% more (200 numbers)."""
MIN_CUT_GAP = 0.18
"""Candidate cuts inside a mark are at least this many digit heights from each other."""
MIN_END_GAP = 0.12
"""Candidate cuts inside a mark are at least this many digit heights from its ends: closer than
``MIN_CUT_GAP``, since a 1 is 0.1-0.2 digit heights wide and the column where it meets the digit it
touches lay inside that gap. Touching numbers 80.5 -> 80.5% (seed 0), 80.0 -> 81.5% (seed 1), 6% more
candidate segments; 0.12 between cuts too read 81.5 and 81.5% for 16% more."""
MAX_CUTS_PER_MARK = 12
"""Most candidate cuts inside one mark (the deepest profile minima)."""
DROP_REACH = 0.15
"""A drop parting touching digits strays at most this many digit heights from its cut's column."""
MAX_SEGMENT_WIDTH = 1.6
"""Widest candidate segment of several atoms, in the line's digit heights (digits vary 0.7-1.3x in size)."""
MAX_SEGMENT_ATOMS = 8
"""Most atoms (pieces between candidate cuts) one candidate segment may join."""
OUTSIZE = 2.2
"""Marks taller than this many times the marks' median height are not digits' height (a shadow's edge)."""
OUTSIZE_MIN_MARKS = 3
"""Fewer marks than this give no median to judge an outsized one by."""
BAND_MARGIN = 0.15
"""Rows kept above and below the line's other digits when an outsized mark is cut down, in digit heights."""
PIECE_REACH = 0.3
"""A mark too low to be a digit within this many digit heights of a digit-sized one may be a piece of it."""
FRINGE = np.ones((3, 3), np.uint8)
"""A mark's ink is taken with this neighbourhood: its faint anti-aliased edge is part of the stroke."""
FRAGMENT_SHARE = 0.12
"""A piece of ink cut off at a segment's edge and lighter than this share of its ink belongs to the neighbour."""


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
CELL_LEVEL = 0.25
"""Ink strength from which a comb box's pixels are strokes (as ``marks.MARK_LEVEL``)."""
CELL_OWNER_SHARE = 0.7
"""A stroke with this share of its ink in one box belongs wholly to that box (a digit written over a wall)."""
CELL_INK_SHARE = 0.15
"""A box with less than this share of the fullest box's ink is empty (a stroke tip reaching over a wall)..."""
CELL_TALL_SHARE = 0.3
"""... unless its ink spans this share of the box's height: a thin-pen digit beside bold ones has a
tenth of their ink (its strokes faint at working size) and its box was taken for empty. 0.45 -> 0.3
kept small faint digits too (comb fields 80.0 -> 80.5%, seed 0; 78.3 -> 78.7%, seed 1 of 300); 0.2
read the same."""
FAINT_CELL_SHARE = 0.03
"""A box with less than this share of the fullest box's ink is empty, however tall its ink."""
DARKER_THAN_LINE = 0.1
"""A comb's pixel this much darker (in ink strength) than its printed lines' core (``_darker``) is a stroke over
them. Reading each box also with those kept, with ``WEAK_WALL_SPAN`` and ``CELL_TALL_SHARE`` (at 0.45): comb
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


@dataclass(frozen=True)
class Segment:
    """One candidate digit: atoms ``start`` to ``end`` (exclusive) of its reading, and its box in upload pixels.

    Where a mark is cut, there may be several cuts at one place (straight, or curved along the strokes):
    ``left_cut`` and ``right_cut`` say which the segment takes at its edges, 0 the straight one. A chain
    of segments parts each place by one cut: where one segment ends with cut ``k``, the next starts with it.
    """

    reading: int
    start: int
    end: int
    box: tuple[int, int, int, int]
    aspect: float
    """Its ink's width over its height, without pieces too low to be a digit, for the prior on digit shapes."""
    cut: float
    """0 where it starts at a gap between marks; else the width over height of the mark it cuts into."""
    crossed: int = 0
    """How many strokes the cut it starts at goes through (0 at a gap between marks): touching digits part
    where one stroke meets another, a digit's own loop or middle is two or three strokes across."""
    left_cut: int = 0
    right_cut: int = 0


@dataclass(frozen=True)
class NumberSegments:
    """Every candidate segment of every reading of the image, and the model inputs ``(k, 28, 28)`` they make.

    ``atoms[r]`` is how many atoms reading ``r`` has; a segmentation of a reading is a chain of its
    segments from atom 0 to ``atoms[r]``, which always exists (each atom alone is a segment).
    ``rows[i]`` is segment ``i``'s input: segments whose inputs are equal share one, so the model reads
    each once. A comb's two insides (with and without ink darker than its lines) mostly give the same
    boxes, and atoms with no ink left in a segment give its neighbour's: of 60 numbers a style (seed 0),
    21% of a comb field's inputs were repeats, 1.5-3.8% of the other styles'.
    """

    inputs: np.ndarray
    segments: list[Segment]
    atoms: list[int]
    rows: np.ndarray


@dataclass(frozen=True)
class _Cut:
    """Where a mark parts: per row of the mark, the first column of its right side; and the strokes crossed."""

    path: np.ndarray
    crossed: int
    low: int
    """Its leftmost column, as ``high`` its rightmost: equal where it is straight."""
    high: int

    @staticmethod
    def along(path: np.ndarray) -> _Cut:
        """A curved cut that crosses no stroke's body."""
        return _Cut(path, 0, int(path.min()), int(path.max()))

    @staticmethod
    def straight(mark: Mark, column: int, crossed: int = 0) -> _Cut:
        return _Cut(np.full(mark.height, column), crossed, column, column)

    def columns(self, mark: Mark, top: int, bottom: int) -> np.ndarray:
        """The path over rows ``top`` to ``bottom`` (around the mark's), as its end rows above and below it."""
        rows = np.empty(bottom - top, dtype=self.path.dtype)
        first, last = mark.y - top, mark.y - top + mark.height
        rows[:first], rows[first:last], rows[last:] = self.path[0], self.path, self.path[-1]
        return rows


@dataclass(frozen=True)
class _Atom:
    """A piece of a reading: the ink of ``mark`` between columns ``left`` and ``right``."""

    mark: Mark
    left: int
    right: int
    cut: float
    """0 where it starts a mark; else the width over height of the mark it was cut from."""
    cuts: tuple[_Cut, ...]
    """The ways its left edge may be cut, the straight one first (that alone where it starts a mark)."""
    ends: tuple[_Cut, ...]
    """The ways its right edge may be cut: the next piece of its mark's ``cuts``, or the mark's end."""
    optional: bool = False
    """A small mark beside a digit: part of it (the bar of a 5 drawn apart) or a dash, never a digit alone."""
    owner: int = 1
    """The mark's number in its reading's ``_Line.owners`` map."""


@dataclass(frozen=True)
class _Line:
    """A reading's ink, which mark owns each pixel, the digit height, and its atoms left to right."""

    ink: np.ndarray
    owners: np.ndarray
    """Per pixel: 0 for paper, the owning mark's ``_Atom.owner``, or -1 for ink of no mark (a speck)."""
    height: float
    atoms: list[_Atom]
    stroke: float
    """The pen's stroke width (working pixels), measured once for the whole line: one number is written
    with one pen, and measuring it on each of ~20 candidate segments took ``normalize.stroke_width``'s
    1.0 ms (of 8.9) of a 5-digit number."""


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
class _Comb:
    """A comb field: its inside with the lines and walls erased, read one or two ways (``insides``),
    its walls' column runs left to right and the height of its boxes.

    The second way keeps, on the lines, ink darker than them (``_darker``); each box's digit is then
    read from the inside the model reads it most surely in, as one image's candidate inputs are.
    """

    insides: tuple[np.ndarray, ...]
    walls: list[tuple[int, int]]
    height: int


def _comb_field(ink: np.ndarray) -> _Comb | None:
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
    return _Comb(tuple(insides), walls, lower.position() - upper.position())


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


def _cells(comb: _Comb, ink: np.ndarray) -> list[tuple[int, np.ndarray, int, int]]:
    """The ink of each box of a comb (one of its ``insides``) that holds a digit: the box's number, the
    ink cropped, and its top-left corner.

    The comb's walls are where its digits part, so each box is one candidate digit: cutting its
    marks at their profile minima instead split digits written across a wall or touching one, and
    read the wall's stubs as 1s. A pixel belongs to the box it lies in, unless its connected
    stroke lies mostly (``CELL_OWNER_SHARE``) in one box: then the overhang goes with it. A box with
    less than ``CELL_INK_SHARE`` of the fullest box's ink, all of it low in the box (a neighbour's
    stroke tip), is empty.

    Each box's ink is cut out of the rows and columns its strokes span before its specks are dropped,
    not out of the whole comb: ``segment_image`` 5.3-5.7 -> 4.2-4.3 ms a comb field (200, seeds 0 and 1,
    best of 3), the same inputs and segments.
    """
    middles = np.array([(first + end) / 2 for first, end in comb.walls])
    cell_of_column = np.clip(np.searchsorted(middles, np.arange(ink.shape[1])) - 1, 0, len(middles) - 2)
    count, labels = cv2.connectedComponents((ink > CELL_LEVEL).astype(np.uint8), connectivity=8)
    cells = len(middles) - 1
    column_cells = np.broadcast_to(cell_of_column, ink.shape)
    mass = np.bincount((labels * cells + column_cells).ravel(), weights=ink.ravel(), minlength=count * cells)
    mass = mass.reshape(count, cells)
    totals = np.maximum(mass.sum(axis=1), 1e-9)
    owner, share = mass.argmax(axis=1), mass.max(axis=1) / totals
    assigned = np.where(share[labels] >= CELL_OWNER_SHARE, owner[labels], column_cells)
    near = cv2.dilate((labels > 0).astype(np.uint8), FRINGE) > 0
    strokes = np.where(near, ink, 0.0)
    masses = np.bincount(assigned.ravel(), weights=np.where(labels > 0, ink, 0.0).ravel(), minlength=cells)
    ys, xs = np.nonzero(strokes > CELL_LEVEL)
    cell_at = assigned[ys, xs]
    parts = []
    for cell in np.flatnonzero(masses >= FAINT_CELL_SHARE * masses.max()):
        mine = cell_at == cell
        if not mine.any():
            continue
        top, left = int(ys[mine].min()), int(xs[mine].min())
        rows, columns = slice(top, int(ys[mine].max()) + 1), slice(left, int(xs[mine].max()) + 1)
        own = np.where(assigned[rows, columns] == cell, strokes[rows, columns], 0.0)
        boxed = _ink_box(_without_light_pieces(own, at_edge=False))
        if boxed is None:  # the box held only specks
            continue
        part, x, y = boxed
        x, y = x + left, y + top
        if masses[cell] < CELL_INK_SHARE * masses.max() and part.shape[0] - 1 < CELL_TALL_SHARE * comb.height:
            continue  # a neighbour's stroke tip
        parts.append((int(cell), part, x, y))
    return parts


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


def _readings(gray: np.ndarray, dark_ink: bool, printed: bool) -> list[np.ndarray | _Comb]:
    """The ink of a working-size image: a comb field's inside if it is one, else ``paper.clean``'s readings;
    the ink as it is where nothing is ``printed`` (a drawing on a transparent layer).

    The comb is looked for before any line is erased, since it is found by its horizontal lines;
    the rest is what ``paper.clean`` does (``printed_boxes.without_print``: printed lines erased; also box
    sides, and closed frames of any size, when that differs). The frames reading caught the one-box
    fields beside a label that ``_comb_field`` misses: comb fields 72.0 -> 72.5% (seed 0), 75.0 ->
    77.0% (seed 1).
    """
    ink = cut_noise(ink_map(gray, dark_ink))
    if ink is None:
        return []
    if not printed:
        return [ink]
    comb = _comb_field(ink)
    if comb is not None:
        return [comb]
    return list(without_print(ink))


def _digit_marks(found: Marks) -> tuple[list[Mark], list[Mark], float]:
    """The marks tall enough to be digits, the small ones close to one, and the line's digit height.

    The digit height is the median of the tall marks. A small mark within ``PIECE_REACH`` digit
    heights of a digit-sized one may be a piece of it: the bar of a 5 or a 7 drawn apart was
    dropped as a dash, and the rest read as a 6 or a 1 (a fifth of the clear-gap failures, seed 0).
    """
    heights = np.array([mark.height for mark in found.marks])
    usual = heights[heights <= OUTSIZE * np.median(heights)] if len(heights) >= OUTSIZE_MIN_MARKS else heights
    tallest = usual.max()
    height = float(np.median(usual[usual >= DIGIT_HEIGHT_SHARE * tallest]))
    digits = [mark for mark in found.marks if mark.height >= MIN_MARK_HEIGHT * height]
    reach = PIECE_REACH * height
    pieces = [mark for mark in found.marks if mark not in digits and any(mark.gap(digit) <= reach for digit in digits)]
    return _within_line(digits, height), pieces, height


def _within_line(digits: list[Mark], height: float) -> list[Mark]:
    """Marks far taller than the line's digits cut down to the rows the other digits span.

    On shadowed photos a digit joins the shadow's edge into one mark several digit heights tall
    (7 of 200 photographed codes, seed 0). It set the line's digit height, every real digit fell
    below ``MIN_MARK_HEIGHT`` of it, and the code read as one digit. Ignoring it for the height
    (``OUTSIZE``) and keeping only its rows within the line's band reads the digit inside it.
    """
    usual = [mark for mark in digits if mark.height <= OUTSIZE * height]
    if len(usual) == len(digits) or not usual:
        return digits
    margin = round(BAND_MARGIN * height)
    top = min(mark.y for mark in usual) - margin
    bottom = max(mark.y + mark.height for mark in usual) + margin
    kept = []
    for mark in digits:
        if mark.height > OUTSIZE * height:
            first, last = max(mark.y, top), min(mark.y + mark.height, bottom)
            if last - first < MIN_MARK_HEIGHT * height:
                continue
            mark = dataclasses.replace(mark, y=first, height=last - first)
        kept.append(mark)
    return kept


def _profile_cuts(ink: np.ndarray, mark: Mark, height: float) -> list[int]:
    """Columns inside a wide mark where touching digits may part: the deepest minima of its column profile.

    ``ink`` is the mark's own ink within its box."""
    profile = ink.sum(axis=0)
    smooth = np.convolve(profile, np.ones(3) / 3, mode="same")
    margin = max(1, round(MIN_CUT_GAP * height))
    end = max(1, round(MIN_END_GAP * height))
    interior = range(end, mark.width - end)
    minima = [
        c for c in interior if smooth[c] <= smooth[max(0, c - 1)] and smooth[c] <= smooth[min(mark.width - 1, c + 1)]
    ]
    chosen: list[int] = []
    for column in sorted(minima, key=lambda c: float(smooth[c])):
        if all(abs(column - other) >= margin for other in chosen):
            chosen.append(column)
        if len(chosen) == MAX_CUTS_PER_MARK:
            break
    return sorted(mark.x + column for column in chosen)


def _line(ink: np.ndarray) -> _Line | None:
    """The atoms of one reading: its digit-sized marks, wide ones also cut at their profile's minima."""
    found = find_marks(ink, NUMBER_SPECK_SHARE, NUMBER_CORE_LEVEL, through_grain=False)
    if not found.marks:
        return None
    digits, small, height = _digit_marks(found)
    owner_of = np.full(int(found.labels.max()) + 1, -1, np.int32)
    owner_of[0] = 0
    for number, mark in enumerate([*small, *digits], start=1):
        owner_of[list(mark.labels)] = number
    # one lookup, not an np.isin over the image per mark and segment; np.take, not indexing: 91 -> 54 us a
    # canvas number (60, seed 0, best of 5)
    owners = np.take(owner_of, found.labels)
    atoms = [
        _Atom(mark, mark.x, mark.x + mark.width, 0.0, *_ends(mark), optional=True, owner=number)
        for number, mark in enumerate(small, start=1)
    ]
    for number, mark in enumerate(digits, start=len(small) + 1):
        rows, columns = slice(mark.y, mark.y + mark.height), slice(mark.x, mark.x + mark.width)
        own = np.where(owners[rows, columns] == number, ink[rows, columns], 0.0)
        cuts = _profile_cuts(own, mark, height) if mark.width > SPLIT_WIDTH * min(mark.height, height) else []
        start, end = _ends(mark)
        edges = [start, *_cuts_at(own, mark, cuts, height), end]
        lefts = [mark.x, *cuts, mark.x + mark.width]
        aspect = mark.width / mark.height
        atoms += [
            _Atom(mark, left, right, aspect if i else 0.0, edges[i], edges[i + 1], owner=number)
            for i, (left, right) in enumerate(itertools.pairwise(lefts))
        ]
    atoms.sort(key=lambda atom: (atom.left, atom.right))
    digit_ink = (owners > len(small)) & (ink > STROKE_LEVEL)
    return _Line(ink, owners, height, atoms, stroke_width(digit_ink))


def _ends(mark: Mark) -> tuple[tuple[_Cut], tuple[_Cut]]:
    """A mark's left and right edges, as the only cuts there."""
    return (_Cut.straight(mark, mark.x),), (_Cut.straight(mark, mark.x + mark.width),)


def _cuts_at(own: np.ndarray, mark: Mark, columns: list[int], height: float) -> list[tuple[_Cut, ...]]:
    """The ways to part a mark at each of ``columns``: straight down it, and the paths of drops from its top
    and bottom.

    Digits that lean into each other's columns touch only where their faint edges meet, or one stroke
    end against the other; every column through them crosses a stroke of each. A drop (``_drop``)
    follows the paper between them. Its path is kept where it crosses no stroke's body (where the
    straight cut crosses some), leaves each side at least ``FRAGMENT_SHARE`` of the mark's ink (less is
    a sliver) and parts the mark's pixels unlike a cut kept already. With ``number.FAINT_CUT_PENALTY``:
    touching numbers 78.0 -> 80.0% (seed 0) and 76.0 -> 78.0% (seed 1), every other style unchanged (200
    a style). Kept where it crossed fewer strokes than the straight cut (one, not two): touching 81.0%
    and 79.0%, but single digits cut in two in clear gaps (seed 1), ruled and photographed codes (seed
    0), one number each; kept wherever it parted the mark otherwise: more of those, and thrice the CPU.
    ``own`` is the mark's own ink within its box. Its strokes, ink and rows (as the drops' lists, from
    the top and from the bottom) are taken once for all its columns, not once a column, and a drop
    falling through paper steps on without a call (``_fall`` only where stroke is under it): ``_line``
    1.36 -> 1.04 ms a touching number (60 numbers, seed 0, thread CPU, best of 5).
    """
    body = own > STROKE_LEVEL
    inked = own > 0
    across = np.arange(mark.width)
    reach = max(1, round(DROP_REACH * height))
    frames: list[tuple[np.ndarray, list[list[bool]], bool]] = []
    found = []
    for column in columns:
        local = column - mark.x
        straight = _Cut.straight(mark, column, _strokes_along(body, np.full(mark.height, local)))
        cuts = [straight]
        if straight.crossed:
            if not frames:
                rows = body.tolist()
                frames = [(body, rows, False), (body[::-1], rows[::-1], True)]
            sides = [(across < local) & inked]
            for frame, lists, upward in frames:
                path = _drop(lists, local, reach)
                if _strokes_along(frame, path):
                    continue
                path = path[::-1] if upward else path
                side = (across < path[:, None]) & inked
                share = np.count_nonzero(side) / np.count_nonzero(inked)
                if FRAGMENT_SHARE <= share <= 1 - FRAGMENT_SHARE and not any(
                    np.array_equal(side, seen) for seen in sides
                ):
                    sides.append(side)
                    cuts.append(_Cut.along(path + mark.x))
        found.append(tuple(cuts))
    return found


def _strokes_along(body: np.ndarray, path: np.ndarray) -> int:
    """How many strokes a path down ``body`` (stroke pixels) crosses: its runs of stroke.

    A step sideways is taken along the row the path leaves: a diagonal step passes between two pixels,
    and where both are stroke the path cuts the stroke. The pixels passed, paper before them, are
    interleaved into one array and its rises counted, rather than stacked (``np.stack``) and differenced
    (``np.diff``): ``_line`` 1.04 -> 0.83 ms a touching number (60 numbers, seed 0, thread CPU, best of 5)."""
    rows = np.arange(len(path))
    passed = np.zeros(2 * len(path) + 1, dtype=bool)  # paper, then each row's pixel and the step beside it
    passed[1::2] = body[rows, path]
    passed[2:-1:2] = body[rows[:-1], path[1:]]
    return int(np.count_nonzero(passed[1:] & ~passed[:-1]))


def _drop(body: list[list[bool]], column: int, reach: int) -> np.ndarray:
    """The column, row by row, of a drop falling down ``body`` (stroke pixels, row lists) from its top at ``column``.

    The classic drop-fall for touching handwritten numerals: the drop falls where the pixel below is
    paper, else to the paper diagonally below (back towards its start first, else left: handwriting
    leans right, so the paper between digits runs down to the left), else slides along its row to
    where it can fall, and cuts through the ink only when stuck; it strays at most ``reach`` columns.
    Row by row on Python lists: on numpy rows this short, the calls' cost made the drops 2.8 of the 17.5 ms
    a 5-digit number took under cProfile; on lists they take 0.24 of 11.3 ms (without).
    """
    band = (max(1, column - reach), min(len(body[0]) - 1, column + reach))
    path = [column]
    for row, below in itertools.pairwise(body):
        x = path[-1]
        path.append(_fall(row, below, x, column, band) if below[x] else x)
    return np.array(path)


def _fall(row: list[bool], below: list[bool], x: int, start: int, band: tuple[int, int]) -> int:
    """Where a drop at column ``x`` of ``row`` goes in the row ``below``, stroke under it (see ``_drop``)."""
    steps = (1, -1) if x < start else (-1, 1)
    for step in steps:
        if band[0] <= x + step <= band[1] and not below[x + step]:
            return x + step
    for step in steps:
        side = x + step
        while band[0] <= side <= band[1] and not row[side]:
            if not below[side]:
                return side
            side += step
    return x


def _one_mark(atoms: list[_Atom]) -> bool:
    """Whether ``atoms`` are one whole mark and small pieces beside it: a candidate however wide.

    A 5 whose long bar makes it 1.7 digit heights wide was only ever read in parts (seed 0)."""
    whole = [atom for atom in atoms if not atom.optional]
    if len({atom.mark for atom in whole}) != 1:
        return False
    mark = whole[0].mark
    return min(atom.left for atom in whole) == mark.x and max(atom.right for atom in whole) == mark.x + mark.width


def _segment_ink(line: _Line, atoms: list[_Atom], first: _Cut, last: _Cut) -> tuple[np.ndarray, int, int, float] | None:
    """The ink of some atoms between cuts ``first`` and ``last``, cropped (with its top-left corner), without
    slivers cut off a neighbour, and its aspect for the search (``_aspect``).

    Each atom takes only its own mark's pixels, so a neighbour reaching into its columns (digits that
    overlap without touching) stays out; where a cut parts touching digits, a light piece of stroke
    left at the cut belongs to the other side.

    The kept pixels are copied by ``cv2.copyTo`` on a uint8 mask rather than ``np.where`` on booleans:
    29.3 us a call against 32.1 without ``_without_light_pieces`` (852 calls of 20 touching numbers).
    """
    top = min(atom.mark.y for atom in atoms)
    bottom = max(atom.mark.y + atom.mark.height for atom in atoms)
    left = min(atoms[0].left, first.low)
    right = max(max(atom.right for atom in atoms), last.high)
    if right <= left or bottom <= top:
        return None
    owners = line.owners[top:bottom, left:right]
    mask = np.zeros(owners.shape, dtype=bool)
    for owner in dict.fromkeys(atom.owner for atom in atoms):
        mine = [atom for atom in atoms if atom.owner == owner]
        start = first if mine[0] is atoms[0] else mine[0].cuts[0]
        end = last if mine[-1] is atoms[-1] else mine[-1].ends[0]
        columns = slice(start.low - left, end.high - left)
        region = owners[:, columns] == owner
        if start.low < start.high:  # a curved cut: its rows compared, which a segment's edges mostly are not
            region &= np.arange(start.low, end.high) >= start.columns(mine[0].mark, top, bottom)[:, None]
        if end.low < end.high:
            region &= np.arange(start.low, end.high) < end.columns(mine[-1].mark, top, bottom)[:, None]
        mask[:, columns] |= region
    inside = mask.view(np.uint8)
    keep = cv2.dilate(inside, FRINGE) & ((owners == 0).view(np.uint8) | inside)  # with its strokes' faint edge
    part = cv2.copyTo(line.ink[top:bottom, left:right], keep)
    if atoms[0].cut or (atoms[-1].right < atoms[-1].mark.x + atoms[-1].mark.width):
        part = _without_light_pieces(part, at_edge=True)  # slivers cut off a neighbour
    boxed = _ink_box(part)
    if boxed is None:
        return None
    cropped, x, y = boxed
    reach = PIECE_REACH * line.height
    marks = [atom.mark for atom in atoms if not atom.optional]
    small = [atom.owner for atom in atoms if atom.optional and any(atom.mark.gap(m) <= reach for m in marks)]
    aspect = _aspect(np.where(np.isin(owners, small), 0.0, part)) if small else None
    return cropped, left + x, top + y, cropped.shape[1] / cropped.shape[0] if aspect is None else aspect


def _aspect(core: np.ndarray) -> float | None:
    """The width over height of a segment's ink without the small pieces that may be its own (``core``);
    ``None`` where that is none.

    The prior against wide segments (``number.WIDE_SEGMENT``) is against two digits read as one; a piece
    too low to be a digit (``MIN_MARK_HEIGHT``) within ``PIECE_REACH`` of the segment's digit-sized marks
    cannot be the second, and a 5 whose bar was drawn apart and long was wide with it and read, surely,
    as the 6 its body alone looks like (seed 0: "5" as 6, "905782879" as 903183879). A piece farther off
    still counts: without that reach, a 9 joined to the dot on the next digit's 1 read as a 7 ("910")."""
    boxed = _ink_box(core)
    return None if boxed is None else boxed[0].shape[1] / boxed[0].shape[0]


def _ink_box(part: np.ndarray) -> tuple[np.ndarray, int, int] | None:
    """``part`` cropped to its ink above ``CELL_LEVEL``, with the crop's top-left corner; ``None`` without any.

    By ``cv2.boundingRect``: numpy's reductions of each axis took twice the time (``segment_image`` on
    120 numbers, 7.24-7.38 -> 6.51-7.12 ms a number)."""
    x, y, width, height = cv2.boundingRect((part > CELL_LEVEL).view(np.uint8))
    if width == 0:
        return None
    return part[y : y + height, x : x + width], x, y


def _without_light_pieces(part: np.ndarray, at_edge: bool) -> np.ndarray:
    """Pieces (8-connected above ``CELL_LEVEL``) with under ``FRAGMENT_SHARE`` of the ink removed: anywhere
    (a comb wall's leftover stub), or with ``at_edge`` only those touching the left or right edge (a
    sliver a cut took off the neighbouring digit).

    The pieces at the edges are the labels in the first and last columns: ``connectedComponentsWithStats``
    for their boxes took 17 us a segment against 7 for the labels alone (``_without_light_pieces`` 28 ->
    17 us, on the 738 crops of 20 touching numbers), paid for ~30 segments of a touching number."""
    count, labels = cv2.connectedComponents((part > CELL_LEVEL).view(np.uint8), connectivity=8)
    if count <= 2:
        return part
    masses = np.bincount(labels.ravel(), weights=part.ravel(), minlength=count)
    masses[0] = 0.0
    light = masses < FRAGMENT_SHARE * masses.sum()
    if at_edge:
        edge = np.zeros(count, dtype=bool)
        edge[labels[:, 0]] = edge[labels[:, -1]] = True
        light &= edge
    light[0] = False
    if not light.any():
        return part
    cleaned: np.ndarray = np.where(light[labels], 0.0, part)
    return cleaned


def _box(x: int, y: int, shape: tuple[int, ...], to_upload: tuple[float, float]) -> tuple[int, int, int, int]:
    """A crop's box at working size, ``(x, y)`` its corner, in the uploaded image's pixels."""
    sx, sy = to_upload
    x0, y0, x1, y1 = x * sx, y * sy, (x + shape[1]) * sx, (y + shape[0]) * sy
    return round(x0), round(y0), max(1, round(x1 - x0)), max(1, round(y1 - y0))


def _cut_segments(
    line: _Line, pieces: list[_Atom], start: int, end: int, reading: int, scale: tuple[float, float]
) -> list[tuple[Segment, np.ndarray]]:
    """Atoms ``start`` to ``end`` as a candidate segment and its ink, once for each pair of cuts at its edges.

    Its right edge's cuts are those the next piece of its mark starts with; where its mark goes on in a
    piece not next in the reading (marks overlapping in columns), only the straight one."""
    first, last = pieces[start], pieces[end - 1]
    goes_on = end < len(pieces) and pieces[end].mark is last.mark and pieces[end].left == last.right
    ends = last.ends if goes_on else last.ends[:1]
    found = []
    for (a, left), (b, right) in itertools.product(enumerate(first.cuts), enumerate(ends)):
        ink = _segment_ink(line, pieces[start:end], left, right)
        if ink is None:
            continue
        part, x, y, aspect = ink
        box = _box(x, y, part.shape, scale)
        segment = Segment(reading, start, end, box, aspect, first.cut, left.crossed, a, b)
        found.append((segment, part))
    return found


@dataclass
class _Inputs:
    """Distinct model inputs in the order first made, and each one's row (``NumberSegments.rows``)."""

    images: list[np.ndarray] = dataclasses.field(default_factory=list)
    numbers: dict[bytes, int] = dataclasses.field(default_factory=dict)

    def add(self, image: np.ndarray) -> int:
        """The row of ``image``: a new one unless an equal input was made before."""
        row = self.numbers.setdefault(image.tobytes(), len(self.images))
        if row == len(self.images):
            self.images.append(image)
        return row


def segment_gray(gray: np.ndarray, to_upload: tuple[float, float] = (1.0, 1.0), layer: bool = False) -> NumberSegments:
    """The candidate segments of a decoded grayscale image; ``to_upload``: its pixels' size in the upload's;
    ``layer``: the image is a transparent layer flattened by ``decode`` (dark ink, nothing printed), as in
    ``pipeline.read_gray``."""
    work = to_working_size(gray, NUMBER_AREA)
    scale = (to_upload[0] / work.scale, to_upload[1] / work.scale)
    polarities = [True] if layer else ink_sides(work.gray)
    inputs = _Inputs()
    rows: list[int] = []
    segments: list[Segment] = []
    atoms: list[int] = []
    for dark_ink in polarities:
        for ink in _readings(work.gray, dark_ink, printed=not layer):
            if isinstance(ink, _Comb):
                for inside in ink.insides:
                    stroke = stroke_width(inside > STROKE_LEVEL)
                    for cell, part, x, y in _cells(ink, inside):
                        rows.append(inputs.add(to_mnist(part, stroke)))
                        segments.append(Segment(len(atoms), cell, cell + 1, _box(x, y, part.shape, scale), 0.0, 0.0))
                atoms.append(len(ink.walls) - 1)
                continue
            line = _line(ink)
            if line is None:
                continue
            reading = len(atoms)
            pieces = line.atoms
            for start in range(len(pieces)):
                for end in range(start + 1, min(len(pieces), start + MAX_SEGMENT_ATOMS) + 1):
                    span = pieces[end - 1].right - pieces[start].left
                    if end > start + 1 and span > MAX_SEGMENT_WIDTH * line.height and not _one_mark(pieces[start:end]):
                        continue
                    if end == start + 1 and pieces[start].optional:
                        continue  # never a digit alone: the search may leave it out
                    for segment, part in _cut_segments(line, pieces, start, end, reading, scale):
                        rows.append(inputs.add(to_mnist(part, line.stroke)))
                        segments.append(segment)
            atoms.append(len(pieces))
    if not rows:
        raise NoDigitFoundError("no digit found: the image is blank or has too little contrast")
    return NumberSegments(np.stack(inputs.images), segments, atoms, np.array(rows))


def segment_image(data: bytes, max_pixels: int) -> NumberSegments:
    """Image bytes of any format, size and polarity to the candidate segments of the number they show."""
    decoded, size = decode_upright(data, max_pixels)
    gray = decoded.gray
    return segment_gray(gray, (size[0] / gray.shape[1], size[1] / gray.shape[0]), layer=decoded.layer)
