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
from app.preprocessing.comb_fields import FRINGE, Comb, comb_field
from app.preprocessing.decode import decode_upright
from app.preprocessing.marks import Mark, Marks, find_marks
from app.preprocessing.normalize import STROKE_LEVEL, stroke_width, to_mnist
from app.preprocessing.paper import cut_noise, ink_map, ink_sides, to_working_size
from app.preprocessing.printed_boxes import without_print

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
FRAGMENT_SHARE = 0.12
"""A piece of ink cut off at a segment's edge and lighter than this share of its ink belongs to the neighbour."""
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


def _cells(comb: Comb, ink: np.ndarray) -> list[tuple[int, np.ndarray, int, int]]:
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


def _readings(gray: np.ndarray, dark_ink: bool, printed: bool) -> list[np.ndarray | Comb]:
    """The ink of a working-size image: a comb field's inside if it is one, else ``paper.clean``'s readings;
    the ink as it is where nothing is ``printed`` (a drawing on a transparent layer).

    The comb is looked for before any line is erased, since it is found by its horizontal lines;
    the rest is what ``paper.clean`` does (``printed_boxes.without_print``: printed lines erased; also box
    sides, and closed frames of any size, when that differs). The frames reading caught the one-box
    fields beside a label that ``comb_field`` misses: comb fields 72.0 -> 72.5% (seed 0), 75.0 ->
    77.0% (seed 1).
    """
    ink = cut_noise(ink_map(gray, dark_ink))
    if ink is None:
        return []
    if not printed:
        return [ink]
    comb = comb_field(ink)
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
            if isinstance(ink, Comb):
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
