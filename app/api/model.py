"""What model is being served: its training metadata, its file's hash, and the runtime serving it."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import PredictorDep
from app.api.schemas import ModelInfo

router = APIRouter(tags=["model"])


@router.get("/model", summary="The served model's metadata")
async def model_info(predictor: PredictorDep) -> ModelInfo:
    model = predictor.model
    described = model.metadata.model_dump(include=set(ModelInfo.model_fields))
    serving = {"sha256": model.sha256, "runtime": model.runtime.name, "device": model.runtime.device}
    return ModelInfo.model_validate(described | serving)
