"""The digit judge, served in one graph with the digit model: one model call gives both answers.

``judge.keras`` (beside the model file, with its ``judge.json``: ``mnist_format.metadata``) maps the
same 28x28 input to P(the input is a digit); ``training.judge`` trains it on letters, symbols,
doodles, words and digit pairs as the service's own preprocessing sees them. The digit model's
probabilities are tempered in the same graph by the temperature fitted with the judge (a softmax
network is surer than it is right on real uploads: ``training.calibration``), so calibration costs
a request nothing: no extra model call, no numpy pass on the event loop.

A model directory without a judge still serves, with every input taken for a digit, and says so
in its log and in ``/model``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.errors import ModelLoadError
from app.inference.runtimes import load_keras_model
from mnist_format import INPUT_SHAPE
from mnist_format.metadata import JUDGE_FILE, JUDGE_METADATA_FILE, JudgeMetadata

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Judge:
    """The judge network and its metadata (threshold, temperature, measured rates)."""

    model: Any
    metadata: JudgeMetadata


def read_judge_metadata(model_path: Path) -> JudgeMetadata | None:
    """The metadata of the judge beside ``model_path``, or ``None`` (logged) if there is no judge."""
    path = model_path.with_name(JUDGE_FILE)
    if not path.is_file():
        logger.warning("%s: no digit judge beside the model; every input will be taken for a digit", path)
        return None
    metadata_path = model_path.with_name(JUDGE_METADATA_FILE)
    try:
        return JudgeMetadata.read(metadata_path)
    except (OSError, ValidationError) as exc:
        raise ModelLoadError(f"{metadata_path}: unreadable judge metadata ({exc})") from exc


def load_judge(model_path: Path) -> Judge | None:
    """The judge beside ``model_path``, or ``None`` (logged) if there is none."""
    metadata = read_judge_metadata(model_path)
    if metadata is None:
        return None
    return Judge(load_keras_model(model_path.with_name(JUDGE_FILE), outputs=1), metadata)


def with_judge(digit_model: Any, judge: Judge) -> Any:
    """One Keras model: the digit model's tempered probabilities, then the judge's score, ``(n, 11)``."""
    import keras
    from keras import layers, ops

    temperature = judge.metadata.temperature
    pixels = keras.Input(INPUT_SHAPE, name="pixels")
    tempered = layers.Lambda(lambda p: ops.softmax(ops.log(ops.maximum(p, 1e-12)) / temperature), name="tempered")(
        digit_model(pixels)
    )
    scores = layers.Concatenate(name="scores")([tempered, judge.model(pixels)])
    return keras.Model(pixels, scores, name="digit_and_judge")
