"""A repository of model versions: the latest served, any loaded one reachable, new ones swapped in
while serving without a failed request, and a bad one refused while the old one serves."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.inference.repository import ModelRepository
from app.main import create_app
from tests.support.paths import SHIPPED_MODEL
from tests.support.server import LiveServer

MODEL_FILES = ("mnist.keras", "mnist.json", "judge.keras", "judge.json")
T = TypeVar("T")
PIXELS = {"inputs": [{"name": "pixels", "shape": [1, 784], "datatype": "UINT8", "data": [0] * 784}]}


def add_version(repository: Path, version: int) -> Path:
    """A copy of the shipped model as ``repository/<version>``."""
    directory = repository / str(version)
    directory.mkdir(parents=True)
    for name in MODEL_FILES:
        shutil.copy(SHIPPED_MODEL.with_name(name), directory / name)
    return directory


def add_bad_version(repository: Path, version: int) -> Path:
    """The shipped model with its weights zeroed: it loads and converts, but answers 0 to everything."""
    import keras

    directory = add_version(repository, version)
    model = keras.models.load_model(directory / "mnist.keras", compile=False)
    model.set_weights([np.zeros_like(weights) for weights in model.get_weights()])
    model.save(directory / "mnist.keras")
    return directory


@pytest.fixture(scope="module")
def repository_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    repository = tmp_path_factory.mktemp("repository")
    add_version(repository, 1)
    add_version(repository, 2)
    settings = Settings(model_path=repository, model_poll_s=0, model_versions_kept=2)
    with TestClient(create_app(settings)) as client:
        yield client


def repository_of(client: TestClient) -> ModelRepository:
    repository: ModelRepository = client.app.state.repository  # type: ignore[attr-defined]
    return repository


def on_loop(client: TestClient, function: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Run a coroutine function on the app's event loop, from the test."""
    assert client.portal is not None
    return client.portal.call(function, *args)


def versions_of(client: TestClient) -> dict[str, dict[str, Any]]:
    statuses = client.get("/v1/models/mnist").json()["model_version_status"]
    return {status["version"]: status for status in statuses}


def test_the_latest_version_is_served(repository_client: TestClient) -> None:
    assert repository_client.get("/model").json()["version"] == "2"
    assert repository_client.post("/v2/models/mnist/infer", json=PIXELS).json()["model_version"] == "2"
    assert versions_of(repository_client)["2"]["state"] == "AVAILABLE"


def test_any_loaded_version_is_reachable(repository_client: TestClient) -> None:
    assert (
        repository_client.post("/v2/repository/models/mnist/load", json={"parameters": {"version": "1"}}).status_code
        == 200
    )
    assert (
        repository_client.post("/v2/repository/models/mnist/load", json={"parameters": {"version": "2"}}).status_code
        == 200
    )
    assert {v: s["state"] for v, s in versions_of(repository_client).items()} == {"2": "AVAILABLE", "1": "AVAILABLE"}
    answer = repository_client.post("/v2/models/mnist/versions/1/infer", json=PIXELS).json()
    assert answer["model_version"] == "1"
    assert (
        repository_client.post("/v1/models/mnist/versions/1:predict", json={"instances": [[0] * 784]}).status_code
        == 200
    )
    assert repository_client.get("/v1/models/mnist/versions/1").json()["model_version_status"][0]["version"] == "1"
    assert repository_client.post("/v2/models/mnist/versions/7/infer", json=PIXELS).status_code == 404
    assert repository_client.get("/model").json()["version"] == "2"
    index = repository_client.post("/v2/repository/index").json()
    assert [(entry["version"], entry["state"]) for entry in index] == [("2", "READY"), ("1", "READY")]


def refused_count(client: TestClient) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith('mnist_model_version_loads_total{outcome="refused"}'):
            return float(line.split()[-1])
    raise AssertionError("no refused-loads counter")


