"""The served model: load once, then preprocess, predict and postprocess each request's digits."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from app.affinity import allow_cpus, pin_to_current_cpu, should_colocate, yield_to_event_loop
from app.batching import BatchObserver, MicroBatcher
from app.config import Settings
from app.errors import ModelLoadError, ModelNotFoundError
from app.imaging.decode import decode_grayscale
from app.imaging.normalize import normalize_digit
from app.runtime import Runtime, batch_buckets, build_runtime, check_equal, load_keras_model, pin_threads
from app.schemas import ModelInfo

logger = logging.getLogger(__name__)

METADATA_FILE = "mnist.json"
SINGLE_DIGIT_TIMINGS = 21


def _read_metadata(model_path: Path) -> dict[str, Any]:
    path = model_path.with_name(METADATA_FILE)
    try:
        metadata: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ModelLoadError(f"{path}: metadata file missing beside the model") from exc
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{path}: unreadable metadata ({exc})") from exc
    for key in ("version", "architecture", "input"):
        if key not in metadata:
            raise ModelLoadError(f"{path}: metadata lacks {key!r}")
    return metadata


class DigitClassifier:
    """Wraps a runtime and its micro-batcher with MNIST preprocessing and response shaping.

    ``ready`` turns true only after every batch size has been warmed up, and false again as soon
    as shutdown begins.
    """

    def __init__(
        self,
        runtime: Runtime,
        metadata: dict[str, Any],
        sha256: str,
        settings: Settings,
        max_difference: float,
    ) -> None:
        self.runtime = runtime
        self.metadata = metadata
        self.sha256 = sha256
        self.name = str(metadata.get("name", "mnist"))
        self.version = str(metadata["version"])
        self.max_difference = max_difference
        self.settings = settings
        self._batcher: MicroBatcher | None = None
        # Image work gets its own small pool: on the shared 40-thread pool, dozens of concurrent
        # uploads fought over two cores and the GIL, and throughput fell as clients were added.
        self._preprocess_pool = ThreadPoolExecutor(
            settings.preprocess_threads, thread_name_prefix="preprocess", initializer=self._use_every_cpu
        )
        self._all_cpus: set[int] | None = None  # before the event loop's thread was pinned
        self.single_digit_seconds = float("nan")  # timed in start()
        self.inline_lone = False
        self.ready = False

    @classmethod
    def load(cls, settings: Settings) -> DigitClassifier:
        """Read the model and its metadata, build the runtime and check it answers as Keras does."""
        model_path = settings.model_path
        if not model_path.is_file():
            raise ModelLoadError(f"{model_path}: no such model file")
        metadata = _read_metadata(model_path)
        sha256 = hashlib.sha256(model_path.read_bytes()).hexdigest()
        if metadata.get("sha256") not in (None, sha256):
            logger.warning("%s: sha256 differs from its metadata; was the model replaced?", model_path)
        pin_threads(settings.inference_threads)
        model = load_keras_model(model_path)
        runtime = build_runtime(model, settings.runtime, settings.max_batch_size, settings.inference_threads)
        difference = check_equal(model, runtime, settings.max_batch_size)
        return cls(runtime, metadata, sha256, settings, difference)

    def start(self, observer: BatchObserver | None = None) -> None:
        """Run every batch size once, so no request pays for a first call, then start the batcher.

        Called on the event loop's thread, which (with ``COLOCATE_INFERENCE``) is pinned to its CPU
        first, so that the inference thread it starts shares that CPU (see ``app.affinity``).
        """
        for size in batch_buckets(self.settings.max_batch_size):
            self.runtime.predict(np.zeros((size, 28, 28, 1), dtype=np.float32))
        self.single_digit_seconds = self._time_single_digit()
        self.inline_lone = self.single_digit_seconds * 1e6 < self.settings.inline_max_us
        if should_colocate(self.settings.colocate_inference):
            self._all_cpus = pin_to_current_cpu()
        self._batcher = MicroBatcher(
            self.runtime,
            self.settings.max_batch_size,
            self.settings.batch_wait_ms / 1000,
            observer,
            thread_setup=yield_to_event_loop if self._all_cpus is not None else None,
            inline_lone=self.inline_lone,
        )
        self._batcher.start()
        self.ready = True

    def _time_single_digit(self) -> float:
        """The median time of a one-digit call, which decides whether lone digits run inline."""
        digit = np.zeros((1, 28, 28, 1), dtype=np.float32)
        timings = []
        for _ in range(SINGLE_DIGIT_TIMINGS):
            started = time.perf_counter()
            self.runtime.predict(digit)
            timings.append(time.perf_counter() - started)
        return statistics.median(timings)

    def _use_every_cpu(self) -> None:
        """Image decoding releases the GIL for long stretches: it may use every CPU, pinned or not."""
        allow_cpus(self._all_cpus)

    async def stop(self) -> None:
        """Report not ready at once, then finish the requests already queued."""
        self.ready = False
        if self._batcher is not None:
            await self._batcher.stop()
        self._preprocess_pool.shutdown(wait=True)

    @staticmethod
    def preprocess_image(data: bytes, max_pixels: int) -> np.ndarray:
        """Image bytes of any format, size and polarity to an MNIST-style ``(28, 28)`` in 0-1."""
        return normalize_digit(decode_grayscale(data, max_pixels))

    async def preprocess_images(self, images: list[bytes]) -> np.ndarray:
        """``(n, 28, 28)`` digits from image bytes, normalised on the preprocessing threads."""
        loop = asyncio.get_running_loop()
        max_pixels = self.settings.max_image_pixels
        digits = await asyncio.gather(
            *(loop.run_in_executor(self._preprocess_pool, self.preprocess_image, data, max_pixels) for data in images)
        )
        return np.stack(digits)

    async def predict(self, digits: np.ndarray) -> np.ndarray:
        """Probabilities ``(n, 10)`` for ``(n, 28, 28)`` digits in 0-1, micro-batched."""
        assert self._batcher is not None, "start() the classifier before predicting"
        batch = np.ascontiguousarray(digits, dtype=np.float32)[..., np.newaxis]
        return await self._batcher.predict(batch)

    def postprocess(self, probabilities: np.ndarray) -> list[dict[str, Any]]:
        """One answer per digit, in the shape of ``schemas.Prediction``.

        Plain dicts holding numpy values, which ``OrjsonResponse`` writes directly: building and
        re-validating pydantic objects cost the hot path more than the model does.
        """
        digits = probabilities.argmax(axis=1)
        return [
            {"digit": int(digit), "confidence": row[digit], "probabilities": row, "model_version": self.version}
            for digit, row in zip(digits, probabilities, strict=True)
        ]

    def check_served(self, name: str, version: str | None = None) -> None:
        """Raise 404 unless ``name`` (and ``version``, when given) is the model being served."""
        if name != self.name or version not in (None, self.version):
            wanted = f"{name!r}" + (f" version {version!r}" if version is not None else "")
            raise ModelNotFoundError(f"model {wanted} not found; serving {self.name!r} version {self.version!r}")

    def info(self) -> ModelInfo:
        meta = self.metadata
        return ModelInfo(
            name=self.name,
            version=self.version,
            architecture=meta["architecture"],
            parameters=meta.get("parameters"),
            flops_per_image=meta.get("flops_per_image"),
            test_accuracy=meta.get("test_accuracy"),
            per_class_accuracy=meta.get("per_class_accuracy"),
            input=meta["input"],
            trained_at=meta.get("trained_at"),
            sha256=self.sha256,
            runtime=self.runtime.name,
            device=self.runtime.device,
        )
