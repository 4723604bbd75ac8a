"""Whole numbers read by ``/predict/number``'s pipeline, per style, against the contour tutorial.

Numbers of 1-10 digits (photographed codes: 5) are written from MNIST *test* digits in every style of
``training.synthesis.NUMBER_STYLES`` and read twice: by the service's segmentation and search
(``app.preprocessing.number``, ``app.postprocessing.number``) and by the usual tutorial (Otsu
threshold, external contours, boxes overlapping in x merged, each MNIST-normalised and classified
by the same model). Printed: exact-text rate per style, the expected calibration error of the
text's confidence, and the CPU time of a number against a single-digit reading of the same image.

    python -m bench.numbers --data ../shared/datasets/mnist --per-style 100
    python -m bench.numbers --per-style 60 --seed 1 --fit   # refit the confidence (never on seed 0)
"""

from __future__ import annotations

import io
import time

import cv2
import numpy as np
from PIL import Image

from app.errors import NoDigitFoundError
from app.inference.model import Model
from app.inference.runtimes import model_input
from app.postprocessing.number import read_number
from app.preprocessing.normalize import to_mnist
from app.preprocessing.number import segment_image
from app.preprocessing.pipeline import read_image
from bench.realistic_uploads import predict_all
from bench.sampling import chosen, sampling_inputs, sampling_parser
from mnist_format import NUM_CLASSES
from training.synthesis import NUMBER_STYLES, make_number, pick_digits

CONFIDENCE_BINS = 10


def number_length(style: str, rng: np.random.Generator) -> int:
    """Photographed codes have 5 digits; other numbers 1-10, mostly several."""
    return 5 if style == "photo_code" else int(rng.integers(1, 11))


def contour_tutorial(data: bytes, model: Model, batch: int) -> str:
    """The tutorial's reading: Otsu threshold, external contours, x-overlapping boxes merged, each
    MNIST-normalised (``to_mnist``) and classified left to right. Transparency is flattened onto
    white and light-on-dark images inverted (by the border's median), as careful tutorials do."""
    image: Image.Image = Image.open(io.BytesIO(data))
    if image.mode in ("RGBA", "LA", "P"):
        rgba = image.convert("RGBA")
        background = (0, 0, 0, 255) if _light_ink(rgba) else (255, 255, 255, 255)
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, background), rgba)
    gray = np.asarray(image.convert("L"))
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    flags = cv2.THRESH_BINARY_INV if np.median(border) > 127 else cv2.THRESH_BINARY
    _, binary = cv2.threshold(gray, 0, 255, flags + cv2.THRESH_OTSU)
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    rects = [cv2.boundingRect(c) for c in contours if cv2.contourArea(c) > 0.0005 * gray.size]
    merged: list[list[int]] = []
    for x, y, w, h in sorted(rects, key=lambda r: r[0]):
        if merged and x < merged[-1][0] + merged[-1][2]:
            last = merged[-1]
            right, bottom = max(last[0] + last[2], x + w), max(last[1] + last[3], y + h)
            last[1] = min(last[1], y)
            last[2], last[3] = right - last[0], bottom - last[1]
        else:
            merged.append([x, y, w, h])
    if not merged:
        return ""
    inputs = np.stack([to_mnist(binary[y : y + h, x : x + w] / 255.0) for x, y, w, h in merged[:batch]])
    probabilities = model.runtime.predict(model_input(inputs))[:, :NUM_CLASSES]
    return "".join(str(int(d)) for d in probabilities.argmax(axis=1))


def _light_ink(rgba: Image.Image) -> bool:
    """Whether a transparent image's drawn pixels are light (then it goes onto black)."""
    pixels = np.asarray(rgba)
    drawn = pixels[..., 3] >= 128
    return bool(drawn.any() and pixels[..., :3][drawn].mean() > 127)


def digit_scores(outputs: np.ndarray) -> np.ndarray:
    """The judge's P(digit) where the model has one (an eleventh output), else ones."""
    return outputs[:, NUM_CLASSES] if outputs.shape[1] > NUM_CLASSES else np.ones(len(outputs))


def ours(data: bytes, model: Model, max_pixels: int, batch: int) -> tuple[str, float, float]:
    """The service's reading, its confidence and the product of its digits' probabilities ("", 0, 0 for none)."""
    try:
        found = segment_image(data, max_pixels)
    except NoDigitFoundError:
        return "", 0.0, 0.0
    outputs = predict_all(model, found.inputs, batch)
    reading = read_number(found, outputs[:, :NUM_CLASSES], digit_scores(outputs))
    product = float(np.prod([digit.confidence for digit in reading.digits]))
    return reading.text, reading.confidence, product


