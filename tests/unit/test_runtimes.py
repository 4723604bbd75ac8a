"""The serving runtimes answer exactly as the Keras model does (the check that gates TF Lite)."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from app.errors import ModelLoadError
from app.inference.runtimes import (
    EQUALITY_TOLERANCE,
    TensorFlowRuntime,
    TFLiteRuntime,
    batch_buckets,
    check_equal,
    load_keras_model,
)
from tests.support.paths import SHIPPED_MODEL
from training.pipelines import to_model_input
from training.sources import Mnist


@pytest.fixture(scope="module")
def model() -> keras.Model:
    return load_keras_model(SHIPPED_MODEL)


def test_batch_buckets_cover_every_size_up_to_the_maximum() -> None:
    assert batch_buckets(64) == [1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64]
    assert batch_buckets(10) == [1, 2, 3, 4, 5, 6, 7, 8, 10]
    assert batch_buckets(5) == [1, 2, 3, 4, 5]
    assert batch_buckets(1) == [1]
    for maximum in range(1, 200):
        buckets = batch_buckets(maximum)
        assert buckets[-1] == maximum
        assert all(next(b for b in buckets if b >= n) < n * 1.25 for n in range(1, maximum + 1))


@pytest.mark.mnist
@pytest.mark.parametrize("runtime_name", ["tflite", "tensorflow-cpu"])
def test_runtime_matches_keras_on_the_whole_test_set(model: keras.Model, mnist: Mnist, runtime_name: str) -> None:
    runtime = TFLiteRuntime(model, 64, 1) if runtime_name == "tflite" else TensorFlowRuntime(model, "/CPU:0")
    images = to_model_input(mnist.test.images)
    expected = model.predict(images, batch_size=1000, verbose=0)
    got = np.concatenate([runtime.predict(images[start : start + 64]) for start in range(0, len(images), 64)])
    np.testing.assert_array_equal(got.argmax(axis=1), expected.argmax(axis=1))
    assert np.abs(got - expected).max() <= EQUALITY_TOLERANCE


def test_tflite_pads_odd_batch_sizes_without_changing_answers(model: keras.Model) -> None:
    runtime = TFLiteRuntime(model, 64, 1)
    batch = np.random.default_rng(1).random((9, 28, 28, 1), dtype=np.float32)  # runs padded to 10
    separately = np.concatenate([runtime.predict(batch[:4]), runtime.predict(batch[4:])])
    np.testing.assert_allclose(runtime.predict(batch), separately, atol=1e-6)


def test_check_equal_refuses_a_runtime_that_answers_differently(model: keras.Model) -> None:
    class Wrong:
        name = "wrong"
        device = "CPU"

        def predict(self, batch: np.ndarray) -> np.ndarray:
            return np.full((len(batch), 10), 0.1, dtype=np.float32)

    with pytest.raises(ModelLoadError, match="differs from the Keras model"):
        check_equal(model, Wrong(), 8)
    assert check_equal(model, TFLiteRuntime(model, 8, 1), 8) <= EQUALITY_TOLERANCE


def test_loading_a_model_with_the_wrong_shape_fails(tmp_path: Path) -> None:
    wrong = keras.Sequential([keras.Input((10,)), keras.layers.Dense(3)])
    path = tmp_path / "wrong.keras"
    wrong.save(path)
    with pytest.raises(ModelLoadError, match="expected"):
        load_keras_model(path)
