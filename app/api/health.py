"""Health for people (``/health``) and for orchestrators (``/health/live``, ``/health/ready``).

Not ready (loading, or shutting down) is a 503 from the predictor dependency.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request

from app.api.deps import PredictorDep
from app.api.schemas import ErrorBody, Health

router = APIRouter(prefix="/health", tags=["health"])
NOT_READY: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorBody, "description": "model not loaded or shutting down"}
}


@router.get("", summary="Status, model version and uptime", responses=NOT_READY)
async def health(request: Request, predictor: PredictorDep) -> Health:
    return Health(
        status="ok",
        model_version=predictor.version,
        uptime_seconds=round(time.monotonic() - request.app.state.started_at, 3),
    )


@router.get("/live", summary="The process answers")
async def live() -> Health:
    return Health(status="alive")


@router.get("/ready", summary="The model is loaded and warmed up", responses=NOT_READY)
async def ready(predictor: PredictorDep) -> Health:
    return Health(status="ready", model_version=predictor.version)
