"""What the sync and async clients share: turning inputs into request bodies, answers into objects
and errors into exceptions, the retry schedule, and how a batch is split over the request limits.
"""

from __future__ import annotations

import json
import mimetypes
import os
import random
import struct
import time
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import IO, Any, TypeAlias

import httpx
import numpy as np

from digit_client.errors import DigitServiceError, UnknownServiceError, error_class

__version__ = "0.1.0"

ImageInput: TypeAlias = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes] | np.ndarray
"""A path, the bytes of an image file, a binary file object, or MNIST pixels (28x28 or 784, white on black)."""

DEFAULT_URL = "http://localhost:8000"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_DIGITS = 64
"""Digits per batch request when the service does not say (the limit of versions that do not report one)."""
DEFAULT_MAX_BODY = 10 * 1024 * 1024
"""Request body limit assumed when the service does not say (its default ``MAX_BODY_BYTES``)."""
BODY_MARGIN = 0.9
"""The share of the body limit a batch aims for, leaving room for the multipart framing."""
RETRIED_TRANSPORT_ERRORS = (httpx.NetworkError, httpx.ConnectTimeout, httpx.RemoteProtocolError)
"""Connection failures worth another try: refused, reset or dropped. A read timeout is not retried:
the service got the request and is slow, and sending it again would only add to its load."""


@dataclass(frozen=True)
class Pixels:
    """An image given as MNIST pixels: sent as JSON."""

    values: list[Any]


@dataclass(frozen=True)
class ImageFile:
    """An image given as a file: sent as bytes."""

    name: str
    data: bytes

    @property
    def content_type(self) -> str:
        return mimetypes.guess_type(self.name)[0] or "application/octet-stream"


Encoded: TypeAlias = Pixels | ImageFile


def encode(image: ImageInput | Sequence[Any]) -> Encoded:
    """Read a file, a file object or bytes into an :class:`ImageFile`; an array into :class:`Pixels`."""
    if isinstance(image, str | os.PathLike):
        path = Path(image)
        return ImageFile(path.name, path.read_bytes())
    if isinstance(image, bytes | bytearray | memoryview):
        return ImageFile("image", bytes(image))
    if isinstance(image, np.ndarray):
        return Pixels(_pixel_list(image))
    read = getattr(image, "read", None)
    if callable(read):
        data = read()
        if not isinstance(data, bytes):
            raise TypeError("a file object must be opened in binary mode ('rb')")
        name = getattr(image, "name", None)
        return ImageFile(os.path.basename(name) if isinstance(name, str) else "image", data)
    if isinstance(image, list | tuple):
        return Pixels(_pixel_list(np.asarray(image)))
    raise TypeError(f"cannot send a {type(image).__name__}: give a path, bytes, a binary file or a numpy array")


def _pixel_list(array: np.ndarray) -> list[Any]:
    if array.dtype == np.bool_:
        array = array.astype(np.uint8) * 255
    elif not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise TypeError(f"pixels must be numbers, not {array.dtype}")
    values: list[Any] = array.tolist()
    return values


def png_bytes(array: np.ndarray) -> bytes:
    """A grayscale 8-bit PNG of a 2-D array (0-255, or 0-1 floats), for endpoints that take images only."""
    pixels = np.asarray(array)
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    if pixels.ndim == 1 and pixels.size == 28 * 28:
        pixels = pixels.reshape(28, 28)
    if pixels.ndim != 2 or 0 in pixels.shape:
        raise ValueError(f"expected a 2-D grayscale array, got shape {pixels.shape}")
    if np.issubdtype(pixels.dtype, np.floating) and pixels.size and float(np.nanmax(pixels)) <= 1.0:
        pixels = pixels * 255.0
    rows = np.clip(np.nan_to_num(pixels), 0, 255).round().astype(np.uint8)
    height, width = rows.shape
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)  # filter type 0 per scanline

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def as_image_file(image: ImageInput) -> ImageFile:
    """Like :func:`encode`, but an array becomes a PNG (for endpoints that read images only)."""
    encoded = encode(image)
    if isinstance(encoded, Pixels):
        return ImageFile("image.png", png_bytes(np.asarray(encoded.values, dtype=np.float64)))
    return encoded


def json_body(payload: object) -> dict[str, Any]:
    """httpx arguments for a JSON body (compact, so large batches stay small)."""
    return {
        "content": json.dumps(payload, separators=(",", ":")).encode(),
        "headers": {"Content-Type": "application/json"},
    }


def multipart_body(files: Sequence[ImageFile]) -> dict[str, Any]:
    return {"files": [("file", (f.name, f.data, f.content_type)) for f in files]}


def predict_body(encoded: Encoded) -> dict[str, Any]:
    if isinstance(encoded, Pixels):
        return json_body({"pixels": encoded.values})
    return multipart_body([encoded])


