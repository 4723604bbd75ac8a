"""Small MNIST-format files made by the tests themselves (never the real data)."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from training.sources import IMAGES_MAGIC, LABELS_MAGIC


def idx_images(images: np.ndarray) -> bytes:
    return struct.pack(">iiii", IMAGES_MAGIC, *images.shape) + images.astype(np.uint8).tobytes()


def idx_labels(labels: np.ndarray) -> bytes:
    return struct.pack(">ii", LABELS_MAGIC, len(labels)) + labels.astype(np.uint8).tobytes()


def write_mnist_dir(directory: Path, train: int = 30, test: int = 10, gz: bool = True, sep: str = "-") -> Path:
    rng = np.random.default_rng(0)
    files = {
        f"train-images{sep}idx3-ubyte": idx_images(rng.integers(0, 256, (train, 28, 28))),
        f"train-labels{sep}idx1-ubyte": idx_labels(np.arange(train) % 10),
        f"t10k-images{sep}idx3-ubyte": idx_images(rng.integers(0, 256, (test, 28, 28))),
        f"t10k-labels{sep}idx1-ubyte": idx_labels(np.arange(test) % 10),
    }
    directory.mkdir(parents=True, exist_ok=True)
    for name, payload in files.items():
        if gz:
            (directory / f"{name}.gz").write_bytes(gzip.compress(payload))
        else:
            (directory / name).write_bytes(payload)
    return directory
