"""The served model: its file and metadata checked, its runtime built and proved equal to Keras, warmed up.

Loading reads a model file and the ``mnist.json`` beside it (``mnist_format.metadata``), hashes the
file (a mismatch with the metadata is logged: the model was replaced), joins the digit judge beside
it into the same graph (``app.inference.judge``), builds the runtime and refuses it if any output
differs from the Keras model's by more than the tolerance, or if its accuracy on the MNIST test
digits shipped with the service (``check_digits.npz``, ``training.check_digits``) falls more than
:data:`ACCURACY_MARGIN` below the test accuracy its metadata claims. ``MODEL_PATH`` names the file,
or a directory holding it, or a repository of versions (``app.inference.repository``).
"""

from __future__ import annotations

import hashlib
import logging
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from app.config import Settings
from app.errors import ModelLoadError
from app.inference.convert import convert_elsewhere
from app.inference.judge import load_judge, read_judge_metadata, with_judge
from app.inference.runtimes import (
    Runtime,
    TFLiteRuntime,
    batch_buckets,
    build_runtime,
    check_equal,
    check_outputs,
    chooses_tflite,
    load_keras_model,
    model_input,
    pin_threads,
    probe_batch,
)
from mnist_format import FIELD_SIDE, METADATA_FILE, MODEL_FILE, NUM_CLASSES
from mnist_format.metadata import JudgeMetadata, ModelMetadata

logger = logging.getLogger(__name__)

SINGLE_DIGIT_TIMINGS = 21
CHECK_DIGITS = Path(__file__).with_name("check_digits.npz")
"""500 MNIST test digits, 50 of each class (``python -m training.check_digits``); the shipped model
gets 499 right (99.8%)."""
ACCURACY_MARGIN = 0.01
"""How far a model's accuracy on :data:`CHECK_DIGITS` may fall below its metadata's test accuracy."""


def check_accuracy(runtime: Runtime, claimed: float | None, source: Path, batch_size: int) -> float:
    """The runtime's accuracy on the shipped check digits; raises if it is more than
    :data:`ACCURACY_MARGIN` below ``claimed`` (the metadata's ``test_accuracy``; ``None`` checks nothing)."""
    with np.load(CHECK_DIGITS) as shipped:
        images, labels = shipped["images"], shipped["labels"]
    inputs = model_input(images.astype(np.float32) / 255.0)
    chunks = range(0, len(inputs), batch_size)  # the runtime takes at most MAX_BATCH_SIZE at once
    answers = np.concatenate([runtime.predict(inputs[i : i + batch_size]) for i in chunks])
    accuracy = float((answers[:, :NUM_CLASSES].argmax(axis=1) == labels).mean())
    if claimed is not None and accuracy < claimed - ACCURACY_MARGIN:
        raise ModelLoadError(
            f"{source}: accuracy {accuracy:.2%} on {len(labels)} shipped MNIST test digits, more than "
            f"{ACCURACY_MARGIN:.0%} below the {claimed:.2%} its metadata claims"
        )
    return accuracy


def read_metadata(model_path: Path) -> ModelMetadata:
    """The metadata beside ``model_path``, or a :class:`ModelLoadError` naming the file and the problem."""
    path = model_path.with_name(METADATA_FILE)
    try:
        return ModelMetadata.read(path)
    except FileNotFoundError as exc:
        raise ModelLoadError(f"{path}: metadata file missing beside the model") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in exc.errors())
        raise ModelLoadError(f"{path}: unreadable metadata ({problems})") from exc
    except OSError as exc:
        raise ModelLoadError(f"{path}: unreadable metadata ({exc})") from exc


@dataclass(frozen=True)
class Model:
    """A loaded model: its runtime, its metadata, the file's sha256 and how far the runtime is from Keras."""

    runtime: Runtime
    metadata: ModelMetadata
    sha256: str
    max_difference: float
    judge: JudgeMetadata | None = None
    served_version: str | None = None
    """The version it is served as: its directory's name in a repository; else the metadata's."""
    check_accuracy: float | None = None
    """Its accuracy on the shipped check digits (:data:`CHECK_DIGITS`)."""

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def version(self) -> str:
        return self.served_version or self.metadata.version

    @classmethod
    def load(cls, settings: Settings) -> Model:
        """The model ``MODEL_PATH`` names (a file, or a directory holding one), loaded and checked."""
        path = settings.model_path
        return cls.load_file(path / MODEL_FILE if path.is_dir() else path, settings)

    @classmethod
    def load_file(
        cls, model_path: Path, settings: Settings, version: str | None = None, work: Path | None = None
    ) -> Model:
        """Read the model and its metadata, build the runtime, check it answers as Keras does and is
        as accurate as its metadata says. Any thread may call it: loading takes seconds. With a
        ``work`` directory, a TF Lite runtime is converted in a process of its own (``app.inference.convert``)."""
        if not model_path.is_file():
            raise ModelLoadError(f"{model_path}: no such model file")
        metadata = read_metadata(model_path)
        sha256 = hashlib.sha256(model_path.read_bytes()).hexdigest()
        if metadata.sha256 not in (None, sha256):
            logger.warning("%s: sha256 differs from its metadata; was the model replaced?", model_path)
        pin_threads(settings.inference_threads)
        runtime: Runtime
        if work is not None and chooses_tflite(settings.runtime):
            flatbuffer, expected = convert_elsewhere(model_path, settings.max_batch_size, work)
            runtime = TFLiteRuntime(flatbuffer, settings.max_batch_size, settings.inference_threads)
            difference = check_outputs(runtime, probe_batch(settings.max_batch_size), expected)
            judged = read_judge_metadata(model_path)
        else:
            keras_model = load_keras_model(model_path)
            judge = load_judge(model_path)
            served = keras_model if judge is None else with_judge(keras_model, judge)
            runtime = build_runtime(served, settings.runtime, settings.max_batch_size, settings.inference_threads)
            difference = check_equal(served, runtime, settings.max_batch_size)
            judged = None if judge is None else judge.metadata
        accuracy = check_accuracy(runtime, metadata.test_accuracy, model_path, settings.max_batch_size)
        return cls(runtime, metadata, sha256, difference, judged, version, accuracy)

    def warm_up(self, max_batch_size: int) -> float:
        """Run every batch size once, so no request pays for a first call; return the median time of a
        one-digit call, which decides whether lone digits run on the event loop (``app.inference.batching``)."""
        for size in batch_buckets(max_batch_size):
            self.runtime.predict(model_input(np.zeros((size, FIELD_SIDE, FIELD_SIDE), np.float32)))
        digit = model_input(np.zeros((1, FIELD_SIDE, FIELD_SIDE), np.float32))
        timings = []
        for _ in range(SINGLE_DIGIT_TIMINGS):
            started = time.perf_counter()
            self.runtime.predict(digit)
            timings.append(time.perf_counter() - started)
        return statistics.median(timings)
