"""Export a trained model as a TensorFlow SavedModel in the layout TF Serving and Triton read.

``<base>/<name>/<version>/saved_model.pb``: point ``tensorflow_model_server --model_name=mnist
--model_base_path=<base>/mnist`` at it, or use ``<base>`` as a Triton model repository.

The ``serving_default`` signature matches what the service's v1 and v2 endpoints advertise, so the
same request gets the same answer from either server: input ``pixels`` float32 ``[-1, 28, 28, 1]``,
white digit on black, 0-255 or 0-1 per image (an image whose values never exceed 1 is read as 0-1,
as the service does); outputs ``probabilities`` ``[-1, 10]`` and ``digit`` ``[-1]`` (int64).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from mnist_format import INPUT_SHAPE

SERVING_INPUT = "pixels"


def savedmodel_path(base: Path, name: str, version: int) -> Path:
    return base / name / str(version)


def serving_function(model: keras.Model) -> Any:
    """The exported signature: scale detection, the model, and the predicted digit."""

    def serve(pixels: tf.Tensor) -> dict[str, tf.Tensor]:
        peak = tf.reduce_max(pixels, axis=[1, 2, 3], keepdims=True)
        images = tf.where(peak > 1.0, pixels / 255.0, pixels)
        probabilities = model(images, training=False)
        return {"probabilities": probabilities, "digit": tf.argmax(probabilities, axis=1)}

    return serve


def export_savedmodel(model: keras.Model, base: Path, name: str, version: int) -> Path:
    """Write the model with its ``serving_default`` signature and return the version directory."""
    path = savedmodel_path(base, name, version)
    path.parent.mkdir(parents=True, exist_ok=True)
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(
        name="serving_default",
        fn=serving_function(model),
        input_signature=[tf.TensorSpec((None, *INPUT_SHAPE), tf.float32, name=SERVING_INPUT)],
    )
    archive.write_out(str(path), verbose=False)
    return path
