"""Run the model without Keras' per-call overhead, on the fastest runtime available.

``model.predict()`` builds a data pipeline on every call (about 50-100 ms here). Two runtimes avoid
that, both built at startup from the same ``.keras`` file and checked against it:

* ``tflite``: the model converted to TensorFlow Lite and run by its XNNPACK CPU kernels, about
  0.07 ms per call at batch 1 on this project's 2-core machine. One interpreter per batch-size
  bucket, so no call ever reallocates tensors; a batch is padded up to its bucket.
* ``tensorflow``: a traced ``tf.function`` with a fixed input signature, pinned to the GPU or the
  CPU; about 1-2 ms per call on the CPU, the runtime of choice on a GPU.

Runtimes are not thread-safe: the micro-batcher calls them from its single inference thread.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from app.config import RuntimeName
from app.errors import ModelLoadError
from mnist_format import INPUT_SHAPE, NUM_CLASSES

logger = logging.getLogger(__name__)

SMALL_BATCH = 8  # every batch size up to this has its own TF Lite interpreter
# Largest difference in any probability tolerated between a runtime and the Keras model.
EQUALITY_TOLERANCE = 1e-4


class Runtime(Protocol):
    name: str
    device: str

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """The served model's outputs for float32 ``(n, 28, 28, 1)``: ``(n, 10)`` probabilities, then with a
        judge (``app.inference.judge``) its score, ``(n, 11)``."""
        ...


def model_input(digits: np.ndarray) -> np.ndarray:
    """``(n, 28, 28)`` digits in 0-1 as every runtime takes them: contiguous float32 ``(n, 28, 28, 1)``."""
    return np.ascontiguousarray(digits, dtype=np.float32).reshape(len(digits), *INPUT_SHAPE)


def batch_buckets(max_batch_size: int) -> list[int]:
    """The batch sizes that get an interpreter of their own, up to (and including) the maximum.

    Every size up to 8 (the batches a few concurrent clients make), then four steps per doubling
    (10, 12, 14, 16, 20, ...), so a batch is padded by less than a quarter. Padding is computed like
    real digits, and powers of two alone padded a batch of 3, the typical one at 8 clients, to 4.
    """
    sizes = set(range(1, min(SMALL_BATCH, max_batch_size) + 1))
    step_base = SMALL_BATCH
    while step_base < max_batch_size:
        sizes.update(min(step_base * quarters // 4, max_batch_size) for quarters in (5, 6, 7, 8))
        step_base *= 2
    return sorted(sizes)


def load_keras_model(model_path: Path, outputs: int = NUM_CLASSES) -> Any:
    """The Keras model at ``model_path``, checked to map one MNIST digit to ``outputs`` values."""
    import keras

    try:
        model = keras.models.load_model(model_path, compile=False)
    except Exception as exc:  # Keras raises many kinds for unreadable or foreign files
        raise ModelLoadError(f"{model_path}: not a loadable Keras model ({exc})") from exc
    if tuple(model.input_shape[1:]) != INPUT_SHAPE or tuple(model.output_shape[1:]) != (outputs,):
        raise ModelLoadError(
            f"{model_path}: model maps {model.input_shape} to {model.output_shape}, "
            f"expected {(None, *INPUT_SHAPE)} to {(None, outputs)}"
        )
    return model


def _concrete_function(model: Any) -> Any:
    import tensorflow as tf

    signature = tf.TensorSpec((None, *INPUT_SHAPE), tf.float32, name="pixels")
    return tf.function(lambda pixels: model(pixels, training=False)).get_concrete_function(signature)


class TensorFlowRuntime:
    """The model as one traced TensorFlow function, placed on one device."""

    def __init__(self, model: Any, device: str) -> None:
        import tensorflow as tf

        self.name = "tensorflow"
        self.device = device
        self._tf = tf
        with tf.device(device):
            self._function = _concrete_function(model)

    def predict(self, batch: np.ndarray) -> np.ndarray:
        with self._tf.device(self.device):
            result: np.ndarray = self._function(batch).numpy()
        return result


def tflite_flatbuffer(model: Any) -> bytes:
    """The Keras model converted to TF Lite. Seconds of work, most of it holding the GIL: a version
    loaded while serving is converted in a process of its own (``app.inference.convert``)."""
    import tensorflow as tf

    # from_keras_model, not from_concrete_functions: on Keras 3 models the latter converts
    # without the weights' values and the interpreter returns NaN (seen with TF 2.21).
    with contextlib.redirect_stdout(io.StringIO()):  # it prints the temporary export it makes
        flatbuffer: bytes = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    return flatbuffer


class TFLiteRuntime:
    """The model converted to TensorFlow Lite, one interpreter per batch-size bucket."""

    def __init__(self, model: Any, max_batch_size: int, threads: int) -> None:
        """``model``: a Keras model, or its TF Lite flatbuffer (:func:`tflite_flatbuffer`) converted elsewhere."""
        import tensorflow as tf

        self.name = "tflite"
        self.device = "CPU"
        flatbuffer = model if isinstance(model, bytes) else tflite_flatbuffer(model)
        self._interpreters: dict[int, tuple[Any, int, int]] = {}
        with warnings.catch_warnings():
            # tf.lite.Interpreter announces its move to the ai-edge-litert package; TF 2.21 still ships it.
            warnings.simplefilter("ignore", UserWarning)
            for size in batch_buckets(max_batch_size):
                interpreter = tf.lite.Interpreter(model_content=flatbuffer, num_threads=threads)
                input_index = interpreter.get_input_details()[0]["index"]
                interpreter.resize_tensor_input(input_index, [size, *INPUT_SHAPE])
                interpreter.allocate_tensors()
                output_index = interpreter.get_output_details()[0]["index"]
                self._interpreters[size] = (interpreter, input_index, output_index)
        # The bucket each batch size runs in, by batch size.
        self._bucket_of = [0, *(min(b for b in self._interpreters if b >= n) for n in range(1, max_batch_size + 1))]

    def predict(self, batch: np.ndarray) -> np.ndarray:
        count = batch.shape[0]
        size = self._bucket_of[count]
        if size != count:
            batch = np.concatenate([batch, np.zeros((size - count, *INPUT_SHAPE), np.float32)])
        interpreter, input_index, output_index = self._interpreters[size]
        interpreter.set_tensor(input_index, batch)
        interpreter.invoke()
        result: np.ndarray = interpreter.get_tensor(output_index)[:count]  # get_tensor copies already
        return result


def visible_gpu() -> str | None:
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    return str(gpus[0].name) if gpus else None


def pin_threads(threads: int) -> None:
    """Bound TensorFlow's own thread pools so workers do not fight over the cores.

    Only possible before TensorFlow first runs an op; a second app in the same process keeps the
    first one's setting.
    """
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        logger.debug("TensorFlow already initialised; thread pools left as they are")


def chooses_tflite(requested: RuntimeName) -> bool:
    """Whether :func:`build_runtime` would build TF Lite for ``requested``."""
    return requested == "tflite" or (requested == "auto" and visible_gpu() is None)


def build_runtime(model: Any, requested: RuntimeName, max_batch_size: int, threads: int) -> Runtime:
    """The runtime asked for; ``auto`` means the GPU when TensorFlow sees one, else TF Lite."""
    gpu = visible_gpu()
    if requested == "tensorflow-gpu" and gpu is None:
        raise ModelLoadError("RUNTIME=tensorflow-gpu but TensorFlow sees no GPU")
    if requested == "tensorflow-gpu" or (requested == "auto" and gpu is not None):
        return TensorFlowRuntime(model, gpu or "/GPU:0")
    if requested == "tensorflow-cpu":
        return TensorFlowRuntime(model, "/CPU:0")
    return TFLiteRuntime(model, max_batch_size, threads)


def check_equal(model: Any, runtime: Runtime, batch_size: int) -> float:
    """Largest probability difference between ``runtime`` and the Keras model on a probe batch.

    Raises when it exceeds the tolerance, so a runtime that changes answers never serves.
    """
    probe = probe_batch(batch_size)
    return check_outputs(runtime, probe, np.asarray(model(probe, training=False)))


def probe_batch(batch_size: int) -> np.ndarray:
    """The inputs the runtime is compared with Keras on: ``batch_size`` random fields, always the same."""
    return model_input(np.random.default_rng(0).random((batch_size, *INPUT_SHAPE[:2]), dtype=np.float32))


def check_outputs(runtime: Runtime, probe: np.ndarray, expected: np.ndarray) -> float:
    """Largest difference between ``runtime``'s outputs on ``probe`` and the Keras model's, ``expected``;
    raises when it exceeds the tolerance."""
    difference = float(np.abs(runtime.predict(probe) - expected).max())
    if difference > EQUALITY_TOLERANCE:
        raise ModelLoadError(
            f"{runtime.name} runtime differs from the Keras model by {difference:.2g} "
            f"(tolerance {EQUALITY_TOLERANCE:g})"
        )
    return difference
