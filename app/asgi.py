"""What the pure-ASGI middleware needs of a raw request: one header, without building a dict."""

from __future__ import annotations

from starlette.types import Scope


def header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of the lower-case header ``name``, or ``None``."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None
