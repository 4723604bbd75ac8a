"""Kill a replica under load behind the compose load balancer and count what it cost.

    make chaos                                   # 2 replicas, 16 clients, kill one after 5 s
    python deploy/chaos.py --replicas 3 --concurrency 32 --keep   # leave the stack up afterwards
    python deploy/chaos.py --lb-conf old.conf    # the same run with another nginx.conf in the lb

Starts `docker compose -f docker-compose.yml -f docker-compose.scale.yml up --scale mnist=N` (the
CPU image, built if missing), waits until every replica is healthy, then sends real predictions
(JSON pixels and PNG uploads, alternately) to nginx from CONCURRENCY clients. After KILL_AFTER
seconds it SIGKILLs one replica's main process from the host, as a crash or the kernel's OOM killer
would, and watches the replica: the restart policy starting it again, the replica answering its own
/health/ready, nginx sending it predictions again (its /metrics count of answered POSTs, read straight
from its container address, grows), and Docker's health check passing. Load goes on until the
replica has rejoined, is healthy again and has served for a few more seconds (or REJOIN_TIMEOUT
passes), then the stack comes down.

Reports requests sent, failed (any status but 200, a transport error, or a prediction that differs
from the one given before the kill) and the times from the kill to restart, ready, rejoined and
healthy, as text and as JSON (--json FILE). Exits 1 if any request failed or the replica did not rejoin.
Needs a Docker engine (here: ../shared/tools/docker-standin.sh) and talks to loopback and the
containers' own addresses only.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILES = ["-f", str(ROOT / "docker-compose.yml"), "-f", str(ROOT / "docker-compose.scale.yml")]


def compose(project: str, *args: str, env: dict[str, str], capture: bool = False) -> str:
    result = subprocess.run(
        ["docker", "compose", "-p", project, *COMPOSE_FILES, *args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout or ""


def inspect(container: str) -> dict[str, Any]:
    out = subprocess.run(["docker", "inspect", container], check=True, capture_output=True, text=True).stdout
    state: dict[str, Any] = json.loads(out)[0]
    return state


def address(info: dict[str, Any]) -> str:
    networks = info["NetworkSettings"]["Networks"]
    return str(next(iter(networks.values()))["IPAddress"] or "")


def health(info: dict[str, Any]) -> str:
    return str((info["State"].get("Health") or {}).get("Status", "none"))


def seven() -> list[list[int]]:
    """A hand-drawn 7 in MNIST form (white on black, 28x28), so the script needs no data set."""
    image = Image.new("L", (28, 28), 0)
    draw = ImageDraw.Draw(image)
    draw.line([(6, 6), (21, 6), (12, 23)], fill=255, width=3)
    return [[image.getpixel((x, y)) for x in range(28)] for y in range(28)]  # type: ignore[misc]


def png_of(pixels: list[list[int]]) -> bytes:
    image = Image.new("L", (28, 28))
    image.putdata([255 - value for row in pixels for value in row])  # dark ink on paper, like a photo
    buffer = io.BytesIO()
    image.resize((140, 140)).save(buffer, "PNG")
    return buffer.getvalue()


@dataclass
class Load:
    """What the clients saw."""

    sent: int = 0
    ok: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    first_failures: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    slow_after_kill: float = 0.0  # the slowest answer to a request sent after the kill

    def fail(self, kind: str, detail: str) -> None:
        self.failures[kind] += 1
        if len(self.first_failures) < 10:
            self.first_failures.append(f"{kind}: {detail}"[:300])


async def client(url: str, load: Load, stop: asyncio.Event, digit: int, pixels: list[list[int]], n: int) -> None:
    body_json = {"pixels": pixels}
    body_png = png_of(pixels)
    timeout = httpx.Timeout(30.0)
    async with httpx.AsyncClient(base_url=url, timeout=timeout) as http:
        i = n
        while not stop.is_set():
            i += 1
            started = time.monotonic()
            load.sent += 1
            try:
                if i % 2:
                    response = await http.post("/predict", json=body_json)
                else:
                    response = await http.post("/predict", files={"file": ("seven.png", body_png, "image/png")})
            except httpx.HTTPError as exc:
                load.fail(type(exc).__name__, repr(exc))
                continue
            load.latencies.append(time.monotonic() - started)
            if response.status_code != 200:
                load.fail(f"HTTP {response.status_code}", response.text)
            elif response.json().get("digit") != digit:
                load.fail("wrong digit", response.text)
            else:
                load.ok += 1


def is_ready(ip: str) -> bool:
    try:
        return httpx.get(f"http://{ip}:8000/health/ready", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def answered_posts(ip: str) -> int | None:
    """POSTs the replica answered with 200 since it started, from its own /metrics (None: unreachable)."""
    try:
        text = httpx.get(f"http://{ip}:8000/metrics", timeout=1.0).text
    except httpx.HTTPError:
        return None
    total = 0.0
    for line in text.splitlines():
        if line.startswith("mnist_http_requests_total{") and 'method="POST"' in line and 'status="200"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def wait_ready(lb: str, containers: list[str], pixels: list[list[int]], timeout: float) -> int:
    """Wait until every replica is healthy and has answered a prediction sent through nginx, so the
    kill finds them all in rotation; returns the digit nginx's answers agree on."""
    deadline = time.monotonic() + timeout
    digits: set[int] = set()
    states: list[str] = []
    while time.monotonic() < deadline:
        states = [health(inspect(c)) for c in containers]
        if all(s == "healthy" for s in states):
            for _ in range(4 * len(containers)):
                try:
                    response = httpx.post(f"{lb}/predict", json={"pixels": pixels}, timeout=5.0)
                except httpx.HTTPError:
                    break
                if response.status_code == 200:
                    digits.add(response.json()["digit"])
            if all(answered_posts(address(inspect(c))) for c in containers):
                if len(digits) != 1:
                    raise SystemExit(f"the replicas disagree on the digit: {digits}")
                return digits.pop()
        time.sleep(1.0)
    raise SystemExit(f"the replicas were not all healthy and serving within {timeout:.0f} s: {states}")


