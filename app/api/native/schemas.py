"""The native API's bodies as the OpenAPI docs show them; the routes build and read them without pydantic.

Building and re-validating pydantic objects per request cost the hot path more than the model does,
so the codec reads requests with orjson and numpy and writes plain dicts; these models only generate
the documentation (request bodies included, see ``routes``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from mnist_format import FIELD_SIDE, NUM_CLASSES, PIXELS

Value = Annotated[float, Field(ge=0, le=255)]
Side = Field(min_length=FIELD_SIDE, max_length=FIELD_SIDE)
Flat = Annotated[list[Value], Field(min_length=PIXELS, max_length=PIXELS)]
Rows = Annotated[list[Annotated[list[Value], Side]], Side]
OneChannel = Annotated[list[Annotated[list[Annotated[list[Value], Field(min_length=1, max_length=1)]], Side]], Side]
Pixels = Annotated[
    Flat | Rows | OneChannel,
    Field(
        description=f"{PIXELS} numbers, or {FIELD_SIDE} rows of {FIELD_SIDE} (or {FIELD_SIDE}x{FIELD_SIDE}x1); "
        "0-255, or 0-1 floats; white digit on black",
    ),
]


class PixelsRequest(BaseModel):
    pixels: Pixels


class InstancesRequest(BaseModel):
    instances: list[Pixels] = Field(description="the digits, answered in this order")


class Prediction(BaseModel):
    digit: int = Field(ge=0, le=NUM_CLASSES - 1, description="the most probable digit")
    confidence: float = Field(ge=0.0, le=1.0, description="probability of that digit")
    probabilities: list[float] = Field(
        min_length=NUM_CLASSES, max_length=NUM_CLASSES, description="digits 0-9, summing to 1"
    )
    model_version: str


class BatchPrediction(BaseModel):
    predictions: list[Prediction] = Field(description="one per input, in request order")
