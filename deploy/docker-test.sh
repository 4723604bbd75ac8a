#!/usr/bin/env bash
# Build the CPU image, start it with `docker compose up -d`, wait until healthy, predict real MNIST
# digits over HTTP, check the process is not root, and tear everything down.
#   make docker-test            (PYTHON: an interpreter with the project installed; default .venv)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
export TENSORFLOW_EXTRAS="" IMAGE_TAG=cpu PUBLISHED_PORT=${PUBLISHED_PORT:-18000}
project=mnist-docker-test
compose() { docker compose -p "$project" "$@"; }
trap 'compose down --remove-orphans >/dev/null 2>&1 || true' EXIT

compose build
compose up -d
container=$(compose ps -q mnist)
status=starting
for _ in $(seq 1 90); do
  status=$(docker inspect -f '{{.State.Health.Status}}' "$container")
  [ "$status" = healthy ] && break
  sleep 2
done
echo "container health: $status"
[ "$status" = healthy ] || { compose logs; exit 1; }

"$PYTHON" - "$PUBLISHED_PORT" <<'PY'
import io, sys
import httpx
from PIL import Image
from training.sources import load_mnist

url = f"http://127.0.0.1:{sys.argv[1]}"
test = load_mnist().test
for image, label in zip(test.images[:10], test.labels[:10]):
    as_json = httpx.post(f"{url}/predict", json={"pixels": image.tolist()}).json()
    png = io.BytesIO()
    Image.fromarray(255 - image).resize((200, 200)).save(png, "PNG")
    as_png = httpx.post(f"{url}/predict", files={"file": ("digit.png", png.getvalue(), "image/png")}).json()
    assert as_json["digit"] == as_png["digit"] == label, (label, as_json, as_png)
print("predicted 10 MNIST test digits correctly as JSON and as PNG uploads;", httpx.get(f"{url}/model").json()["runtime"])
PY

user=$(docker exec "$container" id -u)
echo "process uid: $user ($(docker exec "$container" id -un))"
[ "$user" != 0 ] || { echo "error: the service runs as root" >&2; exit 1; }
docker image ls "mnist-service" --format '{{.Repository}}:{{.Tag}} {{.Size}}'
echo "docker-test passed"
