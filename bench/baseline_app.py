"""The "tutorial baseline": the same model behind ``model.predict()`` per request."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import keras
import numpy as np
from fastapi import FastAPI

from app.api.json_body import json_field
from app.preprocessing.pixels import to_digit


def create_baseline_app(model_path: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.model = keras.models.load_model(model_path)
        yield

    app = FastAPI(lifespan=lifespan)

    @app.post("/predict")
    def predict(request_body: dict[str, object]) -> dict[str, object]:
        pixels = to_digit(json_field(request_body, "pixels"))
        probabilities = app.state.model.predict(pixels[np.newaxis, ..., np.newaxis], verbose=0)[0]
        return {"digit": int(probabilities.argmax()), "probabilities": probabilities.tolist()}

    return app


app = create_baseline_app(os.environ.get("MODEL_PATH", "models/mnist.keras"))
