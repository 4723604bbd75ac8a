"""What model is being served, from its training metadata."""

from __future__ import annotations

from fastapi import APIRouter

from app.deps import ClassifierDep
from app.schemas import ModelInfo

router = APIRouter(tags=["model"])


@router.get("/model", summary="The served model's metadata")
async def model_info(classifier: ClassifierDep) -> ModelInfo:
    return classifier.info()
