"""Examples for the digit judge: what the service's preprocessing makes of digits and of things that are not.

The judge sees exactly what the digit model sees, so its examples go through the service's own
pipeline (``app.preprocessing.pipeline.read_image``):

* digits: MNIST digits as they are (what JSON clients send) and drawn into every upload and paper kind
  of ``training.synthesis``, keeping the candidate the digit model reads most surely (the one the
  service would keep);
* not digits: letters, symbols, doodles, words, signatures and several digits side by side, every
  candidate the pipeline makes of them (the service may keep any of them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from app.errors import ServiceError
from app.preprocessing.pipeline import read_image
from training.synthesis import DIGIT_KINDS, NON_DIGIT_KINDS, several_digits
from training.synthesis.rand import integer

MAX_PIXELS = 25_000_000
SKIPPED_KINDS = ("blank",)
TURNED_SHARE = 0.5  # of the plain digits, turned by up to MAX_TURN degrees and sheared by up to MAX_SHEAR
MAX_TURN = 20.0
MAX_SHEAR = 0.25  # no ink: the service answers 422 no_digit_found, never a verdict


@dataclass(frozen=True)
class JudgeExamples:
    """``images`` ``(n, 28, 28)`` float32 in 0-1, ``labels`` (the digit, -1 for none) and each one's ``kind``."""

    images: np.ndarray
    labels: np.ndarray
    kinds: np.ndarray

    @property
    def is_digit(self) -> np.ndarray:
        return (self.labels >= 0).astype(np.int64)

    def without(self, dropped: np.ndarray) -> JudgeExamples:
        """These examples less those where ``dropped`` is true."""
        kept = ~dropped
        return JudgeExamples(self.images[kept], self.labels[kept], self.kinds[kept])

    @staticmethod
    def join(parts: list[JudgeExamples]) -> JudgeExamples:
        return JudgeExamples(
            np.concatenate([p.images for p in parts]),
            np.concatenate([p.labels for p in parts]),
            np.concatenate([p.kinds for p in parts]),
        )


def _readings(data: bytes) -> np.ndarray | None:
    try:
        return read_image(data, MAX_PIXELS).inputs
    except ServiceError:
        return None


def drawn_digits(
    images: np.ndarray,
    labels: np.ndarray,
    per_kind: int,
    predict: Callable[[np.ndarray], np.ndarray],
    rng: np.random.Generator,
) -> JudgeExamples:
    """Digits drawn into every upload kind; per image, the candidate the service would keep.

    ``predict`` maps ``(n, 28, 28)`` inputs to ``(n, 10)`` probabilities (the digit model); the kept
    candidate is the one it reads most surely, right or wrong: a misread digit is still a digit, and
    calibration must see the misreadings the service makes.
    """
    kept, digits, kinds = [], [], []
    for kind, make in DIGIT_KINDS.items():
        for index in rng.choice(len(images), size=per_kind, replace=False):
            inputs = _readings(make(images[index], rng))
            if inputs is None:
                continue
            kept.append(inputs[int(np.argmax(predict(inputs).max(axis=1)))])
            digits.append(int(labels[index]))
            kinds.append(kind)
    return JudgeExamples(np.stack(kept), np.array(digits), np.array(kinds))


def not_digits(images: np.ndarray, per_kind: int, rng: np.random.Generator) -> JudgeExamples:
    """Every candidate the pipeline makes of each non-digit kind, and of 2-4 digits side by side."""
    kept: list[np.ndarray] = []
    kinds: list[str] = []
    makers = {kind: make for kind, make in NON_DIGIT_KINDS.items() if kind not in SKIPPED_KINDS}
    for kind in [*makers, "several_digits"]:
        for _ in range(per_kind):
            if kind == "several_digits":
                count = integer(rng, 2, 4)
                picks = rng.choice(len(images), size=count, replace=False)
                data = several_digits([images[i] for i in picks], rng)
            else:
                data = makers[kind](rng)
            inputs = _readings(data)
            if inputs is None:
                continue
            kept.extend(inputs)
            kinds.extend([kind] * len(inputs))
    return JudgeExamples(np.stack(kept), np.full(len(kept), -1), np.array(kinds))


def plain_digits(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> JudgeExamples:
    """MNIST digits as JSON clients send them, half of them turned and sheared as people write.

    Without the turned half, uploads of digits rotated 5-15 degrees were flagged 3% of the time.
    """
    digits = images.astype(np.float32) / 255.0
    for index in np.flatnonzero(rng.random(len(digits)) < TURNED_SHARE):
        turn = cv2.getRotationMatrix2D((13.5, 13.5), float(rng.uniform(-MAX_TURN, MAX_TURN)), 1.0)
        turn[0, 1] += float(rng.uniform(-MAX_SHEAR, MAX_SHEAR))
        digits[index] = cv2.warpAffine(digits[index], turn, (28, 28), flags=cv2.INTER_LINEAR)
    return JudgeExamples(digits, labels.astype(np.int64), np.array(["mnist"] * len(images)))
