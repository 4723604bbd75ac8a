"""Dependencies the routes declare instead of reaching for globals.

The dependencies are all ``async``: FastAPI runs a plain ``def`` dependency in a worker thread, a
thread hop per request that cost 13% of the event loop's time under load. The plain functions
below them are what endpoints without dependencies (``app.routing.DirectRoute``) call directly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from app.auth import check_api_key
from app.classifier import DigitClassifier
from app.errors import PROTOCOL_STATE, ModelNotReadyError


def ready_classifier(request: Request) -> DigitClassifier:
    """The loaded, warmed-up model, or a 503 while it is loading or the service is shutting down."""
    classifier: DigitClassifier | None = getattr(request.app.state, "classifier", None)
    if classifier is None or not classifier.ready:
        raise ModelNotReadyError("the model is not ready (still loading or shutting down)")
    return classifier


def authorized_classifier(request: Request) -> DigitClassifier:
    """The API key check (when keys are set), then the ready classifier, as plain calls.

    For the native prediction endpoints, which run no dependencies (``app.routing.DirectRoute``).
    """
    check_api_key(request)
    return ready_classifier(request)


async def get_ready_classifier(request: Request) -> DigitClassifier:
    """:func:`ready_classifier` as a dependency."""
    return ready_classifier(request)


def protocol_marker(name: str) -> Callable[[Request], Awaitable[None]]:
    """A router dependency that tags requests with the protocol they speak, for error mapping."""

    async def mark(request: Request) -> None:
        setattr(request.state, PROTOCOL_STATE, name)

    return mark


ClassifierDep = Annotated[DigitClassifier, Depends(get_ready_classifier)]


async def get_named_classifier(
    classifier: ClassifierDep, model_name: str, model_version: str | None = None
) -> DigitClassifier:
    """The ready classifier, if the path's ``{model_name}`` (and ``{model_version}``) is what it serves."""
    classifier.check_served(model_name, model_version)
    return classifier


NamedClassifierDep = Annotated[DigitClassifier, Depends(get_named_classifier)]
