"""Segmenting a written number into candidate digits, and choosing among them (no model needed here)."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from app.errors import NoDigitFoundError
from app.postprocessing.number import read_number
from app.preprocessing.number import NumberSegments, Segment, _line, segment_gray, segment_image


def strokes_image(width: int = 300, height: int = 100, boxes: int = 0) -> np.ndarray:
    """Dark bars on white paper, one per 'digit', 60 px apart; a comb of ``boxes`` cells around them."""
    gray = np.full((height, width), 255, np.uint8)
    for i in range(4):
        x = 40 + 60 * i
        cv2.line(gray, (x, 25), (x + 8, 75), 0, 6)
    if boxes:
        for i in range(boxes + 1):
            cv2.line(gray, (20 + 60 * i, 15), (20 + 60 * i, 85), 120, 1)
        cv2.rectangle(gray, (20, 15), (20 + 60 * boxes, 85), 120, 1)
    return gray


def png(gray: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(gray).save(buffer, format="PNG")
    return buffer.getvalue()


def single_atoms(found: NumberSegments) -> list[Segment]:
    return [s for s in found.segments if s.reading == 0 and s.end - s.start == 1]


def test_separate_marks_are_separate_atoms_left_to_right() -> None:
    found = segment_gray(strokes_image())
    atoms = single_atoms(found)
    assert found.atoms[0] == 4
    assert [s.box[0] for s in atoms] == sorted(s.box[0] for s in atoms)
    assert found.inputs.shape[1:] == (28, 28)


def test_boxes_are_in_the_uploaded_images_pixels() -> None:
    small = segment_gray(strokes_image())
    large = segment_image(png(cv2.resize(strokes_image(), (1200, 400), interpolation=cv2.INTER_NEAREST)), 10**8)
    for a, b in zip(single_atoms(small), single_atoms(large), strict=True):
        assert abs(b.box[0] - 4 * a.box[0]) <= 8
        assert abs(b.box[2] - 4 * a.box[2]) <= 8


def test_a_dash_between_groups_is_never_a_digit_alone() -> None:
    gray = strokes_image()
    cv2.line(gray, (125, 50), (140, 50), 0, 5)  # a dash between the second and third bar
    assert len(single_atoms(segment_gray(gray))) == 4


def test_a_bar_drawn_apart_can_join_its_digit() -> None:
    gray = strokes_image()
    cv2.line(gray, (62, 20), (80, 20), 0, 5)  # a short bar just right of the first bar's top
    found = segment_gray(gray)
    assert len(single_atoms(found)) == 4
    assert any(s.end - s.start == 2 and s.box[0] < 62 < s.box[0] + s.box[2] for s in found.segments)


def test_a_long_bar_drawn_apart_does_not_make_its_digit_wide() -> None:
    """The prior against wide segments measures the digit's own ink: a long bar beside it cannot be a
    second digit, while a dot far from it still widens it."""
    gray = strokes_image()
    cv2.line(gray, (56, 20), (84, 20), 0, 5)  # a long bar drawn apart from the first bar's top
    cv2.circle(gray, (140, 22), 3, 0, -1)  # a dot near the third bar, far from the second
    found = segment_gray(gray)
    alone = {s.start: s.aspect for s in single_atoms(found)}
    first, second, third = sorted(alone)[:3]  # the bar and the dot are atoms between them, never digits alone
    joined = {s.start: s.aspect for s in found.segments if s.reading == 0 and s.end - s.start == 2}
    assert (second, third) == (first + 2, second + 2)
    assert joined[first] == pytest.approx(alone[first])
    assert joined[second] > alone[second] + 0.2  # the second bar with the dot beyond it


def test_comb_field_walls_are_erased() -> None:
    found = segment_gray(strokes_image(boxes=4))
    assert found.atoms == [4]


def test_blank_image_has_no_digit() -> None:
    with pytest.raises(NoDigitFoundError):
        segment_gray(np.full((80, 200), 255, np.uint8))


def test_search_prefers_the_chain_whose_digits_read_surely() -> None:
    # Three atoms; atoms 0-1 read together as a sure 5, apart as unsure digits.
    segments = [
        Segment(0, 0, 1, (0, 0, 5, 10), 0.5, 0.0),
        Segment(0, 1, 2, (5, 0, 5, 10), 0.5, 0.0),
        Segment(0, 0, 2, (0, 0, 10, 10), 0.8, 0.0),
        Segment(0, 2, 3, (12, 0, 6, 10), 0.6, 0.0),
    ]
    probabilities = np.full((4, 10), 0.01, np.float32)
    probabilities[[0, 1, 2, 3], [1, 7, 5, 3]] = [0.5, 0.5, 0.99, 0.99]
    reading = read_number(NumberSegments(np.zeros((4, 28, 28)), segments, [3], np.arange(4)), probabilities, np.ones(4))
    assert reading.text == "53"
    assert [d.box for d in reading.digits] == [(0, 0, 10, 10), (12, 0, 6, 10)]
    assert 0.0 < reading.confidence < 1.0


def test_search_drops_what_the_judge_says_is_no_digit() -> None:
    # Two readings of one image (e.g. two polarities): the judge settles which holds digits.
    segments = [Segment(0, 0, 1, (0, 0, 5, 10), 0.5, 0.0), Segment(1, 0, 1, (0, 0, 5, 10), 0.5, 0.0)]
    probabilities = np.full((2, 10), 0.01, np.float32)
    probabilities[[0, 1], [4, 9]] = 0.9
    reading = read_number(
        NumberSegments(np.zeros((2, 28, 28)), segments, [1, 1], np.arange(2)), probabilities, np.array([0.05, 0.95])
    )
    assert reading.text == "9"


def test_a_comb_box_holding_only_dots_is_skipped_not_a_crash() -> None:
    """Nine equal dots in one box are each a speck of that box's ink: the box is empty, not an error."""
    gray = strokes_image(boxes=4)
    gray[20:82, 152:178] = 255  # the third bar rubbed out, its box (x 140-200) left
    for row in range(3):
        for col in range(3):
            cv2.circle(gray, (158 + 7 * col, 30 + 18 * row), 2, 0, -1)
    found = segment_gray(gray)
    assert found.atoms == [4]
    assert cells_read(found) == {0, 1, 3}


