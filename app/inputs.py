"""Read the digits out of a request, whichever of the accepted forms it takes.

* ``application/json``: ``{"pixels": [...]}`` (one digit) or ``{"instances": [...]}`` (a batch);
* ``multipart/form-data``: image files in the ``file`` field (``files`` also accepted for batches);
* ``image/*`` or ``application/octet-stream``: the raw bytes of one image.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import Request
from starlette.datastructures import UploadFile

from app.classifier import DigitClassifier
from app.config import Settings
from app.errors import (
    BatchTooLargeError,
    InvalidPixelsError,
    InvalidRequestError,
    UnsupportedMediaTypeError,
)
from app.pixels import json_field, parse_json, to_digit

FILE_FIELDS = ("file", "files")
ACCEPTED_TYPES = "application/json, multipart/form-data, or image/* bytes"


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def _uploaded_files(request: Request, max_files: int) -> list[bytes]:
    async with request.form(max_files=max_files, max_fields=max_files) as form:
        uploads = [value for field in FILE_FIELDS for value in form.getlist(field) if isinstance(value, UploadFile)]
        if not uploads:
            fields = ", ".join(f'"{key}"' for key in form) or "none"
            raise InvalidRequestError(f'multipart upload needs the image in a "file" field (fields sent: {fields})')
        return [await upload.read() for upload in uploads]


def _check_batch_size(count: int, settings: Settings) -> None:
    if count > settings.max_batch_size:
        raise BatchTooLargeError(f"batch of {count} digits; the limit is {settings.max_batch_size}")
    if count == 0:
        raise InvalidPixelsError("the batch is empty")


async def read_digit(request: Request, classifier: DigitClassifier) -> np.ndarray:
    """One digit as ``(1, 28, 28)`` float32 in 0-1."""
    media_type = _media_type(request)
    if media_type == "application/json":
        return to_digit(json_field(parse_json(await request.body()), "pixels"))[np.newaxis]
    if media_type == "multipart/form-data":
        files = await _uploaded_files(request, max_files=1)
        return await classifier.preprocess_images(files[:1])
    if media_type.startswith("image/") or media_type == "application/octet-stream":
        return await classifier.preprocess_images([await request.body()])
    raise UnsupportedMediaTypeError(f"content type {media_type or '(none)'!r}; send {ACCEPTED_TYPES}")


def _instance_to_digit(instance: Any, index: int) -> np.ndarray:
    if isinstance(instance, dict):
        instance = json_field(instance, "pixels")
    return to_digit(instance, where=f"instances[{index}]")


async def read_digits(request: Request, classifier: DigitClassifier) -> np.ndarray:
    settings = classifier.settings
    """Several digits as ``(n, 28, 28)`` float32 in 0-1, in request order."""
    media_type = _media_type(request)
    if media_type == "application/json":
        instances = json_field(parse_json(await request.body()), "instances")
        if not isinstance(instances, list):
            raise InvalidPixelsError('"instances" must be an array of pixel arrays')
        _check_batch_size(len(instances), settings)
        return np.stack([_instance_to_digit(instance, i) for i, instance in enumerate(instances)])
    if media_type == "multipart/form-data":
        files = await _uploaded_files(request, max_files=settings.max_batch_size + 1)
        _check_batch_size(len(files), settings)
        return await classifier.preprocess_images(files)
    raise UnsupportedMediaTypeError(
        f"content type {media_type or '(none)'!r}; send application/json or multipart/form-data"
    )
