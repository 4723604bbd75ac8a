"""The ceiling most FastAPI apps have: the body declared as a pydantic model, a constant answer, no model.

This is how the FastAPI tutorials write ``{"pixels": [...]}``: FastAPI decodes the JSON and pydantic
checks every one of the 784 numbers (range and shape, as the service does). The service's own
ceiling (``ceiling_app.py``) parses with orjson straight into numpy instead; this app shows what
that choice is worth, and what a conventional FastAPI service would be measured against.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI
from pydantic import BaseModel, Field

from app.api.native.schemas import Prediction

Pixel = Annotated[float, Field(ge=0, le=255)]
Row = Annotated[list[Pixel], Field(min_length=28, max_length=28)]
Rows = Annotated[list[Row], Field(min_length=28, max_length=28)]
Flat = Annotated[list[Pixel], Field(min_length=784, max_length=784)]
# The fields the service's schema has (is_digit came with the digit judge), so the app starts either way.
ANSWER = {
    "digit": 0,
    "confidence": 1.0,
    "probabilities": [1.0] + [0.0] * 9,
    "model_version": "ceiling",
    "is_digit": True,
}
CONSTANT = Prediction.model_validate({key: value for key, value in ANSWER.items() if key in Prediction.model_fields})


class Digit(BaseModel):
    pixels: Flat | Rows


def create_pydantic_app() -> FastAPI:
    app = FastAPI()

    @app.post("/predict")
    async def predict(digit: Digit) -> Prediction:
        return CONSTANT

    return app


app = create_pydantic_app()