def kill(container: str, how: str) -> int:
    """SIGKILL the container's main process; returns its host PID."""
    pid = int(inspect(container)["State"]["Pid"])
    if how == "pid":
        os.kill(pid, signal.SIGKILL)  # from the host, as the OOM killer would
    else:
        subprocess.run(["docker", "kill", "--signal", "KILL", container], check=True, capture_output=True)
    return pid


@dataclass
class Rejoin:
    victim: str
    pid: int
    address_before: str
    address_after: str = ""
    restart_count: int = 0
    restarted_s: float | None = None  # the restart policy started the container again
    ready_s: float | None = None  # it answered its own /health/ready (model loaded and warmed up)
    healthy_s: float | None = None  # Docker's health check passed again
    rejoined_s: float | None = None  # nginx sent it a prediction and it answered
    served_after_rejoin: int = 0  # predictions it answered by the end of the load


async def watch(victim: str, killed_at: float, rejoin: Rejoin, started_before: str, timeout: float) -> None:
    """Poll the victim until it serves predictions again, then keep counting until cancelled.
    Docker and HTTP calls run in a thread, so the clients' event loop never waits on them."""
    while time.monotonic() - killed_at < timeout:
        info = await asyncio.to_thread(inspect, victim)
        now = time.monotonic() - killed_at
        state = info["State"]
        if rejoin.restarted_s is None and state["Running"] and state["StartedAt"] != started_before:
            rejoin.restarted_s = now
            rejoin.restart_count = int(info["RestartCount"])
            rejoin.address_after = address(info)
        if rejoin.restarted_s is not None and rejoin.healthy_s is None and health(info) == "healthy":
            rejoin.healthy_s = now
        if (
            rejoin.restarted_s is not None
            and rejoin.ready_s is None
            and await asyncio.to_thread(is_ready, address(info))
        ):
            rejoin.ready_s = now
        if rejoin.restarted_s is not None:
            served = await asyncio.to_thread(answered_posts, address(info))
            if served:
                rejoin.served_after_rejoin = served
                if rejoin.rejoined_s is None:
                    rejoin.rejoined_s = now
        await asyncio.sleep(0.25)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[int(q * 1000) - 1] if len(values) > 1 else float("nan")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    env = dict(os.environ, TENSORFLOW_EXTRAS="", IMAGE_TAG=args.image_tag, PUBLISHED_PORT="127.0.0.1:")
    env["LB_PORT"] = f"127.0.0.1:{args.lb_port}"
    lb = f"http://127.0.0.1:{args.lb_port}"
    project = args.project
    compose(project, "build", "lb", env=env)  # small and cached: always the current nginx.conf
    compose(project, "up", "-d", "--scale", f"mnist={args.replicas}", env=env)
    containers = compose(project, "ps", "-q", "mnist", env=env, capture=True).split()
    lb_container = compose(project, "ps", "-q", "lb", env=env, capture=True).strip()
    if args.lb_conf:
        subprocess.run(["docker", "cp", args.lb_conf, f"{lb_container}:/etc/nginx/nginx.conf"], check=True)
        subprocess.run(["docker", "exec", lb_container, "nginx", "-s", "reload"], check=True)
        time.sleep(1.0)  # let the reloaded nginx's old workers go
    pixels = seven()
    digit = wait_ready(lb, containers, pixels, args.ready_timeout)
    victim = sorted(containers, key=lambda c: inspect(c)["Name"])[0]
    before = inspect(victim)
    rejoin = Rejoin(victim=before["Name"].lstrip("/"), pid=0, address_before=address(before))

    load = Load()
    stop = asyncio.Event()
    started = time.monotonic()
    clients = [asyncio.create_task(client(lb, load, stop, digit, pixels, n)) for n in range(args.concurrency)]
    await asyncio.sleep(args.kill_after)
    sent_before_kill, failed_before_kill = load.sent, sum(load.failures.values())
    killed_at = time.monotonic()
    rejoin.pid = kill(victim, args.kill_with)
    latencies_before = len(load.latencies)
    watcher = asyncio.create_task(watch(victim, killed_at, rejoin, before["State"]["StartedAt"], args.rejoin_timeout))
    while not watcher.done():
        rejoined_long_enough = (
            rejoin.rejoined_s is not None
            and rejoin.healthy_s is not None
            and time.monotonic() - killed_at >= max(rejoin.rejoined_s, rejoin.healthy_s) + args.after_rejoin
        )
        if rejoined_long_enough and time.monotonic() - started >= args.duration:
            break
        await asyncio.sleep(0.1)
    stop.set()
    await asyncio.gather(*clients)
    watcher.cancel()
    await asyncio.gather(watcher, return_exceptions=True)
    elapsed = time.monotonic() - started
    load.slow_after_kill = max(load.latencies[latencies_before:], default=0.0)

    nginx_errors = subprocess.run(
        ["docker", "logs", "--since", f"{int(elapsed) + 5}s", lb_container], capture_output=True, text=True
    ).stderr.splitlines()
    failed = sum(load.failures.values())
    return {
        "replicas": args.replicas,
        "concurrency": args.concurrency,
        "lb_conf": args.lb_conf or "deploy/nginx/nginx.conf (built into the lb image)",
        "kill": f"SIGKILL to host PID {rejoin.pid}" if args.kill_with == "pid" else "docker kill --signal KILL",
        "seconds": round(elapsed, 1),
        "sent": load.sent,
        "ok": load.ok,
        "failed": failed,
        "failed_before_kill": failed_before_kill,
        "sent_before_kill": sent_before_kill,
        "failures": dict(load.failures),
        "first_failures": load.first_failures,
        "requests_per_s": round(load.sent / elapsed, 1),
        "latency_ms": {
            "p50": round(1000 * percentile(load.latencies, 0.5), 1),
            "p99": round(1000 * percentile(load.latencies, 0.99), 1),
            "max": round(1000 * max(load.latencies, default=0.0), 1),
            "max_after_kill": round(1000 * load.slow_after_kill, 1),
        },
        # nginx's error log: requests the dead replica held (cut off mid-request, then retried) and
        # attempts to connect to it while it was down (each retried too)
        "nginx_cut_off": sum("from upstream" in line for line in nginx_errors),
        "nginx_connect_failed": sum("while connecting to upstream" in line for line in nginx_errors),
        "nginx_log_tail": nginx_errors[-5:],
        "rejoin": asdict(rejoin),
    }


