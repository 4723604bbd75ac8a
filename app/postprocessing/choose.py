"""Keep, for each digit, the candidate input the model read most surely."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.preprocessing.candidates import Candidates


@dataclass(frozen=True)
class Chosen:
    """Per digit: the kept input's row in ``Candidates.inputs``, its probabilities and its marks."""

    rows: np.ndarray
    probabilities: np.ndarray
    marks: np.ndarray


def choose(candidates: Candidates, probabilities: np.ndarray) -> Chosen:
    """The most confident candidate of each digit (by its top probability), in request order."""
    if len(candidates.owner) == candidates.count:  # one input per digit: JSON, and most images
        return Chosen(np.arange(candidates.count), probabilities, candidates.marks)
    confidence = probabilities.max(axis=1)
    order = np.lexsort((-confidence, candidates.owner))
    _, first = np.unique(candidates.owner[order], return_index=True)
    rows = order[first]
    return Chosen(rows, probabilities[rows], candidates.marks[rows])
