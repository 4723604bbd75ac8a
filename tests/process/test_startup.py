"""Startup failures: ``python -m app`` stops with one line naming the file, and a non-zero status."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.paths import SHIPPED_MODEL
from tests.support.server import run_to_exit


@pytest.mark.slow
def test_startup_fails_in_one_line_on_a_missing_model(tmp_path: Path) -> None:
    missing = tmp_path / "absent.keras"
    result = run_to_exit({"MODEL_PATH": str(missing)})
    assert result.returncode != 0
    assert f"{missing}: no such model file" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_startup_fails_in_one_line_on_a_corrupt_model(tmp_path: Path) -> None:
    corrupt = tmp_path / "mnist.keras"
    corrupt.write_bytes(b"this is not a zip archive")
    (tmp_path / "mnist.json").write_text(SHIPPED_MODEL.with_name("mnist.json").read_text())
    result = run_to_exit({"MODEL_PATH": str(corrupt)})
    assert result.returncode != 0
    assert f"{corrupt}: not a loadable Keras model" in result.stderr
    assert "Traceback" not in result.stderr
