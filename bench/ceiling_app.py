"""The "ceiling": the service's own JSON parsing and validation with a constant answer, no model.

What the HTTP stack, uvicorn and FastAPI allow on this machine; the service is measured against it.
It answers through the same ``OrjsonResponse`` as the service, so the two differ only by what
serving a model costs: the model, the micro-batcher, middleware and dependencies.
"""

from __future__ import annotations

import numpy as np
from fastapi import FastAPI, Request

from app.api.json_body import json_field, parse_json
from app.http.fast_route import OrjsonResponse
from app.preprocessing.pixels import to_digit

PROBABILITIES = np.eye(10, dtype=np.float32)[0]
CONSTANT = {"digit": 0, "confidence": PROBABILITIES[0], "probabilities": PROBABILITIES, "model_version": "ceiling"}


def create_ceiling_app() -> FastAPI:
    app = FastAPI()

    @app.post("/predict")
    async def predict(request: Request) -> OrjsonResponse:
        to_digit(json_field(parse_json(await request.body()), "pixels"))
        return OrjsonResponse(CONSTANT)

    return app


app = create_ceiling_app()
