"""Keep, for each digit, the candidate input the model reads most surely as a digit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.inference.predictor import Scores
from app.preprocessing.candidates import Candidates


@dataclass(frozen=True)
class Chosen:
    """Per digit: the kept input's row in ``Candidates.inputs``, its scores, its image's marks and whether
    its mark has a dot under it."""

    rows: np.ndarray
    probabilities: np.ndarray
    digit_score: np.ndarray
    marks: np.ndarray
    dotted: np.ndarray


def choose(candidates: Candidates, scores: Scores) -> Chosen:
    """Each digit's candidate with the highest top probability times digit score, in request order."""
    if len(candidates.owner) == candidates.count:  # one input per digit: JSON, and most images
        rows = np.arange(candidates.count)
        return Chosen(rows, scores.probabilities, scores.digit_score, candidates.marks, candidates.dotted)
    sureness = scores.probabilities.max(axis=1) * scores.digit_score
    order = np.lexsort((-sureness, candidates.owner))
    _, first = np.unique(candidates.owner[order], return_index=True)
    rows = order[first]
    return Chosen(
        rows, scores.probabilities[rows], scores.digit_score[rows], candidates.marks[rows], candidates.dotted[rows]
    )
