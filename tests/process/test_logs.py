"""Log lines: JSON objects (or text) that name the request they belong to."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from pathlib import Path

import httpx
import pytest

from app.http.logs import log_config
from app.http.request_id import current_request_id
from tests.support.server import run_to_exit, server_process


def capture(log_format: str) -> tuple[logging.Logger, io.StringIO]:
    logging.config.dictConfig(log_config("info", log_format))  # type: ignore[arg-type]
    logger = logging.getLogger("app")
    stream = io.StringIO()
    logger.handlers[0].setStream(stream)  # type: ignore[attr-defined]
    return logger, stream


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_log_lines_name_their_request(log_format: str) -> None:
    logger, stream = capture(log_format)
    token = current_request_id.set("req-9")
    try:
        logger.info("predicted %d digits", 3)
    finally:
        current_request_id.reset(token)
    logger.info("outside any request")
    first, second = stream.getvalue().splitlines()
    if log_format == "json":
        record = json.loads(first)
        assert (record["level"], record["logger"], record["message"], record["request_id"]) == (
            "INFO",
            "app",
            "predicted 3 digits",
            "req-9",
        )
        assert record["time"]
        assert set(record) == {"time", "level", "logger", "message", "request_id"}
        assert json.loads(second)["request_id"] == "-"
    else:
        assert first == "INFO:  app [req-9] predicted 3 digits"


@pytest.mark.slow
def test_startup_failure_is_one_json_line_in_json_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_FORMAT", "json")
    missing = tmp_path / "absent.keras"
    result = run_to_exit({"MODEL_PATH": str(missing)})
    assert result.returncode != 0
    records = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    errors = [record for record in records if record["level"] == "ERROR"]
    assert any(f"{missing}: no such model file" in record["message"] for record in errors)
    assert "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(("access_log", "logged"), [(None, False), ("true", True)])
def test_access_log_is_off_unless_enabled(tmp_path: Path, access_log: str | None, logged: bool) -> None:
    stderr = tmp_path / "stderr.log"
    settings = {"LOG_LEVEL": "info", **({"ACCESS_LOG": access_log} if access_log else {})}
    with server_process(settings, stderr) as (_, url):
        assert httpx.get(f"{url}/health/live").status_code == 200
    logs = stderr.read_text()
    assert "serving cnn model" in logs  # the service's own info lines are there either way
    assert ('"GET /health/live HTTP/1.1" 200' in logs) is logged
