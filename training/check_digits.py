"""The service's own accuracy check: a fixed sample of MNIST *test* digits shipped with it.

The service checks every model version it loads on these digits (``app.inference.model``): a version
whose accuracy on them falls more than a point below the ``test_accuracy`` its metadata claims is
refused. ``python -m training.check_digits --data $MNIST_DIR`` (``make check-digits``) writes them:
the first :data:`PER_CLASS` test digits of each class, in test-set order, as uint8, compressed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from mnist_format import NUM_CLASSES
from training.sources import load_mnist

PER_CLASS = 50
DEFAULT_OUT = Path("app/inference/check_digits.npz")


def sample(images: np.ndarray, labels: np.ndarray, per_class: int = PER_CLASS) -> tuple[np.ndarray, np.ndarray]:
    """The first ``per_class`` digits of each class, in the order they come: ``(n, 28, 28)`` uint8 and labels."""
    chosen = np.sort(np.concatenate([np.flatnonzero(labels == digit)[:per_class] for digit in range(NUM_CLASSES)]))
    return images[chosen].astype(np.uint8), labels[chosen].astype(np.uint8)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=None, help="MNIST directory or npz (default: MNIST_DIR)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--per-class", type=int, default=PER_CLASS)
    args = parser.parse_args(argv)
    test = load_mnist(args.data).test
    images, labels = sample(test.images, test.labels, args.per_class)
    np.savez_compressed(args.out, images=images, labels=labels)
    print(f"{args.out}: {len(images)} test digits, {args.out.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
