"""``POST /predict/number``: one line of handwritten digits in an image, read left to right.

The image arrives as for ``/predict`` (multipart ``file`` or a raw ``image/*`` body, the same
decoding, limits and errors). Its candidate segments (``app.preprocessing.number``) go through the
model in one call, so in one micro-batch shared with every other request, and
``app.postprocessing.number`` picks the segmentation the model reads best.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.api.deps import authorized_predictor
from app.api.native.codec import _media_type, _unsupported, _uploaded_files
from app.api.native.routes import ERROR_RESPONSES, IMAGE_FILE
from app.api.native.schemas import NumberPrediction
from app.errors import TooManyDigitsError
from app.http.fast_route import DirectRoute, OrjsonResponse
from app.postprocessing.number import NumberReading, read_number

router = APIRouter(tags=["predict"], route_class=DirectRoute)

IMAGE_TYPES = "multipart/form-data or image/* bytes"
NUMBER_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "required": ["file"], "properties": {"file": IMAGE_FILE}}
            },
            **{media_type: {"schema": IMAGE_FILE} for media_type in ("image/png", "image/jpeg", "image/*")},
        },
    }
}
NUMBER_EXAMPLE = {
    "text": "04830",
    "confidence": 0.79,
    "digits": [
        {"digit": digit, "confidence": 0.99, "box": [12 + 40 * i, 10, 30, 44]}
        for i, digit in enumerate((0, 4, 8, 3, 0))
    ],
    "model_version": "202611220400",
}


async def decode_image(request: Request) -> bytes:
    """The one image of a request: a multipart ``file`` or the raw body."""
    media_type = _media_type(request)
    if media_type == "multipart/form-data":
        return (await _uploaded_files(request, max_files=1))[0]
    if media_type.startswith("image/") or media_type == "application/octet-stream":
        return await request.body()
    raise _unsupported(media_type, IMAGE_TYPES)


def encode_number(reading: NumberReading, version: str, max_digits: int) -> OrjsonResponse:
    """The answer: ``schemas.NumberPrediction``; 422 ``too_many_digits`` over ``MAX_NUMBER_DIGITS``."""
    if len(reading.digits) > max_digits:
        raise TooManyDigitsError(f"read {len(reading.digits)} digits; the limit is {max_digits} (MAX_NUMBER_DIGITS)")
    digits = [{"digit": d.digit, "confidence": d.confidence, "box": list(d.box)} for d in reading.digits]
    return OrjsonResponse(
        {"text": reading.text, "confidence": reading.confidence, "digits": digits, "model_version": version}
    )


@router.post(
    "/predict/number",
    summary="Read a number of several digits",
    description=(
        "Send a photo, scan or drawing of one line of handwritten digits (a ZIP code, a phone or account "
        "number, a form's comb field) as a multipart `file` or as the raw body with an `image/*` type. "
        "`text` reads them left to right (leading zeros kept; dots, dashes and stray marks left out), "
        "`confidence` is the probability that the whole text is right, and each digit's `box` is "
        "`[x, y, width, height]` in the uploaded image's pixels (of the upright image where EXIF "
        "rotates it). At most `MAX_NUMBER_DIGITS` digits."
    ),
    response_model=NumberPrediction,
    responses={**ERROR_RESPONSES, 200: {"content": {"application/json": {"example": NUMBER_EXAMPLE}}}},
    openapi_extra=NUMBER_BODY,
)
async def predict_number(request: Request) -> OrjsonResponse:
    predictor = authorized_predictor(request)
    found = await request.app.state.preprocessor.number(await decode_image(request))
    scores = await predictor.predict(found.inputs)
    reading = read_number(found, scores.probabilities, scores.digit_score)
    return encode_number(reading, predictor.version, request.app.state.settings.max_number_digits)
