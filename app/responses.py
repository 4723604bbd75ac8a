"""JSON responses rendered by orjson.

Starlette's ``JSONResponse`` goes through the standard library's ``json``; orjson is several times
faster, writes numpy arrays and scalars as they are (no ``tolist()`` copies), and is already what
parses the request bodies.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse


class OrjsonResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)
