"""Where the tests find the project, its shipped model and the real MNIST files."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_MODEL = ROOT / "models" / "mnist.keras"
DEFAULT_MNIST_DIR = ROOT.parent / "shared" / "datasets" / "mnist"


def mnist_dir() -> Path:
    return Path(os.environ.get("MNIST_DIR") or DEFAULT_MNIST_DIR)