def test_a_cut_through_more_strokes_costs_more() -> None:
    """Two ways to part one mark into two sure digits: the search takes the cut that crosses one stroke."""
    segments = [
        Segment(0, 0, 1, (0, 0, 5, 10), 0.5, 0.0),
        Segment(0, 1, 2, (5, 0, 5, 10), 0.5, 1.2, crossed=3),
        Segment(0, 0, 2, (0, 0, 6, 10), 0.6, 0.0),
        Segment(0, 2, 3, (6, 0, 4, 10), 0.4, 1.2, crossed=1),
    ]
    probabilities = np.full((4, 10), 0.01, np.float32)
    probabilities[[0, 1, 2, 3], [4, 7, 6, 1]] = 0.99
    reading = read_number(NumberSegments(np.zeros((4, 28, 28)), segments, [3], np.arange(4)), probabilities, np.ones(4))
    assert reading.text == "61"


def two_touching_zeros() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ink of two slanted 0s side by side whose faint edges meet, and each one's own pixels."""
    first, second = np.zeros((100, 160), np.uint8), np.zeros((100, 160), np.uint8)
    cv2.ellipse(first, (45, 50), (18, 32), 20, 0, 360, 255, 4)
    cv2.ellipse(second, (89, 50), (18, 32), 20, 0, 360, 255, 4)
    ink = cv2.GaussianBlur(np.maximum(first, second).astype(np.float32) / 255, (3, 3), 0)
    return ink, first > 0, second > 0


