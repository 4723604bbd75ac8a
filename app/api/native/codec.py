"""The native API's codec: a request to digits, probabilities to the answer.

A request carries its digits in one of three forms:

* ``application/json``: ``{"pixels": [...]}`` (one digit) or ``{"instances": [...]}`` (several);
* ``multipart/form-data``: image files in the ``file`` field (``files`` also accepted for several);
* ``image/*`` or ``application/octet-stream``: the raw bytes of one image.

Answers are plain dicts holding numpy values, which ``OrjsonResponse`` writes directly.
"""

from __future__ import annotations

import base64
from typing import Any

import cv2
import numpy as np
from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from app.api.json_body import json_field, parse_json
from app.api.limits import check_digit_count
from app.api.multipart import FILE_FIELDS, single_file
from app.errors import BatchTooLargeError, InvalidPixelsError, InvalidRequestError, UnsupportedMediaTypeError
from app.http.fast_route import OrjsonResponse
from app.inference.predictor import Predictor
from app.postprocessing.choose import Chosen
from app.postprocessing.verdict import answers
from app.preprocessing.candidates import Candidates
from app.preprocessing.pixels import to_digit
from app.preprocessing.pool import ImagePreprocessor

ACCEPTED_TYPES = "application/json, multipart/form-data, or image/* bytes"


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def _uploaded_files(request: Request, max_files: int) -> list[bytes]:
    one = single_file(await request.body(), request.headers.get("content-type", ""))
    if one is not None:
        return [one]
    async with request.form(max_files=max_files, max_fields=max_files) as form:
        uploads = [value for field in FILE_FIELDS for value in form.getlist(field) if isinstance(value, UploadFile)]
        if not uploads:
            fields = ", ".join(f'"{key}"' for key in form) or "none"
            raise InvalidRequestError(f'multipart upload needs the image in a "file" field (fields sent: {fields})')
        return [await upload.read() for upload in uploads]


def _unsupported(media_type: str, accepted: str) -> UnsupportedMediaTypeError:
    return UnsupportedMediaTypeError(f"content type {media_type or '(none)'!r}; send {accepted}")


async def decode_digit(request: Request, images: ImagePreprocessor) -> Candidates:
    """The inputs to try for one digit."""
    media_type = _media_type(request)
    if media_type == "application/json":
        return Candidates.of_pixels(to_digit(json_field(parse_json(await request.body()), "pixels"))[np.newaxis])
    if media_type == "multipart/form-data":
        files = await _uploaded_files(request, max_files=1)
        return await images.digits(files[:1])
    if media_type.startswith("image/") or media_type == "application/octet-stream":
        return await images.digits([await request.body()])
    raise _unsupported(media_type, ACCEPTED_TYPES)


def _instance_to_digit(instance: Any, index: int) -> np.ndarray:
    if isinstance(instance, dict):
        instance = json_field(instance, "pixels")
    return to_digit(instance, where=f"instances[{index}]")


async def decode_digits(request: Request, images: ImagePreprocessor, max_digits: int) -> Candidates:
    """The inputs to try for several digits, in request order; at most ``max_digits``."""
    media_type = _media_type(request)
    if media_type == "application/json":
        instances = json_field(parse_json(await request.body()), "instances")
        if not isinstance(instances, list):
            raise InvalidPixelsError('"instances" must be an array of pixel arrays')
        check_digit_count(len(instances), max_digits)
        return Candidates.of_pixels(np.stack([_instance_to_digit(instance, i) for i, instance in enumerate(instances)]))
    if media_type == "multipart/form-data":
        try:
            files = await _uploaded_files(request, max_files=max_digits)
        except HTTPException as exc:  # starlette's parser stops counting files at the limit
            if not str(exc.detail).startswith("Too many files"):
                raise
            raise BatchTooLargeError(f"batch of more than {max_digits} digits; the limit is {max_digits}") from exc
        check_digit_count(len(files), max_digits)
        return await images.digits(files)
    raise _unsupported(media_type, "application/json or multipart/form-data")


def input_png(digit: np.ndarray) -> str:
    """The model's ``(28, 28)`` input as a base64 PNG, white on black as the model saw it."""
    ok, png = cv2.imencode(".png", np.clip(digit * 255.0 + 0.5, 0, 255).astype(np.uint8))
    assert ok, "PNG encoding of a 28x28 uint8 image cannot fail"
    return base64.b64encode(png.tobytes()).decode("ascii")


def wants_explanation(request: Request) -> bool:
    """``?explain=true``: the answer carries the normalised input the model saw."""
    return request.query_params.get("explain", "").lower() in ("1", "true", "yes")


def encode_prediction(candidates: Candidates, chosen: Chosen, predictor: Predictor, explain: bool) -> OrjsonResponse:
    """The answer for one digit: ``schemas.Prediction``."""
    answer = answers(chosen, predictor.digit_threshold, predictor.version)[0]
    if explain:
        answer["input_png"] = input_png(candidates.inputs[chosen.rows[0]])
    return OrjsonResponse(answer)


def encode_predictions(chosen: Chosen, predictor: Predictor) -> OrjsonResponse:
    """The answer for several: ``schemas.BatchPrediction``."""
    return OrjsonResponse({"predictions": answers(chosen, predictor.digit_threshold, predictor.version)})
