"""Upload rows of ``make bench``: the four images of ``bench.upload_images`` posted to the service.

``bench.throughput`` drives them in the same interleaved rounds as the JSON requests, so that each
upload's requests/s is compared with the service's JSON requests/s of the same round and
concurrency (the machine's speed drifts by tens of percent within minutes). This module writes
their multipart bodies, finds where a number goes, and turns the runs into the uploads table (with
Pillow's decode of the same bytes beside each row: the floor) and plot.
"""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.plots import rate_figure, save_rate_figure
from bench.runs import Run
from bench.tables import print_markdown_table
from bench.upload_images import UploadImage

NUMBER_PATH = "/predict/number"


@dataclass(frozen=True)
class Body:
    """A request body on disk for wrk, its Content-Type, and the path it is posted to."""

    file: Path
    content_type: str
    request_path: str = "/predict"


@dataclass(frozen=True)
class UploadRow:
    """One upload at one concurrency: medians over rounds, and the floors it is compared with."""

    payload: str
    description: str
    request_path: str
    concurrency: int
    requests_per_second: float
    json_requests_per_second: float  # the service's JSON, same rounds
    json_ratio: float  # median over rounds of upload req/s over JSON req/s
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_ms_per_upload: float
    pillow_decode_ms: float
    cpu_over_decode: float


def multipart(data: bytes, filename: str, content_type: str) -> tuple[bytes, str]:
    """``data`` as the body of a form with one ``file`` field, as a browser's FormData sends it."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    )
    return head.encode() + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def number_path(service_url: str) -> str:
    """``/predict/number`` where the running service has it, else ``/predict`` (the image read as one digit)."""
    paths = httpx.get(service_url + "/openapi.json", timeout=10).json().get("paths", {})
    return NUMBER_PATH if NUMBER_PATH in paths else "/predict"


def write_upload_bodies(images: list[UploadImage], directory: Path, number_to: str) -> dict[str, Body]:
    """A multipart body per image under ``directory``; the number's is posted to ``number_to``."""
    bodies = {}
    for image in images:
        content, content_type = multipart(image.data, image.filename, image.content_type)
        path = directory / f"upload-{image.name}.multipart"
        path.write_bytes(content)
        bodies[image.name] = Body(path, content_type, number_to if image.name == "number" else "/predict")
    return bodies


def upload_rows(
    runs: Sequence[Run], images: list[UploadImage], decode_seconds: dict[str, float], paths: dict[str, str]
) -> list[UploadRow]:
    """The uploads table: each upload's runs on the service against the service's JSON runs of the same round."""
    json_runs = {(run.concurrency, run.round): run for run in runs if run.server == "service" and run.payload == "json"}
    rows = []
    for image in images:
        for concurrency in dict.fromkeys(run.concurrency for run in runs):
            selected = [
                run
                for run in runs
                if (run.server, run.payload, run.concurrency) == ("service", image.name, concurrency)
            ]
            paired = [
                (run, json_runs[concurrency, run.round]) for run in selected if (concurrency, run.round) in json_runs
            ]
            if not paired:
                continue
            cpu_ms = statistics.median(run.cpu_us_per_request for run in selected) / 1000
            decode_ms = decode_seconds[image.name] * 1000
            rows.append(
                UploadRow(
                    payload=image.name,
                    description=image.description,
                    request_path=paths[image.name],
                    concurrency=concurrency,
                    requests_per_second=statistics.median(run.requests_per_second for run in selected),
                    json_requests_per_second=statistics.median(top.requests_per_second for _, top in paired),
                    json_ratio=statistics.median(
                        run.requests_per_second / top.requests_per_second for run, top in paired
                    ),
                    p50_ms=statistics.median(run.p50_ms for run in selected),
                    p99_ms=statistics.median(run.p99_ms for run in selected),
                    errors=sum(run.errors for run in selected),
                    cpu_ms_per_upload=cpu_ms,
                    pillow_decode_ms=decode_ms,
                    cpu_over_decode=cpu_ms / decode_ms,
                )
            )
    return rows


def print_upload_table(rows: list[UploadRow]) -> None:
    print_markdown_table(
        "upload | posted to | clients | req/s | JSON req/s | x JSON | p50 ms | p99 ms | errors | CPU ms/upload "
        "| Pillow decode CPU ms | CPU x decode",
        [
            (
                row.description,
                row.request_path,
                row.concurrency,
                f"{row.requests_per_second:,.0f}",
                f"{row.json_requests_per_second:,.0f}",
                f"{row.json_ratio:.2f}",
                f"{row.p50_ms:.2f}",
                f"{row.p99_ms:.2f}",
                row.errors,
                f"{row.cpu_ms_per_upload:.2f}",
                f"{row.pillow_decode_ms:.2f}",
                f"{row.cpu_over_decode:.1f}",
            )
            for row in rows
        ],
    )


def plot_uploads(rows: list[UploadRow], path: Path) -> None:
    """Requests/s of each upload against clients, with the service's JSON requests/s of the same rounds."""
    figure, axis = rate_figure()
    names = list(dict.fromkeys(row.payload for row in rows))
    json_rows = [row for row in rows if row.payload == names[0]] if names else []
    axis.plot(
        [row.concurrency for row in json_rows],
        [row.json_requests_per_second for row in json_rows],
        "k--",
        marker="o",
        label="service, JSON (same rounds)",
    )
    for name in names:
        selected = [row for row in rows if row.payload == name]
        axis.plot(
            [row.concurrency for row in selected],
            [row.requests_per_second for row in selected],
            marker="o",
            label=f"{selected[0].description} -> {selected[0].request_path}",
        )
    save_rate_figure(figure, axis, path, title="image uploads against JSON, one service", legend_size=7)
