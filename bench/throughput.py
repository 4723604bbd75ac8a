"""Throughput and latency of the service against the HTTP stack's ceiling, in one run.

    make bench                     # or: python -m bench.throughput --rounds 3 --duration 5

Starts, side by side on free local ports, each with one uvicorn worker:

* ``service``: the project's service exactly as ``make run`` serves it (``python -m app``, default
  settings);
* ``ceiling``: the service's own JSON parsing and validation and its response path, a constant
  answer, no model (``bench/ceiling_app.py``);
* ``fastapi-pydantic``: the way FastAPI tutorials declare the body, a pydantic request model, with a
  constant answer and no model (``bench/pydantic_app.py``): the ceiling most FastAPI apps have;
* ``baseline`` (``--baseline``): the tutorial way, ``model.predict()`` per request.

wrk posts a real MNIST test digit as JSON (and, to the service, a multipart PNG) at each
concurrency, and to the service the four uploads of ``bench.upload_images`` (a canvas PNG, a 600x600
photo, a 12-megapixel phone photo and a number; ``--no-uploads`` leaves them out), whose table
``bench.uploads`` makes: each against the service's JSON requests/s of the same round and against
Pillow's decode of the same bytes. The machines here are noisy (their speed drifts by tens of
percent within minutes), so the servers are measured in interleaved rounds, each round driving every
server at every concurrency for ``--duration`` seconds (each left to finish its backlog before the
next is driven); a ratio to the ceiling is taken within a round, from runs seconds apart, and the
table gives the median over the rounds. Prints the tables (requests/s, p50/p99 latency, errors,
server CPU per request, peak RSS, ratios), writes ``bench/results/throughput.json``,
``throughput.png`` and ``uploads.png``, and reports the service's time from process start to ready
and the model's raw images/s (the compute limit).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from bench.model_speed import seconds_per_call
from bench.plots import rate_figure, save_rate_figure
from bench.runs import Run
from bench.tables import print_markdown_table
from bench.upload_images import make_upload_images, pillow_decode_seconds
from bench.uploads import Body, number_path, plot_uploads, print_upload_table, upload_rows, write_upload_bodies
from tests.support.server import ServerProcess, memory_mib

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
LUA_SCRIPT = ROOT / "bench" / "post_body.lua"
CONCURRENCIES = (1, 8, 64)
CEILING = "ceiling"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
IDLE_CHECK_S = 0.25  # how often, and at most how much CPU in that time, a server counts as idle
IDLE_CPU_S = 0.02


@dataclass
class Summary:
    server: str
    payload: str
    concurrency: int
    requests_per_second: float  # medians over the rounds
    p50_ms: float
    p99_ms: float
    errors: int  # over all rounds
    cpu_us_per_request: float
    peak_rss_mib: float
    throughput_ratio: float | None  # median over rounds of this server's req/s over the ceiling's
    p50_ratio: float | None  # likewise for p50 latency


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, all its threads, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def start_server(
    name: str, command: list[str], env: dict[str, str], ready_path: str, cwd: Path = ROOT
) -> ServerProcess:
    """A server process on a free port, its output in ``bench/results/<name>.log``, once it answers."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    log_path = RESULTS / f"{name}.log"
    with log_path.open("wb") as log:
        try:
            return ServerProcess(
                command, {**env, "TF_CPP_MIN_LOG_LEVEL": "3"}, ready_path=ready_path, log=log, cwd=cwd, name=name
            )
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}: {log_path.read_text()[-2000:]}") from exc


class Deployment:
    """A server already running elsewhere (a load balancer, a container), measured as it is."""

    def __init__(self, name: str, url: str) -> None:
        self.name = name
        self.url = url
        self.process = None

    def stop(self) -> None:
        pass


