"""What model is being served: its training metadata, its file's hash, the runtime serving it, and the
limits of one request."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.api.deps import PredictorDep
from app.api.schemas import JudgeInfo, Limits, ModelInfo
from app.inference.repository import ModelRepository

router = APIRouter(tags=["model"])


@router.get("/model", summary="The served model's metadata")
async def model_info(request: Request, predictor: PredictorDep) -> ModelInfo:
    model, settings = predictor.model, request.app.state.settings
    described = model.metadata.model_dump(include=set(ModelInfo.model_fields))
    serving = {"sha256": model.sha256, "runtime": model.runtime.name, "device": model.runtime.device}
    judge = None
    if model.judge is not None:
        judge = model.judge.model_dump(include=set(JudgeInfo.model_fields)) | {"threshold": predictor.digit_threshold}
    limits = Limits(
        max_request_digits=settings.max_request_digits,
        max_body_bytes=settings.max_body_bytes,
        max_image_pixels=settings.max_image_pixels,
    )
    repository: ModelRepository = request.app.state.repository
    versions = [entry.describe() for entry in repository.statuses()]
    refused = repository.last_failure.describe() if repository.last_failure is not None else None
    extra = {"judge": judge, "limits": limits, "versions": versions, "refused": refused}
    return ModelInfo.model_validate(described | serving | extra | {"version": model.version})
