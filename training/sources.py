"""Load MNIST from wherever a user has it.

Three sources, in the order a user is most likely to need them:

* a directory holding the four canonical IDX files (gzipped or not), as distributed by
  Y. LeCun et al. and mirrored on every machine without internet access;
* a Keras-style ``mnist.npz`` (``x_train``, ``y_train``, ``x_test``, ``y_test``);
* nothing at all, in which case ``keras.datasets.mnist.load_data()`` downloads it.

Every file is validated (magic number, dimensions, counts, exact length) so that a corrupt or
truncated download fails here with a message naming the file, not later as a shape error deep
inside Keras.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_format import FIELD_SIDE, NUM_CLASSES

MNIST_DIR_ENV = "MNIST_DIR"
IMAGES_MAGIC = 0x00000803  # unsigned byte data, 3 dimensions
LABELS_MAGIC = 0x00000801  # unsigned byte data, 1 dimension
GZIP_MAGIC = b"\x1f\x8b"

# Canonical stems; each may appear as ``stem-idx3-ubyte`` or ``stem.idx3-ubyte``, gzipped or not.
IDX_FILES = {
    "train_images": ("train-images", "idx3-ubyte"),
    "train_labels": ("train-labels", "idx1-ubyte"),
    "test_images": ("t10k-images", "idx3-ubyte"),
    "test_labels": ("t10k-labels", "idx1-ubyte"),
}


class MnistFormatError(ValueError):
    """A data file is missing, truncated or not in the format MNIST is distributed in."""


@dataclass(frozen=True)
class MnistSplit:
    """Images ``(n, 28, 28)`` uint8, white digit on black, and their labels ``(n,)`` uint8."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return int(self.labels.shape[0])


@dataclass(frozen=True)
class Mnist:
    """The training and test splits plus where they came from, for the model's metadata."""

    train: MnistSplit
    test: MnistSplit
    source: str
    checksums: dict[str, str]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_bytes(path: Path) -> tuple[bytes, str]:
    """Return the file's payload (gunzipped when it is gzip) and the sha256 of the file as stored."""
    raw = path.read_bytes()
    if not raw.startswith(GZIP_MAGIC):
        return raw, _sha256(raw)
    try:
        return gzip.decompress(raw), _sha256(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise MnistFormatError(f"{path}: corrupt or truncated gzip data ({exc})") from exc


def parse_idx(data: bytes, expected_magic: int, name: str) -> np.ndarray:
    """Parse one IDX payload into a uint8 array, checking its header against its length."""
    if len(data) < 8:
        raise MnistFormatError(f"{name}: {len(data)} bytes is too short for an IDX header")
    (magic,) = struct.unpack(">i", data[:4])
    if magic != expected_magic:
        raise MnistFormatError(f"{name}: magic number 0x{magic:08x}, expected 0x{expected_magic:08x}")
    ndim = expected_magic & 0xFF
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise MnistFormatError(f"{name}: truncated header ({len(data)} of {header_len} bytes)")
    dims = struct.unpack(f">{ndim}i", data[4:header_len])
    if ndim == 3 and dims[1:] != (FIELD_SIDE, FIELD_SIDE):
        raise MnistFormatError(f"{name}: images are {dims[1]}x{dims[2]}, expected {FIELD_SIDE}x{FIELD_SIDE}")
    expected_len = header_len + int(np.prod(dims))
    if len(data) != expected_len:
        raise MnistFormatError(
            f"{name}: header promises {expected_len - header_len} data bytes for shape {dims}, "
            f"file has {len(data) - header_len} (truncated or padded)"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header_len).reshape(dims)


def _find_idx_file(directory: Path, stem: str, suffix: str) -> Path:
    for separator in ("-", "."):
        for extension in (".gz", ""):
            candidate = directory / f"{stem}{separator}{suffix}{extension}"
            if candidate.is_file():
                return candidate
    raise MnistFormatError(f"{directory}: no {stem}-{suffix}[.gz] file")


def _check_split(images: np.ndarray, labels: np.ndarray, name: str) -> MnistSplit:
    if images.shape[0] != labels.shape[0]:
        raise MnistFormatError(f"{name}: {images.shape[0]} images but {labels.shape[0]} labels")
    if images.shape[0] == 0:
        raise MnistFormatError(f"{name}: no examples")
    if labels.size and int(labels.max()) >= NUM_CLASSES:
        raise MnistFormatError(f"{name}: label {int(labels.max())} outside 0-{NUM_CLASSES - 1}")
    return MnistSplit(images=images, labels=labels)


def load_idx_directory(directory: Path) -> Mnist:
    """Load the four IDX files from ``directory``."""
    arrays: dict[str, np.ndarray] = {}
    checksums: dict[str, str] = {}
    for key, (stem, suffix) in IDX_FILES.items():
        path = _find_idx_file(directory, stem, suffix)
        payload, checksum = _read_bytes(path)
        magic = IMAGES_MAGIC if suffix.startswith("idx3") else LABELS_MAGIC
        arrays[key] = parse_idx(payload, magic, str(path))
        checksums[path.name] = checksum
    return Mnist(
        train=_check_split(arrays["train_images"], arrays["train_labels"], "training set"),
        test=_check_split(arrays["test_images"], arrays["test_labels"], "test set"),
        source=str(directory),
        checksums=checksums,
    )


def load_npz(path: Path) -> Mnist:
    """Load a Keras-style ``mnist.npz``."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in ("x_train", "y_train", "x_test", "y_test")}
    except KeyError as exc:
        raise MnistFormatError(f"{path}: missing array {exc}") from exc
    except (OSError, ValueError) as exc:
        raise MnistFormatError(f"{path}: not a readable .npz file ({exc})") from exc
    for key in ("x_train", "x_test"):
        if arrays[key].ndim != 3 or arrays[key].shape[1:] != (FIELD_SIDE, FIELD_SIDE):
            raise MnistFormatError(f"{path}: {key} has shape {arrays[key].shape}")
    arrays = {key: value.astype(np.uint8, copy=False) for key, value in arrays.items()}
    return Mnist(
        train=_check_split(arrays["x_train"], arrays["y_train"], "training set"),
        test=_check_split(arrays["x_test"], arrays["y_test"], "test set"),
        source=str(path),
        checksums={path.name: _sha256(path.read_bytes())},
    )


def load_from_keras() -> Mnist:
    """Download MNIST with Keras (needs internet access; cached in ``~/.keras/datasets``)."""
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as exc:  # Keras wraps network failures in a bare Exception
        raise MnistFormatError(
            f"could not download MNIST with Keras ({exc}); pass a local directory with --data or {MNIST_DIR_ENV}"
        ) from exc
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    return Mnist(
        train=_check_split(x_train, y_train, "training set"),
        test=_check_split(x_test, y_test, "test set"),
        source="keras.datasets.mnist",
        checksums={key: _sha256(value.tobytes()) for key, value in arrays.items()},
    )


def resolve_location(location: str | Path | None) -> Path | None:
    """The explicit location if given, else ``$MNIST_DIR``, else None (meaning: download)."""
    if location:
        return Path(location)
    from_env = os.environ.get(MNIST_DIR_ENV)
    return Path(from_env) if from_env else None


def load_mnist(location: str | Path | None = None) -> Mnist:
    """Load MNIST from a directory of IDX files, an ``.npz`` file, or (if neither) Keras."""
    path = resolve_location(location)
    if path is None:
        return load_from_keras()
    if path.is_dir():
        return load_idx_directory(path)
    if path.is_file():
        return load_npz(path)
    raise MnistFormatError(f"{path}: no such file or directory")
