"""The training CLI end to end on a small slice, and the shipped model on the real test set."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import h5py
import keras
import numpy as np
import pytest

from tests.support.mnist_files import write_mnist_dir
from tests.support.paths import SHIPPED_MODEL
from training import train as train_module
from training.architectures import build_cnn
from training.evaluate import evaluate
from training.provenance import file_sha256
from training.sources import Mnist

EXPECTED_METADATA = {
    "name", "version", "architecture", "parameters", "flops_per_image", "input", "output",
    "test_accuracy", "validation_accuracy", "per_class_accuracy", "confusion_matrix", "training",
    "data", "trained_at", "versions", "model_file", "sha256",
}  # fmt: skip


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One epoch of the default CNN on a tiny dataset of our own, with a SavedModel export."""
    root = tmp_path_factory.mktemp("training")
    data = write_mnist_dir(root / "data", train=200, test=40)
    out = root / "model"
    argv = ["--epochs", "1", "--data", str(data), "--out", str(out), "--quiet", "--version", "7"]
    assert train_module.main([*argv, "--export-savedmodel", str(root / "export")]) == 0
    return root


def test_training_writes_every_output(trained: Path) -> None:
    out = trained / "model"
    for name in ("mnist.keras", "mnist.json", "training_curves.png", "confusion_matrix.png"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "training_curves.png").read_bytes().startswith(b"\x89PNG")
    assert (trained / "export" / "mnist" / "7" / "saved_model.pb").is_file()


def test_saved_model_holds_weights_without_optimizer_state(trained: Path) -> None:
    with zipfile.ZipFile(trained / "model" / "mnist.keras") as archive:
        weights = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
        assert "optimizer" not in weights
        assert "layers" in weights
    assert SHIPPED_MODEL.stat().st_size < 2 * 1024 * 1024  # models/ stays small


def test_training_metadata_describes_the_model(trained: Path) -> None:
    metadata = json.loads((trained / "model" / "mnist.json").read_text())
    assert set(metadata) >= EXPECTED_METADATA
    assert metadata["version"] == "7"
    assert metadata["architecture"] == "cnn"
    assert metadata["sha256"] == file_sha256(trained / "model" / "mnist.keras")
    assert metadata["parameters"] == build_cnn().count_params()
    assert metadata["input"]["shape"] == [28, 28, 1]
    assert metadata["training"]["epochs_run"] == 1
    assert metadata["training"]["training_examples"] + metadata["training"]["validation_examples"] == 200
    assert len(metadata["data"]["sha256"]) == 4
    assert np.asarray(metadata["confusion_matrix"]).sum() == metadata["test_examples"] == 40


def test_exported_savedmodel_answers_like_the_keras_model_for_both_scales(trained: Path) -> None:
    import tensorflow as tf

    serve = tf.saved_model.load(str(trained / "export" / "mnist" / "7")).signatures["serving_default"]
    model = keras.models.load_model(trained / "model" / "mnist.keras")
    pixels = np.random.default_rng(5).integers(0, 256, (6, 28, 28, 1)).astype(np.float32)
    expected = model.predict(pixels / 255.0, verbose=0)
    for scaled in (pixels, pixels / 255.0):  # 0-255 and 0-1 give the same answer
        outputs = serve(pixels=tf.constant(scaled))
        np.testing.assert_allclose(outputs["probabilities"].numpy(), expected, atol=1e-5)
        np.testing.assert_array_equal(outputs["digit"].numpy(), expected.argmax(axis=1))


def test_saved_model_reloads_with_identical_predictions(trained: Path) -> None:
    images = np.random.default_rng(3).random((16, 28, 28, 1), dtype=np.float32)
    model = keras.models.load_model(trained / "model" / "mnist.keras")
    again = keras.models.load_model(trained / "model" / "mnist.keras")
    np.testing.assert_array_equal(model.predict(images, verbose=0), again.predict(images, verbose=0))


def test_save_and_verify_detects_a_model_that_reloads_differently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keras.models, "load_model", lambda path: build_cnn())
    probe = np.random.default_rng(4).integers(0, 256, (8, 28, 28), dtype=np.uint8)
    with pytest.raises(train_module.ReloadMismatchError, match="differs"):
        train_module.save_and_verify(build_cnn(), tmp_path / "m.keras", probe)


def test_training_reports_bad_data_without_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert train_module.main(["--data", str(tmp_path / "absent"), "--out", str(tmp_path)]) == 2
    assert "no such file or directory" in capsys.readouterr().err


@pytest.mark.mnist
def test_shipped_model_reaches_99_5_percent_on_the_test_set(mnist: Mnist) -> None:
    result = evaluate(keras.models.load_model(SHIPPED_MODEL), mnist.test)
    metadata = json.loads(SHIPPED_MODEL.with_name("mnist.json").read_text())
    assert result.examples == 10000
    assert result.accuracy >= 0.995
    assert result.accuracy == pytest.approx(metadata["test_accuracy"], abs=1e-4)
    assert metadata["sha256"] == file_sha256(SHIPPED_MODEL)
