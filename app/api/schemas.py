"""Response bodies every API shares (health, errors, the served model's description), and the error answers
routes document with them."""

from __future__ import annotations

from typing import Any

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


def error_responses(descriptions: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error statuses a route may answer: each body is an :class:`ErrorBody`."""
    return {status: {"model": ErrorBody, "description": description} for status, description in descriptions.items()}


MODEL_ROUTE_ERRORS = {404: "unknown model or version", 503: "model not ready"}
"""What a route that names a model (TF Serving's ``/v1``, the Open Inference Protocol's ``/v2``) may answer."""


class JudgeInfo(BaseModel):
    """The digit judge that decides ``is_digit`` (``judge.json``, written by ``training.judge``)."""

    version: str
    threshold: float = Field(description="digit scores below it are answered is_digit: false (DIGIT_THRESHOLD)")
    temperature: float = Field(description="the digit model's probabilities are tempered by it")
    digits_flagged: dict[str, float] | None = Field(None, description="share of held-out digits flagged, per kind")
    non_digits_flagged: dict[str, float] | None = Field(None, description="share of held-out non-digits flagged")


class Limits(BaseModel):
    """What one request may carry; over any of them is a 413 (``batch_too_large``, ``payload_too_large``,
    ``image_too_large``). Clients split larger work by these."""

    max_request_digits: int = Field(description="digits in one request (MAX_REQUEST_DIGITS)")
    max_body_bytes: int = Field(description="bytes of one request body (MAX_BODY_BYTES)")
    max_image_pixels: int = Field(description="width x height of one image (MAX_IMAGE_PIXELS)")


class VersionInfo(BaseModel):
    """One version of the model and where it stands (``app.inference.repository``)."""

    version: str
    state: str = Field(description="LOADING, AVAILABLE, UNLOADING or END (unloaded, or refused: see error)")
    error: str | None = Field(None, description="why the version was refused (unloadable, or failed a check)")
    check_accuracy: float | None = Field(None, description="accuracy on the MNIST test digits shipped with the service")


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
    limits: Limits
    judge: JudgeInfo | None = Field(None, description="absent when no judge is served: every input counts as a digit")
    versions: list[VersionInfo] = Field(default_factory=list, description="every version seen, newest first")
    refused: VersionInfo | None = Field(None, description="the last version refused while serving, if any")
