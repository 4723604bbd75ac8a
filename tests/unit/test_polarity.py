"""Which side of the grey scale is ink (``paper.polarity_score``, ``paper.ink_sides``) on synthetic crops."""

from __future__ import annotations

import cv2
import numpy as np

from app.preprocessing.paper import ink_sides, polarity_score


def boxed_digit(side: int = 60, line: int = 4) -> np.ndarray:
    """A dark form-field box along a crop's edge, with a dark hand-drawn 0 inside, on light paper."""
    noise = np.random.default_rng(0).normal(0, 3, (side, side))
    page = np.clip(225.0 + noise, 0, 255).astype(np.uint8)
    cv2.rectangle(page, (0, 0), (side - 1, side - 1), 40, line)  # the box, 0 px from the edge
    cv2.ellipse(page, (side // 2, side // 2), (side // 6, side // 4), 0, 0, 360, 50, 3)
    return page


def test_a_box_along_the_edge_is_not_taken_for_dark_paper() -> None:
    """The outer ring is all box line; the ring just inside it is paper, so the border cue abstains
    and the skew (a little dark ink on much light paper) decides: dark ink, the crop inverted light ink."""
    crop = boxed_digit()
    assert polarity_score(crop) > 0
    assert ink_sides(crop) == [True]
    assert ink_sides(255 - crop) == [False]


def test_light_ink_on_dark_paper_keeps_its_border_cue() -> None:
    """Without a frame both rings lie on the dark paper: the crop is surely light ink."""
    page = np.full((60, 60), 30, np.uint8)
    cv2.ellipse(page, (30, 30), (10, 15), 0, 0, 360, 220, 3)
    assert ink_sides(page) == [False]
