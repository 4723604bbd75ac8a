"""Realistic uploads made from MNIST test digits, and how well the service's pipeline reads them.

Every kind of ``training.synthesis.DIGIT_KINDS``: scans, phone photos, canvas exports, small,
rotated and MNIST-format digits, and real paper (form boxes, shadowed photos, squared and ruled
paper, tight crops, 8x8 scans, chalkboards, ballpoint, pencil, coloured paper).

    python -m bench.realistic_uploads --data ../shared/datasets/mnist --per-kind 200

prints accuracy per kind for the service's preprocessing and for the naive "resize the whole
image to 28x28" approach, through the same model, and the preprocessing's CPU time per image.
"""

from __future__ import annotations

import argparse
import io
import time

import numpy as np
from PIL import Image

from app.errors import NoDigitFoundError
from app.inference.model import Model
from app.inference.runtimes import model_input
from app.postprocessing.choose import choose
from app.preprocessing.candidates import Candidates
from app.preprocessing.pipeline import DigitReading, read_image
from mnist_format import FIELD_SIDE
from training.synthesis import DIGIT_KINDS


def naive_preprocess(data: bytes) -> np.ndarray:
    """What a tutorial does: grayscale, resize the whole image to 28x28, scale to 0-1."""
    image = Image.open(io.BytesIO(data)).convert("L").resize((28, 28))
    return np.asarray(image, dtype=np.float32) / 255.0


def read_or_blank(data: bytes, max_pixels: int) -> DigitReading:
    """The pipeline's reading, or a blank input (a wrong answer) where it finds no digit."""
    try:
        return read_image(data, max_pixels)
    except NoDigitFoundError:
        return DigitReading(np.zeros((1, FIELD_SIDE, FIELD_SIDE), np.float32), (0,))


def predict_all(model: Model, digits: np.ndarray, size: int) -> np.ndarray:
    """Probabilities for any number of digits, in batches of ``size``, which the runtime was built for."""
    return np.concatenate(
        [model.runtime.predict(model_input(digits[i : i + size])) for i in range(0, len(digits), size)]
    )


def main(argv: list[str] | None = None) -> int:
    from app.config import Settings
    from training.sources import load_mnist

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="MNIST directory (default: $MNIST_DIR)")
    parser.add_argument("--per-kind", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", help="comma-separated kinds (default: all)")
    args = parser.parse_args(argv)

    settings = Settings()
    model = Model.load(settings)
    test = load_mnist(args.data).test
    rng = np.random.default_rng(args.seed)
    kinds = args.kinds.split(",") if args.kinds else list(DIGIT_KINDS)
    print(f"{'kind':<16}{'ours':>8}{'naive':>8}{'ms':>7}  (n={args.per_kind} per kind, model {model.version})")
    totals = np.zeros(2)
    for kind in kinds:
        picks = rng.choice(len(test), size=args.per_kind, replace=False)
        uploads = [DIGIT_KINDS[kind](test.images[i], rng) for i in picks]
        started = time.process_time()
        candidates = Candidates.of_readings([read_or_blank(u, settings.max_image_pixels) for u in uploads])
        seconds = time.process_time() - started
        ours = choose(candidates, predict_all(model, candidates.inputs, settings.max_batch_size)).probabilities
        naive = predict_all(model, np.stack([naive_preprocess(u) for u in uploads]), settings.max_batch_size)
        labels = test.labels[picks]
        accuracy = [float((p.argmax(1) == labels).mean()) for p in (ours, naive)]
        totals += accuracy
        print(f"{kind:<16}{accuracy[0]:>8.1%}{accuracy[1]:>8.1%}{seconds / len(uploads) * 1000:>7.2f}", flush=True)
    overall = totals / len(kinds)
    print(f"{'overall':<16}{overall[0]:>8.1%}{overall[1]:>8.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
