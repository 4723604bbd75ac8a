"""Response bodies every API shares: health, errors, the served model's description."""

from __future__ import annotations

from pydantic import BaseModel, Field

from mnist_format.metadata import InputFormat


class Health(BaseModel):
    status: str
    model_version: str | None = None
    uptime_seconds: float | None = None


class ErrorBody(BaseModel):
    error: str = Field(description="what was wrong, for people")
    code: str = Field(description="a stable machine-readable code")
    request_id: str | None = Field(None, description="the request's X-Request-ID, to find it in the logs")


class ModelInfo(BaseModel):
    """The served model: its metadata (``mnist.json``, written by the training module), and how it runs."""

    name: str
    version: str
    architecture: str
    parameters: int | None = None
    flops_per_image: int | None = None
    test_accuracy: float | None = None
    per_class_accuracy: list[float] | None = None
    input: InputFormat
    trained_at: str | None = None
    sha256: str
    runtime: str
    device: str
