"""The service's answers as typed, immutable dataclasses (mirroring the API's JSON schemas).

Parsing is lenient towards newer servers: fields the client does not know are ignored, and fields
that older servers do not send take their defaults.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Prediction:
    """One digit: ``POST /predict`` (and each item of ``POST /predict/batch``)."""

    digit: int
    """The most probable digit, 0-9."""
    confidence: float
    """The probability that the answer is right: that the image is a digit, times that digit's probability."""
    probabilities: tuple[float, ...]
    """Digits 0-9, summing to 1."""
    model_version: str
    is_digit: bool = True
    """False when the image does not look like one handwritten digit (``reason`` says why)."""
    reason: str | None = None
    """Why it is not a digit, e.g. ``"not_a_digit"`` or ``"several_digits"``; None for a digit."""
    message: str | None = None
    """When it is not a digit: the reason in words."""
    input_png: bytes | None = field(default=None, repr=False)
    """With ``explain=True``: the 28x28 image the model saw, as PNG bytes."""

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Prediction:
        png = body.get("input_png")
        return cls(
            digit=int(body["digit"]),
            confidence=float(body["confidence"]),
            probabilities=tuple(float(p) for p in body["probabilities"]),
            model_version=str(body["model_version"]),
            is_digit=bool(body.get("is_digit", True)),
            reason=body.get("reason"),
            message=body.get("message"),
            input_png=base64.b64decode(png) if isinstance(png, str) else None,
        )


@dataclass(frozen=True)
class NumberDigit:
    """One digit found in a number: its value, probability and box ``(x, y, width, height)`` in the image."""

    digit: int
    confidence: float
    box: tuple[int, int, int, int]

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> NumberDigit:
        x, y, width, height = (int(v) for v in body["box"])
        return cls(digit=int(body["digit"]), confidence=float(body["confidence"]), box=(x, y, width, height))


@dataclass(frozen=True)
class NumberReading:
    """A number of several digits read from one image: ``POST /predict/number``."""

    text: str
    """The digits left to right, e.g. ``"04830"`` (leading zeros kept)."""
    confidence: float
    digits: tuple[NumberDigit, ...]
    model_version: str

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> NumberReading:
        return cls(
            text=str(body["text"]),
            confidence=float(body["confidence"]),
            digits=tuple(NumberDigit.from_json(d) for d in body["digits"]),
            model_version=str(body["model_version"]),
        )


@dataclass(frozen=True)
class Health:
    """``GET /health``: status, model version and uptime (raised as ModelNotReadyError while not ready)."""

    status: str
    model_version: str | None = None
    uptime_seconds: float | None = None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Health:
        uptime = body.get("uptime_seconds", body.get("uptime_s"))
        return cls(
            status=str(body["status"]),
            model_version=body.get("model_version"),
            uptime_seconds=float(uptime) if uptime is not None else None,
        )


@dataclass(frozen=True)
class ModelInfo:
    """``GET /model``: the served model's metadata."""

    name: str
    version: str
    architecture: str
    sha256: str
    runtime: str
    device: str
    input: dict[str, Any] = field(default_factory=dict)
    parameters: int | None = None
    flops_per_image: int | None = None
    test_accuracy: float | None = None
    per_class_accuracy: tuple[float, ...] | None = None
    trained_at: str | None = None
    limits: dict[str, int] = field(default_factory=dict)
    """The service's request limits, e.g. ``{"max_request_digits": 1024}`` (empty from older servers)."""

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> ModelInfo:
        per_class = body.get("per_class_accuracy")
        limits = body.get("limits") or {}
        return cls(
            name=str(body["name"]),
            version=str(body["version"]),
            architecture=str(body["architecture"]),
            sha256=str(body["sha256"]),
            runtime=str(body["runtime"]),
            device=str(body["device"]),
            input=dict(body.get("input") or {}),
            parameters=body.get("parameters"),
            flops_per_image=body.get("flops_per_image"),
            test_accuracy=body.get("test_accuracy"),
            per_class_accuracy=tuple(per_class) if per_class is not None else None,
            trained_at=body.get("trained_at"),
            limits={str(k): int(v) for k, v in limits.items() if isinstance(v, int | float)},
        )
