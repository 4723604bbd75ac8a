"""Ten model swaps under load: failed requests, p99 during the swaps against without, RSS after each swap.

    make bench-swap                       # 64 clients, ten swaps between two versions
    python -m bench.model_swap --swaps 10 --concurrency 64 --chunk 5 --gap 15

Starts ``python -m app`` on a repository of two versions (copies of the shipped model, so both load,
convert and pass the checks as a retrained model would), with ``MODEL_VERSIONS_KEPT=1``: every swap
is a full load (read, TF Lite conversion, equality and accuracy checks, warm-up) while the old
version serves, then the swap, then the old version's unloading. wrk keeps ``--concurrency``
connections posting one MNIST digit as JSON to ``/predict``, in back-to-back runs of ``--chunk``
seconds, while ``POST /v2/repository/models/mnist/load`` alternates the two versions ``--swaps``
times, ``--gap`` seconds apart. A run is "during swaps" if a swap was under way at any time in it,
else "without": the two kinds interleave, so a shared machine's changing load weighs on both alike.
Failed requests are wrk's connect, read, write, timeout and non-2xx errors. Writes
``bench/results/model_swap.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from tests.support.paths import ROOT, SHIPPED_MODEL
from tests.support.server import ServerProcess, memory_mib

RESULTS = ROOT / "bench" / "results"
LUA_SCRIPT = ROOT / "bench" / "post_body.lua"
MODEL_FILES = ("mnist.keras", "mnist.json", "judge.keras", "judge.json")
CHECK_DIGITS = ROOT / "app" / "inference" / "check_digits.npz"


def make_repository(directory: Path) -> None:
    for version in ("1", "2"):
        (directory / version).mkdir(parents=True)
        for name in MODEL_FILES:
            if SHIPPED_MODEL.with_name(name).is_file():
                shutil.copy(SHIPPED_MODEL.with_name(name), directory / version / name)


def write_body(directory: Path) -> Path:
    with np.load(CHECK_DIGITS) as digits:
        pixels = digits["images"][0]
    body = directory / "digit.json"
    body.write_text(json.dumps({"pixels": pixels.tolist()}))
    return body


def start_wrk(url: str, body: Path, concurrency: int, seconds: float) -> subprocess.Popen[str]:
    env = {**os.environ, "BODY_FILE": str(body), "CONTENT_TYPE": "application/json", "REQUEST_PATH": "/predict"}
    command = ["wrk", "-t2", f"-c{concurrency}", f"-d{round(seconds)}s", "--timeout", "10s", "-s", str(LUA_SCRIPT), url]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wrk_result(process: subprocess.Popen[str], stop: bool = False) -> dict[str, Any]:
    """wrk's figures once it ends (``stop``: interrupted now; wrk reports what it measured so far)."""
    if stop:
        process.send_signal(signal.SIGINT)
    output, _ = process.communicate()
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    errors = result["errors"]
    return {
        "requests": result["requests"],
        "failed": sum(errors.values()),
        "errors": errors,
        "seconds": round(result["duration_us"] / 1e6, 1),
        "requests_per_second": round(result["requests"] / (result["duration_us"] / 1e6), 1),
        "p50_ms": round(result["p50_us"] / 1000, 2),
        "p99_ms": round(result["p99_us"] / 1000, 2),
    }


def wrk(url: str, body: Path, concurrency: int, seconds: float) -> dict[str, Any]:
    return wrk_result(start_wrk(url, body, concurrency, seconds))


def swap(url: str, version: str, pid: int) -> dict[str, Any]:
    started = time.perf_counter()
    load = {"parameters": {"version": version}}
    response = httpx.post(f"{url}/v2/repository/models/mnist/load", json=load, timeout=120)
    seconds = time.perf_counter() - started
    time.sleep(0.5)  # the old version's queued digits finish and it is unloaded
    served = httpx.get(f"{url}/model", timeout=10).json()["version"]
    return {
        "to": version,
        "status": response.status_code,
        "served": served,
        "seconds": round(seconds, 2),
        "rss_mib": round(memory_mib(pid, "VmRSS"), 1),
    }


