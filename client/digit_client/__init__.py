"""A Python client for the handwritten-digit service.

>>> from digit_client import DigitClient
>>> with DigitClient("http://localhost:8000", api_key=None) as digits:
...     prediction = digits.predict("photo.jpg")      # a path, bytes, a binary file or a numpy array
...     prediction.digit, prediction.confidence
...     digits.predict_batch(["a.png", "b.png"])      # split over the service's request limit
...     digits.read_number("form.png").text           # "04830"
...     digits.health().status, digits.model().version

:class:`AsyncDigitClient` has the same methods for asyncio. Errors are :mod:`digit_client.errors`
classes, one per error code of the API.
"""

from digit_client._core import ImageInput, __version__
from digit_client.client import AsyncDigitClient, DigitClient
from digit_client.errors import (
    BadRequestError,
    BatchTooLargeError,
    DigitClientError,
    DigitServiceError,
    DigitTransportError,
    EmptyBodyError,
    ImageTooLargeError,
    InferenceFailedError,
    InternalServerError,
    InvalidImageError,
    InvalidPixelsError,
    InvalidRequestError,
    MalformedJSONError,
    ModelNotFoundError,
    ModelNotReadyError,
    ModelRefusedError,
    NoDigitFoundError,
    NotFoundError,
    PayloadTooLargeError,
    TooManyDigitsError,
    UnauthorizedError,
    UnknownServiceError,
    UnsupportedMediaTypeError,
)
from digit_client.models import Health, ModelInfo, NumberDigit, NumberReading, Prediction

__all__ = [
    "AsyncDigitClient",
    "BadRequestError",
    "BatchTooLargeError",
    "DigitClient",
    "DigitClientError",
    "DigitServiceError",
    "DigitTransportError",
    "EmptyBodyError",
    "Health",
    "ImageInput",
    "ImageTooLargeError",
    "InferenceFailedError",
    "InternalServerError",
    "InvalidImageError",
    "InvalidPixelsError",
    "InvalidRequestError",
    "MalformedJSONError",
    "ModelInfo",
    "ModelNotFoundError",
    "ModelNotReadyError",
    "ModelRefusedError",
    "NoDigitFoundError",
    "NotFoundError",
    "NumberDigit",
    "NumberReading",
    "PayloadTooLargeError",
    "Prediction",
    "TooManyDigitsError",
    "UnauthorizedError",
    "UnknownServiceError",
    "UnsupportedMediaTypeError",
    "__version__",
]
