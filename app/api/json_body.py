"""JSON request bodies: parsed by orjson, which refuses NaN and Infinity (they are not JSON), and their fields."""

from __future__ import annotations

from typing import Any

import orjson

from app.errors import EmptyBodyError, InvalidRequestError, MalformedJSONError


def parse_json(body: bytes) -> Any:
    if not body.strip():
        raise EmptyBodyError("the request body is empty; send a JSON object")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if any(token in body for token in (b"NaN", b"Infinity")):
            raise MalformedJSONError("NaN and Infinity are not valid JSON numbers") from exc
        raise MalformedJSONError(f"malformed JSON: {exc}") from exc


def json_field(document: Any, field: str) -> Any:
    """The value of ``field`` in a JSON object, or a 422 naming the field that is missing."""
    if not isinstance(document, dict):
        raise MalformedJSONError(f'expected a JSON object with a "{field}" field')
    if field not in document:
        present = ", ".join(f'"{key}"' for key in list(document)[:5]) or "none"
        raise InvalidRequestError(f'missing "{field}" field (fields present: {present})')
    return document[field]
