"""Throughput and latency of the service against the HTTP stack's ceiling, in one run.

    make bench                     # or: python -m bench.throughput --duration 10

Starts, one after another on free local ports, each with one uvicorn worker:

* ``service``: the project's service (``python -m app``, as ``make run`` does);
* ``ceiling``: the same JSON parsing and validation with a constant answer and no model;
* ``baseline`` (``--baseline``): the tutorial way, ``model.predict()`` per request.

Each is driven by wrk posting a real MNIST test digit as JSON at each concurrency, and the service
also with a multipart PNG upload. Prints a table (requests/s, p50/p99 latency, errors, peak RSS,
ratio to the ceiling), writes ``bench/results/throughput.json`` and ``throughput.png``, and also
reports the service's time from process start to ready and the model's raw images/s.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
LUA_SCRIPT = ROOT / "bench" / "post_body.lua"
CONCURRENCIES = (1, 8, 64)


@dataclass
class Run:
    server: str
    payload: str
    concurrency: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    peak_rss_mib: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def memory_mib(pid: int, field: str = "VmHWM") -> float:
    """A process's memory from /proc: VmHWM (peak resident set, the default) or VmRSS (now), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Server:
    """A server process on a free port, started and waited for until it answers."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], ready_path: str) -> None:
        self.name = name
        self.port = free_port()
        environment = {**os.environ, **env, "PORT": str(self.port), "TF_CPP_MIN_LOG_LEVEL": "3"}
        command = [part.replace("{port}", str(self.port)) for part in command]
        self.log = RESULTS / f"{name}.log"  # a file, not a pipe: an unread pipe fills and blocks the server
        self.started = time.perf_counter()
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=log)
        self.seconds_to_ready = self._wait(ready_path)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait(self, path: str, timeout: float = 120.0) -> float:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + path, timeout=1.0).status_code < 500:
                    return time.perf_counter() - self.started
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


class Deployment:
    """A server already running elsewhere (a load balancer, a container), measured as it is."""

    def __init__(self, name: str, url: str) -> None:
        self.name = name
        self.url = url
        self.process = None


def wrk(url: str, body: Path, content_type: str, concurrency: int, duration: float) -> dict[str, Any]:
    threads = min(2, concurrency)
    env = {**os.environ, "BODY_FILE": str(body), "CONTENT_TYPE": content_type, "REQUEST_PATH": "/predict"}
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
    server: Server | Deployment, payload: str, body: Path, content_type: str, args: argparse.Namespace
) -> list[Run]:
    runs = []
    wrk(server.url, body, content_type, 8, 2)  # warm-up: connections, caches, the allocator
    for concurrency in args.concurrency:
        result = wrk(server.url, body, content_type, concurrency, args.duration)
        errors = sum(result["errors"].values())
        run = Run(
            server=server.name,
            payload=payload,
            concurrency=concurrency,
            requests_per_second=result["requests"] / (result["duration_us"] / 1e6),
            p50_ms=result["p50_us"] / 1000,
            p99_ms=result["p99_us"] / 1000,
            errors=errors,
            peak_rss_mib=memory_mib(server.process.pid) if server.process else float("nan"),
        )
        print(
            f"  {run.server:<9}{run.payload:<6} c={concurrency:<3} {run.requests_per_second:8.0f} req/s  "
            f"p50 {run.p50_ms:7.2f} ms  p99 {run.p99_ms:7.2f} ms  errors {errors}  RSS {run.peak_rss_mib:.0f} MiB",
            flush=True,
        )
        runs.append(run)
    return runs


def write_bodies(digit: np.ndarray, directory: Path) -> dict[str, tuple[Path, str]]:
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
        "json": (json_body, "application/json"),
        "png": (png_body, f"multipart/form-data; boundary={boundary}"),
    }


def model_images_per_second(model_path: Path) -> dict[str, float]:
    """The runtime alone, no HTTP: the compute limit."""
    from app.classifier import DigitClassifier
    from app.config import Settings

    runtime = DigitClassifier.load(Settings(model_path=model_path)).runtime
    rates = {}
    for batch_size in (1, 64):
        batch = np.random.default_rng(0).random((batch_size, 28, 28, 1), dtype=np.float32)
        for _ in range(20):
            runtime.predict(batch)
        calls = 2000 if batch_size == 1 else 200
        started = time.perf_counter()
        for _ in range(calls):
            runtime.predict(batch)
        rates[f"batch_{batch_size}"] = calls * batch_size / (time.perf_counter() - started)
    return rates


def plot(runs: list[Run], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4))
    for server, payload in sorted({(run.server, run.payload) for run in runs}):
        selected = [run for run in runs if (run.server, run.payload) == (server, payload)]
        axis.plot(
            [run.concurrency for run in selected],
            [run.requests_per_second for run in selected],
            marker="o",
            label=f"{server} ({payload})",
        )
    axis.set_xscale("log", base=2)
    axis.set_yscale("log")
    axis.set_xlabel("concurrent clients")
    axis.set_ylabel("requests/s")
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--concurrency", type=int, nargs="+", default=list(CONCURRENCIES))
    parser.add_argument("--baseline", action="store_true", help="also measure model.predict() per request")
    parser.add_argument("--metrics-off", action="store_true", help="also measure the service without metrics")
    parser.add_argument(
        "--url",
        metavar="NAME=URL",
        action="append",
        default=[],
        help="also measure an already running deployment, e.g. lb=http://127.0.0.1:8080 (JSON only; RSS not known)",
    )
    parser.add_argument("--service-only", action="store_true", help="skip starting the local service")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "mnist.keras")
    parser.add_argument("--data", help="MNIST directory (default: $MNIST_DIR)")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("error: wrk not found (apt-get install wrk)", file=sys.stderr)
        return 2

    from training.data import load_mnist

    digit = load_mnist(args.data).test.images[0]
    bodies = write_bodies(digit, RESULTS)
    python = sys.executable
    uvicorn = [python, "-m", "uvicorn", "--port", "{port}", "--log-level", "warning", "--no-access-log"]
    servers = [
        (
            "service",
            [python, "-m", "app"],
            {"MODEL_PATH": str(args.model), "LOG_LEVEL": "warning"},
            "/health/ready",
            ("json", "png"),
        ),
        ("ceiling", [*uvicorn, "bench.ceiling_app:app"], {}, "/docs", ("json",)),
    ]
    if args.metrics_off:
        no_metrics = {"MODEL_PATH": str(args.model), "LOG_LEVEL": "warning", "METRICS_ENABLED": "false"}
        servers.append(("no-metrics", [python, "-m", "app"], no_metrics, "/health/ready", ("json",)))
    if args.baseline:
        servers.append(
            (
                "baseline",
                [*uvicorn, "bench.baseline_app:app"],
                {"MODEL_PATH": str(args.model)},
                "/docs",
                ("json",),
            )
        )

    if args.service_only:
        servers = [server for server in servers if server[0] != "service"]
    runs: list[Run] = []
    startup: dict[str, float] = {}
    for name, url in (entry.split("=", 1) for entry in args.url):
        runs.extend(measure(Deployment(name, url), "json", *bodies["json"], args))
    for name, command, env, ready_path, payloads in servers:
        server = Server(name, command, env, ready_path)
        startup[name] = server.seconds_to_ready
        print(f"{name}: ready {server.seconds_to_ready:.1f} s after start", flush=True)
        try:
            for payload in payloads:
                runs.extend(measure(server, payload, *bodies[payload], args))
        finally:
            server.stop()

    ceiling = {run.concurrency: run.requests_per_second for run in runs if run.server == "ceiling"}
    print("\n| server | payload | clients | req/s | x ceiling | p50 ms | p99 ms | errors | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for run in runs:
        ratio = run.requests_per_second / ceiling[run.concurrency] if run.concurrency in ceiling else float("nan")
        print(
            f"| {run.server} | {run.payload} | {run.concurrency} | {run.requests_per_second:.0f} | {ratio:.2f} | "
            f"{run.p50_ms:.2f} | {run.p99_ms:.2f} | {run.errors} | {run.peak_rss_mib:.0f} |"
        )
    rates = model_images_per_second(args.model)
    print(f"\nmodel alone: {rates['batch_1']:.0f} images/s at batch 1, {rates['batch_64']:.0f} at batch 64")
    if "service" in startup:
        print(f"service ready {startup['service']:.1f} s after process start")
    machine = f"{os.cpu_count()} CPUs, {os.uname().machine}, {os.uname().release}"
    report = {
        "machine": machine,
        "duration_s": args.duration,
        "runs": [asdict(run) for run in runs],
        "startup_seconds": startup,
        "model_images_per_second": rates,
    }
    (RESULTS / "throughput.json").write_text(json.dumps(report, indent=2))
    plot(runs, RESULTS / "throughput.png")
    print(f"wrote {RESULTS / 'throughput.json'} and throughput.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
