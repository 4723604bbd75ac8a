"""Score a saved model on the MNIST test set: ``python -m training.evaluate models/mnist.keras``."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from mnist_format import NUM_CLASSES
from training.pipelines import to_model_input
from training.sources import MnistFormatError, MnistSplit, load_mnist

PREDICT_BATCH_SIZE = 1000


@dataclass(frozen=True)
class Evaluation:
    """Test-set accuracy overall and per class, and the confusion matrix (rows: true digit)."""

    accuracy: float
    per_class_accuracy: list[float]
    confusion_matrix: list[list[int]]
    examples: int

    def as_dict(self) -> dict[str, object]:
        return {
            "accuracy": self.accuracy,
            "per_class_accuracy": self.per_class_accuracy,
            "confusion_matrix": self.confusion_matrix,
            "examples": self.examples,
        }


def predict_probabilities(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """Softmax outputs for uint8 ``(n, 28, 28)`` images."""
    return np.asarray(model.predict(to_model_input(images), batch_size=PREDICT_BATCH_SIZE, verbose=0))


def evaluate(model: keras.Model, split: MnistSplit) -> Evaluation:
    predicted = predict_probabilities(model, split.images).argmax(axis=1)
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    np.add.at(confusion, (split.labels.astype(np.int64), predicted), 1)
    per_class_totals = confusion.sum(axis=1)
    per_class = np.divide(confusion.diagonal(), per_class_totals, out=np.zeros(NUM_CLASSES), where=per_class_totals > 0)
    return Evaluation(
        accuracy=float(confusion.trace() / confusion.sum()),
        per_class_accuracy=[round(float(value), 6) for value in per_class],
        confusion_matrix=confusion.tolist(),
        examples=len(split),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model", type=Path, help="a saved .keras model")
    parser.add_argument("--data", help="MNIST directory of IDX files or mnist.npz (default: $MNIST_DIR, else download)")
    parser.add_argument("--json", action="store_true", help="print the full evaluation as JSON")
    args = parser.parse_args(argv)
    try:
        mnist = load_mnist(args.data)
    except MnistFormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.model.is_file():
        print(f"error: {args.model}: no such model file", file=sys.stderr)
        return 2
    model = keras.models.load_model(args.model)
    result = evaluate(model, mnist.test)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        errors = result.examples - round(result.accuracy * result.examples)
        print(f"{args.model}: test accuracy {result.accuracy:.4%} ({errors} errors in {result.examples})")
        for digit, accuracy in enumerate(result.per_class_accuracy):
            print(f"  digit {digit}: {accuracy:.4%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
