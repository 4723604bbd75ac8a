"""Paper to ink: what of a photo or scan is writing, with the paper, its light and its printed lines gone.

Each step is one function, run on a small copy of the image (``to_working_size``: ~160x160, a few
times MNIST's 28 pixels), where OpenCV's compiled operations take microseconds and release the GIL:

1. ``polarity_score``: is the ink darker or lighter than the paper? Judged without needing a margin,
   so a digit cropped tight or touching the edge is read as well as one with paper around it;
2. ``ink_map``: ink strength 0-1, the paper (its colour, lighting gradients, shadows) removed by a
   morphological opening wider than any pen stroke;
3. ``cut_noise``: paper texture and sensor noise to 0, strokes stretched so their core reaches 1;
4. ``remove_lines``: ruled, squared and form-box lines erased, strokes crossing them kept.

Measured on synthetic uploads built from MNIST test digits (``python -m bench.realistic_uploads``):
the steps that used scipy and numpy at up to 640 pixels took 19-31 ms per image; these take ~1 ms.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from app.preprocessing.decode import by_whole_blocks
from app.preprocessing.marks import find_marks
from app.preprocessing.normalize import stroke_width

# One OpenCV thread per call: the preprocessing pool already runs one image per core, and OpenCV's
# own threads on top of it made each call several times slower on two busy cores.
cv2.setNumThreads(1)

WORK_AREA = 160 * 160
"""Pixels the cleaning works on: a digit filling the image keeps ~5x MNIST's resolution."""
MIN_WORK_SIDE = 28
"""Smaller scans (8-27 px) are enlarged to MNIST's own size, so strokes and paper each span pixels."""
MAX_WORK_ASPECT = 16
"""The working image's longer side is at most this many times the side of a square of its area: a
sliver (2 x 8,000,000 pixels) is shrunk along its length too, where its short side alone would
have kept it whole and every later step's kernels (sized by the longer side) asked for terabytes."""
POLARITY_SIDE = 48
"""The polarity cues are computed on a thumbnail this size: they need only the coarse picture."""
THIN_SIDE = 3
"""The element (thumbnail pixels) under which features count as thin: a stroke of a digit 15-60% tall."""
THIN_SHARE = 0.02
"""Share of the thumbnail's pixels whose black-hat or top-hat measures a side's thin features."""
THIN_WEIGHT = 1.0
"""Weight of the thin-feature cue (-1 to 1) against the border and skew cues."""
POLARITY_SURE = 0.6
"""Below this ``polarity_score`` magnitude both polarities are tried and the model picks."""
DESK_STEP = 40
"""Grey levels by which a page's middle is lighter than a dark desk round it (a light-falloff photo's: under 40)."""
PAPER_KERNEL_SHARE = 0.3
"""The opening that estimates the paper is this share of the image's longer side: wider than strokes."""
NARROW_KERNEL_SHARE = 0.1
"""The narrow opening that follows shadow edges: wider than a typical stroke, narrower than shadows."""
SHADOW_MIN_SIDE = 140
"""Smaller images are crops and small scans, not photos of a page: the wide opening alone serves them."""
NARROW_STROKES = 2.5
"""The narrow opening is at least this many times the strong strokes' mean width (an 8x8 scan's are wide)."""
STRONG_QUANTILE = 0.995
"""The image's strongest ink is taken at this quantile of the wide ink map (a digit covers >0.5%)."""
STRONG_SHARE = 0.7
"""Ink above this share of the strongest is a stroke's body: shadows darken paper by ~25-60%."""
MIN_CONTRAST = 0.12
"""Weakest ink, as a share of the paper's brightness, still taken as writing."""
MIN_NOISE_FLOOR = 0.01
"""Ink weaker than this is noise even on perfectly clean paper (a synthetic image, an MNIST PNG)."""
LINE_SPAN = 0.55
"""A printed line is straight for at least this share of the image's width (or height)."""
LINE_MAX_THICKNESS = 5
"""Thickest printed line at working size; strokes crossing one are bridged over this."""
MOSTLY_LINES = 0.5
"""When removing lines leaves less than this share of the ink, the ink as it was is tried too."""
LINE_LEVEL = 0.2
"""Ink strength from which a pixel can belong to a printed line."""
MIN_LINE_LENGTH = 12
"""Shortest straight run (working pixels) taken as a line at all."""
FRAME_SPAN = 0.2
"""A side of a printed box is straight for at least this share of the image: boxes of any size."""
THICK_SIDE = 2 * LINE_MAX_THICKNESS
"""A square this wide fits in a thick stroke's body, not in a printed line (a blurred 4 px line included)."""
SHADOW_FAT = 0.14
"""A square this share of the image's longer side fits in a shadow, not in a photographed digit's stroke."""
SHADOW_WEAK = 0.6
"""Ink strength under which a fat region is a shadow (25-60% darker paper), not a marker's stroke."""
MEDIAN_SIDE = 9
"""``_shadow_free_contrast``'s median (thumbnail pixels): wider than two strokes, narrower than shadows."""
THIN_LINE = 0.5
"""A frame's side is thin (``_thin_parts``) along at least this share of its pixels."""
LINE_CORE = 0.5
"""Share of its busiest row's (column's) thin pixels a row (column) across a box's side holds to be its line."""
BOX_HOLDS = 0.1
"""Least ink inside a frame, as a share of the frame's own, for it to be a box round writing."""
FRAME_MIN_LENGTH = 8
"""Shortest frame side (working pixels): the short side of a small box in a small image."""
TICK_MIN = 3
"""Shortest tick (working pixels) up from an open field's line, and never less than the line is thick:
a blot at a bold stroke's end is no tick (a shadowed photo's 4 read as a 1 with its bar erased)."""
TICK_FRINGE = 1
"""Pixels past a line's end found where its tick's foot may stand: the corner's anti-aliased fringe, under
``LINE_LEVEL``, can end the line a pixel short of the tick (a 7 on a field read as a 2 with its "|_|"):
form boxes read right 86.5 -> 87.0% (seed 0), 78.0 -> 79.5% (seed 1), bench's 200. The line's
thickness instead let a drawn face's round outline, rising from its bottom, pass for a field's ticks.
It also let a signature's loop pass for a field (seed 2), hence a tick no wider than the line found
is thick, and ``TICK_FRINGE`` more (``_without_field``)."""
TICK_MAX = 0.6
"""Longest tick, as a share of the writing's height: a form field's ticks are 15-40% of the field's height."""
BELOW_LINE = 0.25
"""Share of the writing's height it may reach under an open field's line: a digit crossing the line
(by up to 12% of its height in a form), not a digit's own bar with its stem going on below it."""
LABEL_HEIGHT = 0.5
"""What an open field's reading leaves out beside the field is at most this share of the writing's height
tall: a printed label (18-40% of the digit's); a digit beside the field is as tall as the one in it."""
CORNER_REACH = 3 + LINE_MAX_THICKNESS
"""Two lines whose ends lie within this (working pixels) meet in a corner."""
EDGE_LEVEL = 0.25
"""Share of the strongest ink from which a photo's pixels join into a piece that may be a desk's strip."""
EDGE_CONTACT = 0.8
"""A piece touching the image's edge along this share of its longer side lies along the edge (a desk's strip)."""
MIN_ROOM = 32
"""Least room (grey levels) above the paper that ink is measured against: dark paper's noise is no ink."""
PIECE_LEVEL = 0.25
"""Share of the photo's strongest ink from which pixels join into a piece judged as ink or shadow."""
SHADE_SHARE = 0.5
"""A piece less than this share as much darker than the paper beside it as the most contrasted is shadow."""
SHADE_REACH = 6
"""The paper beside a piece lies within this (working pixels): a shadow's tip reaches its body."""
SHADE_PAPER = 95
"""Percentile of the paper beside a piece taken as its darkest (a few noisy pixels aside)."""
PIECE_AREA = 20
"""Pieces smaller than this (working pixels) are not judged: specks, which ``marks`` drops anyway."""
FLAT_SHARE = 0.5
"""A digital drawing's paper is one grey level covering at least this share of the image."""
FLAT_BORDER = 0.75
"""... and at least this share of its border, so that ink cropped tight is not taken for paper."""
NEAR_PAPER = 8
"""Grey levels this close to the paper's, but not on it, are a photo's or a scan's varying paper."""
NEAR_SHARE = 0.1
"""A digital drawing has at most this share of such pixels (anti-aliased edges spread over all levels)."""
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
class Working:
    """The image at working size and the factor from the decoded image's pixels to these."""

    gray: np.ndarray
    scale: float


