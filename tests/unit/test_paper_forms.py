"""Form fields on small synthetic pages: what ``printed_boxes.remove_frames`` keeps of a digit written in an open field.

Each page is drawn here with OpenCV, so each assertion says what the step must do to that one thing,
independently of the synthetic upload generators.
"""

from __future__ import annotations

import cv2
import numpy as np

from app.preprocessing import printed_boxes, printed_lines
from tests.unit.test_paper_reading import INK, PAPER, ink_of

LINE_ROW, LEFT, RIGHT, TICK = 115, 60, 170, 12
"""The open field drawn on every page: its line's row, its ends' columns and its ticks' height."""
SHAPE = (128, 200)
"""Every page's: at the working size (``paper.WORK_AREA``), so its pixels are the ink's."""


def open_field(page: np.ndarray) -> np.ndarray:
    """The page with an open field printed on it: a 3-pixel line with a tick up at each end."""
    cv2.line(page, (LEFT, LINE_ROW), (RIGHT, LINE_ROW), 40, 3)
    cv2.line(page, (LEFT, LINE_ROW - TICK), (LEFT, LINE_ROW), 40, 3)
    cv2.line(page, (RIGHT, LINE_ROW - TICK), (RIGHT, LINE_ROW), 40, 3)
    return page


def test_a_label_printed_above_an_open_field_goes_with_the_field() -> None:
    page = np.full(SHAPE, PAPER, np.uint8)
    cv2.putText(page, "Item", (75, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.6, INK, 2)  # over the field's columns
    cv2.line(page, (115, 42), (112, 108), INK, 5)  # a 1 standing on the field
    unfielded = printed_boxes.remove_frames(ink_of(open_field(page)))
    assert float(unfielded[LINE_ROW - 3 :].max()) < 0.2  # the line: gone
    assert float(unfielded[:34].max()) < 0.2  # the label: gone
    assert (unfielded[42:108, 105:122] > 0.5).sum() > 200  # the 1: kept


def test_a_digits_pieces_side_by_side_in_an_open_field_are_all_kept() -> None:
    page = np.full(SHAPE, PAPER, np.uint8)
    cv2.ellipse(page, (115, 72), (25, 34), 0, 100, 260, INK, 4)  # a 0 in two strokes that do not meet
    cv2.ellipse(page, (115, 72), (25, 34), 0, -70, 70, INK, 4)
    unfielded = printed_boxes.remove_frames(ink_of(open_field(page)))
    assert float(unfielded[LINE_ROW - 3 :].max()) < 0.2  # the field: gone
    assert (unfielded[40:105, 85:105] > 0.5).sum() > 100  # the left half: kept
    assert (unfielded[40:105, 125:145] > 0.5).sum() > 100  # the right half: kept


def test_an_open_fields_ticks_are_found_where_the_writings_foot_lies_on_its_line() -> None:
    page = np.full(SHAPE, PAPER, np.uint8)
    cv2.line(page, (140, 30), (140, 109), INK, 5)  # an L whose foot lies along the field's line, touching it
    cv2.line(page, (95, 111), (140, 111), INK, 5)
    ink = ink_of(open_field(page))
    lowest = max(
        printed_lines.find_lines(
            (ink > printed_lines.LINE_LEVEL).astype(np.uint8), printed_boxes.FRAME_SPAN, only=True
        ),
        key=printed_lines.Line.position,
    )
    assert (
        lowest.thickness() > printed_lines.LINE_MAX_THICKNESS
    )  # the foot and the line: one band, thicker than the ticks stand above it
    unfielded = printed_boxes.remove_frames(ink)
    assert float(unfielded[LINE_ROW - TICK : LINE_ROW - 4, LEFT - 3 : LEFT + 4].max()) < 0.2  # the left tick: gone
    assert float(unfielded[LINE_ROW - 1 :, 145:].max()) < 0.2  # the line beside the L: gone
    assert (unfielded[30:105, 135:146] > 0.5).sum() > 200  # the L's stem: kept


def test_a_tick_touched_at_its_top_is_measured_whole_where_its_foot_is_as_wide_as_the_ink_beside_it() -> None:
    mask = np.zeros((40, 40), np.uint8)
    mask[30:33, :36] = 1  # the field's line, 3 rows thick, its top row 30
    mask[29, 20:39] = 1  # its right part a row higher (a photo's slant): the tick's foot spans all beside it
    mask[18:30, 30:33] = 1  # the tick, 12 rows tall
    mask[17, 35:37] = 1  # the writing touching it by its top
    assert printed_boxes._tick_length(mask, 30, 3, slice(28, 34)) == (12, False)


def test_an_open_field_whose_ticks_rise_less_than_its_bold_line_is_thick_is_erased() -> None:
    page = np.full(SHAPE, PAPER, np.uint8)
    cv2.line(page, (115, 30), (112, 100), INK, 4)  # a 1 standing above the field
    cv2.line(page, (LEFT, LINE_ROW), (RIGHT, LINE_ROW), 40, 6)  # a bold line, 6 rows thick
    for end in (LEFT, RIGHT):  # short ticks, as thin as the line is thick, rising 4 rows above it
        cv2.rectangle(page, (end - 2, LINE_ROW - 7), (end + 2, LINE_ROW), 40, -1)
    unfielded = printed_boxes.remove_frames(ink_of(page))
    assert float(unfielded[LINE_ROW - 8 :].max()) < 0.2  # the field: gone
    assert (unfielded[30:100, 105:122] > 0.5).sum() > 150  # the 1: kept


def test_a_bold_strokes_short_ends_wider_than_it_is_thick_are_no_ticks() -> None:
    mask = np.zeros((40, 60), np.uint8)
    mask[30:36, 5:55] = 1  # a bold stroke, 6 rows thick
    mask[26:30, 5:16] = mask[26:30, 44:55] = 1  # its ends blotted up 4 rows, wider than it is thick
    pixels = np.zeros(mask.shape, bool)
    pixels[30:36, 5:55] = True
    assert printed_boxes._end_ticks(printed_lines.Line(pixels, 5, 55, True, (30, 36)), mask) is None


def test_a_box_the_crop_cut_on_the_right_is_erased_and_its_label_with_it() -> None:
    page = np.full(SHAPE, PAPER, np.uint8)
    cv2.putText(page, "Qty", (20, 70), cv2.FONT_HERSHEY_SIMPLEX, 0.6, INK, 2)  # a label left of the box
    cv2.rectangle(page, (90, 20), (SHAPE[1] + 10, 110), 40, 2)  # its right side beyond the image's edge
    cv2.polylines(page, [np.array([(135, 40), (170, 40), (140, 95)])], False, INK, 4)  # a 7 in it: no upright
    unboxed = printed_boxes.remove_frames(ink_of(page))
    assert float(unboxed[:, 85:96].max()) < 0.2  # the box's one side left of the edge: gone
    assert float(unboxed[15:26, 100:].max()) < 0.2  # its top: gone
    assert float(unboxed[:, :80].max()) < 0.2  # the label: gone
    assert (unboxed[36:96, 130:175] > 0.5).sum() > 250  # the 7: kept


def test_a_double_box_whose_inner_frame_the_digit_leaves_open_loses_both_rules() -> None:
    page = np.full(SHAPE, PAPER, np.uint8)
    cv2.rectangle(page, (50, 8), (150, 120), 40, 3)  # the outer rule
    cv2.rectangle(page, (58, 16), (142, 112), 40, 1)  # the inner rule, 8 pixels inside it
    cv2.line(page, (90, 19), (165, 19), INK, 4)  # a 7's bar along the inner top, on past its corner
    cv2.line(page, (160, 21), (100, 100), INK, 4)  # and its stem
    unboxed = printed_boxes.remove_frames(ink_of(page))
    assert float(unboxed[30:100, 54:62].max()) < 0.2  # the inner rule's left side: gone
    assert float(unboxed[109:116, 70:95].max()) < 0.2  # its bottom: gone
    assert (unboxed[25:100, 100:160] > 0.5).sum() > 200  # the 7's stem: kept


def test_a_1_along_a_boxs_side_is_no_inner_rule() -> None:
    page = np.full(SHAPE, PAPER, np.uint8)
    cv2.rectangle(page, (50, 8), (150, 120), 40, 3)
    cv2.line(page, (60, 19), (60, 109), INK, 4)  # a 1 along its left side, 10 pixels in, as long as a rule there
    unboxed = printed_boxes.remove_frames(ink_of(page))
    assert float(unboxed[:, 140:].max()) < 0.2  # the box: gone
    assert (unboxed[20:108, 56:65] > 0.5).sum() > 250  # the 1: kept


def test_a_box_whose_side_a_bold_digit_overruns_for_most_of_its_length_is_erased() -> None:
    page = np.full(SHAPE, PAPER, np.uint8)
    cv2.rectangle(page, (50, 10), (150, 118), 40, 2)
    cv2.line(page, (135, 30), (78, 110), INK, 12)  # a bold 2's stroke down to its base
    cv2.line(page, (72, 116), (118, 116), INK, 12)  # and its base, over 60% of the box's bottom side
    unboxed = printed_boxes.remove_frames(ink_of(page))
    assert float(unboxed[5:16, 60:140].max()) < 0.2  # the box's top: gone
    assert float(unboxed[30:100, 145:156].max()) < 0.2  # its right side: gone
    assert (unboxed[105:125, 70:120] > 0.5).sum() > 500  # the base: kept


def test_a_digits_straight_sided_loop_inside_the_box_is_the_digits() -> None:
    page = np.full(SHAPE, PAPER, np.uint8)
    cv2.rectangle(page, (40, 8), (160, 120), 40, 2)
    cv2.rectangle(page, (78, 22), (122, 60), INK, 3)  # a 9's loop drawn square: a frame inside the box
    cv2.line(page, (110, 62), (100, 110), INK, 3)  # and its stem
    unboxed = printed_boxes.remove_frames(ink_of(page))
    assert float(unboxed[:, 150:].max()) < 0.2  # the box: gone
    assert (unboxed[18:26, 80:120] > 0.5).sum() > 80  # the loop's top: kept
    assert (unboxed[25:58, 74:82] > 0.5).sum() > 60  # its left side: kept


def test_a_line_thin_along_less_than_half_of_it_is_printed_only_as_thin_as_a_printed_line() -> None:
    for thickness, printed in ((4, True), (7, False)):
        mask = np.zeros((60, 120), np.uint8)
        mask[30 : 30 + thickness, 10:110] = 1
        mask[22:38, 10:65] = 1  # a bold stroke over 55% of it: thin along 43% of its pixels
        found = printed_lines.find_lines(mask, printed_boxes.FRAME_SPAN, only=True)
        assert bool(printed_boxes._printed(found, printed_boxes._thin_parts(mask))) is printed


def test_a_short_tick_that_goes_on_sideways_is_a_curve_not_a_printed_tick() -> None:
    mask = np.zeros((40, 60), np.uint8)
    mask[30:35, 5:55] = 1  # a stroke 5 rows thick: a "C"'s bottom
    mask[27:30, 49:55] = 1  # its end rising 3 rows, free
    mask[27:30, 5:11] = 1  # its back rising 3 rows ...
    mask[18:27, 5:18] = 1  # ... and going on, widening sideways: the C's curve
    mask[15:18, 14:17] = 1
    pixels = np.zeros(mask.shape, bool)
    pixels[30:35, 5:55] = True
    assert printed_boxes._end_ticks(printed_lines.Line(pixels, 5, 55, True, (30, 35)), mask) is None