def test_a_curved_cut_parts_slanted_digits_that_no_column_parts() -> None:
    """The 0s lean into each other's columns: every straight cut takes ink of both, a drop's path does not."""
    ink, first, second = two_touching_zeros()
    columns = np.arange(ink.shape[1])
    assert all(first[:, x:].any() or second[:, :x].any() for x in columns)
    line = _line(ink)
    assert line is not None
    assert len({atom.mark for atom in line.atoms}) == 1  # touching: one mark
    parting = []
    for atom in line.atoms:
        for cut in atom.cuts:
            left = columns < cut.columns(atom.mark, 0, ink.shape[0])[:, None]
            if np.all(left[first]) and not np.any(left[second]):
                parting.append((atom.cuts[0], cut))
    assert parting
    for straight, cut in parting:
        assert cut.low < cut.high  # curved
        assert cut.crossed < straight.crossed  # and cheaper than the straight cut where it starts


def test_a_chain_parts_a_mark_with_one_cut() -> None:
    """Two cuts at one place (0 straight, 1 curved): a segment ending at one is followed by one starting at it."""
    segments = [
        Segment(0, 0, 1, (0, 0, 5, 10), 0.5, 0.0, right_cut=0),
        Segment(0, 0, 1, (0, 0, 6, 10), 0.6, 0.0, right_cut=1),
        Segment(0, 1, 2, (5, 0, 5, 10), 0.5, 1.2, crossed=1, left_cut=0),
        Segment(0, 1, 2, (6, 0, 4, 10), 0.4, 1.2, crossed=1, left_cut=1),
    ]
    probabilities = np.full((4, 10), 0.01, np.float32)
    probabilities[[0, 1, 2, 3], [1, 4, 7, 9]] = [0.6, 0.99, 0.99, 0.5]
    reading = read_number(NumberSegments(np.zeros((4, 28, 28)), segments, [2], np.arange(4)), probabilities, np.ones(4))
    assert reading.text == "17"  # not "47", which would take the ink between the two cuts twice


def cells_read(found: NumberSegments) -> set[int]:
    """The comb boxes some candidate segment reads (a comb reading's atoms are its boxes)."""
    return {s.start for s in found.segments if s.reading == 0 and s.end - s.start == 1}


def test_a_comb_wall_broken_in_the_middle_still_parts_its_boxes() -> None:
    gray = strokes_image(boxes=4)
    gray[30:70, 78:83] = 255  # the second wall (x 80) printed only near the lines
    found = segment_gray(gray)
    assert found.atoms == [4]
    assert cells_read(found) == {0, 1, 2, 3}


def test_a_thin_faint_digit_beside_bold_ones_keeps_its_box() -> None:
    gray = strokes_image(boxes=4)
    gray[20:82, 152:178] = 255  # the third bar rubbed out ...
    cv2.line(gray, (160, 25), (166, 75), 150, 1)  # ... and written with a thin, light pen
    found = segment_gray(gray)
    assert cells_read(found) == {0, 1, 2, 3}


def test_a_stroke_darker_than_the_combs_grey_line_it_runs_along_is_kept() -> None:
    gray = strokes_image(boxes=4)
    cv2.line(gray, (150, 15), (190, 15), 0, 3)  # the top of the third digit drawn on the comb's top line
    found = segment_gray(gray)
    assert any(s.start == 2 and s.box[1] <= 16 for s in found.segments)


def test_equal_inputs_are_made_once_and_shared() -> None:
    """A comb read with and without the ink on its lines: its four equal bars twice, the third with its
    top line once: eight candidates, two distinct inputs."""
    gray = strokes_image(boxes=4)
    cv2.line(gray, (150, 15), (190, 15), 0, 3)
    found = segment_gray(gray)
    assert len(found.segments) == 8
    assert len(found.inputs) == 2
    assert len({image.tobytes() for image in found.inputs}) == len(found.inputs)
    assert sorted(set(found.rows.tolist())) == list(range(len(found.inputs)))


