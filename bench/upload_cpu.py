"""The preprocessing's cost per upload against Pillow's decode of the same bytes, no HTTP.

    python -m bench.upload_cpu [--seconds 2] [--profile]

Issue 16's goal is at most 2x Pillow's plain decode for each of the four uploads of
``bench.upload_images``. Here, in one process and one thread, each image's calls are interleaved
(Pillow, our reading, Pillow, ...) so that the machine's drift, large on a shared 2-core VM, falls on
both alike; the medians of wall time and of the thread's CPU time are compared. Our reading is
``app.preprocessing.pipeline.read_image`` (one digit, what ``/predict`` runs), and for the number
image also ``app.preprocessing.number.segment_image`` (``/predict/number``) where it exists.
``--profile`` prints, per image, the thread CPU spent inside each function of ``app.preprocessing``
(inclusive of what it calls, so nested rows overlap): exact where a sampling or tracing profiler
would blur or inflate sub-millisecond steps.
Writes ``bench/results/upload_cpu.json``.
"""

from __future__ import annotations

import argparse
import collections
import functools
import importlib.util
import inspect
import json
import pkgutil
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from app.config import Settings
from app.preprocessing.pipeline import read_image
from bench.upload_images import UploadImage, make_upload_images, pillow_decode

RESULTS = Path(__file__).resolve().parent / "results"
TARGET = 2.0  # at most this many times Pillow's decode (issue 16)


@dataclass
class CpuRow:
    image: str
    reader: str
    bytes: int
    pillow_ms: float  # medians; wall time on one thread
    ours_ms: float
    ratio: float
    pillow_cpu_ms: float  # medians of the thread's CPU time, which other processes' load does not inflate
    ours_cpu_ms: float
    cpu_ratio: float
    calls: int


def _timed(function: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.thread_time()
    function()
    return time.perf_counter() - wall, time.thread_time() - cpu


def compare(image: UploadImage, name: str, reader: Callable[[bytes], object], seconds: float) -> CpuRow:
    """Pillow's decode and ``reader`` on ``image``, alternated for about ``seconds``, as medians."""
    data = image.data
    pillow_decode(data)
    reader(data)  # warm-up: imports, OpenCV's first calls
    samples: list[tuple[float, float, float, float]] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(samples) < 5:
        samples.append((*_timed(lambda: pillow_decode(data)), *_timed(lambda: reader(data))))
    pillow, pillow_cpu, ours, ours_cpu = (statistics.median(column) * 1000 for column in zip(*samples, strict=True))
    return CpuRow(
        image.description,
        name,
        len(data),
        pillow,
        ours,
        ours / pillow,
        pillow_cpu,
        ours_cpu,
        ours_cpu / pillow_cpu,
        len(samples),
    )


def readers(image: UploadImage, max_pixels: int) -> dict[str, Callable[[bytes], object]]:
    """What the service runs on this image: ``read_image``, and the number's segmentation for a number."""
    chosen: dict[str, Callable[[bytes], object]] = {"read_image": lambda data: read_image(data, max_pixels)}
    if image.name == "number" and importlib.util.find_spec("app.preprocessing.number") is not None:
        from app.preprocessing import number

        segment: Callable[[bytes, int], object] = number.segment_image
        chosen["number.segment_image"] = lambda data: segment(data, max_pixels)
    return chosen


@contextmanager
def timed_functions(spent: dict[str, list[float]]) -> Iterator[None]:
    """Every module-level function of ``app.preprocessing`` wrapped to add its thread CPU to ``spent``.

    Each module's name for a function (its own and its importers') is replaced, then restored.
    """
    import app.preprocessing as package

    modules = [
        importlib.import_module(f"{package.__name__}.{info.name}") for info in pkgutil.iter_modules(package.__path__)
    ]
    originals = {
        id(value): value
        for module in modules
        for value in vars(module).values()
        if inspect.isfunction(value) and value.__module__.startswith(package.__name__)
    }

    def wrap(function: Callable[..., object]) -> Callable[..., object]:
        label = f"{function.__module__.rsplit('.', 1)[-1]}.{function.__name__}"

        @functools.wraps(function)
        def timed(*args: object, **kwargs: object) -> object:
            started = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label].append(time.thread_time() - started)

        return timed

    wrapped = {key: wrap(function) for key, function in originals.items()}
    replaced = [
        (module, name, value) for module in modules for name, value in vars(module).items() if id(value) in wrapped
    ]
    for module, name, value in replaced:
        setattr(module, name, wrapped[id(value)])
    try:
        yield
    finally:
        for module, name, value in replaced:
            setattr(module, name, value)


def profile(reader: Callable[[bytes], object], data: bytes, calls: int) -> None:
    """Print the thread CPU per call of each preprocessing function ``reader`` runs on ``data``."""
    spent: dict[str, list[float]] = collections.defaultdict(list)
    with timed_functions(spent):
        started = time.thread_time()
        for _ in range(calls):
            reader(data)
        total = (time.thread_time() - started) / calls
    print(f"  {'all (with the timing overhead)':<36}{total * 1000:8.3f} ms")
    for label, times in sorted(spent.items(), key=lambda item: -sum(item[1])):
        print(f"  {label:<36}{sum(times) / calls * 1000:8.3f} ms  {len(times) / calls:5.1f} calls")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    from training.sources import load_mnist

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="MNIST directory (default: $MNIST_DIR)")
    parser.add_argument("--seconds", type=float, default=2.0, help="alternated calls per image and reader")
    parser.add_argument("--profile", action="store_true", help="print the CPU of each preprocessing function")
    args = parser.parse_args(argv)
    test = load_mnist(args.data).test
    max_pixels = Settings().max_image_pixels
    rows = []
    for image in make_upload_images(test.images, test.labels):
        for name, reader in readers(image, max_pixels).items():
            row = compare(image, name, reader, args.seconds)
            rows.append(row)
            if args.profile:
                print(f"\n--- {image.description}: {name}, thread CPU per image, inclusive")
                profile(reader, image.data, max(20, row.calls // 2))
    print("\n| image | reader | bytes | Pillow ms | ours ms | x Pillow | Pillow CPU ms | ours CPU ms | CPU x Pillow |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        verdict = "" if row.cpu_ratio <= TARGET else " (over 2x)"
        print(
            f"| {row.image} | {row.reader} | {row.bytes:,} | {row.pillow_ms:.2f} | {row.ours_ms:.2f} | "
            f"{row.ratio:.1f} | {row.pillow_cpu_ms:.2f} | {row.ours_cpu_ms:.2f} | {row.cpu_ratio:.1f}{verdict} |"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "upload_cpu.json").write_text(json.dumps([asdict(row) for row in rows], indent=2))
    print(f"wrote {RESULTS / 'upload_cpu.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
