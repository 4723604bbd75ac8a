"""The Open Inference Protocol (KServe v2 / NVIDIA Triton) endpoints under ``/v2``.

Clients written for Triton or KServe, tritonclient included, work unchanged. Inference shares the
native API's model, micro-batching and limits.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from app.deps import ClassifierDep, NamedClassifierDep, protocol_marker
from app.protocols.open_inference import HEADER_LENGTH, encode_infer_response, model_metadata, parse_infer_request
from app.schemas import ErrorBody

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
async def server_ready(classifier: ClassifierDep) -> dict[str, bool]:
    return {"ready": True}


@router.get("/models/{model_name}", summary="Model metadata")
@router.get("/models/{model_name}/versions/{model_version}", summary="Model metadata, one version")
async def metadata(classifier: NamedClassifierDep) -> dict[str, object]:
    return model_metadata(classifier.name, classifier.version)


@router.get("/models/{model_name}/ready", summary="Model readiness")
@router.get("/models/{model_name}/versions/{model_version}/ready", summary="Model readiness, one version")
async def model_ready(classifier: NamedClassifierDep) -> dict[str, object]:
    return {"name": classifier.name, "ready": True}


@router.post("/models/{model_name}/infer", summary="Inference (JSON or binary tensor data)")
@router.post("/models/{model_name}/versions/{model_version}/infer", summary="Inference, one version")
async def infer(request: Request, classifier: NamedClassifierDep) -> Response:
    parsed = parse_infer_request(
        await request.body(), request.headers.get(HEADER_LENGTH), classifier.settings.max_batch_size
    )
    probabilities = await classifier.predict(parsed.digits)
    body, headers = encode_infer_response(parsed, probabilities, classifier.name, classifier.version)
    return Response(body, headers=headers)