def batch_body(items: Sequence[Encoded]) -> dict[str, Any]:
    """One batch request: all pixels (JSON ``instances``) or all files (multipart), never mixed."""
    if all(isinstance(item, Pixels) for item in items):
        return json_body({"instances": [item.values for item in items if isinstance(item, Pixels)]})
    return multipart_body([item for item in items if isinstance(item, ImageFile)])


def size_of(item: Encoded) -> int:
    """Roughly how many bytes an item adds to a request body."""
    if isinstance(item, ImageFile):
        return len(item.data) + 200
    return len(json.dumps(item.values, separators=(",", ":"))) + 1


def plan_batches(items: Sequence[Encoded], max_digits: int, max_body: int) -> list[list[int]]:
    """Indexes of ``items`` grouped into requests: one kind per request, at most ``max_digits`` each,
    and bodies under the ``max_body`` limit (an item over it on its own still goes alone)."""
    budget = int(max_body * BODY_MARGIN)
    groups: list[list[int]] = []
    for kind in (Pixels, ImageFile):
        current: list[int] = []
        size = 0
        for index, item in enumerate(items):
            if not isinstance(item, kind):
                continue
            item_size = size_of(item)
            if current and (len(current) >= max_digits or size + item_size > budget):
                groups.append(current)
                current, size = [], 0
            current.append(index)
            size += item_size
        if current:
            groups.append(current)
    return groups


def limits_of(model_limits: dict[str, int]) -> tuple[int, int]:
    """The most digits and body bytes per request, from ``GET /model``'s ``limits`` (or the defaults)."""
    max_digits = model_limits.get("max_request_digits") or DEFAULT_MAX_DIGITS
    max_body = model_limits.get("max_body_bytes") or DEFAULT_MAX_BODY
    return max(1, int(max_digits)), max(1, int(max_body))


def should_split(error: DigitServiceError, count: int) -> bool:
    """A 413 for a request of several digits: send it again in halves.

    Also the 400 the service's multipart parser answers for more files than it allows (before the
    batch limit is checked), ``"Too many files. Maximum number of files is 65."``.
    """
    if count <= 1:
        return False
    if error.status == 413:
        return error.code in ("batch_too_large", "payload_too_large")
    return error.status == 400 and error.message.lower().startswith("too many files")


def error_from(response: httpx.Response) -> DigitServiceError:
    """The exception for an error answer: the service's JSON body, or a plain HTTP error from a proxy."""
    request_id = response.headers.get("x-request-id")
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        code = body.get("code")
        code = code if isinstance(code, str) else ""
        request_id = body.get("request_id") or request_id
        message = body["error"]
        if code == "not_found":  # the bare "Not Found" of an unknown path: say which
            message = f"{response.request.method} {response.request.url}: {message}"
        return error_class(code)(message, code, response.status_code, request_id)
    text = response.text.strip()[:200] or response.reason_phrase
    return UnknownServiceError(f"HTTP {response.status_code}: {text}", "", response.status_code, request_id)


def json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise UnknownServiceError(f"the answer is not JSON: {response.text[:200]!r}", "", response.status_code) from exc
    if not isinstance(body, dict):
        raise UnknownServiceError(f"expected a JSON object, got {type(body).__name__}", "", response.status_code)
    return body


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before trying a request again.

    Retried: a 503 (the model is loading, or the replica is shutting down) and connection failures,
    since predictions are pure. Never a 4xx, and never a request the service answered otherwise.
    """

    retries: int = 3
    """Further attempts after the first."""
    backoff: float = 0.25
    """The first wait in seconds; each next one doubles, with full jitter."""
    max_backoff: float = 8.0

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait after failed ``attempt`` (0-based); a ``Retry-After`` header wins, capped."""
        if retry_after:
            seconds = _retry_after_seconds(retry_after)
            if seconds is not None:
                return min(max(seconds, 0.0), self.max_backoff)
        return random.uniform(0, min(self.max_backoff, self.backoff * 2**attempt))


def _retry_after_seconds(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value).timestamp() - time.time()
    except (TypeError, ValueError):
        return None


def client_headers(api_key: str | None, extra: dict[str, str] | None) -> dict[str, str]:
    headers = {"User-Agent": f"digit-client/{__version__}", "Accept": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    headers.update(extra or {})
    return headers


def as_list(images: Iterable[ImageInput]) -> list[ImageInput]:
    """The images of a batch: any iterable, a 3-D array of digits, or a 2-D array of 784-pixel rows."""
    if isinstance(images, np.ndarray):
        if images.ndim == 2 and images.shape[1] == 28 * 28:
            return list(images)
        if images.ndim in (3, 4):
            return list(images)
        raise ValueError(f"a batch array must be (n, 28, 28) or (n, 784), got shape {images.shape}")
    return list(images)
