"""Confidence that means what it says: temperature scaling, its expected calibration error and a plot.

A softmax network's top probability is usually higher than its accuracy on inputs unlike its
training set (here: digits that went through paper, cameras and the preprocessing). One temperature
``T``, fitted on held-out examples by likelihood, tempers every answer (``p ** (1 / T)``,
renormalised, the same as dividing the logits by ``T``) without changing which digit wins.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

BINS = 10
TEMPERATURES = np.exp(np.linspace(np.log(0.5), np.log(4.0), 121))


def temper(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities as if the logits were divided by ``temperature``."""
    logits = np.log(np.clip(probabilities, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    weights = np.exp(logits)
    tempered: np.ndarray = weights / weights.sum(axis=1, keepdims=True)
    return tempered


def fit_temperature(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The temperature that maximises the likelihood of ``labels`` (a grid search: one parameter)."""
    losses = [
        -np.log(np.clip(temper(probabilities, t)[np.arange(len(labels)), labels], 1e-12, 1)).mean()
        for t in TEMPERATURES
    ]
    return float(TEMPERATURES[int(np.argmin(losses))])


def reliability(confidence: np.ndarray, correct: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per confidence bin: mean confidence, accuracy and count."""
    edges = np.linspace(0.0, 1.0, BINS + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, BINS - 1)
    counts = np.bincount(which, minlength=BINS)
    mean_confidence = np.bincount(which, weights=confidence, minlength=BINS) / np.maximum(counts, 1)
    accuracy = np.bincount(which, weights=correct.astype(float), minlength=BINS) / np.maximum(counts, 1)
    return mean_confidence, accuracy, counts


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray) -> float:
    """The count-weighted mean gap between confidence and accuracy over ten equal-width bins."""
    mean_confidence, accuracy, counts = reliability(confidence, correct)
    return float((counts * np.abs(mean_confidence - accuracy)).sum() / max(counts.sum(), 1))


def plot_reliability(curves: dict[str, tuple[np.ndarray, np.ndarray]], path: Path) -> None:
    """Accuracy against confidence per bin for each named (confidence, correct) pair; the diagonal is perfect."""
    figure, axis = plt.subplots(figsize=(5, 5))
    axis.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfect")
    for name, (confidence, correct) in curves.items():
        mean_confidence, accuracy, counts = reliability(confidence, correct)
        shown = counts > 0
        ece = expected_calibration_error(confidence, correct)
        axis.plot(mean_confidence[shown], accuracy[shown], marker="o", label=f"{name} (ECE {ece:.3f})")
    axis.set_xlabel("confidence")
    axis.set_ylabel("accuracy")
    axis.set_title("Reliability on held-out digits")
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)
