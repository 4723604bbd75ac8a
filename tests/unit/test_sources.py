"""The MNIST loader: IDX files gzipped or not, npz, and clear errors on anything malformed."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from tests.support.mnist_files import idx_images, idx_labels, write_mnist_dir
from training.sources import IMAGES_MAGIC, Mnist, MnistFormatError, load_mnist, parse_idx


@pytest.mark.parametrize(("gz", "sep"), [(True, "-"), (False, "-"), (False, ".")])
def test_load_idx_directory_reads_every_layout(tmp_path: Path, gz: bool, sep: str) -> None:
    mnist = load_mnist(write_mnist_dir(tmp_path, gz=gz, sep=sep))
    assert mnist.train.images.shape == (30, 28, 28)
    assert mnist.test.images.shape == (10, 28, 28)
    assert mnist.train.labels.tolist() == [i % 10 for i in range(30)]
    assert len(mnist.checksums) == 4
    assert all(len(value) == 64 for value in mnist.checksums.values())


def test_load_mnist_reads_the_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MNIST_DIR", str(write_mnist_dir(tmp_path)))
    assert len(load_mnist().train) == 30


def test_load_npz(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    path = tmp_path / "mnist.npz"
    np.savez(
        path,
        x_train=rng.integers(0, 256, (12, 28, 28), dtype=np.uint8),
        y_train=np.arange(12, dtype=np.uint8) % 10,
        x_test=rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        y_test=np.arange(5, dtype=np.uint8),
    )
    mnist = load_mnist(path)
    assert (len(mnist.train), len(mnist.test)) == (12, 5)


def test_parse_idx_rejects_wrong_magic() -> None:
    data = idx_labels(np.zeros(3))
    with pytest.raises(MnistFormatError, match="magic number 0x00000801, expected 0x00000803"):
        parse_idx(data, IMAGES_MAGIC, "f")


def test_parse_idx_rejects_truncated_data() -> None:
    data = idx_images(np.zeros((4, 28, 28)))[:-100]
    with pytest.raises(MnistFormatError, match="truncated or padded"):
        parse_idx(data, IMAGES_MAGIC, "f")


def test_parse_idx_rejects_truncated_header() -> None:
    with pytest.raises(MnistFormatError, match="truncated header"):
        parse_idx(struct.pack(">ii", IMAGES_MAGIC, 4), IMAGES_MAGIC, "f")


def test_parse_idx_rejects_wrong_image_size() -> None:
    data = struct.pack(">iiii", IMAGES_MAGIC, 2, 32, 32) + bytes(2 * 32 * 32)
    with pytest.raises(MnistFormatError, match="32x32, expected 28x28"):
        parse_idx(data, IMAGES_MAGIC, "f")


def test_load_rejects_truncated_gzip(tmp_path: Path) -> None:
    directory = write_mnist_dir(tmp_path)
    path = directory / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-12])
    with pytest.raises(MnistFormatError, match=r"t10k-labels-idx1-ubyte\.gz: corrupt or truncated gzip"):
        load_mnist(directory)


def test_load_rejects_count_mismatch(tmp_path: Path) -> None:
    directory = write_mnist_dir(tmp_path)
    (directory / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_labels(np.zeros(9))))
    with pytest.raises(MnistFormatError, match="test set: 10 images but 9 labels"):
        load_mnist(directory)


def test_load_rejects_label_out_of_range(tmp_path: Path) -> None:
    directory = write_mnist_dir(tmp_path)
    (directory / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_labels(np.full(10, 12))))
    with pytest.raises(MnistFormatError, match="label 12 outside 0-9"):
        load_mnist(directory)


def test_load_names_the_missing_file(tmp_path: Path) -> None:
    directory = write_mnist_dir(tmp_path)
    (directory / "train-images-idx3-ubyte.gz").unlink()
    with pytest.raises(MnistFormatError, match="no train-images-idx3-ubyte"):
        load_mnist(directory)


def test_load_rejects_missing_path(tmp_path: Path) -> None:
    with pytest.raises(MnistFormatError, match="no such file or directory"):
        load_mnist(tmp_path / "absent")


@pytest.mark.mnist
def test_real_mnist_has_the_canonical_counts(mnist: Mnist) -> None:
    assert (len(mnist.train), len(mnist.test)) == (60000, 10000)
    counts = np.bincount(mnist.train.labels, minlength=10).tolist()
    assert counts == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
