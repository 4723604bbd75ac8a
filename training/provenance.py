"""What training records about a model beyond its scores: the file's hash, its cost, the library versions.

Training puts these into the model's metadata, whose schema is ``mnist_format.metadata``.
"""

from __future__ import annotations

import hashlib
import platform
from pathlib import Path

import keras
import tensorflow as tf


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