def report(result: dict[str, Any]) -> str:
    rejoin = result["rejoin"]

    def seconds(value: float | None) -> str:
        return "never" if value is None else f"{value:.1f} s"

    lines = [
        f"{result['replicas']} replicas behind nginx, {result['concurrency']} clients, {result['seconds']} s, "
        f"{result['requests_per_s']} req/s; lb config: {result['lb_conf']}",
        f"killed {rejoin['victim']} ({result['kill']})",
        f"requests sent: {result['sent']}, failed: {result['failed']} {result['failures'] or ''}".rstrip(),
        f"nginx logged {result['nginx_cut_off']} requests cut off by the kill and {result['nginx_connect_failed']} "
        "failed connections (each retried on another replica unless it failed above)",
        f"latency p50 {result['latency_ms']['p50']} ms, p99 {result['latency_ms']['p99']} ms, "
        f"max {result['latency_ms']['max']} ms ({result['latency_ms']['max_after_kill']} ms after the kill)",
        f"after the kill: restarted in {seconds(rejoin['restarted_s'])} (restart count {rejoin['restart_count']}), "
        f"ready in {seconds(rejoin['ready_s'])}, rejoined (serving via nginx) in {seconds(rejoin['rejoined_s'])}, "
        f"healthy to Docker in {seconds(rejoin['healthy_s'])}; "
        f"it answered {rejoin['served_after_rejoin']} predictions by the end",
        f"address before/after the restart: {rejoin['address_before']} / {rejoin['address_after'] or '?'}",
    ]
    lines += [f"  {failure}" for failure in result["first_failures"]]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--kill-after", type=float, default=5.0, help="seconds of load before the kill")
    parser.add_argument("--duration", type=float, default=20.0, help="least seconds of load in all")
    parser.add_argument("--after-rejoin", type=float, default=5.0, help="seconds of load after the rejoin")
    parser.add_argument("--rejoin-timeout", type=float, default=120.0)
    parser.add_argument("--ready-timeout", type=float, default=180.0)
    parser.add_argument(
        "--kill-with",
        choices=["pid", "docker"],
        default="pid",
        help="pid (default): kill(2) the host PID, as a crash or the OOM killer would; docker: `docker kill`, "
        "a manual stop to Docker, after which no restart policy brings the replica back",
    )
    parser.add_argument("--lb-conf", help="an nginx.conf to load into the lb first (to compare configs)")
    parser.add_argument("--lb-port", type=int, default=18080)
    parser.add_argument("--image-tag", default="cpu")
    parser.add_argument("--project", default="mnist-chaos")
    parser.add_argument("--keep", action="store_true", help="leave the stack up afterwards")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()

    env = dict(os.environ, TENSORFLOW_EXTRAS="", IMAGE_TAG=args.image_tag, PUBLISHED_PORT="127.0.0.1:")
    try:
        result = asyncio.run(run(args))
    finally:
        if not args.keep:
            compose(args.project, "down", "--remove-orphans", env=env)
    print(report(result))
    print(json.dumps(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["failed"] == 0 and result["rejoin"]["rejoined_s"] is not None else 1


if __name__ == "__main__":
    sys.exit(main())
