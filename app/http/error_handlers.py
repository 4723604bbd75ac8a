"""The single place that turns errors into HTTP answers.

Every error leaves the service as ``{"error": "<what was wrong>", "code": "<machine code>",
"request_id": "<the X-Request-ID>"}``. The ``error`` string is also the shape the Open Inference
Protocol and TF Serving use, so one body suits all the APIs the service speaks.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from app.errors import ServiceError, UnauthorizedError
from app.http.request_id import current_request_id

logger = logging.getLogger(__name__)

CLIENT_CLOSED_REQUEST = 499  # nginx's convention; the client never sees it


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
