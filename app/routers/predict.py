"""The native prediction API: one digit, or a batch, in JSON or as images."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from app.deps import authorized_classifier
from app.examples import example_pixels
from app.inputs import read_digit, read_digits
from app.responses import OrjsonResponse
from app.routing import DirectRoute
from app.schemas import BatchPrediction, ErrorBody, Prediction

# The endpoints call their checks themselves: see app.routing for why, and what that rules out.
router = APIRouter(tags=["predict"], route_class=DirectRoute)

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
        400: "malformed JSON, empty body, or an undecodable image",
        413: "body, image or batch over its limit",
        415: "unsupported content type or image format",
        422: "wrong field, array shape or values, or no digit in the image",
        503: "model not ready",
    }.items()
}
_IMAGE_FILE = {"type": "string", "format": "binary"}
_VALUE = {"type": "number", "minimum": 0, "maximum": 255}


def _array(items: dict[str, Any], length: int) -> dict[str, Any]:
    return {"type": "array", "items": items, "minItems": length, "maxItems": length}


_PIXELS_SCHEMA = {
    "description": "784 numbers, or 28 rows of 28 (or 28x28x1); 0-255, or 0-1 floats; white digit on black",
    "oneOf": [_array(_VALUE, 784), _array(_array(_VALUE, 28), 28), _array(_array(_array(_VALUE, 1), 28), 28)],
}


def _predict_body() -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["pixels"],
                        "properties": {"pixels": _PIXELS_SCHEMA},
                    },
                    "example": {"pixels": example_pixels()},
                },
                "multipart/form-data": {
                    "schema": {"type": "object", "required": ["file"], "properties": {"file": _IMAGE_FILE}},
                },
                "image/png": {"schema": _IMAGE_FILE},
                "image/jpeg": {"schema": _IMAGE_FILE},
                "image/*": {"schema": _IMAGE_FILE},
            },
        }
    }


def _batch_body() -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["instances"],
                        "properties": {"instances": {"type": "array", "items": _PIXELS_SCHEMA}},
                    },
                    "example": {"instances": [example_pixels(), example_pixels()]},
                },
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "array", "items": _IMAGE_FILE}},
                    },
                },
            },
        }
    }


@router.post(
    "/predict",
    summary="Predict one digit",
    description=(
        "Send a photo, scan or drawing of one digit (PNG, JPEG, BMP, GIF, TIFF, WebP: any size, "
        "either polarity) as a multipart `file` or as the raw body with an `image/*` type, or MNIST "
        'pixels as JSON `{"pixels": [...]}`.'
    ),
    response_model=Prediction,
    responses=ERROR_RESPONSES,
    openapi_extra=_predict_body(),
)
async def predict(request: Request) -> OrjsonResponse:
    classifier = authorized_classifier(request)
    digits = await read_digit(request, classifier)
    probabilities = await classifier.predict(digits)
    return OrjsonResponse(classifier.postprocess(probabilities)[0])


@router.post(
    "/predict/batch",
    summary="Predict several digits",
    description=(
        'JSON `{"instances": [pixels, ...]}` or multipart with several `file` parts; predictions '
        "come back in request order. At most `MAX_BATCH_SIZE` digits."
    ),
    response_model=BatchPrediction,
    responses=ERROR_RESPONSES,
    openapi_extra=_batch_body(),
)
async def predict_batch(request: Request) -> OrjsonResponse:
    classifier = authorized_classifier(request)
    digits = await read_digits(request, classifier)
    probabilities = await classifier.predict(digits)
    return OrjsonResponse({"predictions": classifier.postprocess(probabilities)})
