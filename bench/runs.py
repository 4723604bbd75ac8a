"""One measurement of one server: the record every part of the throughput bench reads and writes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Run:
    server: str
    payload: str
    concurrency: int
    round: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_us_per_request: float  # the server process, all threads; NaN for a deployment measured by URL
    peak_rss_mib: float
