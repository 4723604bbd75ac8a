"""The native prediction API: decode the request into digits, predict, encode the answer.

The routes are ``DirectRoute``s (``app.http.fast_route``): no dependency solving per request, so
each checks the API key and readiness itself. Their OpenAPI request bodies come from the schemas in
``schemas``, since FastAPI cannot see a body the endpoint reads itself.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from app.api.deps import authorized_predictor
from app.api.native.codec import (
    decode_digit,
    decode_digits,
    encode_prediction,
    encode_predictions,
    wants_explanation,
)
from app.api.native.examples import example_pixels
from app.api.native.schemas import BatchPrediction, InstancesRequest, PixelsRequest, Prediction
from app.api.schemas import ErrorBody
from app.http.fast_route import DirectRoute, OrjsonResponse
from app.postprocessing.choose import choose

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
IMAGE_FILE = {"type": "string", "format": "binary"}
EXPLAIN = {
    "name": "explain",
    "in": "query",
    "required": False,
    "schema": {"type": "boolean", "default": False},
    "description": "add input_png: the normalised 28x28 input the model saw, to see why an upload was misread",
}


def request_body(json_schema: type[BaseModel], example: dict[str, Any], files: dict[str, Any]) -> dict[str, Any]:
    """An ``openapi_extra`` documenting a body read by the endpoint itself: JSON from ``json_schema``,
    multipart image ``files``, and (for one digit, ``files`` a single file) a raw image body."""
    single = files.get("type") != "array"
    multipart = {"type": "object", "required": ["file"], "properties": {"file": files}}
    content: dict[str, Any] = {
        "application/json": {"schema": json_schema.model_json_schema(), "example": example},
        "multipart/form-data": {"schema": multipart},
    }
    if single:
        content.update({media_type: {"schema": IMAGE_FILE} for media_type in ("image/png", "image/jpeg", "image/*")})
    return {"requestBody": {"required": True, "content": content}}


@router.post(
    "/predict",
    summary="Predict one digit",
    description=(
        "Send a photo, scan or drawing of one digit (PNG, JPEG, BMP, GIF, TIFF, WebP: any size, "
        "either polarity) as a multipart `file` or as the raw body with an `image/*` type, or MNIST "
        'pixels as JSON `{"pixels": [...]}`. `is_digit` says whether it is one digit at all; '
        "`?explain=true` adds the 28x28 input the model saw."
    ),
    response_model=Prediction,
    response_model_exclude_none=True,
    responses=ERROR_RESPONSES,
    openapi_extra={**request_body(PixelsRequest, {"pixels": example_pixels()}, IMAGE_FILE), "parameters": [EXPLAIN]},
)
async def predict(request: Request) -> OrjsonResponse:
    predictor = authorized_predictor(request)
    candidates = await decode_digit(request, request.app.state.preprocessor)
    chosen = choose(candidates, await predictor.predict(candidates.inputs))
    return encode_prediction(candidates, chosen, predictor, wants_explanation(request))


@router.post(
    "/predict/batch",
    summary="Predict several digits",
    description=(
        'JSON `{"instances": [pixels, ...]}` or multipart with several `file` parts; predictions '
        "come back in request order. At most `MAX_REQUEST_DIGITS` digits (1,024 by default)."
    ),
    response_model=BatchPrediction,
    responses=ERROR_RESPONSES,
    openapi_extra=request_body(
        InstancesRequest,
        {"instances": [example_pixels(), example_pixels()]},
        {"type": "array", "items": IMAGE_FILE},
    ),
)
async def predict_batch(request: Request) -> OrjsonResponse:
    predictor = authorized_predictor(request)
    settings = request.app.state.settings
    candidates = await decode_digits(request, request.app.state.preprocessor, settings.max_request_digits)
    chosen = choose(candidates, await predictor.predict(candidates.inputs))
    return encode_predictions(chosen, predictor)
