"""What preprocessing hands on: every model input worth trying for a request's digits, and whose each is.

A JSON digit is one input; an uploaded image may give several (see ``app.preprocessing.pipeline``).
They travel as one array, so that all of a request's inputs go through the model in one micro-batch,
and ``app.postprocessing.choose`` keeps one per digit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.preprocessing.pipeline import DigitReading


@dataclass(frozen=True)
class Candidates:
    """``inputs`` ``(k, 28, 28)``; ``owner[i]``, the digit (in request order) input ``i`` belongs to,
    ascending; ``marks[i]``, the digit-sized marks its image showed; ``dotted[i]``, whether its mark has a
    dot apart under it (``DigitReading.dotted``); ``count``, the request's digits."""

    inputs: np.ndarray
    owner: np.ndarray
    marks: np.ndarray
    dotted: np.ndarray
    count: int

    @classmethod
    def of_pixels(cls, digits: np.ndarray) -> Candidates:
        """Digits given as pixel arrays: one input each, one mark each, no dots."""
        count = len(digits)
        return cls(digits, np.arange(count), np.ones(count, dtype=np.int64), np.zeros(count, dtype=bool), count)

    @classmethod
    def of_readings(cls, readings: list[DigitReading]) -> Candidates:
        """Images read by the pipeline, one reading each."""
        sizes = [len(reading.inputs) for reading in readings]
        return cls(
            np.concatenate([reading.inputs for reading in readings]),
            np.repeat(np.arange(len(readings)), sizes),
            np.array([marks for reading in readings for marks in reading.marks], dtype=np.int64),
            np.array([dotted for reading in readings for dotted in reading.dotted], dtype=bool),
            len(readings),
        )
