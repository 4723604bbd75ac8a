"""The model's own cost: parameters, FLOPs, and time per image at batch 1 and 64 on each runtime.

    python -m bench.model_speed [--model models/mnist.keras]

Compares Keras' ``model.predict()`` (what tutorials call per request), the traced ``tf.function``
and TF Lite, on this machine, in one run.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from app.inference.runtimes import TensorFlowRuntime, TFLiteRuntime, load_keras_model, pin_threads
from mnist_format import METADATA_FILE
from mnist_format.metadata import ModelMetadata

ROOT = Path(__file__).resolve().parent.parent


def seconds_per_call(predict: Callable[[np.ndarray], object], batch: np.ndarray, budget: float = 2.0) -> float:
    for _ in range(5):
        predict(batch)
    calls, started = 0, time.perf_counter()
    while time.perf_counter() - started < budget:
        predict(batch)
        calls += 1
    return (time.perf_counter() - started) / calls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "mnist.keras")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    pin_threads(args.threads)
    model = load_keras_model(args.model)
    metadata = ModelMetadata.read(args.model.with_name(METADATA_FILE))
    runtimes: dict[str, Callable[[np.ndarray], object]] = {
        "keras model.predict": lambda batch: model.predict(batch, verbose=0),
        "tf.function": TensorFlowRuntime(model, "/CPU:0").predict,
        "tflite": TFLiteRuntime(model, 64, args.threads).predict,
    }
    print(
        f"{metadata.architecture} version {metadata.version}: {model.count_params():,} parameters, "
        f"{(metadata.flops_per_image or 0) / 1e6:.1f} MFLOP per image, {args.threads} thread(s)"
    )
    print(f"{'runtime':<22}{'batch 1 ms/image':>18}{'batch 64 ms/image':>19}{'batch 64 images/s':>19}")
    rng = np.random.default_rng(0)
    for name, predict in runtimes.items():
        one = seconds_per_call(predict, rng.random((1, 28, 28, 1), dtype=np.float32))
        many = seconds_per_call(predict, rng.random((64, 28, 28, 1), dtype=np.float32)) / 64
        print(f"{name:<22}{one * 1000:>18.3f}{many * 1000:>19.4f}{1 / many:>19,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
