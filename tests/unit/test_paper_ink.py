"""The ink of chalk, pencil and ballpoint: grainy and faint strokes read whole, faint traces left apart.

The ink maps are built here directly (float32, 1 = full ink), so each assertion is about the marks
step alone, independently of the paper cleaning and of the synthetic upload generators.
"""

from __future__ import annotations

import numpy as np

from app.preprocessing.marks import MARK_LEVEL, find_marks


def _seven_with_grainy_bar() -> np.ndarray:
    """A 7 whose diagonal is a solid stroke and whose bar is chalk: dashes of ink one pixel apart."""
    ink = np.zeros((60, 60), np.float32)
    for row in range(12, 52):  # the diagonal, 3 px wide: the digit's body
        col = 40 - (row - 12) // 3
        ink[row, col : col + 3] = 1.0
    for left in range(14, 43, 4):  # the bar: 3x3 grains, one pixel apart, each under a tenth of the body
        ink[10:13, left : left + 3] = 1.0
    return ink


def test_a_stroke_broken_by_grain_is_read_whole() -> None:
    ink = _seven_with_grainy_bar()
    marks = find_marks(ink)
    assert len(marks.marks) == 1
    mark = marks.marks[0]
    assert mark.x <= 14  # the bar's grains are the 7's, not specks dropped
    assert mark.x + mark.width >= 45
    assert mark.y <= 10


def test_a_faint_dotted_trace_through_the_digit_is_not_joined_to_it() -> None:
    ink = _seven_with_grainy_bar()
    ink[::2, 25] = np.maximum(ink[::2, 25], MARK_LEVEL + 0.05)  # a faint, broken trace of an erased line
    mark = find_marks(ink).marks[0]
    assert mark.y >= 8  # the 7 alone: the trace above and below it left out
    assert mark.y + mark.height <= 54


def test_two_digits_apart_stay_two() -> None:
    ink = np.zeros((40, 60), np.float32)
    ink[5:35, 10:13] = 1.0  # a 1
    ink[5:35, 16:19] = 1.0  # another, three pixels away
    assert len(find_marks(ink).digit_sized()) == 2


def test_a_0_broken_in_two_by_grain_is_one_digit() -> None:
    ink = np.zeros((40, 40), np.float32)
    ink[5:35, 8:33] = 1.0
    ink[8:32, 11:30] = 0.0  # a squarish 0, its strokes 3 px wide
    ink[:, 20] = 0.0  # grain: a one-pixel gap through its top and bottom, two halves side by side
    assert find_marks(ink).digit_count() == 1