def wait_until_idle(pid: int, timeout: float = 60.0) -> None:
    """Wait until a server has worked off what a wrk run left it: wrk stops when its time is up, but
    a slow server (the baseline, at 64 clients) goes on with seconds of queued requests, which would
    load the machine while the next server is measured."""
    deadline = time.perf_counter() + timeout
    used = cpu_seconds(pid)
    while time.perf_counter() < deadline:
        time.sleep(IDLE_CHECK_S)
        now = cpu_seconds(pid)
        if now - used <= IDLE_CPU_S:
            return
        used = now


def wrk(url: str, body: Body, concurrency: int, duration: float) -> dict[str, Any]:
    threads = min(2, concurrency)
    env = {**os.environ, "BODY_FILE": str(body.file), "CONTENT_TYPE": body.content_type}
    env["REQUEST_PATH"] = body.request_path
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{concurrency}",
        f"-d{round(duration)}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA_SCRIPT),
        url,
    ]
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def measure(
    server: ServerProcess | Deployment,
    payload: str,
    body: Body,
    concurrency: int,
    round_: int,
    duration: int,
) -> Run:
    pid = server.process.pid if server.process else None
    cpu_before = cpu_seconds(pid) if pid else float("nan")
    result = wrk(server.url, body, concurrency, duration)
    cpu_used = cpu_seconds(pid) - cpu_before if pid else float("nan")
    if pid:
        wait_until_idle(pid)
    requests = max(result["requests"], 1)
    run = Run(
        server=server.name,
        payload=payload,
        concurrency=concurrency,
        round=round_,
        requests_per_second=result["requests"] / (result["duration_us"] / 1e6),
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        errors=sum(result["errors"].values()),
        cpu_us_per_request=cpu_used / requests * 1e6,
        peak_rss_mib=memory_mib(pid) if pid else float("nan"),
    )
    print(
        f"  round {round_} {run.server:<17}{run.payload:<10}c={concurrency:<3} {run.requests_per_second:8.0f} req/s  "
        f"p50 {run.p50_ms:7.2f} ms  p99 {run.p99_ms:7.2f} ms  errors {run.errors}  "
        f"CPU {run.cpu_us_per_request:5.0f} us/req  RSS {run.peak_rss_mib:.0f} MiB",
        flush=True,
    )
    return run


def summarize(runs: list[Run]) -> list[Summary]:
    """Medians over rounds; ratios to the ceiling taken round by round, then their median."""
    ceiling = {(run.concurrency, run.round): run for run in runs if run.server == CEILING and run.payload == "json"}
    summaries = []
    for key in dict.fromkeys((run.server, run.payload, run.concurrency) for run in runs):
        server, payload, concurrency = key
        selected = [run for run in runs if (run.server, run.payload, run.concurrency) == key]
        paired = [(run, ceiling[concurrency, run.round]) for run in selected if (concurrency, run.round) in ceiling]
        compared = payload == "json" and paired
        summaries.append(
            Summary(
                server=server,
                payload=payload,
                concurrency=concurrency,
                requests_per_second=statistics.median(run.requests_per_second for run in selected),
                p50_ms=statistics.median(run.p50_ms for run in selected),
                p99_ms=statistics.median(run.p99_ms for run in selected),
                errors=sum(run.errors for run in selected),
                cpu_us_per_request=statistics.median(run.cpu_us_per_request for run in selected),
                peak_rss_mib=max(run.peak_rss_mib for run in selected),
                throughput_ratio=statistics.median(
                    run.requests_per_second / top.requests_per_second for run, top in paired
                )
                if compared
                else None,
                p50_ratio=statistics.median(run.p50_ms / top.p50_ms for run, top in paired) if compared else None,
            )
        )
    return summaries


