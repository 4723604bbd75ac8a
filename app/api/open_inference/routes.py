"""The Open Inference Protocol (KServe v2 / NVIDIA Triton) endpoints under ``/v2``.

Clients written for Triton or KServe, tritonclient included, work unchanged. Inference shares the
native API's model, micro-batching and limits. The model repository extension (``/v2/repository``)
lists the versions and loads a new one while serving (``app.inference.repository``).
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request, Response

from app.api.deps import NamedPredictorDep, PredictorDep, each_version, protocol_marker
from app.api.open_inference.codec import HEADER_LENGTH, decode_request, encode_response, model_metadata
from app.api.schemas import MODEL_ROUTE_ERRORS, error_responses
from app.errors import InvalidRequestError, ModelNotFoundError, ServiceError
from app.inference.repository import ModelRepository, version_key

router = APIRouter(
    prefix="/v2",
    tags=["Open Inference Protocol (v2)"],
    dependencies=[Depends(protocol_marker("v2"))],
    responses=error_responses({400: "bad request", **MODEL_ROUTE_ERRORS}),
)
# Liveness and readiness stay open to probes even when API keys protect the rest.
health_router = APIRouter(
    prefix="/v2", tags=["Open Inference Protocol (v2)"], dependencies=[Depends(protocol_marker("v2"))]
)
SERVER_NAME = "mnist-service"
EXTENSIONS = ["binary_tensor_data", "classification", "model_repository"]
REPOSITORY_STATES = {"LOADING": "LOADING", "AVAILABLE": "READY", "UNLOADING": "UNLOADING", "END": "UNAVAILABLE"}


@router.get("", summary="Server metadata")
async def server_metadata(request: Request) -> dict[str, object]:
    return {"name": SERVER_NAME, "version": request.app.version, "extensions": EXTENSIONS}


@health_router.get("/health/live", summary="Server liveness")
async def server_live() -> dict[str, bool]:
    return {"live": True}


@health_router.get("/health/ready", summary="Server readiness")
async def server_ready(predictor: PredictorDep) -> dict[str, bool]:
    return {"ready": True}


@each_version(router.get, "/models/{model_name}", "Model metadata")
async def metadata(predictor: NamedPredictorDep) -> dict[str, object]:
    return model_metadata(predictor.name, predictor.version)


@each_version(router.get, "/models/{model_name}/ready", "Model readiness")
async def model_ready(predictor: NamedPredictorDep) -> dict[str, object]:
    return {"name": predictor.name, "ready": True}


@each_version(router.post, "/models/{model_name}/infer", "Inference", "JSON or binary tensor data")
async def infer(request: Request, predictor: NamedPredictorDep) -> Response:
    max_digits = request.app.state.settings.max_request_digits
    decoded = decode_request(await request.body(), request.headers.get(HEADER_LENGTH), max_digits)
    scores = await predictor.predict(decoded.digits)
    return encode_response(decoded, scores, predictor.digit_threshold, predictor.name, predictor.version)


class ModelRefusedError(ServiceError):
    """A version asked for failed to load or a check; the one serving goes on serving."""

    status_code = 400
    code = "model_refused"


async def _json_object(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body.strip():
        return {}
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequestError(f"malformed JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise InvalidRequestError("expected a JSON object")
    return document


@router.post("/repository/index", summary="Model repository: every version and its state")
async def repository_index(request: Request) -> list[dict[str, str]]:
    repository: ModelRepository = request.app.state.repository
    ready_only = bool((await _json_object(request)).get("ready", False))
    states = {entry.version: entry for entry in repository.statuses()}
    on_disk = repository.discover()
    index = []
    for version in sorted(set(states) | set(on_disk), key=version_key, reverse=True):
        entry = states.get(version)
        state = REPOSITORY_STATES[entry.state.value] if entry is not None else "UNAVAILABLE"
        if ready_only and state != "READY":
            continue
        reason = (entry.error or "") if entry is not None else "not loaded"
        index.append({"name": repository.served_name, "version": version, "state": state, "reason": reason})
    return index


@router.post("/repository/models/{model_name}/load", summary="Model repository: load a version and serve it")
async def repository_load(request: Request, model_name: str) -> Response:
    """Load the latest version on disk, or ``{"parameters": {"version": "2"}}``, check it, warm it up and
    serve it; 400 (the old version still serving) if it is refused."""
    repository: ModelRepository = request.app.state.repository
    if model_name != repository.served_name:
        raise ModelNotFoundError(f"model {model_name!r} not found; serving {repository.served_name!r}")
    parameters = (await _json_object(request)).get("parameters") or {}
    version = parameters.get("version") if isinstance(parameters, dict) else None
    try:
        entry = await repository.load(None if version is None else str(version))
    except KeyError as exc:
        raise ModelNotFoundError(f"model {model_name!r} version {version!r} not found in the repository") from exc
    if entry.error is not None:
        raise ModelRefusedError(f"version {entry.version} refused: {entry.error}")
    return Response(status_code=200)
