"""Whether an answer is a digit at all, why not, and how sure it may claim to be.

* ``several_digits``: the image shows two or more digit-sized marks side by side (the service reads
  one digit; ``/predict/number`` reads them all);
* ``not_a_digit``: the judge (``app.inference.judge``) scores the input below ``DIGIT_THRESHOLD``:
  letters, symbols, doodles, words, scribbles; or the mark has a dot apart under it (a "!" or a "?",
  ``app.preprocessing.marks.Marks.dotted``) and the judge, seeing only the 28x28 input, is not sure
  of it (``DOTTED_THRESHOLD``); or the judge and the digit model both doubt it (``UNSURE_SCORE``,
  ``UNSURE_PROBABILITY``). Such an answer is scored as if the judge had said 0.

``confidence`` (``answer_confidence``) is the digit's calibrated probability where the judge takes
the input for a digit, and that probability scaled down by how far the judge's score falls under
the threshold where it does not. So it is calibrated on real digits (99% of them score above the
threshold) and low on things that are not digits. Multiplying by the judge's raw score instead
made it underconfident on real digits (expected calibration error 0.070 against 0.011);
``probabilities`` stay the digit model's calibrated best guess.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.inference.predictor import Scores
from app.postprocessing.choose import Chosen

DOTTED_THRESHOLD = 0.9
"""A mark with a dot apart under it is a digit only where the judge scores it at least this.

Flagging every such mark flagged 6 of 4,800 digit uploads read right (broken strokes whose end looks
like a dot; seed 1 of the bench lost 1 chalk digit of 200 and 1 each of shadowed photos, ballpoint
and pencil); those scored 0.98-1.0, while the "!" and "?" the judge let through mostly score under
0.9. With this, none of the 4,800 was lost and 1.2 points more symbols were flagged; on the bench
(200 a kind) seed 0 flagged symbols 85.0 -> 85.5% with every digit kind unchanged, seed 1 85.0 -> 86.5%
with one chalk digit lost (92.5 -> 92.0%)."""
UNSURE_SCORE = 0.5
UNSURE_PROBABILITY = 0.5
"""An input the judge scores under ``UNSURE_SCORE`` (though over the threshold) and whose best digit
has a calibrated probability under ``UNSURE_PROBABILITY`` is not a digit: two independent doubts.

On bench-like samples (seeds 3 and 4 of ``bench.realistic_uploads``' kinds, 3,200 digit uploads and
1,200 non-digits each) this flagged 6 and 10 more non-digits (+0.5 and +0.8 points) and 5 and 3 more
digit uploads, none of which the model read right; moving ``DIGIT_THRESHOLD`` instead to flag as
many non-digits flagged several digits for each non-digit, most of them read right. With either
bound at 0.6 or 0.7, digits read right began to be flagged (2-6 of 3,200)."""
SEVERAL_DIGITS = "several_digits"
NOT_A_DIGIT = "not_a_digit"
MESSAGES = {
    SEVERAL_DIGITS: "the image shows several digits; POST it to /predict/number to read them all",
    NOT_A_DIGIT: "that does not look like a digit",
}


def answer_confidence(probability: np.ndarray, digit_score: np.ndarray, threshold: float) -> np.ndarray:
    """The chance the answer is right: ``probability`` (calibrated), scaled by ``digit_score / threshold`` below 1."""
    scale = np.minimum(1.0, digit_score / threshold) if threshold > 0 else np.ones_like(digit_score)
    confidence: np.ndarray = probability * scale
    return confidence


def _doubted_score(probabilities: np.ndarray, digit_score: np.ndarray, dotted: np.ndarray | bool) -> np.ndarray:
    """``digit_score``, 0 where the judge and the digit model both doubt the input (``UNSURE_SCORE``,
    ``UNSURE_PROBABILITY``) or where a ``dotted`` mark's score is under ``DOTTED_THRESHOLD``."""
    unsure = (digit_score < UNSURE_SCORE) & (probabilities.max(axis=1) < UNSURE_PROBABILITY)
    doubted = unsure | (dotted & (digit_score < DOTTED_THRESHOLD))
    score: np.ndarray = np.where(doubted, np.float32(0.0), digit_score)
    return score


def tensor_is_digit(scores: Scores, threshold: float) -> np.ndarray:
    """``is_digit`` of inputs sent as tensors (v1, v2), which have no marks: the judge's score over
    ``threshold``, and not both the judge and the digit model unsure."""
    is_digit: np.ndarray = _doubted_score(scores.probabilities, scores.digit_score, dotted=False) >= threshold
    return is_digit


def judged_score(chosen: Chosen) -> np.ndarray:
    """The judge's digit score of each chosen input, 0 where its mark has a dot under it and the judge
    scores it under ``DOTTED_THRESHOLD``, or where the judge and the digit model are both unsure."""
    return _doubted_score(chosen.probabilities, chosen.digit_score, chosen.dotted)


def _reasons(marks: np.ndarray, digit_score: np.ndarray, threshold: float) -> list[str | None]:
    """Why each answer is not a digit (``SEVERAL_DIGITS``, ``NOT_A_DIGIT``), ``None`` where it is one."""
    return [
        SEVERAL_DIGITS if count > 1 else NOT_A_DIGIT if score < threshold else None
        for count, score in zip(marks.tolist(), digit_score.tolist(), strict=True)
    ]


def flagged(chosen: Chosen, threshold: float) -> np.ndarray:
    """Which chosen inputs are answered ``is_digit: false``: several digits, or not a digit."""
    return np.array([reason is not None for reason in _reasons(chosen.marks, judged_score(chosen), threshold)], bool)


def answers(chosen: Chosen, threshold: float, version: str) -> list[dict[str, Any]]:
    """One answer per digit, in the shape of ``app.api.native.schemas.Prediction``.

    Plain dicts holding numpy values, which ``OrjsonResponse`` writes directly: building and
    re-validating pydantic objects cost the hot path more than the model does.
    """
    digits = chosen.probabilities.argmax(axis=1)
    top = chosen.probabilities[np.arange(len(digits)), digits]
    digit_score = judged_score(chosen)
    confidences = answer_confidence(top, digit_score, threshold)
    results = []
    reasons = _reasons(chosen.marks, digit_score, threshold)
    for digit, row, confidence, reason in zip(digits, chosen.probabilities, confidences, reasons, strict=True):
        answer = {
            "digit": int(digit),
            "confidence": confidence,  # float32, written as the probabilities are
            "probabilities": row,
            "is_digit": True,
            "model_version": version,
        }
        if reason is not None:
            answer.update(is_digit=False, reason=reason, message=MESSAGES[reason])
        results.append(answer)
    return results
