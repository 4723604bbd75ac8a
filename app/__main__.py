"""``python -m app``: serve with uvicorn, host, port and log level taken from the settings.

On SIGTERM or SIGINT the service reports not-ready at once (so load balancers stop sending), then
uvicorn stops accepting, finishes the requests in flight and the lifespan drains queued batches,
all within ``SHUTDOWN_TIMEOUT_S``; the exit status is 0.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError

from app.config import get_settings

STARTUP_FAILURE = 3  # uvicorn's own exit status for a failed startup


class GracefulServer(uvicorn.Server):
    """uvicorn, but readiness drops at the signal and a clean drain exits 0.

    Stock uvicorn re-raises the captured signal once it has shut down, so the process ends "killed
    by SIGTERM" however cleanly it drained; orchestrators and the tests expect status 0.
    """

    def __init__(self, app: FastAPI, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.app = app

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        predictor = getattr(self.app.state, "predictor", None)
        if predictor is not None:
            predictor.drain()
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True  # a second Ctrl-C: stop waiting
        self.should_exit = True


def main() -> int:
    try:
        settings = get_settings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        print(f"error: invalid settings: {problems}", file=sys.stderr)
        return 2
    from app.main import app

    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=settings.access_log,
        timeout_graceful_shutdown=settings.shutdown_timeout_s,
        timeout_keep_alive=settings.keepalive_timeout_s,
        log_config=None,  # configured once, by create_app (importing app.main above)
    )
    server = GracefulServer(app, config)
    server.run()
    return 0 if server.started else STARTUP_FAILURE


if __name__ == "__main__":
    sys.exit(main())
