"""The fast route: ``DirectRoute``, a FastAPI route whose endpoint is called with the request and nothing
in between, and ``OrjsonResponse``, JSON rendered by orjson.

FastAPI's own request handler resolves dependencies, validates parameters and serialises the
return value on every request: about 20 us here even for an endpoint that needs none of it, a
tenth of what a JSON prediction costs the event loop. The native prediction endpoints read and
validate their own bodies and build their own responses, so their router uses this route class.
Everything else stays as for any ``APIRoute``: the OpenAPI documentation, matching, the
exception handlers.

A ``DirectRoute`` endpoint takes the ``Request`` alone and returns a ``Response``. It runs no
dependencies, so a route or router that declares some is refused; dependencies given to
``include_router`` would be skipped silently, so give none (``app.main`` does not).

Starlette's ``JSONResponse`` goes through the standard library's ``json``; orjson is several times
faster, writes numpy arrays and scalars as they are (no ``tolist()`` copies), and is already what
parses the request bodies.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, cast

import orjson
from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.responses import JSONResponse


class DirectRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        if self.dependant.dependencies:
            raise TypeError(f"{path}: a DirectRoute runs no dependencies; call them from the endpoint")

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        return cast(Callable[[Request], Coroutine[Any, Any, Response]], self.endpoint)


class OrjsonResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)