def to_working_size(gray: np.ndarray, area: int = WORK_AREA, whole_blocks: bool = False) -> Working:
    """Shrink by area averaging to about ``area`` pixels (which also averages noise away); enlarge tiny images.

    ``whole_blocks``: shrink by the whole factor nearest instead (a 280x280 canvas to 140x140 in 5 us,
    against 60 to 160x160), for a drawing with nothing printed on it. Where lines may be printed, the
    scale decides what is a line: at 140 px, the page's mouse-drawn 7 lost its bar as a printed line.
    """
    height, width = gray.shape
    longest = MAX_WORK_ASPECT * np.sqrt(area)
    if max(height, width) > longest:
        scale = float(longest / max(height, width))
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        return Working(cv2.resize(gray, size, interpolation=cv2.INTER_AREA), scale)
    if whole_blocks and min(height, width) >= MIN_WORK_SIDE:
        factor = round(np.sqrt(height * width / area))
        return Working(by_whole_blocks(gray, factor), 1.0 / factor) if factor >= 2 else Working(gray, 1.0)
    if min(height, width) < MIN_WORK_SIDE:
        # Whole-pixel enlargement: shrinking it back into MNIST's box then restores the pixels exactly.
        factor = max(1, min(-(-MIN_WORK_SIDE // min(height, width)), 4 * MIN_WORK_SIDE // max(height, width)))
        enlarged = cv2.resize(gray, (width * factor, height * factor), interpolation=cv2.INTER_NEAREST)
        return Working(enlarged, float(factor))
    scale = min(1.0, float(np.sqrt(area / (height * width))))
    if scale > 0.999:
        return Working(gray, 1.0)
    return Working(area_shrink(gray, (max(1, round(width * scale)), max(1, round(height * scale)))), scale)


def area_shrink(gray: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``gray`` averaged down to ``size`` (width, height), by whole blocks.

    OpenCV averages areas fast only by a whole factor: on this VM 280x280 to 140x140 took 5 us, to
    160x160 135 us. So the image is first enlarged bilinearly to the next whole multiple of ``size``
    (by less than 2x), then averaged by whole blocks: 280x280 to 160x160 in 60 us and 300x300 in 64
    (thread CPU, medians of 1,000), each pixel within 0.2-0.3 grey levels of the exact area average
    on average (at most 14, on a sharp edge).
    """
    width, height = size
    factor = max(-(-gray.shape[1] // width), -(-gray.shape[0] // height))
    if (factor * width, factor * height) != (gray.shape[1], gray.shape[0]):
        gray = cv2.resize(gray, (factor * width, factor * height), interpolation=cv2.INTER_LINEAR)
    shrunk: np.ndarray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    return shrunk


def _ring(image: np.ndarray, width: int = 2) -> np.ndarray:
    """The pixels within ``width`` of the border."""
    inner = image[width:-width]
    return np.concatenate(
        [image[:width].ravel(), image[-width:].ravel(), inner[:, :width].ravel(), inner[:, -width:].ravel()]
    )


def _thin_contrast(thumbnail: np.ndarray) -> float:
    """-1 to 1: how much more the thin dark features (black-hat) than the thin light ones (top-hat) stand out.

    Strokes are thin whatever their side of the grey scale; a shadow's or a desk's edge is a step,
    which both an opening and a closing keep, so it counts on neither side. Each side is measured
    by the mean of its strongest ``THIN_SHARE`` of pixels (``_tail_mean``).
    On the uint8 thumbnail, whose closing is never below it and opening never above (so saturating
    differences are exact): 43 -> 23 us on the 600x600 photo (thread CPU, median of 3,000), against
    float32 copies sorted.
    """
    element = cv2.getStructuringElement(cv2.MORPH_RECT, (THIN_SIDE, THIN_SIDE))
    dark = cv2.subtract(cv2.morphologyEx(thumbnail, cv2.MORPH_CLOSE, element), thumbnail)
    light = cv2.subtract(thumbnail, cv2.morphologyEx(thumbnail, cv2.MORPH_OPEN, element))
    first = int((1.0 - THIN_SHARE) * thumbnail.size)
    dark_peak, light_peak = _tail_mean(dark, first), _tail_mean(light, first)
    return (dark_peak - light_peak) / (dark_peak + light_peak + 1e-3)


def _tail_mean(levels: np.ndarray, first: int) -> float:
    """The mean of a uint8 image's pixels from the ``first``-th in ascending order on, as float32 rounds it.

    Partitioned, in uint8: 5-10 us on a 48x48 thumbnail, flat or not (a float32 copy: 13-23 us
    partitioned, 7-27 sorted). The sum is exact; rounded to float32, the mean is the float32 mean's.
    """
    tail = np.partition(levels, first, axis=None)[first:]
    return float(np.float32(int(tail.sum()) / tail.size))


def _shadow_free_contrast(gray: np.ndarray) -> float:
    """-1 to 1: the darkest against the lightest details once a median filter has taken the light away.

    A median filter wider than two strokes follows the paper's light and a shadow's hard edge (a
    step, which a median keeps) but not a stroke (a minority in its window, whichever its side), so
    what the image differs from its median by is ink and noise. Its strongest ``THIN_SHARE`` on
    each side are compared, as in ``_thin_contrast``. It works on ``polarity_score``'s thumbnail
    (a 64-pixel one with an 11-pixel median cost 0.13 ms more and decided as well).
    """
    side = POLARITY_SIDE
    thumbnail = gray if gray.shape == (side, side) else cv2.resize(gray, (side, side), interpolation=cv2.INTER_AREA)
    median = cv2.medianBlur(thumbnail, MEDIAN_SIDE)
    # saturating uint8 differences, partitioned (``_top_mean``): sorting the float differences cost 0.2 ms
    dark_peak = _top_mean(cv2.subtract(median, thumbnail), THIN_SHARE)
    light_peak = _top_mean(cv2.subtract(thumbnail, median), THIN_SHARE)
    return (dark_peak - light_peak) / (dark_peak + light_peak + 1e-3)


def _top_mean(levels: np.ndarray, share: float) -> float:
    """The mean of the highest ``share`` of a uint8 image's pixels, the last one's fraction counted.

    Partitioned: 15 -> 6 us a call on ``_shadow_free_contrast``'s 48x48 thumbnail (thread CPU, median
    of 3,000), against a 256-bin histogram's cumulative counts. Every term is exact in float64, so
    the mean is the histogram's to the bit, the fraction's share of pixels rounded to float32 as its
    float32 counts rounded it.
    """
    wanted = share * levels.size
    whole = int(wanted)
    first = levels.size - whole - 1
    tail = np.partition(levels, first, axis=None)[first:]
    return (int(tail[1:].sum()) + (float(np.float32(wanted)) - whole) * int(tail[0])) / wanted


def polarity_score(gray: np.ndarray) -> float:
    """Positive when the ink is darker than the paper, negative when lighter; its size says how sure.

    Three cues on a thumbnail. On the image minus its blurred self (which follows lighting and
    shadows): along the border, paper is the majority even in a tight crop (a tight-cropped MNIST
    digit touches a median 17% of its border), so the border's median shows the paper's side; and
    ink, the minority, makes the long tail of the distribution (its skew). Together they chose right
    for 100% of tight crops and MNIST-format images and 95.5% of tight 8x8 scans. But on shadowed
    phone photos a dark desk or shadow along the border made them surely wrong for 57 of 300. The
    third cue, which of the thin features are the stronger (``_thin_contrast``), brings that to 40
    (58 unsure to 60); it is left out below ``SHADOW_MIN_SIDE``, where a crop's thick strokes and
    small holes are as thin as each other (at full weight on every image it misread 6-8% of tight
    crops and 3% more 8x8 scans). Where these cues' sum and ``_shadow_free_contrast`` disagree, the
    score is 0 (unsure: the model reads both polarities): surely wrong shadowed photos went from 12
    to 5 and 22 to 11 of 150 (two seeds), and shadowed photos read right from 66.0% to 70.7% (bench,
    seed 0, 150 a kind), no other kind losing; 10% of scans become unsure and cost a second reading.
    """
    small = cv2.resize(gray, (POLARITY_SIDE, POLARITY_SIDE), interpolation=cv2.INTER_AREA)
    thumbnail = small.astype(np.float32)
    detail = thumbnail - cv2.GaussianBlur(thumbnail, (0, 0), 0.12 * POLARITY_SIDE)
    detail /= float(detail.std()) + 1e-6
    skew = float((detail * detail * detail).mean())
    score = 2.0 * _median(_ring(detail)) - skew
    if max(gray.shape) < SHADOW_MIN_SIDE:  # a crop or a small scan: no desk, no shadow, and thick strokes
        return score
    score += THIN_WEIGHT * _thin_contrast(small)
    if (score > 0) != (_shadow_free_contrast(small) > 0):
        return 0.0  # the cues disagree once shadows are taken out: unsure, the model reads both
    if score < -POLARITY_SURE and _on_a_desk(thumbnail):
        return 0.0
    return score


def ink_sides(gray: np.ndarray) -> list[bool]:
    """Which sides of the grey scale to read as ink (``True``: darker than the paper): the side
    ``polarity_score`` is sure of, or both, surer first, where it is not (``POLARITY_SURE``)."""
    score = polarity_score(gray)
    return [score >= 0] if abs(score) > POLARITY_SURE else [score >= 0, score < 0]


def _on_a_desk(thumbnail: np.ndarray) -> bool:
    """True when the thumbnail's middle is ``DESK_STEP`` lighter than its border: a page on a dark desk.

    Then the border cue of ``polarity_score`` sees the desk, not the paper, and the page's bright
    corners outweigh a small digit's strokes in the thin-feature cues: 11 and 8 of 100 shadowed
    photos (seeds 0 and 1) were surely light ink, all wrong, 8 and 8 of them with such a desk. A
    light-ink verdict there is taken as unsure (both polarities read): of chalkboards and coloured
    paper, whose light ink is right, 1 of 147 met the rule (and costs a second reading); of plain
    phone photos, none.
    """
    middle = thumbnail[POLARITY_SIDE // 4 : -POLARITY_SIDE // 4, POLARITY_SIDE // 4 : -POLARITY_SIDE // 4]
    return _median(middle) - _median(_ring(thumbnail)) > DESK_STEP


def _median(values: np.ndarray) -> float:
    """``np.median`` of float32 values, to the bit: the middle one, or the two middle ones' float32 mean.

    One partition: 14 -> 4 us on ``polarity_score``'s ring of 368 pixels (thread CPU, median of 3,000),
    where ``np.median``'s checks and its call of ``np.mean`` cost more than the partition.
    """
    half = values.size // 2
    if values.size % 2:
        return float(np.partition(values, half, axis=None)[half])
    low, high = np.partition(values, (half - 1, half), axis=None)[half - 1 : half + 1]
    return float((low + high) / 2)


def _odd(value: float) -> int:
    return int(value) // 2 * 2 + 1


def _paper_under(bright_ink: np.ndarray, smoothed: np.ndarray, side: int) -> np.ndarray:
    """The paper's level under every pixel: an opening with a ``side`` square, never above the pixel."""
    element = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    paper: np.ndarray = cv2.min(cv2.morphologyEx(smoothed, cv2.MORPH_OPEN, element), bright_ink)
    return paper


def _ink_over(bright_ink: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """``(bright_ink - paper) / max(255 - paper, MIN_ROOM)``, float32: the ink over the room above the paper.

    The difference and the room in uint8 (exact: the paper is never above the pixel; the room is
    255 less the paper capped at 223) and one division to float32, the same to the bit for every
    pair of levels: 30 -> 14 us at working size (thread CPU, median of 3,000), against four float32
    passes.
    """
    _, capped = cv2.threshold(paper, 255 - MIN_ROOM, 255 - MIN_ROOM, cv2.THRESH_TRUNC)
    ink: np.ndarray = cv2.divide(cv2.subtract(bright_ink, paper), cv2.bitwise_not(capped), dtype=cv2.CV_32F)
    return ink


def _shadows(strong: np.ndarray, labels: np.ndarray, count: int, wide: np.ndarray) -> np.ndarray:
    """Which of the strong regions (``labels``) are shadows: fat (a ``SHADOW_FAT`` square fits) and weak.

    ``ink_map`` keeps the wide opening's ink where the strongest ink lies, taking it for a thick
    stroke's body; on a photo with a small or faint digit, a shadow's block was that strongest
    ink, and stayed as a mark. A stroke is never that fat in a photo of a page, and a shadow never
    as dark as ink (``SHADOW_WEAK``): shadowed photos read right 70.7 -> 74.7% (seed 0) and
    76.7 -> 77.3% (seed 1), bench, 150 a kind; on 400 more (two other seeds) the gain was only
    0.3-0.8 points. With ``SHADOW_FAT`` 0.1, 1.2 points of coloured paper (bold strokes on dark
    cards) were lost; 0.14 lost none and kept those gains.
    """
    side = _odd(SHADOW_FAT * max(strong.shape))
    fat = cv2.erode(strong, cv2.getStructuringElement(cv2.MORPH_RECT, (side, side)))  # a rect: 4x faster
    shadows = np.zeros(count, dtype=bool)
    shadows[labels[fat > 0]] = True
    if not shadows[1:].any():
        return shadows
    sizes = np.maximum(np.bincount(labels.ravel(), minlength=count), 1)
    strength = np.bincount(labels.ravel(), weights=wide.ravel(), minlength=count) / sizes
    found: np.ndarray = shadows & (strength < SHADOW_WEAK)
    return found


def ink_map(gray: np.ndarray, dark_ink: bool, photo: bool | None = None, pieces: bool = False) -> np.ndarray:
    """Ink strength, float32 0-1, with the paper and its lighting removed.

    With the ink made bright, a morphological opening wider than any stroke leaves the paper alone:
    its colour and gradients. Dividing the difference by the room left above the paper makes ink in
    shadow as strong as ink in light (paper reflects, so light falls on ink and paper alike).

    One opening cannot serve both strokes and shadows: it must be wider than the thickest stroke
    (``PAPER_KERNEL_SHARE`` of the image), and then a shadow, a strip of desk or the tip of a shadow
    polygon narrower than that is taken for ink (shadowed phone photos: 52% read right). So the
    paper is taken twice: under a wide element and under a narrow one (``NARROW_KERNEL_SHARE``),
    which follows a shadow's edge and leaves only strokes thinner than it. Where the wide map shows
    the image's strongest ink (a thick stroke's body, as dark as the pen, which no shadow is), the
    wide map is kept; elsewhere the narrow one. Shadowed photos went from 52-57% to 61-65% read
    right (two seeds of 150), pencil and chalk gained 0-3 points, no kind lost more than noise.
    Images under ``SHADOW_MIN_SIDE`` are crops and small scans, whose thick blocky strokes the
    narrow element cut (8x8 scans lost 2 points): they keep the wide map alone, unless ``photo``
    says the pixels are a crop of a larger photo. Strong ink touching the image's edge is a desk
    round the page, not a stroke's body: it takes the narrow map, and what of the desk the narrow
    map leaves along the edge goes (``_off_the_edge``). With ``pieces`` (a single digit's reading,
    ``clean``), the shadow's pieces the narrow map leaves go too (``_without_shadow_pieces``); the
    number reader keeps them, whose printed comb boxes are often fainter than the writing.
    """
    bright_ink = cv2.bitwise_not(gray) if dark_ink else gray
    smoothed = cv2.GaussianBlur(bright_ink, (3, 3), 0)  # so that the paper's noise does not pull it down
    wide_side = _odd(max(9, PAPER_KERNEL_SHARE * max(bright_ink.shape)))
    wide = _ink_over(bright_ink, _paper_under(bright_ink, smoothed, wide_side))
    if not (max(bright_ink.shape) >= SHADOW_MIN_SIDE if photo is None else photo):
        return wide
    levels = cv2.convertScaleAbs(wide, alpha=255.0)
    histogram = cv2.calcHist([levels], [0], None, [256], [0, 256]).ravel()
    strongest = _quantile(histogram, STRONG_QUANTILE) / 255.0
    if strongest < MIN_CONTRAST:
        return wide
    strong = (wide > STRONG_SHARE * strongest).astype(np.uint8)
    # components without their statistics: connectedComponentsWithStats cost 0.16 ms here, this 0.02
    count, labels = cv2.connectedComponents(strong, connectivity=8)
    inland = np.ones(count, dtype=bool)
    inland[_ring(labels, 1)] = False  # touching the edge, or the background (label 0)
    inland[0] = False
    inland &= ~_shadows(strong, labels, count, wide)
    # usually every strong piece is a stroke: no lookup (35 us); else np.take, 20 us against indexing's 35
    strokes = strong if inland[1:].all() else np.take(inland.view(np.uint8), np.asarray(labels))
    stroke = stroke_width(strokes)
    narrow_side = _odd(max(9, NARROW_KERNEL_SHARE * max(bright_ink.shape), NARROW_STROKES * stroke))
    if narrow_side >= wide_side:
        return wide
    narrow = _ink_over(bright_ink, _paper_under(bright_ink, smoothed, narrow_side))
    body = cv2.dilate(strokes, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    ink: np.ndarray = cv2.copyTo(wide, body, narrow)  # into narrow where body is set: 17 -> 4 us, np.where's
    ink = _off_the_edge(ink, EDGE_LEVEL * strongest, narrow_side)
    return _without_shadow_pieces(ink, smoothed) if pieces else ink


def _off_the_edge(ink: np.ndarray, level: float, reach: int) -> np.ndarray:
    """The photo's ink without the pieces lying along its edge: a strip of desk round the page.

    Where the page does not fill the frame, the desk beyond its edge is a dark band along the
    image's border; narrower than the narrow opening (``reach``), it stays in the ink map, and was
    read as a 1's stroke beside the digit, an L round it, or alone: 16 of the 26 shadowed photos
    read wrong (seed 0, 100). Such a piece touches the border along ``EDGE_CONTACT`` of its length
    and no pixel of it lies farther than ``reach`` from the border; a digit touching the edge (a
    tight crop) touches it with a stroke's end, and a printed box at the edge reaches across the
    image (erasing pieces by their contact alone took form boxes with the digit: 71 -> 64%, seed 0).
    Where the border holds fewer than ``reach`` ink pixels in all, nothing along it is a desk's strip.
    Shadowed photos read right 74 -> 84% (seed 0) and 79 -> 85% (seed 1, 100 each).
    """
    mask = (ink > level).astype(np.uint8)
    if np.count_nonzero(_ring(mask, 1)) < reach:  # a speck or a stroke's end at most: 0.14 ms saved
        return ink
    count, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(mask, 8, cv2.CV_32S, cv2.CCL_GRANA)
    contact = np.bincount(_ring(labels, 1), minlength=count)
    size = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    edge = contact >= EDGE_CONTACT * size
    edge[labels[reach:-reach, reach:-reach]] = False
    edge[0] = False
    if not edge.any():
        return ink
    kept: np.ndarray = np.where(edge[labels], np.float32(0.0), ink)
    return kept


def _without_shadow_pieces(ink: np.ndarray, bright_ink: np.ndarray) -> np.ndarray:
    """The photo's ink without the pieces of shadow the narrow opening left: those no darker than the
    paper beside them, against how much darker the writing is.

    A shadow's tip, a light wedge between two shadows or a strip of desk narrower than the narrow
    opening stays in the ink map, and was read instead of the digit (27 of the 29 shadowed photos read
    wrong, seed 0, 200, had no reading of the right digit at all). A shadow's tip is as dark as the
    shadow's body it juts from, which the narrow opening took for paper; a stroke, even one crossing a
    shadow's edge, is darker than the paper on both sides. So a piece goes where it is darker than the
    darkest paper beside it (``_contrast_beside``) by under ``SHADE_SHARE`` of what the most
    contrasted piece is: judged against the image's own writing, not a fixed level, so that pencil
    and ballpoint keep their weak strokes. Pieces are ink from ``PIECE_LEVEL`` of the image's
    strongest, of ``PIECE_AREA`` pixels or more.

    Shadowed photos read right 84.0 -> 90.5% (seed 0), 82.0 -> 91.5% (seed 1) and 80.0 -> 88.0%
    (seed 2), bench, 200 a kind; pencil +0.5, 0 and +0.5, form fields 0, 0 and +0.5, ruled paper
    -0.5, 0 and 0, every other kind and every non-digit's flags as on main. Also dropping pieces
    whose strongest ink is under half the image's (faint) read 91.0% (seed 0), 91.5% (seed 1) and
    88.0% (seed 2): one image, not kept. An absolute test (shade under 0.3 of the
    paper's room above it) read 94.0% (seed 0, ten kinds) but lost 3.5 points of pencil.
    """
    levels = cv2.convertScaleAbs(ink, alpha=255.0)  # uint8, as cut_noise's histogram
    peak = cv2.minMaxLoc(cv2.blur(levels, (3, 3)))[1]  # a 3x3 mean: no single noisy pixel
    _, mask = cv2.threshold(levels, PIECE_LEVEL * peak, 1, cv2.THRESH_BINARY)
    count, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(mask, 8, cv2.CV_32S, cv2.CCL_GRANA)
    judged = stats[:, cv2.CC_STAT_AREA] >= PIECE_AREA
    judged[0] = False
    if np.count_nonzero(judged) < 2:  # one piece or none: nothing to compare it with
        return ink
    contrast = _contrast_beside(bright_ink, labels, stats, mask, np.flatnonzero(judged))
    if len(contrast) < 2:
        return ink
    best = max(contrast.values())
    gone = np.zeros(count, dtype=bool)
    for label, value in contrast.items():
        gone[label] = value < SHADE_SHARE * best
    if not gone.any():
        return ink
    kept: np.ndarray = np.where(gone[labels], np.float32(0.0), ink)
    return kept


def _contrast_beside(
    bright_ink: np.ndarray, labels: np.ndarray, stats: np.ndarray, mask: np.ndarray, pieces: np.ndarray
) -> dict[int, float]:
    """For each of the labelled ``pieces`` (their ``stats``): how much darker it is than the darkest paper
    beside it, as a share of that paper's room to full ink.

    Its darkness is its ``bright_ink`` (ink bright) 90th percentile; the paper beside it is the
    ``SHADE_PAPER`` percentile of the pixels within ``SHADE_REACH`` of it but off every piece and
    its fringe: the darkest paper near it, a shadow's body where the piece is its tip. The room is
    at least ``MIN_ROOM``, as in ``_ink_over``. Percentiles by one partition each: ``np.percentile``
    cost 34 us a call.
    """
    fringe = cv2.dilate(mask, np.ones((5, 5), np.uint8))
    element = np.ones((2 * SHADE_REACH + 1, 2 * SHADE_REACH + 1), np.uint8)
    contrast = {}
    for label in pieces:
        x, y, width, height = stats[label, :4]
        box = (
            slice(max(0, y - SHADE_REACH), y + height + SHADE_REACH),
            slice(max(0, x - SHADE_REACH), x + width + SHADE_REACH),
        )
        piece = labels[box] == label
        beside = (cv2.dilate(piece.view(np.uint8), element) > 0) & (fringe[box] == 0)
        if not beside.any():
            continue
        level = _percentile(bright_ink[box][piece], 90)
        paper = _percentile(bright_ink[box][beside], SHADE_PAPER)
        contrast[int(label)] = (level - paper) / max(255.0 - paper, MIN_ROOM)  # black beside it: no room at all
    return contrast


def _percentile(values: np.ndarray, percent: float) -> float:
    """The value ``percent`` of the way up the sorted ``values`` (the nearest below; no interpolation)."""
    rank = int(percent / 100 * (values.size - 1))
    return float(np.partition(values, rank)[rank])


def flat_paper(gray: np.ndarray) -> int | None:
    """The paper's grey level when ``gray`` is a digital drawing (a canvas export, a rendered PNG), else ``None``.

    A drawing's paper is one flat level around the ink; a photo's or a scan's varies with light,
    texture and noise. A drawing has no light or shadow to remove and no polarity to guess (its
    ink may even be both darker and lighter than its paper), so ``drawing_ink`` replaces
    ``polarity_score``, ``ink_map`` and ``cut_noise``: on the page's 280x280 canvas PNG they took
    0.8 of the 2.0 ms the reading spent after decoding.
    The border's levels are counted first: where none covers ``FLAT_BORDER`` of it, the image's
    paper cannot, and a photo's or a scan's histogram is not needed: 20 -> 9 us on the 600x600
    photo and 19 -> 8 on the number, for 2 more on the canvas (43 -> 45; thread CPU, medians of
    3,000, alternated).
    """
    border = _ring(gray)
    on_border = np.bincount(border, minlength=256)
    if int(on_border.max()) < FLAT_BORDER * border.size:
        return None
    histogram = cv2.calcHist([gray], [0], None, [256], [0, 256]).ravel()
    level = int(histogram.argmax())
    near = float(histogram[max(0, level - NEAR_PAPER) : level + NEAR_PAPER + 1].sum() - histogram[level])
    if histogram[level] < FLAT_SHARE * gray.size or near > NEAR_SHARE * gray.size:
        return None
    return level if on_border[level] >= FLAT_BORDER * border.size else None


def drawing_ink(gray: np.ndarray, paper: int) -> np.ndarray | None:
    """A digital drawing's ink: each pixel's distance from the ``paper`` level, the farthest 1; ``None`` if faint."""
    distance = cv2.absdiff(gray, np.full_like(gray, paper))
    peak = int(distance.max())
    if peak < MIN_CONTRAST * 255:
        return None
    ink: np.ndarray = distance.astype(np.float32) * np.float32(1.0 / peak)
    return ink


def _quantile(histogram: np.ndarray, share: float) -> float:
    """The level below which ``share`` of a histogram's counts lie."""
    cumulative = np.cumsum(histogram)
    return float(np.searchsorted(cumulative, share * cumulative[-1]))


def cut_noise(ink: np.ndarray) -> np.ndarray | None:
    """Paper texture and noise to 0 and strokes stretched to reach 1; ``None`` when there is no ink.

    Otsu's threshold splits strokes from paper; the paper's median plus four robust deviations is
    the noise floor; the strokes' 90th percentile becomes full strength. Quantiles come from one
    256-bin histogram (``np.percentile`` on the pixels cost 0.25 ms a call).
    """
    levels = cv2.convertScaleAbs(ink, alpha=255.0)
    threshold, _ = cv2.threshold(levels, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    histogram = cv2.calcHist([levels], [0], None, [256], [0, 256]).ravel()
    cut = int(threshold) + 1
    strokes, paper = histogram[cut:], histogram[:cut]
    if strokes.sum() == 0:
        return None
    peak = (cut + _quantile(strokes, 0.9)) / 255.0
    if peak < MIN_CONTRAST:
        return None
    median = _quantile(paper, 0.5)
    deviations = np.bincount(np.abs(np.arange(cut) - round(median)), weights=paper)
    spread = 1.4826 * _quantile(deviations, 0.5)
    floor = min(max((median + 4.0 * spread) / 255.0, MIN_NOISE_FLOOR), 0.5 * threshold / 255.0, 0.5 * peak)
    stretched: np.ndarray = np.clip((ink - floor) * (1.0 / (peak - floor)), 0.0, 1.0)
    return stretched


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


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
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
        for low, high in _runs(rows > 0):
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
    return _without_lines(ink, mask, find_lines(mask), frames)


def _without_lines(ink: np.ndarray, mask: np.ndarray, lines: list[Line], frames: bool) -> np.ndarray:
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
    return _erase(ink, mask, erased)


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


def _erase(ink: np.ndarray, mask: np.ndarray, lines: list[Line]) -> np.ndarray:
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


Frame = tuple[Line, Line, Line, Line]
"""A closed frame's sides: top, bottom, left, right."""


def _frames(lines: list[Line], shape: tuple[int, ...]) -> list[Frame]:
    """The closed frames the lines make: a top and a bottom line joined end to end (corners within
    ``CORNER_REACH``) by a left and a right one; one of the four may be the image's edge, where the
    two sides beside it run into it (within ``ACROSS_SLACK``): a box the crop cut.

    A digit's straight strokes cross each other or run into curves: a 4's bar crosses its stem, a
    7's bar runs into a slanted stroke, a 5's bar meets a straight stroke at one end only. Open
    frames (a U, a box whose side the writing broke) were erased too at first: 8-9 points more
    form boxes read right (68.0 -> 76.0%, seed 1, 150), but letters' and digits' straight strokes
    form such brackets, and 2-4 points fewer letters, words and several digits were flagged.
    Each frame is one (top, bottom, left, right), so that where all the frames' sides together leave
    the box holding nothing, each is judged alone (``_without_frame``).
    A box the crop cut (its two sides running into the image's edge, its fourth side beyond it or
    too faint there to be found) was kept round the digit: with the edge as that side, form boxes
    read right 87.0 -> 87.5% (seed 0) and 79.5 -> 82.0% (seed 1), ruled pages 98.0 -> 98.5% (seed
    0), every other kind and every non-digit's flags as before (bench's 200). Such frames count only
    where no whole one is found: counted beside whole ones, a pencil page's noisy border, running
    into the image's edges, was erased with the digit inside it in pieces (pencil -0.5, both seeds).
    (The edge as a fourth side had been tried before with letters and words flagged -0.5; as here,
    among printed cores, holding writing and after whole boxes, no non-digit's flags moved.)
    """
    horizontal = [line for line in lines if line.horizontal]
    vertical = [line for line in lines if not line.horizontal]
    if not horizontal or not vertical or len(lines) < 3:
        return []
    height, width = shape[0], shape[1]
    across = np.array([(line.start, line.end - 1, line.position()) for line in horizontal])
    down = np.array([(line.start, line.end - 1, line.position()) for line in vertical])
    # meet[i, j, a, b]: end a (left, right) of horizontal line i meets end b (top, bottom) of vertical j
    meet = (np.abs(across[:, None, :2, None] - down[None, :, None, None, 2]) <= CORNER_REACH) & (
        np.abs(across[:, None, None, None, 2] - down[None, :, None, :2]) <= CORNER_REACH
    )
    rows, cols = len(horizontal), len(vertical)
    # one more row each for the image's top and bottom edges, one more column each for its left and right
    meets = np.zeros((4, rows + 2, cols + 2), dtype=bool)  # top left, top right, bottom left, bottom right
    meets[:, :rows, :cols] = meet[:, :, 0, 0], meet[:, :, 1, 0], meet[:, :, 0, 1], meet[:, :, 1, 1]
    meets[:2, rows, :cols] = down[:, 0] <= ACROSS_SLACK
    meets[2:, rows + 1, :cols] = down[:, 1] >= height - 1 - ACROSS_SLACK
    meets[::2, :rows, cols] = across[:, 0] <= ACROSS_SLACK
    meets[1::2, :rows, cols + 1] = across[:, 1] >= width - 1 - ACROSS_SLACK
    top_left, top_right, bottom_left, bottom_right = meets
    # closed[i, k, j, l]: top i, bottom k, left j and right l meet at the four corners
    closed = (
        top_left[:, None, :, None]
        & bottom_left[None, :, :, None]
        & top_right[:, None, None, :]
        & bottom_right[None, :, None, :]
    )
    nowhere = np.zeros((height, width), dtype=bool)
    horizontal += [Line(nowhere, 0, width, True, (-1, 0)), Line(nowhere, 0, width, True, (height, height + 1))]
    vertical += [Line(nowhere, 0, height, False, (-1, 0)), Line(nowhere, 0, height, False, (width, width + 1))]
    corners = [
        (top, bottom, left, right)
        for top, bottom, left, right in np.argwhere(closed).tolist()
        if top != bottom and left != right
    ]
    edges = [
        (top >= rows) + (bottom >= rows) + (left >= cols) + (right >= cols) for top, bottom, left, right in corners
    ]
    # whole boxes where there are any: a noisy page's ragged border, running into the image's edges,
    # made frames the crop had cut too, and the pencil digit inside was erased in pieces
    fewest = min(edges, default=2)
    return [
        (horizontal[top], horizontal[bottom], vertical[left], vertical[right])
        for (top, bottom, left, right), cut in zip(corners, edges, strict=True)
        if cut == fewest <= 1
    ]


def _one_side(lines: list[Line]) -> bool:
    """True when the lines are one band no thicker than ``THICK_SIDE``: at most one box's side."""
    return len(lines) == 1 and lines[0].thickness() <= THICK_SIDE


def _thin_parts(mask: np.ndarray) -> np.ndarray:
    """The mask without its thick parts: where a square wider than a printed line fits, and its edge.

    Straight runs inside a thick stroke's body (a bold 0's sides, a 5's bar) met end to end like a
    box's sides: 13 of 100 scans and 22 of 100 squared pages had a frame found in the digit. With
    ``THICK_SIDE`` 6, photographed boxes' blurred sides were thick too: 10 read form boxes 4 points
    better than 6, and 14 2-3 points worse (bench, seeds 0 and 1, 150 a kind).
    """
    element = cv2.getStructuringElement(cv2.MORPH_RECT, (THICK_SIDE, THICK_SIDE))
    # outside the image is paper: a box's side along the edge is not thick there
    thick = cv2.morphologyEx(mask, cv2.MORPH_OPEN, element, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    thin: np.ndarray = mask & (cv2.dilate(thick, np.ones((3, 3), np.uint8)) == 0)
    return thin


def remove_frames(ink: np.ndarray) -> np.ndarray:
    """Printed boxes of any size erased (``_frames``), strokes crossing them kept.

    A form field's box is often far shorter than ``LINE_SPAN`` of the image (a label beside it, a
    wide margin round it, a small box), and its sides do not run past the writing: ``remove_lines``
    kept them as ink, and the digit was cropped, scaled and centred with its box around it.
    Lines here need only ``FRAME_SPAN`` of the image; only closed frames of them are erased, and
    only thin ones (``_thin_parts``). As one more reading (``clean``), form boxes went from 60.7% to
    72.7% read right (bench, seed 0, 150 a kind), with squared, ruled, tight and scanned digits unchanged.
    The sides are found on the whole mask, those mostly thin kept: found on the thin parts alone,
    a side the digit touched was cut in pieces too short to be lines. As it stands (closed frames
    holding writing, ``_inside_box``), form boxes read right 57.5 -> 78.0% (seed 0) and 55.5 ->
    68.5% (seed 1), 200 a kind, with the figures above measured on the way there.
    Where no closed frame is found, an open field is looked for (``_without_field``): both need the
    horizontal lines, found once.
    """
    mask = (ink > LINE_LEVEL).astype(np.uint8)
    across = find_lines(mask, FRAME_SPAN, FRAME_MIN_LENGTH, only=True)
    if not across:
        return ink
    framed = _without_frame(ink, mask, across)
    return framed if framed is not ink else _without_field(ink, mask, across)


def _without_frame(ink: np.ndarray, mask: np.ndarray, across: list[Line]) -> np.ndarray:
    """``remove_frames`` for a closed frame, once the horizontal lines (``across``) are found.

    Two sides of each way are counted once the lines are narrowed to their printed cores
    (``_printed``), not before: a box's side along the image's edge, at least half a line's length
    thick, lets the opening through across it (``_straight``), and the box's two other sides were
    found in one band with everything between them, then split into two cores. Judged on the bands
    found, such boxes were kept (a narrow box cut by the image's top edge round a 1): form boxes
    read right 86.0 -> 86.5% (seed 0) and 77.0 -> 77.5% (seed 1), the bench's 200 each. A lone band
    too thin to hold two sides (``_one_side``) still ends the search: without that, ``remove_frames``
    took 388 -> 458 us an ink (thread CPU, best of 7, 431 inks of symbols, doodles, several digits
    and form boxes), the vertical lines looked for wherever one horizontal line was found.
    Where the frames' sides all together leave the box holding no writing (``_holds_writing``), the
    frames that hold writing on their own are erased: a squarish 0's straight sides, 5 pixels thick
    and so thin beside ``THICK_SIDE``, make a frame inside the box, and erasing it with the box left
    nothing inside, so no frame was erased (a 0 in its box flagged). Judging every frame alone
    instead (not only where the union fails) lost a 1 in a small double box: the inner frame,
    shrunk by ``CORNER_REACH``, missed the 1 beside its side and kept that side (form boxes 86.5 ->
    86.0%, seed 0). Form boxes read right 77.5 -> 78.0% (seed 1), 86.5% (seed 0) as before, bench's 200.
    """
    if _one_side(across):
        return ink
    down = find_lines(mask, FRAME_SPAN, FRAME_MIN_LENGTH, only=False)
    if not down or _one_side(down):
        return ink
    thin = _thin_parts(mask)
    frames = _frames(_printed(down, thin) + _printed(across, thin), mask.shape)
    if not frames:
        return ink
    sides = _sides(frames)
    erase = np.zeros(mask.shape, dtype=bool)
    for line in sides:
        erase |= line.pixels
    if not (mask.astype(bool) & ~erase).any():
        return ink
    erased = _erase(ink, mask, sides)
    if not _holds_writing(ink, erased, sides):  # e.g. a 0's straight sides, a frame inside the box: each alone
        holds = [_holds_writing(ink, _erase(ink, mask, list(frame)), list(frame)) for frame in frames]
        empty = {id(line) for frame, held in zip(frames, holds, strict=True) if not held for line in frame}
        # a box's sides are its own: a frame holding nothing that shares one is the same drawing's: an
        # "@"'s ring was erased round its "a", read as a 0 (symbols flagged 86.0 -> 85.5%, seed 2)
        boxes = [frame for frame, held in zip(frames, holds, strict=True) if held and empty.isdisjoint(map(id, frame))]
        if not boxes:
            return ink
        sides = _sides(boxes)
        erased = _erase(ink, mask, sides)
    return _inside_box(erased, sides)


def _sides(frames: list[Frame]) -> list[Line]:
    """The frames' sides, each once."""
    return list({id(line): line for frame in frames for line in frame}.values())


def _printed(found: list[Line], thin: np.ndarray) -> list[Line]:
    """The lines of ``found`` narrowed to their printed core (``_narrowed``), those then thin
    (``thin``, ``_thin_parts``) along ``THIN_LINE`` of their pixels.

    Judged thin before narrowing, a box's side that a bold stroke lay along or crossed (a thick 1
    slanting over a double box's left side) was found in one band with the stroke, was mostly
    thick, and the box stayed: narrowed first, form boxes read right 81.5 -> 85.0% (seed 0) and 73.0 -> 74.0%
    (seed 1), bench, 200 a kind, every other kind and every non-digit's flags as before.
    """
    narrowed = [core for line in found if np.count_nonzero(thin[line.pixels]) for core in _narrowed(line, thin)]
    return [
        line
        for line in narrowed
        if int(np.count_nonzero(thin[line.pixels])) >= THIN_LINE * int(np.count_nonzero(line.pixels))
    ]


def _narrowed(line: Line, thin: np.ndarray) -> list[Line]:
    """The line less the rows (columns) across it holding under ``LINE_CORE`` of its thin part's busiest,
    one line for each run of rows (columns) left: each printed line of a band holding several.

    A stroke along a box's side (a 1 written against it, a 6's loop on its corner) is as straight as
    the side for long enough to be found in the same band, and the band was erased with it: the
    reading lost the stroke, and the model preferred the one with the box. The side's thin pixels
    (``_thin_parts``) lie in the few rows of the printed line; what is left of the band beside them
    is a stroke, which the erasing now bridges over the line (``_erase``). Form boxes read right
    71 -> 75% (seed 0) and 71 -> 74% (seed 1) on 100 each, 79 -> 79% and 73 -> 75% in the bench
    (100 a kind); no other kind, and no non-digit's flags, moved.
    A double box's two sides and a bold stroke between them (a 6's back written over them) were one
    band: narrowed from its first kept column to its last, it kept the stroke, was not thin, and the
    box stayed. Each run is now a line of its own, a single row (column) dipping under the share
    between two counted in: split there too, the side of an "@" and a drawn face's outline were
    erased by halves and one symbol and one doodle fewer flagged (seed 1). With both (and
    ``_end_ticks``' touched ticks), form boxes read right 84.5 -> 86.0% (seed 0) and 74.5 -> 76.5%
    (seed 1), bench, 200 a kind.
    """
    counts = np.count_nonzero(thin & line.pixels, axis=1 if line.horizontal else 0)
    kept = counts >= LINE_CORE * counts.max()
    kept[1:-1] |= kept[:-2] & kept[2:]  # a row (column) dipping under it between two is the same line's
    cores = []
    for first, end in _runs(kept):
        pixels = np.zeros_like(line.pixels)
        if line.horizontal:
            pixels[first:end] = line.pixels[first:end]
            along = np.flatnonzero(pixels[first:end].any(axis=0))
        else:
            pixels[:, first:end] = line.pixels[:, first:end]
            along = np.flatnonzero(pixels[:, first:end].any(axis=1))
        cores.append(Line(pixels, int(along[0]), int(along[-1]) + 1, line.horizontal, (first, end)))
    return cores


def _holds_writing(ink: np.ndarray, erased: np.ndarray, sides: list[Line]) -> bool:
    """True when the frame's inside holds at least ``BOX_HOLDS`` of the frame's own ink in other ink.

    A form's box is drawn round the writing; a symbol's or a doodle's square ("□", a boxed scribble)
    holds little. Without this, the frame-free reading of 1-2 points more symbols and doodles, and
    0.6 more images of several digits, read as one digit (300 a kind); with it, form boxes read
    right 67.3 -> 65.3% (seed 1, 150). That was at 0.2, measured when open frames were erased too;
    with closed frames alone, 0.1 flags as many symbols, doodles, letters and several digits (200
    each, seed 0; seed 1: one doodle and one symbol fewer) and keeps boxes round a 1 or a 7 (a box
    1.5 digits tall, as thick as the pen, has ~5 times a 1's ink): form boxes read right 74 -> 78%
    (seed 1, 100), 75 -> 75% (seed 0).
    """
    across = [line.position() for line in sides if line.horizontal]
    down = [line.position() for line in sides if not line.horizontal]
    top, bottom, left, right = min(across), max(across), min(down), max(down)
    held = float(erased[top + CORNER_REACH : bottom - CORNER_REACH, left + CORNER_REACH : right - CORNER_REACH].sum())
    return held >= BOX_HOLDS * float(ink.sum() - erased.sum())


def _inside_box(ink: np.ndarray, sides: list[Line]) -> np.ndarray:
    """Where the sides close a box, only the ink reaching inside it: a form's printed label goes.

    A label above a box ("No.", "Qty") sits a few pixels from the digit once the box's top is
    erased, near enough to be taken as part of it (``marks.Marks.writing``). Strokes crossing the
    box (a digit wider than its field) reach inside and stay whole. Form boxes went from 78.7% to
    84.0% (seed 0) and 69.3% to 75.3% (seed 1) read right (bench, 150 a kind), no other kind moved.
    """
    across = [line.position() for line in sides if line.horizontal]
    down = [line.position() for line in sides if not line.horizontal]
    if len(across) < 2 or len(down) < 2:
        return ink
    top, bottom, left, right = min(across), max(across), min(down), max(down)
    if bottom - top <= 2 * CORNER_REACH or right - left <= 2 * CORNER_REACH:
        return ink
    inside = (slice(top + CORNER_REACH, bottom - CORNER_REACH), slice(left + CORNER_REACH, right - CORNER_REACH))
    return _reaching(ink, inside)


def _reaching(ink: np.ndarray, field: tuple[slice, slice]) -> np.ndarray:
    """Only the ink whose connected pieces reach into ``field`` (rows, columns); faint ink stays as it is."""
    count, labels = cv2.connectedComponents((ink > LINE_LEVEL).astype(np.uint8), connectivity=8)
    inside = np.zeros(count, dtype=bool)
    inside[labels[field]] = True
    inside[0] = True  # faint ink below LINE_LEVEL is left as it is
    if inside.all():
        return ink
    kept: np.ndarray = np.where(inside[labels], ink, 0.0).astype(ink.dtype)
    return kept


def _without_field(ink: np.ndarray, mask: np.ndarray, across: list[Line]) -> np.ndarray:
    """An open form field erased: a thin base line (one of ``across``) with a short tick up at each end.

    Such a field's line does not run past the writing (its ticks are ink beside it), so
    ``remove_lines`` kept it; it is no closed frame either, and the digit was read standing in its
    "|_|". The lowest line, the one the writing stands on, taken as a box's sides are
    (``_printed``), goes with its ticks where it has a field's (``_ticks``), and only the ink
    reaching into the field (between the ticks, above the line) is kept, so that a label beside
    it goes as in ``_inside_box``, unless what would go is taller than a label (``LABEL_HEIGHT``):
    a digit beside the field. Form boxes read right
    79.0 -> 81.5% (seed 0) and 71.0 -> 73.0% (seed 1), bench, 200 a kind, every other kind and every
    non-digit's flags as before. Without ``LABEL_HEIGHT``, 13.5 points fewer images of several
    digits were flagged (seed 0: one digit read alone); without the free top of ``_tick_length``,
    1.5 points fewer letters ("C", "J"), and without the ink under the line kept between the ticks
    (``_ticks``), 1 fewer doodle (a face's smile; 200 of each, another seed). The ticks are looked
    for first, in two slices (``_end_slices``): of the 81% of inks with a line, 12% have ink rising
    from both ends of the lowest, and only these pay for the thin parts (37 us). A band thicker than
    a line (``LINE_MAX_THICKNESS``) is the line with the writing's foot lying on it, the ticks
    rising less far above the band than it is thick: judged on the band, not on its printed core,
    such fields were kept (form boxes read right 87.0 -> 87.5% (seed 0) and 83.0 -> 84.5% (seed 1)
    over ``_without_label_above`` alone, 84.0 -> 87.5% (seed 2) with both over neither, bench's 200,
    every other kind and every non-digit's flags as before; one 2 whose base lay along the line lost
    it, seed 0). Such a band pays for the thin parts only where the ink does not go on under it
    (``_reaches_under``, asked of the writing again by ``_ticks``): a 7's bold bar, the photo's, is
    told so for 2 us.
    A tick is printed as its line is, no wider than the line found is thick (and ``TICK_FRINGE``): a
    signature's loop, its bottom 2 pixels thick and its sides 5 wide, was read as a field and the
    rest as a digit (signatures flagged 94.0 -> 93.5% with ``TICK_FRINGE``, seed 2; with this, 94.0%);
    a tick the writing crosses is measured wider with it, and one such field is kept (form boxes
    87.5 -> 87.0%, seed 0; seeds 1 and 2 as before).
    """
    lowest = max(across, key=Line.position)
    if lowest.thickness() > LINE_MAX_THICKNESS:  # the writing's foot in one band with the line, ticks inside it
        if _reaches_under(lowest, mask):
            return ink
    elif _end_slices(lowest, mask) is None:
        return ink
    printed = _printed([lowest], _thin_parts(mask))
    if not printed:
        return ink
    base = printed[-1]  # the lowest core: a stroke may lie along the line's top
    ticks = _ticks(base, mask)
    if ticks is None:
        return ink
    left, right = ticks
    if max(left.thickness(), right.thickness()) > lowest.thickness() + TICK_FRINGE:
        return ink  # a tick is printed as the line is, no wider than it is thick: a loop's sides are wider
    erased = _erase(ink, mask, [base, left, right])
    field = (slice(0, base.band[0]), slice(left.band[1], right.band[0]))
    if not (erased[field] > LINE_LEVEL).any():
        return ink
    kept = _reaching(erased, field)
    if _tallest(np.where(kept > 0, 0.0, erased)) > LABEL_HEIGHT * _tallest(kept):
        return ink
    return _without_label_above(kept)


def _without_label_above(ink: np.ndarray) -> np.ndarray:
    """An open field's ink less a label printed above the field: what lies wholly above the tallest piece
    (no row shared with it), together shorter than it.

    A closed box's top side bounds what ``_inside_box`` keeps; an open field has none, so a label
    above it, standing over the field's columns, reached into the field and was kept with the digit
    ("Item" over a 1 read as a 7, "Age" over a 5 as a 3). A digit's own pieces (a 4 in two strokes,
    a 0's halves) share rows with its tallest piece. Form boxes read right 87.0 -> 87.0% (seed 0) and
    82.0 -> 83.0% (seed 1), bench's 200, every other kind and every non-digit's flags as before.
    Held to ``LABEL_HEIGHT`` of the digit, as what goes beside the field is, it took fewer: a
    blurred label with a descender ("Age", "Day") is 0.52-0.55 of the digit's height.
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats((ink > LINE_LEVEL).astype(np.uint8), connectivity=8)
    if count <= 2:
        return ink
    tops, heights = stats[1:, cv2.CC_STAT_TOP], stats[1:, cv2.CC_STAT_HEIGHT]
    tallest = int(np.argmax(heights))
    above = tops + heights <= tops[tallest]
    if not above.any():
        return ink
    highest = int(tops[above].min())
    if int((tops + heights)[above].max()) - highest >= int(heights[tallest]):
        return ink
    label = np.concatenate(([False], above))[labels]
    kept: np.ndarray = np.where(label, 0.0, ink).astype(ink.dtype)
    return kept


def _tallest(ink: np.ndarray) -> int:
    """The height (rows) of the ink's tallest connected piece (``LINE_LEVEL`` and up); 0 without ink."""
    _, _, stats, _ = cv2.connectedComponentsWithStats((ink > LINE_LEVEL).astype(np.uint8), connectivity=8)
    return int(stats[1:, cv2.CC_STAT_HEIGHT].max(initial=0))


def _ticks(line: Line, mask: np.ndarray) -> tuple[Line, Line] | None:
    """The ticks rising from both ends of a horizontal ``line`` (``_end_ticks``); ``None`` unless both are
    there and the rest of the ink is writing above the line, between them.

    A tick is at least ``TICK_MIN`` rows tall and at most ``TICK_MAX`` of the rest of the ink's
    height: a box's side is as tall as the writing (a closed frame's, ``remove_frames``), a
    letter's (a "u", an "L") is the writing. The rest reaches at most ``BELOW_LINE`` of its height
    under the line, and only between the ticks: a digit's own bar (a 4's, its stem going on below
    it) and a smile in a drawn face (the face round it) are no underlines.
    """
    ticks = _end_ticks(line, mask)
    if ticks is None:
        return None
    left, right = ticks
    top, bottom = line.band
    rest = mask.astype(bool) & ~(line.pixels | left.pixels | right.pixels)
    rows = np.flatnonzero(rest.any(axis=1))
    if len(rows) == 0 or rows[0] >= top:
        return None
    height = int(rows[-1]) + 1 - int(rows[0])
    outside = np.ones(mask.shape[1], dtype=bool)
    outside[left.band[0] : right.band[1]] = False
    if int(rows[-1]) - bottom >= BELOW_LINE * height or rest[bottom:, outside].any():
        return None
    if max(left.end - left.start, right.end - right.start) > TICK_MAX * height:
        return None
    return left, right


def _end_ticks(line: Line, mask: np.ndarray) -> tuple[Line, Line] | None:
    """The ticks on both ends of a horizontal ``line`` (``_tick_length``), as vertical lines; ``None``
    unless both are ``TICK_MIN`` rows tall or more and one at least has a free top.

    A digit written over the field often crosses or touches one tick (the foot of a 1, a 2's tail):
    that tick is measured up to where the writing meets it. Requiring both tops free had left those
    fields as ink: form boxes read right 85.5 -> 86.5% (seed 0) and 75.5 -> 76.5% (seed 1), bench,
    200 a kind; on the samples ``--kinds form_box`` draws, 79.0 -> 82.0% and 80.5 -> 82.0% with the
    split bands of ``_narrowed``, every non-digit's flags as on main. The other tick keeps the free
    top asked of both before (``_without_field``: without it, 1.5 points fewer letters flagged).
    """
    ends = _end_slices(line, mask)
    if ends is None:
        return None
    top, bottom = line.band
    measured = [_tick_length(mask, top, bottom - top, columns) for columns in ends]
    lengths = [length for length, _ in measured]
    if min(lengths) < max(TICK_MIN, bottom - top) or not any(free for _, free in measured):
        return None
    ticks = []
    for columns, length in zip(ends, lengths, strict=True):
        pixels = np.zeros(mask.shape, dtype=bool)
        pixels[top - length : top, columns] = mask[top - length : top, columns] > 0
        inked = columns.start + np.flatnonzero(pixels[top - length : top, columns].any(axis=0))
        ticks.append(Line(pixels, top - length, top, False, (int(inked[0]), int(inked[-1]) + 1)))
    return ticks[0], ticks[1]


def _reaches_under(line: Line, mask: np.ndarray) -> bool:
    """True when the ink reaches under the horizontal ``line`` by ``BELOW_LINE`` of its height or more: the
    line is no field's, whose writing stands on it (``_ticks`` asks the same of the writing alone)."""
    rows = np.flatnonzero(cv2.reduce(mask, 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel())
    return bool(rows[-1] + 1 - line.band[1] >= BELOW_LINE * (rows[-1] + 1 - rows[0]))


def _end_slices(line: Line, mask: np.ndarray) -> tuple[slice, slice] | None:
    """The columns at both ends of a horizontal ``line`` where a tick would rise; ``None`` where nothing
    rises from one of them: most lines, told at the cost of two slices."""
    top, bottom = line.band
    reach = bottom - top + 2
    # a tick's foot may stand a pixel past the end found: a faint anti-aliased corner (TICK_FRINGE)
    ends = (
        slice(max(0, line.start - TICK_FRINGE), line.start + reach),
        slice(max(0, line.end - reach), line.end + TICK_FRINGE),
    )
    if top == 0 or not (mask[top - 1, ends[0]].any() and mask[top - 1, ends[1]].any()):
        return None
    return ends


def _tick_length(mask: np.ndarray, top: int, thickness: int, columns: slice) -> tuple[int, bool]:
    """Rows of ink straight above the ``columns`` at a line's end (its top row ``top``) up to the ink's
    free top, and ``True``; where the stroke goes on sideways from there (other writing touching or
    crossing it, or a "C"'s curve), the rows up to where ink first lies beside the tick's own foot
    (its columns where it leaves the line, and a pixel of anti-aliased edge each side), and ``False``.

    Where no ink lies beside the foot so found (the line's slanted part a row higher under the tick,
    as wide as the window looked in), the tick is all the rows up to the touch: it had been measured
    0 rows, and the field kept (a photographed form's 8 read as a 3). Form boxes read right 87.5 ->
    88.0% (seed 0), 84.5 -> 85.0% (seed 1) and 87.5 -> 88.0% (seed 2), bench's 200, every other
    kind and every non-digit's flags as before.
    """
    filled: np.ndarray = np.any(mask[:top, columns], axis=1)[::-1]
    length = top if filled.all() else int(np.argmin(filled))
    beside = slice(max(0, columns.start - thickness), columns.stop + thickness)
    if length == top or not mask[top - length - 1, beside].any():
        return length, True
    side = mask[:top, beside].copy()
    foot = np.flatnonzero(side[-1])  # the tick's own columns, where it leaves the line
    side[:, max(0, int(foot[0]) - 1) : int(foot[-1]) + 2] = 0
    spill: np.ndarray = np.any(side, axis=1)[::-1]
    return (int(np.argmax(spill)) if spill.any() else length), False


def clean(gray: np.ndarray, dark_ink: bool, photo: bool | None = None) -> list[np.ndarray]:
    """The ink of a working-size photo or scan, as ``without_print`` reads it; ``[]`` when it holds none.

    A dark-ink reading's shadow pieces go (``ink_map``'s ``pieces``): shadows are darker than the
    paper, so only there are they taken for ink. A light-ink reading of dark writing sees the paper
    between the strokes as its pieces; judged there too, a letter's gaps were left as one clean
    piece and read as a digit (1 of 200 letters, seeds 0 and 1 alike), and chalkboards and dark
    cards, whose light ink is right, read as well without it (93.5 and 92.0% against 93.0 and 92.5%).
    """
    ink = cut_noise(ink_map(gray, dark_ink, photo, pieces=dark_ink))
    return [] if ink is None else without_print(ink)


def without_print(ink: np.ndarray) -> list[np.ndarray]:
    """The ink without its printed lines, and also without box sides when that differs.

    A closed frame (``remove_frames``) gives one more reading, not the only one: taking it alone
    lost 4-5 points on squared paper (whose cells are closed frames too) and 3 on tight crops.
    """
    mask = (ink > LINE_LEVEL).astype(np.uint8)
    lines = find_lines(mask)
    without_lines = _without_lines(ink, mask, lines, frames=False)
    # Where no line was erased, the frame rule looks at the same lines: found once, not twice
    # (0.1 of the 0.5 ms this took on the page's canvas).
    if without_lines is ink:
        without_frames = _without_lines(ink, mask, lines, frames=True)
    else:
        without_frames = remove_lines(without_lines, frames=True)
    variants = [without_lines]
    if without_frames is not without_lines and not np.array_equal(without_frames, without_lines):
        variants.append(without_frames)
    # with nothing erased the ink is all left: its two sums (12 us on the 600x600 photo) are not needed
    if without_lines is not ink and float(without_lines.sum()) < MOSTLY_LINES * float(ink.sum()):
        # More ink taken than left: a page of lines with a small digit, or a digit of long straight
        # strokes (test digit 584, a 1 with a short flag) wholly erased; the model tells which.
        variants.append(ink)
    unframed = remove_frames(ink)
    if unframed is not ink:
        variants.append(remove_lines(unframed))
    return variants
