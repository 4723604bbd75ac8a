"""The ``digits`` command line: predict digits in image files, read numbers, check the service.

    digits predict photo.jpg [more.png ...]
    digits predict --dir scans/ --out results.csv
    digits number form.png
    digits health
    digits model

``--url`` and ``--api-key`` default to ``$DIGITS_URL`` and ``$DIGITS_API_KEY``. Output is for people
unless ``--json``. Exit status: 0 on success, 1 when the service refused a request (or any image of
a batch) or could not be reached, 2 for bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import dataclasses
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from digit_client._core import DEFAULT_TIMEOUT, DEFAULT_URL, __version__
from digit_client.client import AsyncDigitClient, DigitClient
from digit_client.errors import DigitClientError, DigitServiceError
from digit_client.models import Prediction

URL_ENV = "DIGITS_URL"
API_KEY_ENV = "DIGITS_API_KEY"
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"})
CSV_COLUMNS = ("file", "digit", "confidence", "is_digit", "reason", "model_version", "error_code", "error")
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class Progress:
    """A one-line progress bar on a terminal stream: count, bar, percentage, rate."""

    def __init__(self, total: int, stream: TextIO, enabled: bool, width: int = 30) -> None:
        self.total, self.stream, self.enabled, self.width = total, stream, enabled and total > 0, width
        self.done = 0
        self.failed = 0
        self.started = time.monotonic()
        self._drawn = 0.0

    def advance(self, failed: bool = False) -> None:
        self.done += 1
        self.failed += failed
        now = time.monotonic()
        if self.done == self.total or now - self._drawn >= 0.1:
            self._drawn = now
            self.draw()

    def draw(self) -> None:
        if not self.enabled:
            return
        share = self.done / self.total
        filled = int(share * self.width)
        rate = self.done / max(time.monotonic() - self.started, 1e-9)
        failed = f", {self.failed} failed" if self.failed else ""
        bar = "#" * filled + "." * (self.width - filled)
        line = f"\r[{bar}] {self.done}/{self.total} {share:4.0%} {rate:6.1f}/s{failed}"
        self.stream.write(line)
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            if self.done < self.total:
                self.draw()
            self.stream.write("\n")
            self.stream.flush()


@dataclass
class FileResult:
    file: str
    prediction: Prediction | None = None
    error: DigitClientError | OSError | None = None

    def as_json(self) -> dict[str, Any]:
        if self.prediction is None:
            return {"file": self.file, "error": error_json(self.error)}
        p = self.prediction
        return {
            "file": self.file,
            "digit": p.digit,
            "confidence": p.confidence,
            "probabilities": list(p.probabilities),
            "model_version": p.model_version,
            "is_digit": p.is_digit,
            "reason": p.reason,
            "message": p.message,
        }

    def as_row(self) -> dict[str, Any]:
        """The CSV row: the fields of :meth:`as_json` that have a column in ``CSV_COLUMNS``, as text."""
        record = self.as_json()
        if self.prediction is None:
            error = record["error"]
            return {"file": self.file, "error_code": error["code"], "error": error["message"]}
        record.update(
            confidence=f"{record['confidence']:.6f}",
            is_digit=str(record["is_digit"]).lower(),
            reason=record["reason"] or "",
        )
        return {column: record[column] for column in CSV_COLUMNS if column in record}

    def as_text(self) -> str:
        if self.prediction is None:
            return f"{self.file}: error: {self.error}"
        p = self.prediction
        if not p.is_digit:
            why = f"{p.reason or 'unknown'}: {p.message}" if p.message else p.reason or "unknown"
            return f"{self.file}: not a digit ({why}); best guess {p.digit} ({p.confidence:.1%})"
        return f"{self.file}: {p.digit} ({p.confidence:.1%})"


def error_json(error: BaseException | None) -> dict[str, Any]:
    if isinstance(error, DigitServiceError):
        return {"code": error.code, "message": error.message, "status": error.status, "request_id": error.request_id}
    return {"code": type(error).__name__, "message": str(error)}


def _options(parser: argparse.ArgumentParser, defaults: bool) -> None:
    """The options every command takes; on the subcommands they override the top level's only if given."""

    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument(
        "--url", default=default(os.environ.get(URL_ENV) or DEFAULT_URL), help=f"the service (${URL_ENV})"
    )
    parser.add_argument(
        "--api-key", default=default(os.environ.get(API_KEY_ENV)), help=f"API key, if required (${API_KEY_ENV})"
    )
    parser.add_argument("--timeout", type=float, default=default(DEFAULT_TIMEOUT), help="seconds per request")
    parser.add_argument("--retries", type=int, default=default(3), help="retries on 503 and connection failures")
    parser.add_argument("--json", action="store_true", default=default(False), help="JSON output, for scripts")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digits",
        description="Call the handwritten-digit service: predict digits, read numbers, check its health.",
        epilog="Exit status: 0 success, 1 a request failed (or any image of several), 2 bad usage.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _options(parser, defaults=True)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    predict = commands.add_parser("predict", help="the digit in each image file")
    _options(predict, defaults=False)
    predict.add_argument("images", nargs="*", type=Path, metavar="IMAGE", help="image files (- for standard input)")
    predict.add_argument("--dir", type=Path, action="append", default=[], help="every image in this folder")
    predict.add_argument("-r", "--recursive", action="store_true", help="with --dir: subfolders too")
    predict.add_argument("--out", type=Path, help="write the results to this CSV file")
    predict.add_argument("-c", "--concurrency", type=int, default=8, help="requests in flight at once (default 8)")
    predict.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal and there are several images)",
    )

    number = commands.add_parser("number", help="read a number of several digits in each image file")
    _options(number, defaults=False)
    number.add_argument("images", nargs="+", type=Path, metavar="IMAGE")

    health = commands.add_parser("health", help="is the service up and its model ready?")
    _options(health, defaults=False)
    model = commands.add_parser("model", help="the served model's metadata and the service's limits")
    _options(model, defaults=False)
    return parser


