"""Write a gallery of every synthetic kind, with one contact sheet per module, for a person to look at.

    python -m training.synthesis --data ../shared/datasets/mnist --out /tmp/gallery

Digits come from MNIST's test split. Each sample is written as the exact bytes a test would send
(``<module>/<kind>_<n>.png|jpg``); ``<module>.png`` shows them all in a grid, one row per kind,
transparent images over a checkerboard and number boxes outlined in red.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from training.sources import load_mnist
from training.synthesis import marks, numbers, paper, uploads
from training.synthesis.render import encode

TILE = 180
Sample = tuple[bytes, list[tuple[int, int, int, int]]]


def decode(data: bytes) -> npt.NDArray[np.uint8]:
    """Any sample as RGB; transparency shown over a grey checkerboard."""
    image = np.asarray(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED), dtype=np.uint8)
    if image.ndim == 2:
        return np.repeat(image[..., None], 3, axis=2)
    if image.shape[2] == 3:
        return np.ascontiguousarray(image[..., ::-1])
    rgb, alpha = image[..., 2::-1].astype(np.float32), image[..., 3:].astype(np.float32) / 255
    ys, xs = np.indices(image.shape[:2])
    board = np.where(((ys // 8 + xs // 8) % 2 == 0)[..., None], 200.0, 150.0)
    return np.clip(rgb * alpha + board * (1 - alpha), 0, 255).astype(np.uint8)


def tile(data: bytes, boxes: list[tuple[int, int, int, int]]) -> npt.NDArray[np.uint8]:
    """The sample fitted into a TILE x TILE cell, its size written underneath."""
    image = decode(data).copy()
    for x, y, w, h in boxes:
        cv2.rectangle(image, (x, y), (x + w - 1, y + h - 1), (255, 0, 0), max(1, max(image.shape) // 200))
    h, w = image.shape[:2]
    scale = (TILE - 14) / max(h, w)
    small = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    cell = np.full((TILE, TILE, 3), 255, dtype=np.uint8)
    cell[: small.shape[0], : small.shape[1]] = small
    cv2.putText(cell, f"{w}x{h}", (2, TILE - 3), cv2.FONT_HERSHEY_PLAIN, 0.8, (0, 0, 160), 1)
    return cell


def sheet(rows: dict[str, list[Sample]]) -> npt.NDArray[np.uint8]:
    """One row per kind: its name, then its samples."""
    label_w = 130
    columns = max(len(samples) for samples in rows.values())
    out = np.full((TILE * len(rows), label_w + TILE * columns, 3), 255, dtype=np.uint8)
    for i, (kind, samples) in enumerate(rows.items()):
        cv2.putText(out, kind, (4, i * TILE + TILE // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1)
        for j, (data, boxes) in enumerate(samples):
            out[i * TILE : (i + 1) * TILE, label_w + j * TILE : label_w + (j + 1) * TILE] = tile(data, boxes)
    return out


def write(out: Path, module: str, rows: dict[str, list[Sample]]) -> None:
    folder = out / module
    folder.mkdir(parents=True, exist_ok=True)
    for old in [*folder.glob("*_*.png"), *folder.glob("*_*.jpg")]:  # samples of an earlier run
        old.unlink()
    for kind, samples in rows.items():
        for n, (data, _) in enumerate(samples):
            suffix = "jpg" if data[:2] == b"\xff\xd8" else "png"
            (folder / f"{kind}_{n}.{suffix}").write_bytes(data)
    (out / f"{module}.png").write_bytes(encode(sheet(rows)))
    print(f"{out / module}.png: {len(rows)} kinds")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="MNIST directory (default: $MNIST_DIR)")
    parser.add_argument("--out", type=Path, default=Path("gallery"))
    parser.add_argument("--per-kind", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)
    test = load_mnist(args.data).test
    rng = np.random.default_rng(args.seed)
    n = args.per_kind

    def digit() -> npt.NDArray[np.uint8]:
        return np.asarray(test.images[int(rng.integers(len(test)))], dtype=np.uint8)

    def digit_rows(
        kinds: dict[str, Callable[[npt.NDArray[np.uint8], np.random.Generator], bytes]],
    ) -> dict[str, list[Sample]]:
        return {kind: [(make(digit(), rng), []) for _ in range(n)] for kind, make in kinds.items()}

    write(args.out, "paper", digit_rows(paper.PAPER_KINDS))
    write(args.out, "uploads", digit_rows(uploads.UPLOAD_KINDS))
    mark_rows: dict[str, list[Sample]] = {
        kind: [(make(rng), []) for _ in range(n)] for kind, make in marks.NON_DIGIT_KINDS.items()
    }
    mark_rows["several_digits"] = [
        (marks.several_digits([digit() for _ in range(int(rng.integers(2, 5)))], rng), []) for _ in range(n)
    ]
    write(args.out, "marks", mark_rows)
    number_rows: dict[str, list[Sample]] = {}
    for style in numbers.NUMBER_STYLES:
        number_rows[style] = []
        for _ in range(n):
            count = 5 if style == "photo_code" else int(rng.integers(2, 9))
            digits, labels = numbers.pick_digits(test.images, test.labels, count, rng)
            data, _text, boxes = numbers.make_number(digits, labels, style, rng)
            number_rows[style].append((data, boxes))
    write(args.out, "numbers", number_rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