def test_a_two_box_comb_beside_a_label_is_a_comb() -> None:
    """Its lines are a third of the image wide; the label outside the box is no digit."""
    gray = np.full((100, 300), 255, np.uint8)
    cv2.putText(gray, "PIN", (10, 60), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 110, 2)
    cv2.rectangle(gray, (150, 15), (270, 85), 120, 1)
    cv2.line(gray, (210, 15), (210, 85), 120, 1)
    for x in (175, 235):
        cv2.line(gray, (x, 25), (x + 8, 75), 0, 6)
    found = segment_gray(gray)
    assert found.atoms == [2]
    assert cells_read(found) == {0, 1}


def test_a_tall_one_touching_a_digit_gets_a_cut_where_they_meet() -> None:
    """A 1 taller than the line's digits against a 0: the mark is narrower than 0.8 of its own height, and
    they meet 0.1-0.15 digit heights from its left end; one candidate cut parts them there."""
    ink = np.zeros((110, 260), np.uint8)
    for x in (30, 220):
        cv2.ellipse(ink, (x, 55), (14, 25), 0, 0, 360, 255, 4)  # two 0s set the line's digit height
    cv2.line(ink, (84, 20), (84, 90), 255, 4)  # the 1, columns 82-86 ...
    cv2.line(ink, (86, 60), (95, 60), 255, 2)  # ... its stroke's end against ...
    cv2.ellipse(ink, (116, 55), (21, 25), 0, 0, 360, 255, 4)  # ... the 0, from column 93
    line = _line(cv2.GaussianBlur(ink.astype(np.float32) / 255, (3, 3), 0))
    assert line is not None
    pair = [atom for atom in line.atoms if atom.mark.x < 90 < atom.mark.x + atom.mark.width]
    mark = pair[0].mark
    assert mark.width < 0.8 * mark.height  # too narrow to cut against its own height ...
    assert mark.height > line.height  # ... but not against the line's
    assert any(87 <= atom.left <= 93 for atom in pair)


def test_a_comb_printed_faintly_beside_bold_writing_is_a_comb() -> None:
    """Its lines are far lighter than the writing: under ``printed_lines.LINE_LEVEL`` once the ink map is stretched.
    Its fifth box is empty: a comb's reading has an atom per box, the line's reading one per bar."""
    gray = strokes_image(width=340, boxes=5)
    gray[gray == 120] = 230
    found = segment_gray(gray)
    assert found.atoms == [5]
    assert cells_read(found) == {0, 1, 2, 3}


def test_a_stroke_along_a_comb_wall_keeps_its_side() -> None:
    """A bar written against the wall at x 80 keeps its width: only the wall is erased, not the stroke's edge."""
    gray = np.full((100, 300), 255, np.uint8)
    cv2.rectangle(gray, (20, 15), (260, 85), 0, 1)
    for x in (80, 140, 200):
        cv2.line(gray, (x, 15), (x, 85), 0, 1)
    for x in (45, 165, 225):
        cv2.line(gray, (x, 25), (x + 8, 75), 0, 6)
    cv2.line(gray, (84, 25), (84, 75), 0, 6)  # the second digit's stroke, 81-87, against the wall
    found = segment_gray(gray)
    second = next(s for s in found.segments if s.start == 1)
    assert second.box[0] <= 81


def test_a_comb_with_digits_as_tall_as_its_walls_keeps_its_pitch() -> None:
    """Three 1s as tall as the walls, 0.6 of a box from theirs: the walls' spacings' median is no pitch."""
    gray = np.full((100, 420), 255, np.uint8)
    cv2.rectangle(gray, (20, 15), (380, 85), 0, 2)
    for i in range(1, 6):
        cv2.line(gray, (20 + 60 * i, 15), (20 + 60 * i, 85), 0, 2)
    for i in range(6):
        x = 56 + 60 * i
        if i in (1, 2, 3):
            cv2.line(gray, (x, 17), (x, 83), 0, 5)
        else:
            cv2.line(gray, (x - 4, 30), (x + 4, 70), 0, 5)
    found = segment_gray(gray)
    assert found.atoms == [6]
    assert cells_read(found) == set(range(6))


