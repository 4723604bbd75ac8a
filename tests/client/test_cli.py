"""The ``digits`` command line, run as the installed console script on real MNIST images, against the
real app over HTTP."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from digit_client import DigitClient

from tests.client.conftest import API_KEY, AppServer, number_image, png

pytestmark = pytest.mark.mnist
ROOT = Path(__file__).resolve().parents[2]
DIGITS = Path(sys.executable).parent / "digits"


def run(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DIGITS_")}
    return subprocess.run(
        [str(DIGITS), *map(str, args)], capture_output=True, text=True, timeout=120, env={**environment, **(env or {})}
    )


def test_the_console_script_is_installed() -> None:
    assert DIGITS.exists(), "install the client: make install (pip install -e ./client)"
    assert "predict" in run("--help").stdout
    module = subprocess.run([sys.executable, "-m", "digit_client", "--version"], capture_output=True, text=True)
    assert module.returncode == 0
    assert module.stdout.startswith("digits ")


def test_the_client_needs_only_httpx_and_numpy() -> None:
    project = tomllib.loads((ROOT / "client" / "pyproject.toml").read_text())["project"]
    assert sorted(re.split(r"[<>=~ \[]", dep)[0] for dep in project["dependencies"]) == ["httpx", "numpy"]
    check = "import sys, digit_client.cli; sys.exit(bool({'tensorflow', 'PIL', 'keras'} & set(sys.modules)))"
    assert subprocess.run([sys.executable, "-c", check]).returncode == 0


def test_predict_files(live_server: Any, digit_files: list[Path], test_digits: Any) -> None:
    result = run("predict", digit_files[0], digit_files[4], "--url", live_server.url)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    for line, path, label in zip(lines, [digit_files[0], digit_files[4]], test_digits.labels[[0, 4]], strict=True):
        assert line.startswith(f"{path}: {label} (")
        assert line.endswith("%)")


def test_predict_json(live_server: Any, digit_files: list[Path], test_digits: Any) -> None:
    result = run("--json", "predict", *digit_files[:5], "--url", live_server.url)
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout)
    assert [a["file"] for a in answers] == [str(p) for p in digit_files[:5]]
    assert [a["digit"] for a in answers] == list(test_digits.labels[:5])
    assert all(a["is_digit"] and len(a["probabilities"]) == 10 for a in answers)


def test_predict_a_folder_to_csv_with_a_progress_bar(
    live_server: Any, digit_files: list[Path], test_digits: Any, tmp_path: Path
) -> None:
    scans = tmp_path / "scans"
    scans.mkdir()
    for path in digit_files:
        shutil.copy(path, scans / path.name)
    (scans / "notes.txt").write_text("not an image, and not picked up")
    out = tmp_path / "results.csv"
    result = run("predict", "--dir", scans, "--out", out, "--progress", "-c", "4", env={"DIGITS_URL": live_server.url})
    assert result.returncode == 0, result.stderr
    assert "20 images, 20 predicted, 0 failed" in result.stdout
    assert "20/20" in result.stderr
    assert "[" + "#" * 30 + "]" in result.stderr
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert [Path(row["file"]).name for row in rows] == [p.name for p in digit_files]
    assert [int(row["digit"]) for row in rows] == list(test_digits.labels)
    assert not any(row["error"] for row in rows)
    with DigitClient(live_server.url) as client:  # each row says what the service answers for its file
        answers = [client.predict(path) for path in digit_files]
    assert [row["is_digit"] for row in rows] == [str(answer.is_digit).lower() for answer in answers]
    assert [float(row["confidence"]) for row in rows] == pytest.approx([a.confidence for a in answers], abs=1e-6)


def test_a_failed_image_fails_the_run_but_not_the_others(
    live_server: Any, digit_files: list[Path], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png at all")
    out = tmp_path / "results.csv"
    result = run("predict", digit_files[0], broken, "--out", out, "--url", live_server.url)
    assert result.returncode == 1
    assert "invalid_image" in result.stderr
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["digit"]
    assert rows[1]["error_code"] == "invalid_image"
    assert not rows[1]["digit"]


def test_an_image_that_is_not_one_digit_is_said_so(live_server: Any, test_digits: Any, tmp_path: Path) -> None:
    """Needs ``is_digit`` and ``reason`` in the service's answers."""
    several = tmp_path / "several.png"
    several.write_bytes(png(number_image(test_digits.images[:4])))
    result = run("predict", several, "--url", live_server.url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{several}: not a digit (several_digits")
    out = tmp_path / "results.csv"
    assert run("predict", several, "--out", out, "--url", live_server.url).returncode == 0
    with out.open() as handle:
        row = next(csv.DictReader(handle))
    assert row["is_digit"] == "false"
    assert row["reason"] == "several_digits"


def test_number(live_server: Any, test_digits: Any, tmp_path: Path) -> None:
    """Needs ``POST /predict/number``."""
    form = tmp_path / "form.png"
    form.write_bytes(png(number_image(test_digits.images[:5])))
    expected = "".join(str(label) for label in test_digits.labels[:5])
    result = run("number", form, "--url", live_server.url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{form}: {expected} (")
    as_json = json.loads(run("number", form, "--json", "--url", live_server.url).stdout)
    assert as_json[0]["text"] == expected
    assert len(as_json[0]["digits"]) == 5


def test_number_of_a_blank_form_fails(live_server: Any, tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    blank.write_bytes(png(np.full((60, 200), 255, np.uint8)))
    result = run("number", blank, "--url", live_server.url)
    assert result.returncode == 1
    assert "no_digit_found" in result.stderr


def test_health_and_model(live_server: Any) -> None:
    health = run("health", "--url", live_server.url)
    assert health.returncode == 0, health.stderr
    assert health.stdout.startswith("ok: model ")
    status = json.loads(run("health", "--json", env={"DIGITS_URL": live_server.url}).stdout)
    assert status["status"] == "ok"
    model = json.loads(run("model", "--json", "--url", live_server.url).stdout)
    assert model["version"] == status["model_version"]
    assert "version:" in run("model", "--url", live_server.url).stdout


def test_health_of_a_service_not_ready(unready_server: AppServer) -> None:
    result = run("health", "--url", unready_server.url)
    assert result.returncode == 1
    assert "model_not_ready" in result.stderr


def test_nothing_listening(tmp_path: Path) -> None:
    result = run("health", "--url", "http://127.0.0.1:9", "--retries", "0")
    assert result.returncode == 1
    assert "error:" in result.stderr
    as_json = json.loads(run("--json", "health", "--url", "http://127.0.0.1:9", "--retries", "0").stdout)
    assert as_json["error"]["code"] == "DigitTransportError"


def test_api_key_from_the_option_or_the_environment(
    locked_server: AppServer, digit_files: list[Path], test_digits: Any
) -> None:
    refused = run("predict", digit_files[0], "--url", locked_server.url)
    assert refused.returncode == 1
    assert "unauthorized" in refused.stderr
    for args, env in [
        (["--api-key", API_KEY], {}),
        ([], {"DIGITS_API_KEY": API_KEY}),
    ]:
        result = run("predict", digit_files[0], "--url", locked_server.url, *args, env=env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"{digit_files[0]}: {test_digits.labels[0]} (")
    assert run("model", "--url", locked_server.url, env={"DIGITS_API_KEY": API_KEY}).returncode == 0


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("predict").returncode == 2
    assert run("predict", "--dir", tmp_path / "missing").returncode == 2
    assert run("frobnicate").returncode == 2