def find_images(folder: Path, recursive: bool) -> list[Path]:
    pattern = "**/*" if recursive else "*"
    return sorted(p for p in folder.glob(pattern) if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


async def predict_files(args: argparse.Namespace, files: Sequence[Path], progress: Progress) -> list[FileResult]:
    concurrency = max(1, args.concurrency)
    gate = asyncio.Semaphore(concurrency)
    async with AsyncDigitClient(
        args.url, args.api_key, args.timeout, retries=args.retries, max_connections=concurrency
    ) as client:

        async def one(path: Path) -> FileResult:
            async with gate:
                result = FileResult(str(path))
                try:
                    image = sys.stdin.buffer.read() if str(path) == "-" else path
                    result.prediction = await client.predict(image)
                except (DigitClientError, OSError) as error:
                    result.error = error
                progress.advance(failed=result.error is not None)
                return result

        try:
            return await asyncio.gather(*(one(path) for path in files))
        finally:
            progress.close()


def write_csv(path: Path, results: Sequence[FileResult]) -> None:
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(result.as_row() for result in results)


def run_predict(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    files: list[Path] = list(args.images)
    for folder in args.dir:
        if not folder.is_dir():
            parser.error(f"--dir {folder}: not a folder")
        found = find_images(folder, args.recursive)
        if not found:
            print(f"warning: no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {folder}", file=sys.stderr)
        files += found
    if not files:
        if args.dir:
            return EXIT_FAILED
        parser.error("give image files, or --dir FOLDER")
    show = args.progress if args.progress is not None else (sys.stderr.isatty() and len(files) > 1)
    progress = Progress(len(files), sys.stderr, show)
    results = asyncio.run(predict_files(args, files, progress))
    failed = [r for r in results if r.prediction is None]
    if args.out:
        write_csv(args.out, results)
    if args.json:
        print(json.dumps([r.as_json() for r in results], indent=2))
    elif args.out:
        print(f"{len(results)} images, {len(results) - len(failed)} predicted, {len(failed)} failed: {args.out}")
        for result in failed:
            print(result.as_text(), file=sys.stderr)
    else:
        for result in results:
            print(result.as_text(), file=sys.stderr if result.prediction is None else sys.stdout)
    return EXIT_FAILED if failed else EXIT_OK


def run_number(args: argparse.Namespace, client: DigitClient) -> int:
    outputs: list[dict[str, Any]] = []
    status = EXIT_OK
    for path in args.images:
        try:
            reading = client.read_number(path)
        except (DigitClientError, OSError) as error:
            status = EXIT_FAILED
            outputs.append({"file": str(path), "error": error_json(error)})
            if not args.json:
                print(f"{path}: error: {error}", file=sys.stderr)
            continue
        outputs.append(
            {
                "file": str(path),
                "text": reading.text,
                "confidence": reading.confidence,
                "digits": [{"digit": d.digit, "confidence": d.confidence, "box": list(d.box)} for d in reading.digits],
                "model_version": reading.model_version,
            }
        )
        if not args.json:
            print(f"{path}: {reading.text} ({reading.confidence:.1%})")
    if args.json:
        print(json.dumps(outputs, indent=2))
    return status


def run_health(args: argparse.Namespace, client: DigitClient) -> int:
    health = client.health()
    if args.json:
        print(json.dumps(dataclasses.asdict(health)))
    else:
        uptime = f", up {health.uptime_seconds:.0f} s" if health.uptime_seconds is not None else ""
        print(f"{health.status}: model {health.model_version} at {client.url}{uptime}")
    return EXIT_OK


def run_model(args: argparse.Namespace, client: DigitClient) -> int:
    info = client.model()
    fields = {
        "name": info.name,
        "version": info.version,
        "architecture": info.architecture,
        "parameters": info.parameters,
        "test_accuracy": info.test_accuracy,
        "trained_at": info.trained_at,
        "runtime": info.runtime,
        "device": info.device,
        "sha256": info.sha256,
        "input": info.input,
        "limits": info.limits,
    }
    if args.json:
        print(json.dumps(fields, indent=2))
    else:
        for key, value in fields.items():
            if value is not None and value != {}:
                print(f"{key + ':':15} {value}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "predict":
            return run_predict(args, parser)
        with DigitClient(args.url, args.api_key, args.timeout, retries=args.retries) as client:
            if args.command == "number":
                return run_number(args, client)
            if args.command == "health":
                return run_health(args, client)
            return run_model(args, client)
    except DigitClientError as error:
        if args.json:
            print(json.dumps({"error": error_json(error)}))
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
