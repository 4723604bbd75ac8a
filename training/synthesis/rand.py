"""Random draws in the few shapes every generator needs, all from one ``np.random.Generator``.

Keeping every draw on the caller's generator (never numpy's or OpenCV's global state) is what makes
each kind reproducible from a seed, also when samples are made in several threads at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

import numpy as np

Colour = tuple[float, float, float]
T = TypeVar("T")


def uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(rng.uniform(low, high))


def log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    """Sizes spread evenly on a log scale: as many small images as large ones."""
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def integer(rng: np.random.Generator, low: int, high: int) -> int:
    """An integer in ``[low, high]``, both ends included."""
    return int(rng.integers(low, high + 1))


def chance(rng: np.random.Generator, probability: float) -> bool:
    return bool(rng.random() < probability)


def pick(rng: np.random.Generator, options: Sequence[T]) -> T:
    return options[int(rng.integers(len(options)))]


def jitter_colour(rng: np.random.Generator, colour: Colour, spread: float) -> Colour:
    r, g, b = (float(np.clip(c + rng.normal(0, spread), 0, 255)) for c in colour)
    return (r, g, b)
