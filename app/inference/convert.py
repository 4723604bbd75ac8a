"""A model version converted to TF Lite in a process of its own, so that serving does not stall.

Converting holds the GIL for hundreds of milliseconds at a stretch (TF Lite's converter is one long
C++ call), and loading a Keras model leaves thousands of cyclic objects whose collection pauses the
process as long: measured on the event loop, one in-process load stalled it for 0.56 s, and 1.7 s in
all. A version loaded while serving (``app.inference.repository``) is therefore converted by
``python -m app.inference.convert MODEL_FILE OUT --max-batch-size N``, at a low CPU priority;
the service only reads the flatbuffer, builds its interpreters, and checks them against the Keras
model's outputs on the probe batch, which the same process computed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from app.errors import ModelLoadError

CONVERSION_TIMEOUT_S = 600
NICENESS = 5
"""The converting process's CPU priority: below serving, not so far that a saturated machine starves
it (on 2 busy cores, 19 took a swap 100 s and 10 took 125 s; see ``bench.model_swap``)."""
FAILED = 3  # exit status of a model that cannot be converted; its reason is the last line of stderr


def convert(model_path: Path, max_batch_size: int) -> tuple[bytes, np.ndarray]:
    """In this process: the served graph (model and judge beside it) as TF Lite, and Keras' outputs on
    the probe batch (``app.inference.runtimes.probe_batch``)."""
    from app.inference.judge import load_judge, with_judge
    from app.inference.runtimes import load_keras_model, probe_batch, tflite_flatbuffer

    keras_model = load_keras_model(model_path)
    judge = load_judge(model_path)
    served = keras_model if judge is None else with_judge(keras_model, judge)
    expected = np.asarray(served(probe_batch(max_batch_size), training=False))
    return tflite_flatbuffer(served), expected


def convert_elsewhere(model_path: Path, max_batch_size: int, work: Path) -> tuple[bytes, np.ndarray]:
    """:func:`convert` in a child process at a low priority; raises :class:`ModelLoadError` with its reason."""
    out = work / "converted.npz"
    nice = ["nice", "-n", str(NICENESS)] if shutil.which("nice") else []
    command = [*nice, sys.executable, "-m", "app.inference.convert", str(model_path.resolve()), str(out)]
    command += ["--max-batch-size", str(max_batch_size)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    env |= {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": "1"}  # one core at most
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=CONVERSION_TIMEOUT_S, env=env)
    except subprocess.TimeoutExpired as exc:
        raise ModelLoadError(f"{model_path}: conversion took over {CONVERSION_TIMEOUT_S} s") from exc
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit status {done.returncode}"
        raise ModelLoadError(reason if done.returncode == FAILED else f"{model_path}: conversion failed: {reason}")
    with np.load(out) as converted:
        return converted["flatbuffer"].tobytes(), converted["expected"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--max-batch-size", type=int, default=64)
    args = parser.parse_args(argv)
    try:
        flatbuffer, expected = convert(args.model, args.max_batch_size)
    except ModelLoadError as exc:
        print(exc, file=sys.stderr)
        return FAILED
    np.savez(args.out, flatbuffer=np.frombuffer(flatbuffer, np.uint8), expected=expected)
    return 0


if __name__ == "__main__":
    sys.exit(main())
