"""The ``mnist.json`` written beside every model: what it is, how it was made, how well it does.

The service reads it to describe the model it serves, so the keys here are an interface.
"""

from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from training.architectures import INPUT_SHAPE

MODEL_NAME = "mnist"
MODEL_FILE = "mnist.keras"
METADATA_FILE = "mnist.json"

INPUT_FORMAT: dict[str, Any] = {
    "name": "pixels",
    "shape": list(INPUT_SHAPE),
    "dtype": "float32",
    "value_range": [0.0, 1.0],
    "polarity": "white digit on black background",
    "layout": "MNIST: digit scaled into a 20x20 box, centred by centre of mass in a 28x28 field",
}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def count_flops(model: keras.Model) -> int:
    """Floating-point operations per image (2 per multiply-add) in the conv and dense layers.

    The other layers (batch norm, activations, pooling) add well under 1% and fold away at serving.
    """
    flops = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            _, height, width, _ = layer.output.shape
            kernel_h, kernel_w, channels_in, channels_out = layer.kernel.shape
            flops += 2 * height * width * kernel_h * kernel_w * channels_in * channels_out
        elif isinstance(layer, keras.layers.Dense):
            inputs, outputs = layer.kernel.shape
            flops += 2 * inputs * outputs
    return int(flops)


def runtime_versions() -> dict[str, str]:
    return {"tensorflow": tf.__version__, "keras": keras.__version__, "python": platform.python_version()}


def write_metadata(path: Path, metadata: dict[str, Any]) -> None:
    path.write_text(json.dumps(metadata, indent=2) + "\n")
