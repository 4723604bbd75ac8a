"""The throughput benchmark's arithmetic: medians over rounds, ratios taken within a round."""

from __future__ import annotations

import pytest

from bench.throughput import Run, summarize


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
