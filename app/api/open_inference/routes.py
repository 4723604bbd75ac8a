"""The Open Inference Protocol (KServe v2 / NVIDIA Triton) endpoints under ``/v2``.

Clients written for Triton or KServe, tritonclient included, work unchanged. Inference shares the
native API's model, micro-batching and limits.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from app.api.deps import NamedPredictorDep, PredictorDep, protocol_marker
from app.api.open_inference.codec import HEADER_LENGTH, decode_request, encode_response, model_metadata
from app.api.schemas import ErrorBody

router = APIRouter(
    prefix="/v2",
    tags=["Open Inference Protocol (v2)"],
    dependencies=[Depends(protocol_marker("v2"))],
    responses={
        400: {"model": ErrorBody, "description": "bad request"},
        404: {"model": ErrorBody, "description": "unknown model or version"},
        503: {"model": ErrorBody, "description": "model not ready"},
    },
)
# Liveness and readiness stay open to probes even when API keys protect the rest.
health_router = APIRouter(
    prefix="/v2", tags=["Open Inference Protocol (v2)"], dependencies=[Depends(protocol_marker("v2"))]
)
SERVER_NAME = "mnist-service"
EXTENSIONS = ["binary_tensor_data", "classification"]


@router.get("", summary="Server metadata")
async def server_metadata(request: Request) -> dict[str, object]:
    return {"name": SERVER_NAME, "version": request.app.version, "extensions": EXTENSIONS}


@health_router.get("/health/live", summary="Server liveness")
async def server_live() -> dict[str, bool]:
    return {"live": True}


@health_router.get("/health/ready", summary="Server readiness")
async def server_ready(predictor: PredictorDep) -> dict[str, bool]:
    return {"ready": True}


@router.get("/models/{model_name}", summary="Model metadata")
@router.get("/models/{model_name}/versions/{model_version}", summary="Model metadata, one version")
async def metadata(predictor: NamedPredictorDep) -> dict[str, object]:
    return model_metadata(predictor.name, predictor.version)


@router.get("/models/{model_name}/ready", summary="Model readiness")
@router.get("/models/{model_name}/versions/{model_version}/ready", summary="Model readiness, one version")
async def model_ready(predictor: NamedPredictorDep) -> dict[str, object]:
    return {"name": predictor.name, "ready": True}


@router.post("/models/{model_name}/infer", summary="Inference (JSON or binary tensor data)")
@router.post("/models/{model_name}/versions/{model_version}/infer", summary="Inference, one version")
async def infer(request: Request, predictor: NamedPredictorDep) -> Response:
    max_digits = request.app.state.settings.max_request_digits
    decoded = decode_request(await request.body(), request.headers.get(HEADER_LENGTH), max_digits)
    scores = await predictor.predict(decoded.digits)
    return encode_response(decoded, scores, predictor.digit_threshold, predictor.name, predictor.version)
