"""The native API's bodies as the OpenAPI docs show them; the routes build and read them without pydantic.

Building and re-validating pydantic objects per request cost the hot path more than the model does,
so the codec reads requests with orjson and numpy and writes plain dicts; these models only generate
the documentation (request bodies included, see ``routes``).
"""

from __future__ import annotations

from typing import Annotated, Literal

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
    digit: int = Field(ge=0, le=NUM_CLASSES - 1, description="the most probable digit (the best guess, digit or not)")
    confidence: float = Field(
        ge=0.0,
        le=1.0,
        description="probability that the answer is right: that the image is a digit, times that digit's "
        "calibrated probability",
    )
    probabilities: list[float] = Field(
        min_length=NUM_CLASSES, max_length=NUM_CLASSES, description="digits 0-9 if it is a digit, summing to 1"
    )
    is_digit: bool = Field(description="false when the image is not one digit (see reason)")
    reason: Literal["not_a_digit", "several_digits"] | None = Field(
        None, description="only when is_digit is false: letters, symbols, doodles; or several digits"
    )
    message: str | None = Field(None, description="only when is_digit is false: the reason in words")
    input_png: str | None = Field(
        None, description="with ?explain=true: the 28x28 input the model saw, white on black, as a base64 PNG"
    )
    model_version: str


class BatchPrediction(BaseModel):
    predictions: list[Prediction] = Field(description="one per input, in request order")


class NumberDigit(BaseModel):
    digit: int = Field(ge=0, le=NUM_CLASSES - 1)
    confidence: float = Field(ge=0.0, le=1.0, description="probability of that digit")
    box: list[int] = Field(
        min_length=4, max_length=4, description="[x, y, width, height] of its ink in the uploaded image's pixels"
    )


class NumberPrediction(BaseModel):
    text: str = Field(description="the digits left to right, leading zeros kept", examples=["04830"])
    confidence: float = Field(ge=0.0, le=1.0, description="probability that the whole text is right (calibrated)")
    digits: list[NumberDigit] = Field(description="one per digit of text, left to right")
    model_version: str
