"""Pure ASGI middleware: the base they share, the request-body limit and concise startup failures."""

from __future__ import annotations

from abc import ABC, abstractmethod

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import PayloadTooLargeError
from app.http.error_handlers import error_response
from app.http.request_id import header


class ScopeMiddleware(ABC):
    """Pure ASGI middleware that handles one type of scope (``scope_type``) and passes every other through.

    Each middleware here cares about one type (HTTP requests, or the lifespan) and must forward the
    rest untouched; the check lives here once rather than at the top of every ``__call__``.
    """

    scope_type = "http"

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == self.scope_type:
            await self.handle(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    @abstractmethod
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle a scope of ``scope_type``, calling ``self.app`` to go on down the stack."""


class BodySizeLimitMiddleware(ScopeMiddleware):
    """Refuse bodies over ``max_bytes`` without ever holding more than that in memory.

    A declared ``Content-Length`` over the limit is answered 413 before any body is read; a body
    without one (chunked) is counted as it streams and cut off the moment it passes the limit.
    Starlette's own ``RequestBodyLimitMiddleware`` (FastAPI's ``max_body_size``) would do the
    counting, but it answers an over-long declared body with ``text/plain``, never our JSON error.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            response = error_response(413, self._message(int(declared)), PayloadTooLargeError.code)
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise PayloadTooLargeError(self._message(received, at_least=True))
            return message

        await self.app(scope, limited_receive, send)

    def _message(self, size: int, at_least: bool = False) -> str:
        qualifier = "at least " if at_least else ""
        return f"request body is {qualifier}{size:,} bytes; the limit is {self.max_bytes:,}"


class ConciseStartupFailureMiddleware(ScopeMiddleware):
    """Report a failed startup as its one-line cause rather than a traceback wall.

    Starlette sends the formatted traceback with ``lifespan.startup.failed`` and uvicorn logs it
    whole; the last line (``ModelLoadError: models/x.keras: no such model file``) is what a user needs.
    """

    scope_type = "lifespan"

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_concise(message: Message) -> None:
            if message["type"] == "lifespan.startup.failed" and message.get("message"):
                message = {**message, "message": message["message"].strip().splitlines()[-1]}
            await send(message)

        await self.app(scope, receive, send_concise)
