"""Whether an answer is a digit at all, why not, and how sure it may claim to be.

* ``several_digits``: the image shows two or more digit-sized marks side by side (the service reads
  one digit; ``/predict/number`` reads them all);
* ``not_a_digit``: the judge (``app.inference.judge``) scores the input below ``DIGIT_THRESHOLD``:
  letters, symbols, doodles, words, scribbles.

``confidence`` is the probability that the answer is right: that the input is a digit at all (the
judge's score) times the calibrated probability of the digit given that it is one. So it stays
meaningful on real digits (the judge scores them near 1) and is low on things that are not digits;
``probabilities`` stay the digit model's calibrated best guess.
"""

from __future__ import annotations

from typing import Any

from app.postprocessing.choose import Chosen

SEVERAL_DIGITS = "several_digits"
NOT_A_DIGIT = "not_a_digit"
MESSAGES = {
    SEVERAL_DIGITS: "the image shows several digits; POST it to /predict/number to read them all",
    NOT_A_DIGIT: "that does not look like a digit",
}


def answers(chosen: Chosen, threshold: float, version: str) -> list[dict[str, Any]]:
    """One answer per digit, in the shape of ``app.api.native.schemas.Prediction``.

    Plain dicts holding numpy values, which ``OrjsonResponse`` writes directly: building and
    re-validating pydantic objects cost the hot path more than the model does.
    """
    digits = chosen.probabilities.argmax(axis=1)
    results = []
    for digit, row, score, marks in zip(digits, chosen.probabilities, chosen.digit_score, chosen.marks, strict=True):
        answer = {
            "digit": int(digit),
            "confidence": float(row[digit] * score),
            "probabilities": row,
            "is_digit": True,
            "model_version": version,
        }
        reason = SEVERAL_DIGITS if marks > 1 else NOT_A_DIGIT if score < threshold else None
        if reason is not None:
            answer.update(is_digit=False, reason=reason, message=MESSAGES[reason])
        results.append(answer)
    return results
