"""Dependencies the routes declare instead of reaching for globals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from app.classifier import DigitClassifier
from app.config import Settings
from app.errors import PROTOCOL_STATE, ModelNotReadyError


def get_settings_from_app(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_ready_classifier(request: Request) -> DigitClassifier:
    """The loaded, warmed-up model, or a 503 while it is loading or the service is shutting down."""
    classifier: DigitClassifier | None = getattr(request.app.state, "classifier", None)
    if classifier is None or not classifier.ready:
        raise ModelNotReadyError("the model is not ready (still loading or shutting down)")
    return classifier


def protocol_marker(name: str) -> Callable[[Request], None]:
    """A router dependency that tags requests with the protocol they speak, for error mapping."""

    def mark(request: Request) -> None:
        setattr(request.state, PROTOCOL_STATE, name)

    return mark


SettingsDep = Annotated[Settings, Depends(get_settings_from_app)]
ClassifierDep = Annotated[DigitClassifier, Depends(get_ready_classifier)]
