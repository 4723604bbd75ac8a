"""Realistic uploads made from MNIST test digits, and how well the service reads them.

Each kind imitates something users send: a scan of dark ink on paper, a phone photo (JPEG, uneven
light, blur, a tilt, the digit anywhere in a large frame), an HTML-canvas export (RGBA, transparent
background), a small off-centre digit in a big image, a rotated digit, and MNIST's own format.

    python -m bench.realistic_uploads --data ../shared/datasets/mnist --per-kind 200

prints accuracy per kind for the service's preprocessing and for the naive "resize the whole
image to 28x28" approach, through the same model.
"""

from __future__ import annotations

import argparse
import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageFilter

from app.inference.model import Model
from app.inference.runtimes import model_input
from app.preprocessing.pool import image_to_digit

UploadMaker = Callable[[np.ndarray, np.random.Generator], bytes]


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _ink_on_paper(digit: np.ndarray, side: int, rng: np.random.Generator, angle: float = 0.0) -> np.ndarray:
    """The digit enlarged to ``side`` pixels as dark ink on light paper, float 0-255."""
    ink = Image.fromarray(digit).resize((side, side), Image.Resampling.BICUBIC)
    if angle:
        ink = ink.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=0)
    coverage = np.asarray(ink, dtype=np.float32) / 255.0
    paper = rng.uniform(215, 250)
    ink_tone = rng.uniform(10, 70)
    return paper - coverage * (paper - ink_tone)


def make_scan(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    """A flatbed scan: dark ink on white paper, mild noise, PNG."""
    side = int(rng.integers(120, 320))
    page = _ink_on_paper(digit, side, rng) + rng.normal(0, 4, (side, side))
    return _encode(Image.fromarray(np.clip(page, 0, 255).astype(np.uint8)), "PNG")


def make_photo(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    """A phone photo: RGB JPEG, uneven light, blur, a small tilt, digit placed anywhere in the frame."""
    height = int(rng.integers(360, 800))
    width = int(rng.integers(height, 2 * height))
    side = int(rng.integers(int(0.3 * height), int(0.8 * height)))
    frame = np.full((height, width), rng.uniform(200, 245), dtype=np.float32)
    top, left = int(rng.integers(0, height - side)), int(rng.integers(0, width - side))
    patch = _ink_on_paper(digit, side, rng, angle=float(rng.uniform(-8, 8)))
    frame[top : top + side, left : left + side] = np.minimum(frame[top : top + side, left : left + side], patch)
    rows, cols = np.mgrid[0:height, 0:width]
    direction = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(direction) * cols / width + np.sin(direction) * rows / height + 1) / 2
    frame *= 1.0 - rng.uniform(0.2, 0.45) * ramp  # light falls off across the page
    frame += rng.normal(0, 5, frame.shape)
    tint = rng.uniform(0.9, 1.0, 3)
    rgb = np.clip(frame[..., None] * tint, 0, 255).astype(np.uint8)
    image = Image.fromarray(rgb).filter(ImageFilter.GaussianBlur(float(rng.uniform(0.5, 2.0))))
    return _encode(image, "JPEG", quality=int(rng.integers(60, 90)))


def make_canvas(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    """An HTML canvas export: black strokes on a transparent background (hidden colour black), RGBA PNG."""
    side = 280
    alpha = np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BICUBIC))
    rgba = np.zeros((side, side, 4), dtype=np.uint8)
    rgba[..., 3] = alpha
    return _encode(Image.fromarray(rgba, mode="RGBA"), "PNG")


def make_small_offcentre(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    """A small digit in a corner of a large light image, PNG."""
    width, height = int(rng.integers(300, 600)), int(rng.integers(300, 600))
    side = int(rng.integers(36, 70))
    page = np.full((height, width), 240.0, dtype=np.float32)
    top, left = int(rng.integers(0, height - side)), int(rng.integers(0, width - side))
    page[top : top + side, left : left + side] = _ink_on_paper(digit, side, rng)
    page += rng.normal(0, 3, page.shape)
    return _encode(Image.fromarray(np.clip(page, 0, 255).astype(np.uint8)), "PNG")


def make_rotated(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    """Slightly rotated dark ink on paper, JPEG."""
    side = int(rng.integers(100, 260))
    page = _ink_on_paper(digit, side, rng, angle=float(rng.choice([-1, 1]) * rng.uniform(5, 15)))
    page = np.where(page == 0, 240, page)
    return _encode(Image.fromarray(np.clip(page, 0, 255).astype(np.uint8)), "JPEG", quality=85)


def make_mnist_png(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    """MNIST's own format, white on black 28x28, as a PNG."""
    return _encode(Image.fromarray(digit), "PNG")


UPLOAD_KINDS: dict[str, UploadMaker] = {
    "scan": make_scan,
    "photo": make_photo,
    "canvas": make_canvas,
    "small_offcentre": make_small_offcentre,
    "rotated": make_rotated,
    "mnist_png": make_mnist_png,
}


def naive_preprocess(data: bytes) -> np.ndarray:
    """What a tutorial does: grayscale, resize the whole image to 28x28, scale to 0-1."""
    image = Image.open(io.BytesIO(data)).convert("L").resize((28, 28))
    return np.asarray(image, dtype=np.float32) / 255.0


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
    args = parser.parse_args(argv)

    settings = Settings()
    model = Model.load(settings)
    test = load_mnist(args.data).test
    rng = np.random.default_rng(args.seed)
    print(f"{'kind':<16}{'ours':>8}{'naive':>8}  (n={args.per_kind} per kind, model {model.version})")
    totals = np.zeros(2)
    for kind, make in UPLOAD_KINDS.items():
        picks = rng.choice(len(test), size=args.per_kind, replace=False)
        uploads = [make(test.images[i], rng) for i in picks]
        ours = np.stack([image_to_digit(u, settings.max_image_pixels) for u in uploads])
        naive = np.stack([naive_preprocess(u) for u in uploads])
        labels = test.labels[picks]
        accuracy = [
            float((predict_all(model, x, settings.max_batch_size).argmax(1) == labels).mean()) for x in (ours, naive)
        ]
        totals += accuracy
        print(f"{kind:<16}{accuracy[0]:>8.1%}{accuracy[1]:>8.1%}")
    overall = totals / len(UPLOAD_KINDS)
    print(f"{'overall':<16}{overall[0]:>8.1%}{overall[1]:>8.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