def test_a_number_drawn_on_a_transparent_layer_is_read_as_dark_ink_without_judging_polarity(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Decoding makes a layer dark ink on white (``decode.LAYER_PAPER``): one reading, no polarity to judge."""
    rgba = np.zeros((100, 300, 4), np.uint8)  # transparent, its hidden colour black
    rgba[..., 3] = 255 - strokes_image()  # the four bars drawn opaque
    buffer = io.BytesIO()
    Image.fromarray(rgba, mode="RGBA").save(buffer, format="PNG")

    def unwanted(gray: np.ndarray) -> list[bool]:
        raise AssertionError("a layer's polarity was judged")

    monkeypatch.setattr("app.preprocessing.number.ink_sides", unwanted)
    found = segment_image(buffer.getvalue(), 10**7)
    assert found.atoms == [4]  # one reading, its four bars
    assert len(single_atoms(found)) == 4


def test_a_comb_whose_line_a_digit_writes_over_past_its_end_is_a_comb() -> None:
    """The first digit's top stroke runs along the top line and 14 pixels past the first wall (x 20): that
    line is found longer than the comb, the bottom one still stops at the wall. Its fifth box is empty: a
    comb's reading has an atom per box, the line's reading one per bar."""
    gray = strokes_image(width=340, boxes=5)
    cv2.line(gray, (6, 15), (45, 15), 0, 3)
    found = segment_gray(gray)
    assert found.atoms == [5]
    assert cells_read(found) == {0, 1, 2, 3}


def test_a_pair_of_lines_both_running_past_the_walls_is_no_comb() -> None:
    """Both lines run 15 pixels past the last wall (x 320), as a page's rulings would: no comb's lines."""
    gray = strokes_image(width=340, boxes=5)
    gray[15, 321:336] = gray[85, 321:336] = 120
    assert 5 not in segment_gray(gray).atoms


def test_a_stroke_touching_a_bold_comb_line_keeps_no_bar_of_it() -> None:
    """Bars that start just under the comb's bold top line (rows 12-18) keep at most the two rows of the erased
    band beside them (its edge), not half the line as a bar on top of the digit."""
    gray = np.full((100, 300), 255, np.uint8)
    cv2.rectangle(gray, (20, 15), (260, 85), 0, 7)
    for i in range(1, 4):
        cv2.line(gray, (20 + 60 * i, 15), (20 + 60 * i, 85), 0, 7)
    for i in range(4):
        cv2.line(gray, (46 + 60 * i, 19), (46 + 60 * i, 70), 0, 5)
    found = segment_gray(gray)
    assert found.atoms == [4]
    assert min(s.box[1] for s in found.segments) >= 18  # 16 with half the line kept, 20 now


def test_a_thin_comb_line_with_light_edges_is_not_taken_for_pen() -> None:
    """Lines one dark row thick between two light rows (a thin grey box anti-aliased): the median of their
    pixels is their light edge, and against it the whole box was 'darker than the lines', kept around
    each bar in the second reading (a box 101 rows tall). Against the lines' core, only the bars are read."""
    gray = np.full((160, 320), 255, np.uint8)
    for i in range(4):
        x = 55 + 60 * i
        cv2.line(gray, (x, 45), (x + 8, 115), 0, 6)
    for y in (30, 130):
        gray[y - 1 : y + 2, 25:266] = 190
        gray[y, 25:266] = 60
    for x in range(25, 266, 60):
        gray[30:131, x - 1 : x + 2] = np.minimum(gray[30:131, x - 1 : x + 2], 190)
        gray[30:131, x] = 60
    found = segment_gray(gray)
    assert found.atoms == [4]
    assert max(s.box[3] for s in found.segments) < 90


def test_digits_a_pixel_or_two_apart_stay_separate_atoms() -> None:
    gray = np.full((100, 300), 255, np.uint8)
    for x in (40, 100, 160):
        cv2.line(gray, (x, 25), (x, 75), 0, 6)
    gray[25:76, 166:175] = 0  # a fourth, bolder bar two pixels right of the third: digits that nearly touch
    assert segment_gray(gray).atoms[0] == 4
