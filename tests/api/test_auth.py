"""Optional API keys: when set, prediction and metadata need one; probes and metrics stay open."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.support.paths import SHIPPED_MODEL

PIXELS = {"pixels": [0] * 392 + [255] * 392}


@pytest.fixture(scope="module")
def keyed_client() -> Iterator[TestClient]:
    settings = Settings(model_path=SHIPPED_MODEL, api_keys="first-key, second-key")
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/predict"),
        ("POST", "/predict/batch"),
        ("POST", "/predict/number"),
        ("GET", "/model"),
        ("GET", "/v2"),
        ("GET", "/v2/models/mnist"),
        ("POST", "/v2/models/mnist/infer"),
        ("GET", "/v1/models/mnist"),
        ("POST", "/v1/models/mnist:predict"),
    ],
)
def test_protected_endpoints_refuse_requests_without_a_key(keyed_client: TestClient, method: str, path: str) -> None:
    response = keyed_client.request(method, path, json={})
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "headers",
    [{"Authorization": "Bearer first-key"}, {"authorization": "bearer second-key"}, {"X-API-Key": "second-key"}],
)
def test_any_configured_key_is_accepted(keyed_client: TestClient, headers: dict[str, str]) -> None:
    assert keyed_client.post("/predict", json=PIXELS, headers=headers).status_code == 200


@pytest.mark.parametrize(
    "headers", [{"Authorization": "Bearer wrong"}, {"X-API-Key": "first-key "}, {"Authorization": "Basic first-key"}]
)
def test_wrong_keys_are_refused(keyed_client: TestClient, headers: dict[str, str]) -> None:
    response = keyed_client.post("/predict", json=PIXELS, headers=headers)
    assert response.status_code == 401


@pytest.mark.parametrize(
    "path", ["/health", "/health/live", "/health/ready", "/v2/health/live", "/v2/health/ready", "/metrics", "/"]
)
def test_probes_metrics_and_the_page_stay_open(keyed_client: TestClient, path: str) -> None:
    assert keyed_client.get(path).status_code == 200


def test_metrics_can_require_a_key_too() -> None:
    settings = Settings(model_path=SHIPPED_MODEL, api_keys="k", metrics_require_key=True)
    with TestClient(create_app(settings)) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"X-API-Key": "k"}).status_code == 200


def test_without_keys_nothing_is_protected(client: TestClient) -> None:
    assert client.post("/predict", json=PIXELS).status_code == 200


def test_cors_is_off_by_default(client: TestClient) -> None:
    response = client.options(
        "/predict", headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in response.headers


def test_cors_allows_only_the_configured_origins() -> None:
    settings = Settings(model_path=SHIPPED_MODEL, cors_origins="https://app.example.org")
    with TestClient(create_app(settings)) as client:
        allowed = client.post("/predict", json=PIXELS, headers={"Origin": "https://app.example.org"})
        assert allowed.headers["access-control-allow-origin"] == "https://app.example.org"
        other = client.post("/predict", json=PIXELS, headers={"Origin": "https://evil.example.com"})
        assert "access-control-allow-origin" not in other.headers