def write_bodies(digit: np.ndarray, directory: Path) -> dict[str, Body]:
    directory.mkdir(parents=True, exist_ok=True)
    json_body = directory / "digit.json"
    json_body.write_text(json.dumps({"pixels": digit.tolist()}))
    boundary = uuid.uuid4().hex
    buffer = io.BytesIO()
    Image.fromarray(digit).save(buffer, format="PNG")
    png = buffer.getvalue()
    multipart = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="digit.png"\r\n'
        f"Content-Type: image/png\r\n\r\n".encode()
        + png
        + f"\r\n--{boundary}--\r\n".encode()
    )
    png_body = directory / "digit.multipart"
    png_body.write_bytes(multipart)
    return {
        "json": Body(json_body, "application/json"),
        "png": Body(png_body, f"multipart/form-data; boundary={boundary}"),
    }


def model_images_per_second(model_path: Path) -> dict[str, float]:
    """The runtime alone, no HTTP: the compute limit."""
    from app.config import Settings
    from app.inference.model import Model

    runtime = Model.load(Settings(model_path=model_path)).runtime
    rates = {}
    for batch_size in (1, 64):
        batch = np.random.default_rng(0).random((batch_size, 28, 28, 1), dtype=np.float32)
        rates[f"batch_{batch_size}"] = batch_size / seconds_per_call(runtime.predict, batch, budget=1.0)
    return rates


def plot(summaries: list[Summary], path: Path) -> None:
    figure, axis = rate_figure()
    lines = dict.fromkeys((row.server, row.payload) for row in summaries if row.payload in ("json", "png"))
    for server, payload in lines:  # the uploads have a plot of their own
        selected = [row for row in summaries if (row.server, row.payload) == (server, payload)]
        axis.plot(
            [row.concurrency for row in selected],
            [row.requests_per_second for row in selected],
            marker="o",
            label=f"{server} ({payload})",
        )
    save_rate_figure(figure, axis, path)


def print_table(summaries: list[Summary]) -> None:
    print_markdown_table(
        "server | payload | clients | req/s | x ceiling | p50 ms | p50 x ceiling | p99 ms | errors | CPU us/req "
        "| peak RSS MiB",
        [
            (
                row.server,
                row.payload,
                row.concurrency,
                f"{row.requests_per_second:.0f}",
                f"{row.throughput_ratio:.2f}" if row.throughput_ratio is not None else "",
                f"{row.p50_ms:.2f}",
                f"{row.p50_ratio:.2f}" if row.p50_ratio is not None else "",
                f"{row.p99_ms:.2f}",
                row.errors,
                f"{row.cpu_us_per_request:.0f}",
                f"{row.peak_rss_mib:.0f}",
            )
            for row in summaries
        ],
    )


@dataclass(frozen=True)
class ServerSpec:
    name: str
    command: list[str]
    env: dict[str, str]
    ready_path: str
    payloads: tuple[str, ...] = ("json",)
    cwd: Path = ROOT


