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
