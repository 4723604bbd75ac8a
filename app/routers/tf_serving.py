"""The TensorFlow Serving REST API under ``/v1``, sharing the native API's model, batching and limits."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from app.deps import NamedClassifierDep, protocol_marker
from app.protocols.tf_serving import model_metadata, model_status, parse_predict_request, predict_response
from app.schemas import ErrorBody

router = APIRouter(
    prefix="/v1/models",
    tags=["TensorFlow Serving REST (v1)"],
    dependencies=[Depends(protocol_marker("v1"))],
    responses={
        400: {"model": ErrorBody, "description": "invalid argument"},
        404: {"model": ErrorBody, "description": "unknown model or version"},
        503: {"model": ErrorBody, "description": "model not ready"},
    },
)


@router.get("/{model_name}", summary="Model status")
@router.get("/{model_name}/versions/{model_version}", summary="Model status, one version")
async def status(classifier: NamedClassifierDep) -> dict[str, Any]:
    return model_status(classifier.version)


@router.get("/{model_name}/metadata", summary="Model metadata (signature)")
@router.get("/{model_name}/versions/{model_version}/metadata", summary="Model metadata, one version")
async def metadata(classifier: NamedClassifierDep) -> dict[str, Any]:
    return model_metadata(classifier.name, classifier.version)


@router.post("/{model_name}:predict", summary="Predict (row or columnar format)")
@router.post("/{model_name}/versions/{model_version}:predict", summary="Predict, one version")
async def predict(request: Request, classifier: NamedClassifierDep) -> dict[str, Any]:
    parsed = parse_predict_request(await request.body(), classifier.settings.max_batch_size)
    return predict_response(parsed, await classifier.predict(parsed.digits))
