"""The "ceiling": the service's own JSON parsing and validation with a constant answer, no model.

What the HTTP stack, uvicorn and FastAPI allow on this machine; the service is measured against it.
"""

from __future__ import annotations

from fastapi import FastAPI, Request

from app.pixels import json_field, parse_json, to_digit
from app.schemas import Prediction

CONSTANT = Prediction(digit=0, confidence=1.0, probabilities=[1.0] + [0.0] * 9, model_version="ceiling")


def create_ceiling_app() -> FastAPI:
    app = FastAPI()

    @app.post("/predict")
    async def predict(request: Request) -> Prediction:
        to_digit(json_field(parse_json(await request.body()), "pixels"))
        return CONSTANT

    return app


app = create_ceiling_app()