def single_digit(data: bytes, model: Model, max_pixels: int) -> None:
    """What ``/predict`` does with the same image, for the CPU comparison."""
    try:
        reading = read_image(data, max_pixels)
    except NoDigitFoundError:
        return
    model.runtime.predict(model_input(reading.inputs))  # choosing among a few candidates is negligible


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray) -> float:
    """Mean |accuracy - confidence| over equal-width confidence bins, weighted by their counts."""
    bins = np.minimum((confidence * CONFIDENCE_BINS).astype(int), CONFIDENCE_BINS - 1)
    error = 0.0
    for b in range(CONFIDENCE_BINS):
        inside = bins == b
        if inside.any():
            error += inside.mean() * abs(float(correct[inside].mean()) - float(confidence[inside].mean()))
    return error


def fit_logistic(product: np.ndarray, correct: np.ndarray) -> tuple[float, float]:
    """``CONFIDENCE_SLOPE`` and ``CONFIDENCE_BIAS`` minimising the log loss of ``correct`` (a grid search)."""
    x = np.log(np.clip(product, 1e-9, 1.0))
    best = (np.inf, 0.0, 0.0)
    for slope in np.linspace(0.5, 20, 40):
        for bias in np.linspace(-3, 5, 41):
            p = np.clip(1 / (1 + np.exp(-(slope * x + bias))), 1e-9, 1 - 1e-9)
            loss = -float(np.mean(correct * np.log(p) + (1 - correct) * np.log(1 - p)))
            best = min(best, (loss, float(slope), float(bias)))
    return best[1], best[2]


def main(argv: list[str] | None = None) -> int:
    parser = sampling_parser(__doc__, "style", 100, "styles")
    parser.add_argument("--no-baseline", action="store_true", help="skip the contour tutorial")
    parser.add_argument("--fit", action="store_true", help="print the CONFIDENCE_POWER that fits these numbers")
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args(argv)

    settings, model, test, rng = sampling_inputs(args.data, args.seed)
    styles = chosen(args.styles, NUMBER_STYLES)
    print(
        f"{'style':<12}{'ours':>8}{'contour':>9}{'cpu x':>7}{'ms':>7}  (n={args.per_style} per style, seed {args.seed})"
    )
    confidences: list[float] = []
    products: list[float] = []
    corrects: list[bool] = []
    totals: list[float] = []
    baselines: list[float] = []
    for style in styles:
        right = baseline = 0
        number_cpu = single_cpu = 0.0
        for _ in range(args.per_style):
            digits, labels = pick_digits(test.images, test.labels, number_length(style, rng), rng)
            data, text, _ = make_number(digits, labels, style, rng)
            started = time.thread_time()
            got, confidence, product = ours(data, model, settings.max_image_pixels, settings.max_batch_size)
            number_cpu += time.thread_time() - started
            started = time.thread_time()
            single_digit(data, model, settings.max_image_pixels)
            single_cpu += time.thread_time() - started
            right += got == text
            confidences.append(confidence)
            products.append(product)
            corrects.append(got == text)
            if args.show_errors and got != text:
                print(f"  {style}: {text} read as {got} ({confidence:.2f})")
            if not args.no_baseline:
                baseline += contour_tutorial(data, model, settings.max_batch_size) == text
        ratio = number_cpu / max(single_cpu, 1e-9)
        totals.append(right / args.per_style)
        baselines.append(baseline / args.per_style)
        print(
            f"{style:<12}{right / args.per_style:>8.1%}{baseline / args.per_style:>9.1%}{ratio:>7.2f}"
            f"{number_cpu / args.per_style * 1000:>7.2f}",
            flush=True,
        )
    stated, correct = np.array(confidences), np.array(corrects, dtype=float)
    ece = expected_calibration_error(stated, correct)
    print(f"{'overall':<12}{np.mean(totals):>8.1%}{np.mean(baselines):>9.1%}")
    print(f"confidence: mean {stated.mean():.3f}, accuracy {correct.mean():.3f}, ECE {ece:.3f}")
    if args.fit:
        slope, bias = fit_logistic(np.array(products), correct)
        print(f"fitted CONFIDENCE_SLOPE = {slope:.2f}, CONFIDENCE_BIAS = {bias:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
