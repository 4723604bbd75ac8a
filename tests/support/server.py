"""Starting the service for tests and benchmarks: the one place that launches a server and waits for it.

* :class:`ServerProcess`: any server command in a process of its own on a free port, waited for until
  it answers (``bench/`` starts the service, the ceiling apps and the baseline with it);
* :func:`server_process`: ``python -m app`` (what ``make run`` runs) with the shipped model;
* :class:`LiveServer`: the app served by uvicorn in a thread of the test process.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx
import uvicorn

from app.config import Settings
from app.main import create_app
from tests.support.paths import ROOT, SHIPPED_MODEL

SERVICE = (sys.executable, "-m", "app")
READY_PATH = "/health/ready"


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


class ServerProcess:
    """``command`` (``{port}`` in it replaced) in its own process on a free port, until it answers.

    ``env`` is added to this process's environment, with ``PORT`` set; ``log``, where its output
    goes (a file, never an unread pipe, which fills and blocks the server); ``ready_path`` is polled
    until it answers below 500, ``ready_status`` (200 for readiness probes) when given.
    """

    def __init__(
        self,
        command: tuple[str, ...] | list[str] = SERVICE,
        env: Mapping[str, str] | None = None,
        *,
        ready_path: str = READY_PATH,
        log: IO[bytes] | None = None,
        cwd: Path = ROOT,
        timeout: float = 120.0,
        name: str = "server",
    ) -> None:
        self.name = name
        self.port = free_port()
        environment = {**os.environ, **(env or {}), "PORT": str(self.port)}
        argv = [part.replace("{port}", str(self.port)) for part in command]
        self.started = time.perf_counter()
        self.process = subprocess.Popen(argv, cwd=cwd, env=environment, stdout=log, stderr=log)
        try:
            self.seconds_to_ready = self._wait(ready_path, timeout)
        except BaseException:
            self.stop()
            raise

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait(self, path: str, timeout: float) -> float:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with status {self.process.returncode} before it was ready")
            try:
                if httpx.get(self.url + path, timeout=1.0).status_code < 500:
                    return time.perf_counter() - self.started
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@contextmanager
def server_process(
    settings: dict[str, str] | None = None, stderr: Path | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``python -m app`` (what ``make run`` runs) with the shipped model on a free port, once ready.

    ``settings`` are extra environment variables; ``stderr``, a file to write the logs to.
    """
    env = {"MODEL_PATH": str(SHIPPED_MODEL), "LOG_LEVEL": "warning", **(settings or {})}
    log = stderr.open("wb") if stderr else None
    try:
        server = ServerProcess(SERVICE, env, log=log, timeout=60)
        try:
            yield server.process, server.url
        finally:
            server.stop()
    finally:
        if log:
            log.close()


class LiveServer:
    """The real app served by uvicorn on a free local port, in a background thread."""

    def __init__(self, settings: Settings) -> None:
        self.config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 120
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the live server did not start")
            time.sleep(0.05)
        return self

    @property
    def port(self) -> int:
        port: int = self.server.servers[0].sockets[0].getsockname()[1]
        return port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc_info: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def run_to_exit(settings: dict[str, str], timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """``python -m app`` with ``settings`` on any free port, expected to exit by itself (a failed startup)."""
    env = {**os.environ, "PORT": "0", "TF_CPP_MIN_LOG_LEVEL": "3", **settings}
    return subprocess.run(SERVICE, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
