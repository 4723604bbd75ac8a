"""Synthetic test and training images made from MNIST digits and drawn marks.

Held-out tests of the service come from generators we do not have, so each kind here is broad:
every parameter is drawn from a wide range and most kinds have sub-variants. All functions take the
digit images they need (MNIST test digits for evaluation, training digits for training; nothing
here loads data) and a ``np.random.Generator``, and are deterministic given it.

- ``paper.PAPER_KINDS``: one digit on forms, grid and ruled paper, chalkboards, sticky notes...
- ``uploads.UPLOAD_KINDS``: the original six realistic-upload kinds of the bench.
- ``marks.NON_DIGIT_KINDS``, ``marks.several_digits``, ``marks.make_non_digit``: not a digit.
- ``numbers.make_number``, ``numbers.NUMBER_STYLES``, ``numbers.pick_digits``: whole numbers.
- shared pieces: ``rand`` (random draws), ``ink`` (coverage masks from digits), ``strokes`` (letters
  and symbols, hand-drawn or typeset), ``render`` (paper, light, camera, encoding, ``present``).

``python -m training.synthesis --data DIR --out DIR`` writes a gallery with a contact sheet per module.
"""

from __future__ import annotations

from training.synthesis.marks import NON_DIGIT_KINDS, make_non_digit, several_digits
from training.synthesis.numbers import NUMBER_STYLES, make_number, pick_digits
from training.synthesis.paper import PAPER_KINDS
from training.synthesis.uploads import UPLOAD_KINDS

DIGIT_KINDS = {**UPLOAD_KINDS, **PAPER_KINDS}

__all__ = [
    "DIGIT_KINDS",
    "NON_DIGIT_KINDS",
    "NUMBER_STYLES",
    "PAPER_KINDS",
    "UPLOAD_KINDS",
    "make_non_digit",
    "make_number",
    "pick_digits",
    "several_digits",
]
