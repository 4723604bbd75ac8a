"""The TensorFlow Serving REST API under ``/v1``, sharing the native API's model, batching and limits."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from app.api.deps import NamedPredictorDep, PredictorDep, each_version, protocol_marker
from app.api.schemas import MODEL_ROUTE_ERRORS, error_responses
from app.api.tf_serving.codec import decode_request, encode_response, model_metadata, model_status
from app.errors import ModelNotFoundError
from app.http.fast_route import OrjsonResponse
from app.inference.repository import ModelRepository

router = APIRouter(
    prefix="/v1/models",
    tags=["TensorFlow Serving REST (v1)"],
    dependencies=[Depends(protocol_marker("v1"))],
    responses=error_responses({400: "invalid argument", **MODEL_ROUTE_ERRORS}),
)


@each_version(router.get, "/{model_name}", "Model status", "every version's state")
async def status(
    request: Request, predictor: PredictorDep, model_name: str, model_version: str | None = None
) -> dict[str, Any]:
    repository: ModelRepository = request.app.state.repository
    versions = [
        (entry.version, entry.state.value, entry.error)
        for entry in repository.statuses()
        if model_version in (None, entry.version)
    ]
    if model_name != predictor.name or not versions:
        wanted = f"{model_name!r}" + (f" version {model_version!r}" if model_version is not None else "")
        raise ModelNotFoundError(f"model {wanted} not found")
    return model_status(versions)


@each_version(router.get, "/{model_name}/metadata", "Model metadata", "signature")
async def metadata(predictor: NamedPredictorDep) -> dict[str, Any]:
    return model_metadata(predictor.name, predictor.version)


@each_version(router.post, "/{model_name}:predict", "Predict", "row or columnar format")
async def predict(request: Request, predictor: NamedPredictorDep) -> OrjsonResponse:
    decoded = decode_request(await request.body(), request.app.state.settings.max_request_digits)
    return encode_response(decoded, await predictor.predict(decoded.digits), predictor.digit_threshold)
