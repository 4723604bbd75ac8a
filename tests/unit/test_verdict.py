"""The verdict's rules on scores, where a real upload that lands exactly on a bound is hard to make."""

from __future__ import annotations

import numpy as np

from app.inference.predictor import Scores
from app.postprocessing.choose import Chosen
from app.postprocessing.verdict import (
    DOTTED_THRESHOLD,
    UNSURE_PROBABILITY,
    UNSURE_SCORE,
    answers,
    flagged,
    tensor_is_digit,
)

THRESHOLD = 0.17


def _probabilities(top: float) -> np.ndarray:
    """One input's probabilities: ``top`` on a 3, the rest spread evenly."""
    row = np.full(10, (1.0 - top) / 9, np.float32)
    row[3] = top
    return row


def _chosen(tops: list[float], scores: list[float], dotted: list[bool] | None = None) -> Chosen:
    count = len(tops)
    return Chosen(
        np.arange(count),
        np.stack([_probabilities(top) for top in tops]),
        np.array(scores, np.float32),
        np.ones(count, np.int64),
        np.array(dotted or [False] * count),
    )


def test_an_input_both_the_judge_and_the_model_doubt_is_not_a_digit() -> None:
    unsure_top, sure_top = UNSURE_PROBABILITY - 0.1, UNSURE_PROBABILITY + 0.1
    unsure_score, sure_score = UNSURE_SCORE - 0.1, UNSURE_SCORE + 0.1
    chosen = _chosen([unsure_top, sure_top, unsure_top, unsure_top], [unsure_score, unsure_score, sure_score, 0.1])
    assert flagged(chosen, THRESHOLD).tolist() == [True, False, False, True]
    first = answers(chosen, THRESHOLD, "v")[0]
    assert first["is_digit"] is False
    assert first["reason"] == "not_a_digit"
    assert first["confidence"] == 0
    # The judge turned off (threshold 0) turns this rule off too.
    assert not flagged(chosen, 0.0).any()


def test_tensor_inputs_follow_the_same_rule() -> None:
    chosen = _chosen([0.4, 0.6, 0.4], [0.4, 0.4, 0.6])
    scores = Scores(chosen.probabilities, chosen.digit_score)
    assert tensor_is_digit(scores, THRESHOLD).tolist() == (~flagged(chosen, THRESHOLD)).tolist() == [False, True, True]
    assert tensor_is_digit(scores, 0.0).all()


def test_a_dotted_mark_is_a_digit_only_where_the_judge_is_sure() -> None:
    chosen = _chosen([0.99, 0.99], [DOTTED_THRESHOLD - 0.05, DOTTED_THRESHOLD + 0.05], dotted=[True, True])
    assert flagged(chosen, THRESHOLD).tolist() == [True, False]
