"""DirectRoute: the endpoint gets the request directly, stays documented, and refuses dependencies."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.testclient import TestClient

from app.api.schemas import Health
from app.http.fast_route import DirectRoute, OrjsonResponse


async def reject() -> None:
    raise AssertionError("a DirectRoute must not run dependencies")


def test_direct_route_calls_the_endpoint_with_the_request_and_is_documented() -> None:
    router = APIRouter(route_class=DirectRoute)

    @router.post("/echo", response_model=Health, summary="Echo")
    async def echo(request: Request) -> OrjsonResponse:
        return OrjsonResponse({"status": (await request.body()).decode(), "path": request.url.path})

    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as client:
        assert client.post("/echo", content=b"ok").json() == {"status": "ok", "path": "/echo"}
        operation = client.get("/openapi.json").json()["paths"]["/echo"]["post"]
    assert operation["summary"] == "Echo"
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Health"
    }


def test_direct_route_refuses_dependencies_it_would_not_run() -> None:
    router = APIRouter(route_class=DirectRoute, dependencies=[Depends(reject)])
    with pytest.raises(TypeError, match="runs no dependencies"):

        @router.post("/guarded")
        async def guarded(request: Request) -> OrjsonResponse:
            return OrjsonResponse({})
