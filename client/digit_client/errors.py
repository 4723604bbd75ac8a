"""The exceptions the client raises: one class per error ``code`` of the service's API.

Every error the service answers is ``{"error": message, "code": code, "request_id": id}`` with a 4xx
or 5xx status; the client raises the :class:`DigitServiceError` subclass registered for that code
(:class:`UnknownServiceError` for a code it does not know, or a body that is not the service's), with
the message, code, status and request id. A service that cannot be reached at all (refused or dropped
connections, after the retries) raises :class:`DigitTransportError`. Both derive from
:class:`DigitClientError`, so one ``except`` catches everything the client raises.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DigitClientError(Exception):
    """Base of every error the client raises."""


class DigitTransportError(DigitClientError):
    """The service could not be reached, or the connection failed mid-request, after every retry."""


class DigitServiceError(DigitClientError):
    """The service answered with an error: ``code`` says which, ``message`` what was wrong.

    ``request_id`` is the request's ``X-Request-ID``: the service's log lines name it.
    """

    registry: ClassVar[dict[str, type[DigitServiceError]]] = {}
    default_code: ClassVar[str] = ""

    def __init_subclass__(cls, code: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if code:
            cls.default_code = code
            DigitServiceError.registry[code] = cls

    def __init__(self, message: str, code: str = "", status: int = 0, request_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.status = status
        self.request_id = request_id

    def __str__(self) -> str:
        where = f", request {self.request_id}" if self.request_id else ""
        return f"{self.message} ({self.code or 'error'}, HTTP {self.status}{where})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.code, self.status, self.request_id))


# 400: the body could not be read.
class BadRequestError(DigitServiceError, code="bad_request"):
    """A request the service could not use, of no more specific kind."""


class MalformedJSONError(DigitServiceError, code="malformed_json"):
    """The JSON body did not parse (NaN and Infinity included)."""


class EmptyBodyError(DigitServiceError, code="empty_body"):
    """The request had no body."""


class InvalidImageError(DigitServiceError, code="invalid_image"):
    """The bytes are not a decodable image, or the image is truncated."""


class ModelRefusedError(DigitServiceError, code="model_refused"):
    """A model version asked to load (the v2 repository API) failed to load or its checks; the one
    serving goes on serving."""


# 404
class NotFoundError(DigitServiceError, code="not_found"):
    """No such endpoint: the URL probably does not point at this service (or it is an older version)."""


class ModelNotFoundError(DigitServiceError, code="model_not_found"):
    """The model or version named is not the one served."""


# 401
class UnauthorizedError(DigitServiceError, code="unauthorized"):
    """The service requires an API key and none, or a wrong one, was sent."""


# 413: split the request, or send a smaller image.
class PayloadTooLargeError(DigitServiceError, code="payload_too_large"):
    """The request body is over the service's size limit."""


class ImageTooLargeError(DigitServiceError, code="image_too_large"):
    """The image's width x height is over the service's pixel limit."""


class BatchTooLargeError(DigitServiceError, code="batch_too_large"):
    """More digits in one request than the service accepts (``predict_batch`` splits for you)."""


# 415
class UnsupportedMediaTypeError(DigitServiceError, code="unsupported_media_type"):
    """A content type or image format the service does not read (SVG, PDF, ...)."""


# 422: well-formed, but not what the endpoint needs.
class InvalidPixelsError(DigitServiceError, code="invalid_pixels"):
    """A pixel array of the wrong shape, with non-numbers or out-of-range values, or an empty batch."""


class InvalidRequestError(DigitServiceError, code="invalid_request"):
    """A missing or misnamed field."""


class NoDigitFoundError(DigitServiceError, code="no_digit_found"):
    """The image holds no ink: blank, or without contrast."""


class TooManyDigitsError(DigitServiceError, code="too_many_digits"):
    """``read_number`` found more digits than the service reads in one image (``MAX_NUMBER_DIGITS``)."""


# 5xx
class InferenceFailedError(DigitServiceError, code="inference_failed"):
    """The model failed on this request's batch; the service goes on serving."""


class InternalServerError(DigitServiceError, code="internal_error"):
    """An unexpected fault in the service."""


class ModelNotReadyError(DigitServiceError, code="model_not_ready"):
    """The model is loading or the service is shutting down (503; retried before it is raised)."""


class UnknownServiceError(DigitServiceError):
    """An error code this client does not know, or an error answer that is not the service's JSON."""


def error_class(code: str) -> type[DigitServiceError]:
    """The exception class for an error ``code`` (:class:`UnknownServiceError` if none is registered)."""
    return DigitServiceError.registry.get(code, UnknownServiceError)
