"""One exception class per kind of failure, and the single place that turns them into HTTP answers.

Every error leaves the service as ``{"error": "<what was wrong>", "code": "<machine code>",
"request_id": "<the X-Request-ID>"}``. The
``error`` string is also the shape the Open Inference Protocol and TF Serving use, so one body suits
all the APIs the service speaks.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from app.http.request_id import current_request_id

logger = logging.getLogger(__name__)

CLIENT_CLOSED_REQUEST = 499  # nginx's convention; the client never sees it


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


def error_response(status_code: int, message: str, code: str) -> JSONResponse:
    body = {"error": message, "code": code}
    if (request_id := current_request_id.get()) is not None:
        body["request_id"] = request_id
    return JSONResponse(body, status_code=status_code)


PROTOCOL_STATE = "protocol"
"""``request.state`` attribute set by the TF Serving and Open Inference routers."""


async def _service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    status = exc.status_code
    if status == 422 and getattr(request.state, PROTOCOL_STATE, None):
        status = 400  # TF Serving (INVALID_ARGUMENT) and the v2 protocol answer bad input with 400
    response = error_response(status, exc.message, exc.code)
    if isinstance(exc, UnauthorizedError):
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = "not_found" if exc.status_code == 404 else f"http_{exc.status_code}"
    response = error_response(exc.status_code, str(exc.detail), code)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors())
    return error_response(422, problems or "invalid request", "invalid_request")


async def _client_disconnect(request: Request, exc: Exception) -> Response:
    """The client went away mid-request (load generators do at the end of a run): nothing to answer."""
    logger.debug("client disconnected during %s %s", request.method, request.url.path)
    return Response(status_code=CLIENT_CLOSED_REQUEST)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal error", "internal_error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ClientDisconnect, _client_disconnect)
    app.add_exception_handler(Exception, _unexpected_error)
