"""One exception class per kind of failure, each with its HTTP status and machine-readable code.

Every stage raises these; ``app.http.error_handlers`` is the one place that turns them into answers.
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base of the errors a request can cause; subclasses set the status and code."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EmptyBodyError(ServiceError):
    code = "empty_body"


class MalformedJSONError(ServiceError):
    code = "malformed_json"


class InvalidImageError(ServiceError):
    """The bytes are not a decodable image, or the image is truncated or corrupt."""

    code = "invalid_image"


class InvalidPixelsError(ServiceError):
    """A pixel array has the wrong shape, non-numbers, NaN/Infinity or out-of-range values."""

    status_code = 422
    code = "invalid_pixels"


class InvalidRequestError(ServiceError):
    """The request is well-formed but lacks or misnames what the endpoint needs."""

    status_code = 422
    code = "invalid_request"


class ModelNotFoundError(ServiceError):
    """A protocol endpoint named a model or version this server does not serve."""

    status_code = 404
    code = "model_not_found"


class NoDigitFoundError(ServiceError):
    """The image decoded but holds nothing that looks like ink: blank or without contrast."""

    status_code = 422
    code = "no_digit_found"


class BatchTooLargeError(ServiceError):
    status_code = 413
    code = "batch_too_large"


class PayloadTooLargeError(ServiceError):
    status_code = 413
    code = "payload_too_large"


class ImageTooLargeError(ServiceError):
    """The image's declared dimensions exceed the pixel limit (refused before decoding)."""

    status_code = 413
    code = "image_too_large"


class UnsupportedMediaTypeError(ServiceError):
    status_code = 415
    code = "unsupported_media_type"


class UnauthorizedError(ServiceError):
    """API keys are configured and the request carries none of them."""

    status_code = 401
    code = "unauthorized"


class ModelNotReadyError(ServiceError):
    status_code = 503
    code = "model_not_ready"


class InferenceError(ServiceError):
    """The model itself failed on a batch; the service keeps serving other requests."""

    status_code = 500
    code = "inference_failed"


class ModelLoadError(RuntimeError):
    """The model file is missing or unreadable; raised at startup, which it stops."""


class TooManyDigitsError(ServiceError):
    """An image read as a number holds more digits than ``MAX_NUMBER_DIGITS``."""

    status_code = 422
    code = "too_many_digits"