def test_a_bad_version_is_refused_while_the_old_one_serves(repository_client: TestClient, tmp_path: Path) -> None:
    repository = repository_client.app.state.settings.model_path  # type: ignore[attr-defined]
    refused_before = refused_count(repository_client)
    add_bad_version(repository, 3)
    response = repository_client.post("/v2/repository/models/mnist/load")
    assert response.status_code == 400
    assert "accuracy" in response.json()["error"]
    model = repository_client.get("/model").json()
    assert model["version"] == "2"
    assert model["refused"]["version"] == "3"
    assert "accuracy" in model["refused"]["error"]
    status = versions_of(repository_client)["3"]
    assert status["state"] == "END"
    assert status["status"]["error_code"] != "OK"
    assert "accuracy" in status["status"]["error_message"]
    assert refused_count(repository_client) == refused_before + 1
    assert repository_client.post("/v2/models/mnist/infer", json=PIXELS).json()["model_version"] == "2"

    # An unloadable file: refused too, and polling does not retry a version already refused.
    (add_version(repository, 4) / "mnist.keras").write_bytes(b"not a model")
    on_loop(repository_client, repository_of(repository_client).poll_once)
    assert versions_of(repository_client)["4"]["state"] == "END"
    assert refused_count(repository_client) == refused_before + 2
    assert on_loop(repository_client, repository_of(repository_client).poll_once) is None
    assert repository_client.get("/health").json()["model_version"] == "2"


def test_polling_finds_a_new_version(repository_client: TestClient) -> None:
    repository = repository_client.app.state.settings.model_path  # type: ignore[attr-defined]
    add_version(repository, 5)
    found = on_loop(repository_client, repository_of(repository_client).poll_once)
    assert found is not None
    assert found.version == "5"
    assert repository_client.get("/model").json()["version"] == "5"
    # Two versions kept: 5 and the one served before it (2); 1 was unloaded.
    states = {v: s["state"] for v, s in versions_of(repository_client).items()}
    assert states["5"] == states["2"] == "AVAILABLE"
    assert states["1"] in {"UNLOADING", "END"}


def test_a_request_holding_the_old_version_finishes_on_it(repository_client: TestClient) -> None:
    """A request that took the served version just before a swap (a slow upload) is answered by it."""
    app = repository_client.app
    old = app.state.predictor  # type: ignore[attr-defined]
    assert (
        repository_client.post("/v2/repository/models/mnist/load", json={"parameters": {"version": "1"}}).status_code
        == 200
    )
    repository_client.post("/v2/repository/models/mnist/load", json={"parameters": {"version": "2"}})  # unloads 5
    assert not old.ready
    scores = on_loop(repository_client, old.predict, np.zeros((3, 28, 28), np.float32))
    assert scores.probabilities.shape == (3, 10)
    assert old.version == "5"


def test_the_load_endpoint_needs_a_key_when_keys_are_set(tmp_path: Path) -> None:
    add_version(tmp_path, 1)
    settings = Settings(model_path=tmp_path, model_poll_s=0, api_keys="k")
    with TestClient(create_app(settings)) as client:
        assert client.post("/v2/repository/models/mnist/load").status_code == 401
        assert client.post("/v2/repository/index").status_code == 401
        headers = {"Authorization": "Bearer k"}
        assert client.post("/v2/repository/models/mnist/load", headers=headers).status_code == 200


def test_swaps_under_concurrent_requests_fail_none(tmp_path: Path) -> None:
    """Real HTTP: 16 clients predict while the service swaps between two versions four times."""
    add_version(tmp_path, 1)
    add_version(tmp_path, 2)
    settings = Settings(model_path=tmp_path, model_poll_s=0)
    failures: list[str] = []
    seen: list[str] = []
    stop = threading.Event()

    async def client(url: str) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            while not stop.is_set():
                try:
                    response = await http.post("/v2/models/mnist/infer", json=PIXELS)
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))
                    continue
                if response.status_code != 200:
                    failures.append(f"{response.status_code} {response.text}")
                else:
                    seen.append(response.json()["model_version"])

    async def clients(url: str) -> None:
        await asyncio.gather(*(client(url) for _ in range(16)))

    with LiveServer(settings) as server:
        load = threading.Thread(target=asyncio.run, args=(clients(server.url),))
        load.start()
        try:
            for version in ("1", "2", "1", "2"):
                response = httpx.post(
                    f"{server.url}/v2/repository/models/mnist/load",
                    json={"parameters": {"version": version}},
                    timeout=120,
                )
                assert response.status_code == 200, response.text
                after = len(seen)
                deadline = threading.Event()
                deadline.wait(0.5)
                assert set(seen[after + 32 :]) <= {version}  # once in flight requests are answered: the new one
        finally:
            stop.set()
            load.join(timeout=60)
        status = httpx.get(f"{server.url}/v1/models/mnist").json()["model_version_status"]
    assert failures == []
    assert len(seen) > 100
    assert {"1", "2"} <= set(seen)
    assert {s["version"]: s["state"] for s in status} == {"2": "AVAILABLE", "1": "END"}
