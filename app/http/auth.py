"""Optional API-key authentication: ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``.

Off unless ``API_KEYS`` is set. The app attaches :func:`require_api_key` to the metadata and
protocol routers only when keys are configured, so local use pays nothing for it; the native
prediction endpoints, which run no dependencies (``app.http.fast_route.DirectRoute``), call
:func:`check_api_key` themselves.
"""

from __future__ import annotations

import hmac

from fastapi import Request

from app.errors import UnauthorizedError


def presented_key(request: Request) -> str | None:
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token:
        return token.strip()
    return request.headers.get("x-api-key")


def check_api_key(request: Request) -> None:
    """Accept the request only with one of the configured keys (if any), compared in constant time."""
    keys = request.app.state.settings.api_keys
    if not keys:
        return
    key = presented_key(request)
    if key is None:
        raise UnauthorizedError("an API key is required: send Authorization: Bearer <key> or X-API-Key")
    presented = key.encode()
    matched = False
    for secret in keys:  # no early exit: every key is compared
        matched |= hmac.compare_digest(presented, secret.get_secret_value().encode())
    if not matched:
        raise UnauthorizedError("the API key is not valid")


async def require_api_key(request: Request) -> None:
    """:func:`check_api_key` as a router dependency."""
    check_api_key(request)
