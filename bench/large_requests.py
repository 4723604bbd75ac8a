"""1,000 digits in one request against 1,000 requests of one digit, on every API.

    python -m bench.large_requests            # starts the service (python -m app) on a free port
    python -m bench.large_requests --url http://127.0.0.1:8000

Sends the first 1,000 MNIST test digits: as one request to ``/predict/batch`` (JSON), TF Serving's
``/v1/models/mnist:predict`` (rows) and the Open Inference Protocol's ``/v2/models/mnist/infer``
(binary UINT8 tensor), and as 1,000 ``/predict`` requests one after another on one keep-alive
connection and from 8 concurrent clients. The clients are Python (httpx) on the same machine, so the
single requests measure them as much as the service (``make bench`` drives it with wrk); bodies are
encoded before the clock starts. Prints digits/s for each, best of ``--repeat`` runs, and each one's
accuracy against the labels; writes ``bench/results/large_requests.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np

from bench.throughput import RESULTS, start_server
from tests.support.server import SERVICE

DIGITS = 1000


JSON = {"content-type": "application/json"}


def one_request_each(url: str, bodies: list[bytes], clients: int) -> list[int]:
    def send(chunk: list[bytes]) -> list[int]:
        with httpx.Client(base_url=url, timeout=60) as client:
            return [client.post("/predict", content=body, headers=JSON).json()["digit"] for body in chunk]

    chunks = [bodies[i::clients] for i in range(clients)]
    with ThreadPoolExecutor(clients) as pool:
        answers = list(pool.map(send, chunks))
    digits = [0] * len(bodies)
    for i, chunk_answers in enumerate(answers):
        digits[i::clients] = chunk_answers
    return digits


def native_batch(client: httpx.Client, body: bytes) -> list[int]:
    response = client.post("/predict/batch", content=body, headers=JSON)
    return [prediction["digit"] for prediction in response.json()["predictions"]]


def tf_serving(client: httpx.Client, body: bytes) -> list[int]:
    response = client.post("/v1/models/mnist:predict", content=body, headers=JSON)
    return [prediction["digit"] for prediction in response.json()["predictions"]]


def open_inference(client: httpx.Client, images: np.ndarray) -> list[int]:
    tensor = {"name": "pixels", "shape": [len(images), 784], "datatype": "UINT8"}
    header = json.dumps(
        {
            "inputs": [{**tensor, "parameters": {"binary_data_size": images.size}}],
            "outputs": [{"name": "digit", "parameters": {"binary_data": False}}],
        }
    ).encode()
    response = client.post(
        "/v2/models/mnist/infer",
        content=header + images.tobytes(),
        headers={"Inference-Header-Content-Length": str(len(header)), "content-type": "application/octet-stream"},
    )
    (digit,) = response.json()["outputs"]
    return list(digit["data"])


def measure(name: str, run: Callable[[], list[int]], labels: np.ndarray, repeat: int) -> dict[str, float | str]:
    timings, accuracy = [], 0.0
    for _ in range(repeat):
        started = time.perf_counter()
        digits = run()
        timings.append(time.perf_counter() - started)
        accuracy = float((np.asarray(digits) == labels).mean())
    best = min(timings)
    row: dict[str, float | str] = {
        "how": name,
        "seconds": round(best, 3),
        "median_seconds": round(statistics.median(timings), 3),
        "digits_per_second": round(len(labels) / best),
        "accuracy": accuracy,
    }
    print(f"{name:<44}{best:>8.3f} s{len(labels) / best:>12,.0f} digits/s   accuracy {accuracy:.1%}", flush=True)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="an already running service (default: start one)")
    parser.add_argument("--data", help="MNIST directory (default: $MNIST_DIR)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    from training.sources import load_mnist

    test = load_mnist(args.data).test
    images, labels = test.images[:DIGITS], test.labels[:DIGITS]
    instances = json.dumps({"instances": images.tolist()}).encode()  # encoded once, outside the timings
    singles = [json.dumps({"pixels": image.tolist()}).encode() for image in images]
    server = None if args.url else start_server("large-requests", list(SERVICE), {}, "/health/ready")
    url = args.url or server.url  # type: ignore[union-attr]
    try:
        with httpx.Client(base_url=url, timeout=120) as client:
            native_batch(client, instances)  # warm-up
            print(f"{DIGITS} MNIST test digits against {url}")
            rows = [
                measure(name, run, labels, args.repeat)
                for name, run in [
                    ("one request: /predict/batch, JSON", lambda: native_batch(client, instances)),
                    ("one request: v1 :predict, JSON rows", lambda: tf_serving(client, instances)),
                    ("one request: v2 infer, binary UINT8", lambda: open_inference(client, images)),
                    (f"{DIGITS} requests: /predict, 1 client", lambda: one_request_each(url, singles, 1)),
                    (f"{DIGITS} requests: /predict, 8 clients", lambda: one_request_each(url, singles, 8)),
                ]
            ]
    finally:
        if server:
            server.stop()
    (RESULTS / "large_requests.json").write_text(json.dumps(rows, indent=2))
    print(f"wrote {RESULTS / 'large_requests.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