def percentile_summary(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    if not chunks:
        return {"chunks": 0}
    p99s = sorted(chunk["p99_ms"] for chunk in chunks)
    return {
        "chunks": len(chunks),
        "requests": sum(chunk["requests"] for chunk in chunks),
        "failed": sum(chunk["failed"] for chunk in chunks),
        "p50_ms_median": float(np.median([chunk["p50_ms"] for chunk in chunks])),
        "p99_ms_median": float(np.median(p99s)),
        "p99_ms_worst": p99s[-1],
    }


def run(concurrency: int, swaps: int, chunk_s: float, gap_s: float) -> dict[str, Any]:
    """wrk in back-to-back chunks of ``chunk_s`` while a thread swaps versions ``gap_s`` apart; chunks are
    "during swaps" when a swap was under way at any time in them, "quiet" otherwise."""
    with tempfile.TemporaryDirectory() as scratch:
        repository = Path(scratch) / "repository"
        make_repository(repository)
        body = write_body(Path(scratch))
        RESULTS.mkdir(parents=True, exist_ok=True)
        env = {"MODEL_PATH": str(repository), "MODEL_POLL_S": "0", "MODEL_VERSIONS_KEPT": "1"}
        env |= {"LOG_LEVEL": "info", "TF_CPP_MIN_LOG_LEVEL": "3"}
        with (RESULTS / "model_swap.log").open("wb") as log:
            server = ServerProcess(env=env, log=log, name="service")
            try:
                pid = server.process.pid
                rss_start = round(memory_mib(pid, "VmRSS"), 1)
                wrk(server.url, body, concurrency, 3)  # warm the connections and the allocator
                done: list[dict[str, Any]] = []
                windows: list[tuple[float, float]] = []
                active: list[float] = []  # the start of the swap under way, if one is

                def swapper() -> None:
                    for index in range(swaps):
                        time.sleep(gap_s)
                        active.append(time.perf_counter())
                        done.append(swap(server.url, "1" if index % 2 == 0 else "2", pid))
                        windows.append((active.pop(), time.perf_counter()))
                        print(f"  swap {index + 1}: {done[-1]}", file=sys.stderr)

                thread = threading.Thread(target=swapper, daemon=True)
                chunks: list[dict[str, Any]] = []
                began = time.perf_counter()
                thread.start()
                while thread.is_alive() or len(chunks) < 2 or chunks[-1]["swapping"]:
                    started = time.perf_counter()
                    chunk = wrk(server.url, body, concurrency, chunk_s)
                    ended = time.perf_counter()
                    swapping = any(start < ended and end > started for start, end in windows) or bool(active)
                    chunks.append(chunk | {"at_s": round(started - began, 1), "swapping": swapping})
                    print(f"  {chunks[-1]}", file=sys.stderr)
                thread.join()
                status = httpx.get(f"{server.url}/v1/models/mnist", timeout=10).json()
            finally:
                server.stop()
    during = [chunk for chunk in chunks if chunk["swapping"]]
    quiet = [chunk for chunk in chunks if not chunk["swapping"]]
    return {
        "concurrency": concurrency,
        "swaps": swaps,
        "seconds": round(time.perf_counter() - began, 1),
        "chunk_s": chunk_s,
        "gap_s": gap_s,
        "requests": sum(chunk["requests"] for chunk in chunks),
        "failed": sum(chunk["failed"] for chunk in chunks),
        "during_swaps": percentile_summary(during),
        "without_swaps": percentile_summary(quiet),
        "swap_details": done,
        "rss_mib": {"after_start": rss_start, "after_each_swap": [s["rss_mib"] for s in done]},
        "final_status": status["model_version_status"],
        "chunks": chunks,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--swaps", type=int, default=10)
    parser.add_argument("--chunk", type=float, default=5.0, help="seconds of each wrk run")
    parser.add_argument("--gap", type=float, default=15.0, help="seconds between one swap's end and the next")
    args = parser.parse_args(argv)
    result = run(args.concurrency, args.swaps, args.chunk, args.gap)
    (RESULTS / "model_swap.json").write_text(json.dumps(result, indent=2) + "\n")
    during, quiet = result["during_swaps"], result["without_swaps"]
    print(json.dumps({k: v for k, v in result.items() if k != "chunks"}, indent=2))
    print(
        f"\n{result['swaps']} swaps at {result['concurrency']} clients in {result['seconds']} s: "
        f"{result['requests']} requests, {result['failed']} failed; p99 (median of {args.chunk:g} s chunks, worst) "
        f"{during['p99_ms_median']} ms, {during['p99_ms_worst']} ms during swaps against "
        f"{quiet['p99_ms_median']} ms, {quiet['p99_ms_worst']} ms without; RSS {result['rss_mib']['after_start']} MiB "
        f"at start, after each swap {result['rss_mib']['after_each_swap']} MiB"
    )
    return 0 if result["failed"] == 0 and all(s["status"] == 200 for s in result["swap_details"]) else 1


if __name__ == "__main__":
    sys.exit(main())
