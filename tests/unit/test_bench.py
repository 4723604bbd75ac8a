"""The throughput benchmark's arithmetic: medians over rounds, ratios taken within a round."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from bench.throughput import IDLE_CHECK_S, Run, summarize, wait_until_idle


def run(server: str, concurrency: int, round_: int, rps: float, p50: float, payload: str = "json") -> Run:
    return Run(server, payload, concurrency, round_, rps, p50, p50 * 2, 0, 300.0, 100.0)


def test_ratios_are_taken_round_by_round_then_their_median() -> None:
    # The machine is twice as fast in round 2; the service keeps 0.8x of the ceiling in every round.
    runs = [
        run("ceiling", 8, 1, 1000, 2.0),
        run("service", 8, 1, 800, 3.0),
        run("ceiling", 8, 2, 2000, 1.0),
        run("service", 8, 2, 1600, 1.5),
        run("ceiling", 8, 3, 1000, 2.0),
        run("service", 8, 3, 800, 3.0),
        run("service", 8, 3, 50, 40.0, payload="png"),
    ]
    rows = {(row.server, row.payload): row for row in summarize(runs)}
    service = rows["service", "json"]
    assert service.requests_per_second == 800
    assert service.throughput_ratio == pytest.approx(0.8)
    assert service.p50_ratio == pytest.approx(1.5)
    assert rows["ceiling", "json"].throughput_ratio == pytest.approx(1.0)
    assert rows["service", "png"].throughput_ratio is None  # not comparable to a JSON ceiling


def test_wait_until_idle_waits_for_a_busy_process_to_finish() -> None:
    busy_for = 1.0
    spin_then_sleep = f"import time\nend = time.time() + {busy_for}\nwhile time.time() < end: pass\ntime.sleep(60)"
    process = subprocess.Popen([sys.executable, "-c", spin_then_sleep])
    try:
        started = time.perf_counter()
        wait_until_idle(process.pid)
        waited = time.perf_counter() - started
        assert process.poll() is None  # still running, but idle
        assert waited >= busy_for / 2
        assert waited < 30
    finally:
        process.kill()
        process.wait()


def test_wait_until_idle_returns_at_once_for_an_idle_process() -> None:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        time.sleep(0.5)  # past the interpreter's start-up
        started = time.perf_counter()
        wait_until_idle(process.pid)
        assert time.perf_counter() - started < 5 * IDLE_CHECK_S
    finally:
        process.kill()
        process.wait()
