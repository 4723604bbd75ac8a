"""What the routes take from the app: the ready predictor, checked against the model a path names.

The dependencies are all ``async``: FastAPI runs a plain ``def`` dependency in a worker thread, a
thread hop per request that cost 13% of the event loop's time under load. The plain functions
below them are what endpoints without dependencies (``app.http.fast_route.DirectRoute``) call directly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request

from app.errors import ModelNotFoundError, ModelNotReadyError
from app.http.auth import check_api_key
from app.http.error_handlers import PROTOCOL_STATE
from app.inference.predictor import Predictor
from app.inference.repository import ModelRepository


def ready_predictor(request: Request) -> Predictor:
    """The loaded, warmed-up model, or a 503 while it is loading or the service is shutting down."""
    predictor: Predictor | None = getattr(request.app.state, "predictor", None)
    if predictor is None or not predictor.ready:
        raise ModelNotReadyError("the model is not ready (still loading or shutting down)")
    return predictor


def authorized_predictor(request: Request) -> Predictor:
    """The API key check (when keys are set), then the ready predictor, as plain calls.

    For the native prediction endpoints, which run no dependencies (``DirectRoute``).
    """
    check_api_key(request)
    return ready_predictor(request)


async def get_ready_predictor(request: Request) -> Predictor:
    """:func:`ready_predictor` as a dependency."""
    return ready_predictor(request)


def protocol_marker(name: str) -> Callable[[Request], Awaitable[None]]:
    """A router dependency that tags requests with the protocol they speak, for error mapping."""

    async def mark(request: Request) -> None:
        setattr(request.state, PROTOCOL_STATE, name)

    return mark


PredictorDep = Annotated[Predictor, Depends(get_ready_predictor)]


async def get_named_predictor(
    request: Request, predictor: PredictorDep, model_name: str, model_version: str | None = None
) -> Predictor:
    """The served predictor if the path's ``{model_name}`` is what it serves, or the loaded version the
    path's ``{model_version}`` names (``app.inference.repository``); else 404."""
    found: Predictor | None = predictor
    if model_version is not None and model_version != predictor.version:
        repository: ModelRepository | None = getattr(request.app.state, "repository", None)
        found = repository.predictor(model_version) if repository is not None else None
    if model_name != predictor.name or found is None:
        wanted = f"{model_name!r}" + (f" version {model_version!r}" if model_version is not None else "")
        raise ModelNotFoundError(f"model {wanted} not found; serving {predictor.name!r} version {predictor.version!r}")
    return found


NamedPredictorDep = Annotated[Predictor, Depends(get_named_predictor)]

Handler = TypeVar("Handler", bound=Callable[..., Any])
VERSION_PATH = "{model_name}/versions/{model_version}"


def each_version(
    register: Callable[..., Callable[[Handler], Handler]], path: str, summary: str, detail: str = ""
) -> Callable[[Handler], Handler]:
    """Route a model's ``path`` and the same path for one version, as v1 and v2 both do.

    ``register`` is the router's method (``router.get``); the version's path has
    ``/versions/{model_version}`` after ``{model_name}``, which ``NamedPredictorDep`` resolves.
    ``detail`` goes in brackets after the model path's summary.
    """

    def both(handler: Handler) -> Handler:
        register(path, summary=f"{summary} ({detail})" if detail else summary)(handler)
        register(path.replace("{model_name}", VERSION_PATH, 1), summary=f"{summary}, one version")(handler)
        return handler

    return both