def servers_to_start(args: argparse.Namespace, uploads: tuple[str, ...] = ()) -> list[ServerSpec]:
    python = sys.executable
    uvicorn = [python, "-m", "uvicorn", "--port", "{port}", "--log-level", "warning", "--no-access-log"]
    model = {"MODEL_PATH": str(args.model)}
    service = [python, "-m", "app"]
    specs = []
    if not args.skip_service:
        specs.append(ServerSpec("service", service, model, "/health/ready", ("json", "png", *uploads)))
    if args.compare:  # the service as another checkout (a git worktree of an earlier commit) serves it
        before = {**model, "PYTHONPATH": str(args.compare)}
        specs.append(ServerSpec("service-before", service, before, "/health/ready", ("json", "png"), args.compare))
    if args.metrics_off:
        specs.append(ServerSpec("no-metrics", service, {**model, "METRICS_ENABLED": "false"}, "/health/ready"))
    specs.append(ServerSpec(CEILING, [*uvicorn, "bench.ceiling_app:app"], {}, "/docs"))
    specs.append(ServerSpec("fastapi-pydantic", [*uvicorn, "bench.pydantic_app:app"], {}, "/docs"))
    if args.baseline:
        specs.append(ServerSpec("baseline", [*uvicorn, "bench.baseline_app:app"], model, "/docs"))
    return specs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the table gives medians")
    parser.add_argument("--concurrency", type=int, nargs="+", default=list(CONCURRENCIES))
    parser.add_argument("--baseline", action="store_true", help="also measure model.predict() per request")
    parser.add_argument("--metrics-off", action="store_true", help="also measure the service without metrics")
    parser.add_argument(
        "--url",
        metavar="NAME=URL",
        action="append",
        default=[],
        help="also measure an already running deployment, e.g. lb=http://127.0.0.1:8080 (JSON only; no RSS or CPU)",
    )
    parser.add_argument("--compare", type=Path, metavar="DIR", help="also measure the service of the checkout in DIR")
    parser.add_argument("--skip-service", action="store_true", help="do not start the local service")
    parser.add_argument("--no-uploads", action="store_true", help="leave out the image upload rows")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "mnist.keras")
    parser.add_argument("--data", help="MNIST directory (default: $MNIST_DIR)")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("error: wrk not found (apt-get install wrk)", file=sys.stderr)
        return 2

    from training.sources import load_mnist

    test = load_mnist(args.data).test
    bodies = write_bodies(test.images[0], RESULTS)
    images = [] if args.no_uploads or args.skip_service else make_upload_images(test.images, test.labels)
    decode_seconds = {image.name: pillow_decode_seconds(image.data) for image in images}
    targets: list[tuple[ServerProcess | Deployment, tuple[str, ...]]] = [
        (Deployment(name, url), ("json",)) for name, url in (entry.split("=", 1) for entry in args.url)
    ]
    runs: list[Run] = []
    try:
        for spec in servers_to_start(args, tuple(image.name for image in images)):
            server = start_server(spec.name, spec.command, spec.env, spec.ready_path, spec.cwd)
            print(f"{spec.name}: ready {server.seconds_to_ready:.1f} s after start", flush=True)
            targets.append((server, spec.payloads))
            if spec.name == "service" and images:
                bodies.update(write_upload_bodies(images, RESULTS, number_path(server.url)))
        for target, payloads in targets:  # warm-up: connections, caches, the allocator
            for payload in payloads:
                wrk(target.url, bodies[payload], 8, 2)
        for round_ in range(1, args.rounds + 1):
            for concurrency in args.concurrency:
                for target, payloads in targets:
                    for payload in payloads:
                        runs.append(measure(target, payload, bodies[payload], concurrency, round_, args.duration))
    finally:
        for target, _ in targets:
            target.stop()

    summaries = summarize(runs)
    print_table(summaries)
    paths = {name: body.request_path for name, body in bodies.items()}
    uploads = upload_rows(runs, images, decode_seconds, paths)
    if uploads:
        print_upload_table(uploads)
        plot_uploads(uploads, RESULTS / "uploads.png")
    rates = model_images_per_second(args.model)
    print(f"\nmodel alone: {rates['batch_1']:.0f} images/s at batch 1, {rates['batch_64']:.0f} at batch 64")
    startup = {target.name: target.seconds_to_ready for target, _ in targets if isinstance(target, ServerProcess)}
    if "service" in startup:
        print(f"service ready {startup['service']:.1f} s after process start")
    machine = f"{os.cpu_count()} CPUs, {os.uname().machine}, {os.uname().release}"
    report = {
        "machine": machine,
        "duration_s": args.duration,
        "rounds": args.rounds,
        "summary": [asdict(row) for row in summaries],
        "runs": [asdict(run) for run in runs],
        "startup_seconds": startup,
        "model_images_per_second": rates,
        "uploads": [asdict(row) for row in uploads],
        "upload_bytes": {image.name: len(image.data) for image in images},
    }
    (RESULTS / "throughput.json").write_text(json.dumps(report, indent=2))
    plot(summaries, RESULTS / "throughput.png")
    print(f"wrote {RESULTS / 'throughput.json'}, throughput.png and uploads.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
