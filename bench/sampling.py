"""What the accuracy benches (``bench.realistic_uploads``, ``bench.numbers``) share: their sampling
options, and the model, settings and MNIST test digits they read samples with."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

import numpy as np

from app.config import Settings
from app.inference.model import Model
from training.sources import MnistSplit, load_mnist


def sampling_parser(description: str | None, unit: str, per_unit: int, units: str) -> argparse.ArgumentParser:
    """``--data``, ``--per-<unit>`` (samples of each, ``per_unit`` by default), ``--seed`` and
    ``--<unit>s`` (a comma-separated choice of ``units``), for a bench to add its own options to."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="MNIST directory (default: $MNIST_DIR)")
    parser.add_argument(f"--per-{unit}", type=int, default=per_unit)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(f"--{unit}s", help=f"comma-separated {units} (default: all)")
    return parser


def chosen(names: str | None, every: Iterable[str]) -> list[str]:
    """The names a comma-separated option gives, or ``every`` one when it is not given."""
    return names.split(",") if names else list(every)


def sampling_inputs(data: str | None, seed: int) -> tuple[Settings, Model, MnistSplit, np.random.Generator]:
    """The service's settings and model (as it serves them), the MNIST test digits and the seeded generator."""
    settings = Settings()
    return settings, Model.load(settings), load_mnist(data).test, np.random.default_rng(seed)
