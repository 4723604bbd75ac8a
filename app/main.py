"""The application factory and its lifespan: load and warm the model, then serve.

``uvicorn app.main:app`` serves the module-level ``app``; tests call ``create_app(settings)``.

A digit travels: ``app.http`` (body limit, request id, metrics) -> ``app.api`` (a protocol's codec
decodes the request) -> ``app.preprocessing`` (pixel arrays checked and scaled; images decoded and
normalised on their own pool) -> ``app.inference`` (micro-batched with other requests, run by the
runtime) -> ``app.api`` (the codec encodes the answer).
"""

from __future__ import annotations

import gc
import logging
import logging.config
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from app.api import health, metrics, model, page
from app.api.native import number
from app.api.native import routes as native
from app.api.open_inference import routes as open_inference
from app.api.tf_serving import routes as tf_serving
from app.config import Settings, get_settings
from app.http.auth import require_api_key
from app.http.error_handlers import install_error_handlers
from app.http.logs import log_config
from app.http.metrics import Metrics, MetricsMiddleware
from app.http.middleware import BodySizeLimitMiddleware, ConciseStartupFailureMiddleware
from app.http.request_id import RequestIdMiddleware
from app.inference.predictor import Predictor
from app.inference.repository import ModelRepository, ModelVersion
from app.preprocessing.pool import ImagePreprocessor

logger = logging.getLogger("app")


@contextmanager
def startup_objects_frozen() -> Iterator[None]:
    """Load the model with the garbage collector off, then freeze everything loading allocated.

    TensorFlow and the model are millions of long-lived objects. Collecting while they were created
    cost startup about 0.8 s for nothing, and afterwards every full collection walked all of them,
    pausing the event loop for 50-250 ms a few times a minute under load (the whole p99 at 64
    clients). Frozen, they are never scanned again; requests' own garbage is collected as before.
    """
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        gc.freeze()
        gc.enable()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    app.state.started_at = time.monotonic()
    metrics: Metrics = app.state.metrics

    def serve(predictor: Predictor) -> None:  # a version swapped in: one assignment, on the event loop
        app.state.predictor = predictor
        model = predictor.model
        runtime, metadata = model.runtime, model.metadata
        metrics.set_model(model.version, metadata.architecture, runtime.name, runtime.device, metadata.test_accuracy)

    def loaded(version: ModelVersion) -> None:
        metrics.model_loads.labels("refused" if version.error else "loaded").inc()

    repository = ModelRepository(settings, serve, metrics.observe_batch if settings.metrics_enabled else None, loaded)
    app.state.repository = repository
    with startup_objects_frozen():
        predictor = repository.load_initial()
        model = predictor.model
        # Before the predictor pins the event loop's thread: the pool's threads keep every CPU.
        preprocessor = ImagePreprocessor(settings.preprocess_threads, settings.max_image_pixels)
        repository.start()
    runtime, metadata = model.runtime, model.metadata
    app.state.preprocessor = preprocessor
    logger.info(
        "serving %s model version %s from %s with %s on %s (max difference from Keras %.1g; "
        "one digit in %.3f ms, lone digits %s), ready in %.1f s",
        metadata.architecture,
        model.version,
        settings.model_path,
        runtime.name,
        runtime.device,
        model.max_difference,
        predictor.single_digit_seconds * 1000,
        "on the event loop" if predictor.inline_lone else "on the inference thread",
        time.monotonic() - app.state.started_at,
    )
    try:
        yield
    finally:
        await repository.close()
        preprocessor.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    logging.config.dictConfig(log_config(settings.log_level, settings.log_format, settings.access_log))
    app = FastAPI(
        title="MNIST digit service",
        summary="Handwritten-digit prediction from images or MNIST pixel arrays.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = Metrics()
    install_error_handlers(app)
    protected = [Depends(require_api_key)] if settings.api_keys else []
    # Routes are matched in order, each included router at a cost: the hot one goes first.
    app.include_router(native.router)  # checks its API key itself (no dependencies: a DirectRoute)
    app.include_router(number.router)  # so does /predict/number
    app.include_router(page.router)
    app.mount("/static", StaticFiles(directory=page.STATIC_DIR), name="static")
    app.include_router(health.router)
    app.include_router(model.router, dependencies=protected)
    app.include_router(open_inference.health_router)
    app.include_router(open_inference.router, dependencies=protected)
    app.include_router(tf_serving.router, dependencies=protected)
    if settings.metrics_enabled:
        app.include_router(metrics.router, dependencies=protected if settings.metrics_require_key else [])
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["*"],
        )
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.metrics_enabled:
        app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(ConciseStartupFailureMiddleware)
    return app


app = create_app()
