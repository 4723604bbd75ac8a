"""Pure ASGI middleware: the request-body limit and concise startup failures."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import PayloadTooLargeError
from app.http.error_handlers import error_response
from app.http.request_id import header


class BodySizeLimitMiddleware:
    """Refuse bodies over ``max_bytes`` without ever holding more than that in memory.

    A declared ``Content-Length`` over the limit is answered 413 before any body is read; a body
    without one (chunked) is counted as it streams and cut off the moment it passes the limit.
    Starlette's own ``RequestBodyLimitMiddleware`` (FastAPI's ``max_body_size``) would do the
    counting, but it answers an over-long declared body with ``text/plain``, never our JSON error.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
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


class ConciseStartupFailureMiddleware:
    """Report a failed startup as its one-line cause rather than a traceback wall.

    Starlette sends the formatted traceback with ``lifespan.startup.failed`` and uvicorn logs it
    whole; the last line (``ModelLoadError: models/x.keras: no such model file``) is what a user needs.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def send_concise(message: Message) -> None:
            if message["type"] == "lifespan.startup.failed" and message.get("message"):
                message = {**message, "message": message["message"].strip().splitlines()[-1]}
            await send(message)

        await self.app(scope, receive, send_concise)
