"""The event loop's CPU per request, in process: what each upload costs the one thread that serves HTTP.

    python -m bench.loop_cpu [--requests 2000]

At 8 clients an upload's throughput is bounded by the CPU all its threads spend and by what the
event loop's thread spends holding the GIL (parsing, routing, handing the image to the
preprocessing pool and back, the answer). This drives the real app (its lifespan, the shipped
model) over ASGI, one request at a time, no sockets: a JSON digit and a multipart upload of each
image of ``bench.upload_images``, and reports the loop thread's CPU time per request, the
preprocessing threads' work excluded. Interleaved rounds, medians. Writes
``bench/results/loop_cpu.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path

import orjson
from fastapi import FastAPI
from starlette.types import Message, Scope

from app.main import create_app
from bench.tables import print_markdown_table
from bench.upload_images import make_upload_images
from bench.uploads import NUMBER_PATH, multipart

RESULTS = Path(__file__).resolve().parent / "results"
ROUNDS = 5


async def _post(app: FastAPI, path: str, body: bytes, content_type: str) -> None:
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"bench"),
            (b"content-type", content_type.encode()),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    received = False
    status = 0

    async def receive() -> Message:
        nonlocal received
        if received:
            await asyncio.Event().wait()  # no disconnect while the answer is made
        received = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        status = message.get("status", status)

    await app(scope, receive, send)
    if status != 200:
        raise RuntimeError(f"{path} answered {status}")


async def _measure(requests: dict[str, tuple[str, bytes, str]], count: int) -> dict[str, float]:
    app = create_app()
    spent: dict[str, list[float]] = {name: [] for name in requests}
    async with app.router.lifespan_context(app):
        for _ in range(ROUNDS):
            for name, (path, body, content_type) in requests.items():
                for _ in range(count // 10):  # warm: caches, the pool's threads, the batcher
                    await _post(app, path, body, content_type)
                start = time.thread_time()
                for _ in range(count):
                    await _post(app, path, body, content_type)
                spent[name].append((time.thread_time() - start) / count * 1e3)
    return {name: statistics.median(times) for name, times in spent.items()}


def main(argv: list[str] | None = None) -> int:
    from training.sources import load_mnist

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="MNIST directory (default: $MNIST_DIR)")
    parser.add_argument("--requests", type=int, default=2000, help="requests of each kind per round")
    args = parser.parse_args(argv)
    test = load_mnist(args.data).test
    pixels = orjson.dumps({"pixels": test.images[0].reshape(-1).tolist()})
    requests = {"json digit": ("/predict", pixels, "application/json")}
    for image in make_upload_images(test.images, test.labels):
        path = NUMBER_PATH if image.name == "number" else "/predict"
        requests[image.description] = (path, *multipart(image.data, image.filename, image.content_type))
    loop_ms = asyncio.run(_measure(requests, max(10, args.requests // ROUNDS)))
    print_markdown_table(
        "request | loop thread CPU ms | x JSON",
        [(name, f"{ms:.3f}", f"{ms / loop_ms['json digit']:.2f}") for name, ms in loop_ms.items()],
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "loop_cpu.json").write_text(json.dumps(loop_ms, indent=2))
    print(f"wrote {RESULTS / 'loop_cpu.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
