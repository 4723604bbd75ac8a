"""Response bodies of the native API, as the OpenAPI docs show them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Prediction(BaseModel):
    digit: int = Field(ge=0, le=9, description="the most probable digit")
    confidence: float = Field(ge=0.0, le=1.0, description="probability of that digit")
    probabilities: list[float] = Field(min_length=10, max_length=10, description="digits 0-9, summing to 1")
    model_version: str


class BatchPrediction(BaseModel):
    predictions: list[Prediction] = Field(description="one per input, in request order")


class Health(BaseModel):
    status: str
    model_version: str | None = None
    uptime_seconds: float | None = None


class ErrorBody(BaseModel):
    error: str = Field(description="what was wrong, for people")
    code: str = Field(description="a stable machine-readable code")
    request_id: str | None = Field(None, description="the request's X-Request-ID, to find it in the logs")


class ModelInfo(BaseModel):
    """The served model's metadata, from the ``mnist.json`` written by the training module."""

    name: str
    version: str
    architecture: str
    parameters: int | None = None
    flops_per_image: int | None = None
    test_accuracy: float | None = None
    per_class_accuracy: list[float] | None = None
    input: dict[str, Any]
    trained_at: str | None = None
    sha256: str
    runtime: str
    device: str
