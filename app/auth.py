"""Optional API-key authentication: ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``.

Off unless ``API_KEYS`` is set. The app attaches :func:`require_api_key` to the prediction and
metadata routers only when keys are configured, so local use pays nothing for it.
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


async def require_api_key(request: Request) -> None:
    """Accept the request only with one of the configured keys, compared in constant time."""
    key = presented_key(request)
    if key is None:
        raise UnauthorizedError("an API key is required: send Authorization: Bearer <key> or X-API-Key")
    presented = key.encode()
    matched = False
    for secret in request.app.state.settings.api_keys:  # no early exit: every key is compared
        matched |= hmac.compare_digest(presented, secret.get_secret_value().encode())
    if not matched:
        raise UnauthorizedError("the API key is not valid")
