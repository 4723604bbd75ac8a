"""Servers for the client's tests, all real HTTP: the app itself (shared ``live_server``, one locked
with an API key and small limits, one whose model never loads), and a scripted stand-in that answers
errors or drops connections before passing requests on to the real app.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

import httpx
import numpy as np
import pytest
from fastapi import FastAPI
from PIL import Image

from app.config import Settings
from tests.support.paths import SHIPPED_MODEL
from tests.support.server import LiveServer

API_KEY = "client-test-key"


class AppServer(LiveServer):
    """The project's :class:`LiveServer`, with its lifespan switchable (``"off"``: the model never loads)
    and the app at hand, for tests that reach into its state."""

    def __init__(self, settings: Settings, lifespan: Literal["on", "off"] = "on") -> None:
        super().__init__(settings)
        self.config.lifespan = lifespan  # read when the server starts

    def __enter__(self) -> AppServer:
        super().__enter__()
        return self

    @property
    def app(self) -> FastAPI:
        assert isinstance(self.config.app, FastAPI)
        return self.config.app


@pytest.fixture(scope="session")
def locked_server() -> Iterator[AppServer]:
    """The app requiring ``API_KEY``, with small limits: 64 KiB bodies, 1 Mpx images, 4 digits a batch,
    numbers of 3 digits."""
    settings = Settings(
        model_path=SHIPPED_MODEL,
        api_keys=[API_KEY],
        max_body_bytes=64 * 1024,
        max_image_pixels=1_000_000,
        max_request_digits=4,
        max_batch_size=4,
        max_number_digits=3,
    )
    with AppServer(settings) as server:
        yield server


@pytest.fixture(scope="session")
def unready_server() -> Iterator[AppServer]:
    """The app without its lifespan: the model never loads, so it answers 503 ``model_not_ready``."""
    with AppServer(Settings(model_path=SHIPPED_MODEL), lifespan="off") as server:
        yield server


Reply = tuple[int, object] | str
"""A scripted answer: ``(status, JSON body or raw bytes)``, or ``"drop"`` to close without answering."""


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    client_port: int


@dataclass
class ScriptedServer:
    """A real HTTP server (stdlib) that plays ``script`` to the first requests, then proxies to ``upstream``."""

    upstream: str | None
    script: list[Reply] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    retry_after: str | None = None

    def __post_init__(self) -> None:
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                scripted.seen.append(
                    Seen(self.command, self.path, dict(self.headers.items()), body, self.client_address[1])
                )
                if scripted.script:
                    reply = scripted.script.pop(0)
                    if reply == "drop":
                        self.close_connection = True
                        return
                    assert isinstance(reply, tuple)
                    status, payload = reply
                    if isinstance(payload, bytes):
                        self._answer(status, payload, "text/html")
                    else:
                        payload = {**payload, "request_id": self.headers.get("X-Request-ID")}  # type: ignore[dict-item]
                        self._answer(status, json.dumps(payload).encode(), "application/json")
                    return
                assert scripted.upstream, "script exhausted and nothing to proxy to"
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                answer = httpx.request(
                    self.command, scripted.upstream + self.path, headers=headers, content=body, timeout=60
                )
                self._answer(answer.status_code, answer.content, answer.headers.get("content-type", ""))

            def _answer(self, status: int, payload: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                if status == 503 and scripted.retry_after:
                    self.send_header("Retry-After", scripted.retry_after)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _handle  # noqa: N815

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def scripted(live_server: object) -> Iterator[ScriptedServer]:
    server = ScriptedServer(upstream=live_server.url)  # type: ignore[attr-defined]
    yield server
    server.close()


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def number_image(digits: np.ndarray, gap: int = 12, margin: int = 16) -> np.ndarray:
    """MNIST digits side by side, dark ink on white paper, as a written number would be scanned."""
    height = 28 + 2 * margin
    width = 2 * margin + len(digits) * 28 + (len(digits) - 1) * gap
    canvas = np.zeros((height, width), np.uint8)
    for i, digit in enumerate(digits):
        x = margin + i * (28 + gap)
        canvas[margin : margin + 28, x : x + 28] = digit
    return 255 - canvas


@pytest.fixture(scope="session")
def digit_files(tmp_path_factory: pytest.TempPathFactory, test_digits: Any) -> list[Path]:
    """The 20 MNIST test digits as files: PNG, and every fifth one as JPEG."""
    folder = tmp_path_factory.mktemp("digits")
    files = []
    for i, pixels in enumerate(test_digits.images):
        suffix = "jpg" if i % 5 == 4 else "png"
        path = folder / f"digit-{i:02d}.{suffix}"
        Image.fromarray(pixels).save(path, quality=95)
        files.append(path)
    return files
