"""The request limits every API enforces the same way, with the same error."""

from __future__ import annotations

from app.errors import BatchTooLargeError, InvalidPixelsError


def check_digit_count(count: int, limit: int) -> None:
    """413 ``batch_too_large`` over ``limit`` digits, on every API; a request with none is refused too."""
    if count > limit:
        raise BatchTooLargeError(f"batch of {count} digits; the limit is {limit}")
    if count == 0:
        raise InvalidPixelsError("the batch is empty")
